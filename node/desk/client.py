"""A small client of one node's Desk, used by the CLI and the demo."""

from __future__ import annotations

import hashlib
import mimetypes
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import grpc

from node.cases.states import Action
from node.config import NodeConfig
from node.convert import action_to_proto
from node.desk import TOKEN_METADATA
from node.trust.identity import NodeIdentity
from node.trust.identity import passphrase as key_passphrase
from sync.transport import TransportSettings, open_channel
from wuji.v1 import case_pb2, desk_pb2, desk_pb2_grpc

T = TypeVar("T")


class _StaffToken(grpc.UnaryUnaryClientInterceptor):
    """Adds a person's login token to every call (metadata "wuji-staff-token")."""

    def __init__(self, token: str) -> None:
        self._token = token

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        metadata = [*(details.metadata or ()), (TOKEN_METADATA, self._token)]
        return continuation(details._replace(metadata=metadata), request)


class DeskClient:
    """Calls one node's desk over mTLS, presenting that node's own certificate, and, when a person
    has logged in, their login token."""

    def __init__(
        self,
        address: str,
        settings: TransportSettings,
        node_code: str,
        timeout: float = 10.0,
        token: str = "",
    ) -> None:
        self.address = address
        self.node_code = node_code
        self._timeout = timeout
        self._channel = open_channel(address, settings, peer_code=node_code)
        channel = grpc.intercept_channel(self._channel, _StaffToken(token)) if token else self._channel
        self._stub = desk_pb2_grpc.DeskStub(channel)

    def with_token(self, token: str) -> DeskClient:
        """Another client of the same desk, acting as the person the token belongs to."""
        clone = DeskClient.__new__(DeskClient)
        clone.address, clone.node_code, clone._timeout, clone._channel = (
            self.address,
            self.node_code,
            self._timeout,
            self._channel,
        )
        clone._stub = desk_pb2_grpc.DeskStub(grpc.intercept_channel(self._channel, _StaffToken(token)))
        return clone

    @classmethod
    def for_node(cls, config_path: Path, address: str = "", token: str = "") -> DeskClient:
        """A client for the node configured in config_path, with that node's identity."""
        config = NodeConfig.load(config_path)
        identity = NodeIdentity.load(
            config.division, config.pki_folder(config_path), key_passphrase(config.key_passphrase_file)
        )
        settings = TransportSettings(
            max_message_bytes=config.max_message_bytes, credentials=identity.credentials()
        )
        return cls(address or local_address(config.listen), settings, config.code, token=token)

    def invite(self, code: str, valid_hours: int = 24) -> desk_pb2.Invite:
        return self._stub.CreateInvite(desk_pb2.CreateInviteRequest(code=code, valid_hours=valid_hours))

    def revoke(self, target: str) -> desk_pb2.RevokeCertificateResponse:
        return self._stub.RevokeCertificate(
            desk_pb2.RevokeCertificateRequest(target=target), timeout=self._timeout
        )

    def add_peer(self, province: str, root_pem: bytes, address: str, name: str) -> desk_pb2.PeerView:
        request = desk_pb2.AddPeerRequest(province=province, root_pem=root_pem, address=address, name=name)
        return self._stub.AddPeer(request, timeout=self._timeout)

    def remove_peer(self, province: str) -> desk_pb2.PeerView:
        return self._stub.RemovePeer(desk_pb2.RemovePeerRequest(province=province), timeout=self._timeout)

    def peers(self) -> list[desk_pb2.PeerView]:
        return list(self._stub.ListPeers(desk_pb2.ListPeersRequest(), timeout=self._timeout).peers)

    def partner_items(self, province: str = "") -> list[desk_pb2.PartnerItem]:
        request = desk_pb2.ListPartnerItemsRequest(province=province)
        return list(self._stub.ListPartnerItems(request, timeout=self._timeout).items)

    def revoke_licence(self, identifier: str, reason: str) -> desk_pb2.LicenceStatus:
        request = desk_pb2.RevokeLicenceRequest(identifier=identifier, reason=reason)
        return self._stub.RevokeLicence(request, timeout=self._timeout)

    def check_licence(self, identifier: str) -> desk_pb2.LicenceStatus:
        request = desk_pb2.CheckLicenceRequest(identifier=identifier)
        return self._stub.CheckLicence(request, timeout=self._timeout)

    def create_seal(
        self,
        holder: str,
        department: str,
        kind: str,
        valid_days: int = 0,
        algorithm: str = "",
        picture: bytes = b"",
    ) -> desk_pb2.SealDescription:
        request = desk_pb2.CreateSealRequest(
            holder=holder,
            department=department,
            kind=kind,
            valid_days=valid_days,
            algorithm=algorithm,
            picture=picture,
        )
        return self._stub.CreateSeal(request, timeout=self._timeout)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> DeskClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit(
        self,
        item_code: str,
        name: str,
        id_number: str,
        phone: str = "",
        materials: list[case_pb2.Material] | None = None,
        home_division: str = "",
        mode: str = "",
        place_division: str = "",
        deferred: list[str] | None = None,
        promised_on: str = "",
        promise: case_pb2.Promise | None = None,
        channel: str = "",
        submission_key: str = "",
    ) -> case_pb2.Case:
        """申请; submission_key: made once per application (node.cases.submissions.new_key) and sent
        again with it, so the node takes it in once however often it arrives."""
        request = desk_pb2.SubmitCaseRequest(
            submission_key=submission_key,
            channel=channel,
            item_code=item_code,
            applicant=case_pb2.Applicant(name=name, id_number=id_number, phone=phone),
            materials=materials or [],
            home_division=home_division,
            mode=mode,
            place_division=place_division,
            deferred=deferred or [],
            promised_on=promised_on,
            promise=promise,
        )
        return self._stub.SubmitCase(request, timeout=self._timeout)

    def submit_bundle(
        self,
        bundle_code: str,
        applicant: case_pb2.Applicant,
        materials: list[case_pb2.Material],
        home_division: str = "",
        deferred: list[str] | None = None,
        promised_on: str = "",
        promise: case_pb2.Promise | None = None,
        submission_key: str = "",
    ) -> case_pb2.Bundle:
        request = desk_pb2.SubmitBundleRequest(
            submission_key=submission_key,
            bundle_code=bundle_code,
            applicant=applicant,
            materials=materials,
            home_division=home_division,
            deferred=deferred or [],
            promised_on=promised_on,
            promise=promise,
        )
        return self._stub.SubmitBundle(request, timeout=self._timeout)

    def get_bundle(self, bundle_id: str) -> case_pb2.Bundle:
        return self._stub.GetBundle(desk_pb2.GetBundleRequest(bundle_id=bundle_id), timeout=self._timeout)

    def supply(self, case_or_bundle: str, material: case_pb2.Material) -> case_pb2.Case:
        request = desk_pb2.SupplyMaterialRequest(case_id=case_or_bundle, material=material)
        return self._stub.SupplyMaterial(request, timeout=self._timeout)

    def post_checks(self, include_done: bool = False) -> list[case_pb2.PostCheck]:
        request = desk_pb2.ListPostChecksRequest(include_done=include_done)
        return list(self._stub.ListPostChecks(request, timeout=self._timeout).checks)

    def complete_post_check(self, case_id: str, passed: bool, finding: str) -> case_pb2.PostCheck:
        request = desk_pb2.CompletePostCheckRequest(case_id=case_id, passed=passed, finding=finding)
        return self._stub.CompletePostCheck(request, timeout=self._timeout)

    def get(self, case_id: str) -> case_pb2.Case:
        return self._stub.GetCase(desk_pb2.GetCaseRequest(case_id=case_id), timeout=self._timeout)

    def list_cases(
        self, state: case_pb2.CaseState = case_pb2.CASE_STATE_UNSPECIFIED, role: str = "", limit: int = 100
    ) -> list[case_pb2.Case]:
        request = desk_pb2.ListCasesRequest(state=state, role=role, limit=limit)
        return list(self._stub.ListCases(request, timeout=self._timeout).cases)

    def act(
        self,
        case_id: str,
        action: Action,
        note: str = "",
        days: int = 0,
        materials: list[case_pb2.Material] | None = None,
        correct: Sequence[str] = (),
    ) -> case_pb2.Case:
        request = desk_pb2.ActOnCaseRequest(
            case_id=case_id,
            action=action_to_proto(action),
            note=note,
            days=days,
            materials=materials or [],
            correct_materials=correct,
        )
        return self._stub.ActOnCase(request, timeout=self._timeout)

    def items(self) -> desk_pb2.ListItemsResponse:
        return self._stub.ListItems(desk_pb2.ListItemsRequest(), timeout=self._timeout)

    def publish_catalog(self, document: bytes) -> desk_pb2.PublishCatalogResponse:
        return self._stub.PublishCatalog(desk_pb2.PublishCatalogRequest(document=document), timeout=60)

    def publish_calendar(self, document: bytes) -> desk_pb2.PublishCalendarResponse:
        return self._stub.PublishCalendar(desk_pb2.PublishCalendarRequest(document=document), timeout=60)

    def calendar(self, year: int = 0) -> desk_pb2.CalendarView:
        return self._stub.GetCalendar(desk_pb2.GetCalendarRequest(year=year), timeout=self._timeout)

    def verify_catalog(self) -> desk_pb2.CatalogVerification:
        return self._stub.VerifyCatalog(desk_pb2.VerifyCatalogRequest(), timeout=60)

    def diff_catalog(self, from_version: int, to_version: int) -> desk_pb2.CatalogDiff:
        request = desk_pb2.DiffCatalogRequest(from_version=from_version, to_version=to_version)
        return self._stub.DiffCatalog(request, timeout=self._timeout)

    def claim_item(self, item_code: str, fields: dict[str, str]) -> desk_pb2.ItemClaim:
        request = desk_pb2.ClaimItemRequest(item_code=item_code, fields=fields)
        return self._stub.ClaimItem(request, timeout=self._timeout)

    def describe(self) -> desk_pb2.NodeDescription:
        return self._stub.DescribeNode(desk_pb2.DescribeNodeRequest(), timeout=self._timeout)

    def office_names(self, codes: Iterable[str]) -> dict[str, str]:
        """code → name of the offices the node's certificates name (codes it cannot name left out)."""
        request = desk_pb2.NameOfficesRequest(codes=sorted(set(codes)))
        return dict(self._stub.NameOffices(request, timeout=self._timeout).names)

    def rate(self, case_id: str, score: int, comment: str = "") -> desk_pb2.RatingView:
        request = desk_pb2.RateCaseRequest(case_id=case_id, score=score, comment=comment)
        return self._stub.RateCase(request, timeout=self._timeout)

    def rectify(self, case_id: str, return_visit: str) -> desk_pb2.RectificationView:
        request = desk_pb2.RectifyCaseRequest(case_id=case_id, return_visit=return_visit)
        return self._stub.RectifyCase(request, timeout=self._timeout)

    def cards(
        self,
        subtree: str = "",
        include_closed: bool = False,
        raised_from: str = "",
        raised_to: str = "",
        colour: str = "",
        department: str = "",
    ) -> list[case_pb2.SupervisionCard]:
        request = desk_pb2.ListCardsRequest(
            subtree=subtree,
            include_closed=include_closed,
            raised_from=raised_from,
            raised_to=raised_to,
            colour=colour,
            department=department,
        )
        return list(self._stub.ListCards(request, timeout=self._timeout).cards)

    def stats(self, from_day: str = "", to_day: str = "") -> desk_pb2.StatsReport:
        request = desk_pb2.StatsRequest(from_day=from_day, to_day=to_day)
        return self._stub.GetStats(request, timeout=self._timeout)

    def appeal(self, case_id: str, reason: str) -> desk_pb2.AppealView:
        request = desk_pb2.AppealRatingRequest(case_id=case_id, reason=reason)
        return self._stub.AppealRating(request, timeout=self._timeout)

    def decide_appeal(self, case_id: str, void: bool, note: str) -> desk_pb2.AppealView:
        request = desk_pb2.DecideAppealRequest(case_id=case_id, void=void, note=note)
        return self._stub.DecideAppeal(request, timeout=self._timeout)

    def appeals(self) -> list[desk_pb2.AppealView]:
        return list(self._stub.ListAppeals(desk_pb2.ListAppealsRequest(), timeout=self._timeout).appeals)

    # -- staff and the window's day ----------------------------------------------------------------

    def login(self, username: str, password: str) -> desk_pb2.LoginReply:
        request = desk_pb2.LoginRequest(username=username, password=password)
        return self._stub.Login(request, timeout=self._timeout)

    def logout(self) -> None:
        self._stub.Logout(desk_pb2.LogoutRequest(), timeout=self._timeout)

    def whoami(self) -> desk_pb2.StaffMember:
        return self._stub.WhoAmI(desk_pb2.WhoAmIRequest(), timeout=self._timeout)

    def add_staff(
        self, username: str, name: str, role: str, department: str, password: str
    ) -> desk_pb2.StaffMember:
        request = desk_pb2.AddStaffRequest(
            username=username, name=name, role=role, department=department, password=password
        )
        return self._stub.AddStaff(request, timeout=self._timeout)

    def staff(self) -> list[desk_pb2.StaffMember]:
        return list(self._stub.ListStaff(desk_pb2.ListStaffRequest(), timeout=self._timeout).staff)

    def disable_staff(self, username: str) -> desk_pb2.StaffMember:
        return self._stub.DisableStaff(desk_pb2.DisableStaffRequest(username=username), timeout=self._timeout)

    def enable_staff(self, username: str) -> desk_pb2.StaffMember:
        return self._stub.EnableStaff(desk_pb2.EnableStaffRequest(username=username), timeout=self._timeout)

    def change_staff(
        self, username: str, role: str = "", department: str | None = None
    ) -> desk_pb2.StaffMember:
        """role "" and department None keep the account's."""
        request = desk_pb2.ChangeStaffRequest(username=username, role=role)
        if department is not None:
            request.department = department
        return self._stub.ChangeStaff(request, timeout=self._timeout)

    def set_password(self, username: str, password: str, current: str = "") -> desk_pb2.StaffMember:
        """current: for one's own password."""
        request = desk_pb2.SetStaffPasswordRequest(
            username=username, password=password, current_password=current
        )
        return self._stub.SetStaffPassword(request, timeout=self._timeout)

    def queue(self, queue: str, department: str = "", limit: int = 50) -> list[case_pb2.Case]:
        request = desk_pb2.ListQueueRequest(queue=queue, department=department, limit=limit)
        return list(self._stub.ListQueue(request, timeout=self._timeout).cases)

    def search(self, query: str, limit: int = 50) -> list[case_pb2.Case]:
        request = desk_pb2.SearchCasesRequest(query=query, limit=limit)
        return list(self._stub.SearchCases(request, timeout=self._timeout).cases)

    def material(self, case_id: str, material_id: int) -> case_pb2.Material:
        request = desk_pb2.GetMaterialRequest(case_id=case_id, material_id=material_id)
        return self._stub.GetMaterial(request, timeout=self._timeout)

    def visits(self, include_done: bool = False) -> list[desk_pb2.ReturnVisit]:
        request = desk_pb2.ListReturnVisitsRequest(include_done=include_done)
        return list(self._stub.ListReturnVisits(request, timeout=self._timeout).visits)

    def record_visit(self, case_id: str, outcome: str, note: str = "") -> desk_pb2.ReturnVisit:
        request = desk_pb2.RecordReturnVisitRequest(case_id=case_id, outcome=outcome, note=note)
        return self._stub.RecordReturnVisit(request, timeout=self._timeout)

    def rectifications(
        self, include_done: bool = False, department: str = ""
    ) -> list[desk_pb2.RectificationView]:
        request = desk_pb2.ListRectificationsRequest(include_done=include_done, department=department)
        return list(self._stub.ListRectifications(request, timeout=self._timeout).tasks)

    def render_document(
        self, kind: str, item_code: str = "", case_id: str = "", event_version: int = 0
    ) -> desk_pb2.RenderedDocument:
        request = desk_pb2.RenderDocumentRequest(
            kind=kind, item_code=item_code, case_id=case_id, event_version=event_version
        )
        return self._stub.RenderDocument(request, timeout=30)

    def wait_for(
        self, probe: Callable[[DeskClient], T | Literal[False] | None], timeout: float, what: str
    ) -> T:
        """Poll probe(self) until it returns something truthy (unreachable counts as not yet);
        a probe may say "not yet" with None or False (`check(x) and x`)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = probe(self)
                if value:
                    return value
            except grpc.RpcError as error:
                if error.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.NOT_FOUND):
                    raise
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what} at {self.address}")
            time.sleep(0.02)


def material_from(path: Path, name: str = "", licence: str = "") -> case_pb2.Material:
    """A material file as the desk takes it: named name (default: the file's stem), with its digest,
    file name and media type; licence names the electronic licence the file is (无证明)."""
    content = path.read_bytes()
    return case_pb2.Material(
        name=name or path.stem,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        file_name=path.name,
        media_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
        licence=licence,
    )


def local_address(listen: str) -> str:
    """Where a client on the same host reaches a node listening on listen (0.0.0.0 → loopback)."""
    host, _, port = listen.rpartition(":")
    return f"127.0.0.1:{port}" if host in ("0.0.0.0", "", "[::]") else listen
