"""The catalogue at one node: publish (province), verify against the parent, diff, claim (认领).

The desk calls these; the parent answers `CatalogMirror.DescribeCatalog` for its children's
`wuji catalog verify`, over the same mTLS identity the link uses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import grpc
from sqlalchemy.orm import Session, sessionmaker

from node.catalogue import implementation, releases
from node.catalogue import items as catalog
from node.catalogue.diff import diff_items, to_proto
from node.catalogue.items import CatalogDocument, item_digest
from node.catalogue.releases import ReleaseSigner
from node.errors import NotReady, WrongNode
from signing.trust import TrustStore
from sync.auth import PeerAuthenticator, require_peer
from wuji.divisions import DivisionCode, Tier
from wuji.v1 import desk_pb2, link_pb2, link_pb2_grpc

ParentMirror = Callable[[], link_pb2.CatalogSummary]  # asks the parent's CatalogMirror


class CatalogService:
    def __init__(
        self,
        here: DivisionCode,
        sessions: sessionmaker[Session],
        readers: sessionmaker[Session],
        trust: Callable[[Session], TrustStore],
        signer: Callable[[Session], ReleaseSigner] | None,
        push: Callable[[Session], None],
        parent_mirror: ParentMirror | None,
    ) -> None:
        self.here = here
        self._sessions = sessions
        self._readers = readers
        self._trust = trust
        self._signer = signer
        self._push = push
        self._parent_mirror = parent_mirror

    def publish(self, document: CatalogDocument) -> desk_pb2.PublishCatalogResponse:
        """发布: the document becomes the next signed release here and flows down as deltas."""
        if self.here.tier is not Tier.PROVINCE or self._signer is None:
            raise WrongNode(
                f"事项目录只由省级节点发布；{self.here} 是{self.here.tier.label}级节点，从上级接收 "
                "(only the province publishes catalogue releases)"
            )
        with self._sessions.begin() as session:
            previous = catalog.latest_release(session)
            before = catalog.items_of(previous)
            release = releases.publish(session, document, self.here.value, self._signer(session))
            if release is not None:
                self._push(session)
            current = release or previous
            assert current is not None
            changes = diff_items(before, document.by_code()) if release else []
            return desk_pb2.PublishCatalogResponse(
                version=current.version,
                digest=current.digest,
                item_count=len(document.items),
                published=release is not None,
                changes=to_proto(changes, previous.version if previous else 0, current.version),
            )

    def summary(self) -> link_pb2.CatalogSummary:
        """The release held here and each item's digest, computed from the rows cases use."""
        with self._readers() as session:
            held = catalog.held_items(session)
            return link_pb2.CatalogSummary(
                node_code=self.here.value,
                version=catalog.current_version(session),
                digest=catalog.digest_of(held.values()),
                items=[
                    link_pb2.ItemDigest(code=code, name=item["name"], digest=item_digest(item))
                    for code, item in sorted(held.items())
                ],
            )

    def verify(self) -> desk_pb2.CatalogVerification:
        """Prove this node holds exactly its parent's release (a province: its own signed release)."""
        mine = self.summary()
        report = desk_pb2.CatalogVerification(
            node_code=self.here.value, version=mine.version, digest=mine.digest
        )
        if self._parent_mirror is None:
            with self._readers() as session:
                problem = releases.verify_own(session, self._trust(session), self.here.province)
                current = catalog.latest_release(session)
            report.compared_with = "signed release"
            report.other_version = current.version if current else 0
            report.other_digest = current.digest if current else ""
            report.identical = not problem
            report.note = problem or (
                f"所存事项与本省签名的第 {report.other_version} 版相符 "
                f"(the items match release {report.other_version}, signed by {self.here})"
            )
            return report
        with self._readers() as session:
            own_problem = releases.verify_own(session, self._trust(session), self.here.province)
        parent = self._parent_mirror()
        report.compared_with = parent.node_code
        report.other_version, report.other_digest = parent.version, parent.digest
        theirs = {entry.code: entry for entry in parent.items}
        ours = {entry.code: entry for entry in mine.items}
        for code in sorted(set(theirs) | set(ours)):
            if code not in ours:
                problem, name = "missing here", theirs[code].name
            elif code not in theirs:
                problem, name = "only here", ours[code].name
            elif ours[code].digest != theirs[code].digest:
                problem, name = "differs", ours[code].name
            else:
                continue
            report.differences.append(desk_pb2.ItemDifference(code=code, name=name, problem=problem))
        report.identical = (
            mine.version == parent.version
            and mine.digest == parent.digest
            and not report.differences
            and not own_problem
        )
        if own_problem:
            report.note = own_problem
        elif report.identical:
            report.note = f"第 {mine.version} 版与上级所存的完全一致 (identical to the parent's release)"
        elif mine.version < parent.version:
            report.note = (
                f"上级已有第 {parent.version} 版，本节点还是第 {mine.version} 版："
                "新版本正在下发，或与上级的连接中断 "
                f"(the parent holds release {parent.version}; release {mine.version} is held here)"
            )
        else:
            report.note = (
                f"有 {len(report.differences)} 个事项与上级的第 {parent.version} 版不同 "
                f"({len(report.differences)} item(s) differ from the parent's release {parent.version})"
            )
        return report

    def diff(self, from_version: int, to_version: int) -> desk_pb2.CatalogDiff:
        with self._readers() as session:
            to_version = to_version or catalog.current_version(session)
            before = catalog.items_of(catalog.release(session, from_version)) if from_version else {}
            after = catalog.items_of(catalog.release(session, to_version))
        return to_proto(diff_items(before, after), from_version, to_version)

    def claim(self, item_code: str, fields: Mapping[str, str]) -> desk_pb2.ItemClaim:
        with self._sessions.begin() as session:
            row = implementation.claim(session, self.here, item_code, fields)
            return implementation.claim_to_proto(session, self.here, row)


class CatalogMirrorServicer(link_pb2_grpc.CatalogMirrorServicer):
    """Answers a child's `catalog verify`: only this node's children may ask."""

    def __init__(self, here: DivisionCode, service: CatalogService, authenticator: PeerAuthenticator) -> None:
        self._here = here
        self._service = service
        self._authenticator = authenticator

    def DescribeCatalog(
        self, request: link_pb2.CatalogProbe, context: grpc.ServicerContext
    ) -> link_pb2.CatalogSummary:
        caller = require_peer(self._authenticator, context)
        if caller.parent != self._here and caller != self._here:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, f"{caller} is not a child of {self._here}")
        return self._service.summary()


def unreachable_parent(parent: str, error: grpc.RpcError, meaning: Callable[[str], str]) -> NotReady:
    """`catalog verify` could not ask the parent: why in words (`meaning` of the transport's
    details, as `wuji node status` says it), the details after them."""
    details = error.details() if isinstance(error, grpc.Call) else str(error)
    return NotReady(
        f"无法与上级 {parent} 比对事项目录：{meaning(details)}；请用 wuji node status 查看连接 "
        f"(cannot compare with the parent {parent}: {details})"
    )
