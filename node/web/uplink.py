"""The line in the front desk's header on the link to the parent tier: a village agent sees whether
what is accepted here is going up, and that nothing is lost while it cannot."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from node.cases.waiting import cases_waiting_for
from node.timeutil import drift_words, shanghai
from sync.link import CLOCK_DRIFT_NOTICE, LinkTrouble, refused_as_revoked
from wuji.divisions import DivisionCode, InvalidDivisionCode

if TYPE_CHECKING:
    from node.runtime.node import Node
    from sync.link import Link
    from wuji.v1 import case_pb2


@dataclass(frozen=True)
class Uplink:
    parent: str  # the parent node's name, or its code
    connected: bool
    waiting: int  # envelopes held here for the parent, not yet acknowledged by it
    clock: str = ""  # what is wrong with this node's clock, if the parent's tells ("" if nothing)
    catalogue: int = 1  # the catalogue release held here: 0 before the parent's first one
    trouble: str = ""  # why the link is down, in words (trouble_meaning), if the node knows
    revoked: str = ""  # the parent refused this node's certificate as revoked (revoked_words)

    @property
    def words(self) -> str:
        if self.revoked:  # nothing taken here could ever go up
            return self.revoked
        why = f"（{self.trouble}）" if self.trouble else ""
        if not self.connected and not self.catalogue:  # never linked: no item can be applied for yet
            return (
                f"尚未连上上级 {self.parent}{why}，还没有收到事项目录，暂时不能受理：请检查网络和上级地址"
                "（wuji node status），连上后目录自动同步"
            )
        if not self.connected:
            held = f"{self.waiting} 条数据保存在本点，" if self.waiting else "本点照常受理，"
            if needs_operator(self.trouble):  # redialling does not mend it: nothing goes up by itself
                return (
                    f"与上级 {self.parent} 的连接已中断{why}：{held}须运维处理后才能报送（wuji node status）"
                )
            return f"与上级 {self.parent} 的连接已中断{why}：{held}连接恢复后自动报送"
        if self.waiting:
            return f"上级 {self.parent} 已连接，{self.waiting} 条数据正在报送"
        return f"上级 {self.parent} 已连接"


def uplink_of(node: Node) -> Uplink | None:
    """The link to the parent tier now; None at a province (it has none)."""
    parent = node.here.parent
    if parent is None:
        return None
    name = node.names.name_of(parent.value) or parent.value
    link = node.links.find(parent.value)  # a page only looks: the node makes its links
    if link is not None and link.connected:
        return Uplink(name, True, link.outbox_depth(), clock_trouble(node, name, link))
    waiting = link.outbox_depth() if link is not None else 0
    if link is not None and link.revoked is not None:
        return Uplink(name, False, waiting, revoked=revoked_words(name, link.revoked, node.here.value))
    trouble = ""
    if link is not None and link.trouble:
        trouble = trouble_meaning(
            link.trouble.words, f"上级 {name}", "node.toml 的 parent_address", node.here.value
        )
    return Uplink(name, False, waiting, clock_trouble(node, name, link), node.catalog_version(), trouble)


# a child down longer than this is named in the header though nothing waits for it: a village
# point closed for the night is not news, one silent for a day is (its applications are not coming)
CHILD_SILENCE_NOTICE = timedelta(hours=24)


def children_down(node: Node, now: datetime | None = None) -> list[str]:
    """A line for each child point whose link is down while something of its applicants' waits here
    for it (a decision, a sealed result), or that has been silent for a day: the township's staff
    answer the village's phone call from it, and know a result they concluded has not reached the
    applicant's point. `now` is the wall clock the links note their last contact with."""
    now = now or datetime.now(UTC)
    lines = []
    for link in sorted(node.links.children(), key=lambda child: child.peer):
        if link.connected:
            continue
        waiting = link.outbox_depth()
        silent = link.last_contact is None or now - link.last_contact > CHILD_SILENCE_NOTICE
        if not waiting and not silent:
            continue
        heard = f"最近一次连通 {shanghai(link.last_contact)}" if link.last_contact else "从未连通"
        held = (
            f"{waiting} 条办理进展或结果保存在本节点，尚未送达，该点连上后自动送达"
            if waiting
            else "该点送来的申请和请求也到不了本节点"
        )
        lines.append(f"下级 {node.names.place(link.peer)} 未连接（{heard}）：{held}，请联系该点")
    return lines


def news_held_below(node: Node, case: case_pb2.Case) -> str:
    """What the case's page says where the applicant's point is below this node, the link toward it
    is down and the case's news waits here for it: the handler's clerk, seeing 办结 on the page,
    would otherwise tell the village phoning that the result is there to be picked up. "" else."""
    try:
        origin = DivisionCode.parse(case.origin)
    except InvalidDivisionCode:
        return ""
    if not node.here.is_ancestor_of(origin):
        return ""
    child = node.here.child_toward(origin).value
    link = node.links.find(child)
    if link is None or link.connected:
        return ""
    with node.readers() as session:
        held = [waiting for waiting in cases_waiting_for(session, child) if waiting.case_id == case.id]
    if not held:
        return ""
    heard = f"最近一次连通 {shanghai(link.last_contact)}" if link.last_contact else "从未连通"
    return (
        f"本件的 {held[0].messages} 条办理进展尚未送达申请地 {node.names.place(origin.value)}：与下级 "
        f"{node.names.place(child)} 的连接已中断（{heard}），保存在本节点，连接恢复后自动送达；"
        "在此之前申请地看不到这些进展，也领不到办理结果"
    )


# a child link's trouble once the child's certificate is revoked here (`wuji cert revoke`)
CHILD_REVOKED = "its certificate was revoked"

_REVOKED_ON = re.compile(r"was revoked on (\d{4}-\d\d-\d\d \d\d:\d\d) UTC")
_REVOKED_CODE = re.compile(r"certificate (\d{12}) \(")


def revoked_code(words: str) -> str:
    """The code of the certificate a refusal as revoked names ("" if it names none): this node's own,
    or one above it in its chain (its parent's CA, revoked when the parent's machine was replaced)."""
    found = _REVOKED_CODE.search(words)
    return found.group(1) if found else ""


def ancestor_revoked(here: str, refusal: LinkTrouble) -> bool:
    """True if the certificate refused as revoked is not this node's own but its parent's CA (or one
    above): the node itself did nothing wrong, and is enrolled again from the replacement."""
    code = revoked_code(refusal.words)
    return bool(code) and code != here


def enroll_again_words(here: str) -> str:
    """The one way to enrol a node again (its parent was replaced, or it was revoked and replaced)."""
    return (
        f"请上级运维在新的上级运行 wuji node invite {here}，把邀请文件交给本点；停下本节点，运行 "
        "wuji node enroll --again --invite <邀请文件> --config <本节点的 node.toml>，再启动本节点"
    )


def revoked_words(parent: str, refusal: LinkTrouble, here: str = "") -> str:
    """What a point is told once its parent refuses its certificate as revoked (a lost or stolen
    machine, or one replaced): an application taken here could never be sent, so none is taken.
    Where it is the parent's own CA that was revoked (the parent's machine was replaced), this
    node's certificate went with it: it is enrolled again from the replacement, and what it takes in
    meanwhile goes up then, signed anew (so applications are still taken)."""
    found = _REVOKED_ON.search(refusal.words)
    when = ""
    if found:
        revoked_at = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        when = f"于 {shanghai(revoked_at)}（北京时间）"
    if here and ancestor_revoked(here, refusal):
        return (
            f"上级 {revoked_code(refusal.words)} 的证书已{when}被吊销（上级换了设备），本节点的证书随之失效，"
            f"须向新的上级重新入网：{enroll_again_words(here)}。其间本点照常受理，重新入网后自动报送 "
            "(the parent's certificate was revoked: enrol this node again with `wuji node enroll --again`)"
        )
    return (
        f"本节点的证书已{when}被上级吊销，上级 {parent} 拒绝连接：不能再受理，请联系上级运维 "
        "(this node's certificate was revoked)"
    )


# The TLS handshake found the certificate of a node other than the one dialled (its name is not the
# neighbour's): an operator gave the county's port as the township's, say.
_ANOTHER_NODE = ("Hostname Verification Check failed", "Peer name", "hostname mismatch")

_DATABASES_DIFFER = "双方的数据库对不上（一方从备份恢复过，或同一节点在两台电脑上运行），请看节点日志"
_CERTIFICATES_DISTRUSTED = (
    "加密连接的握手失败，双方的证书互不信任（本节点的证书不是对方签发的、已过期或已被吊销）"
)
# troubles a link does not get over by dialling again: an operator must act before anything goes up
_LASTING = frozenset({_DATABASES_DIFFER, _CERTIFICATES_DISTRUSTED})

# What the transport's words for a link that is down mean, most telling first: a village agent or
# a county's IT person reads gRPC's "failed to connect to all addresses; last error: …" alone.
_TROUBLE_MEANINGS = (
    (("Connection refused",), "那个地址上没有节点在运行（对方已停止，或地址、端口不对）"),
    (("handshake", "SSL", "certificate", "CERTIFICATE"), _CERTIFICATES_DISTRUSTED),
    (("DNS resolution failed", "Name resolution", "not known"), "地址中的主机名查不到"),
    (("Network is unreachable", "No route to host"), "网络不通，本机没有通往对方的网络"),
    (("Deadline Exceeded", "DEADLINE_EXCEEDED", "Timeout", "timed out"), "连接超时（网络不通，或地址不对）"),
    (("peer silent for too long",), "对方长时间没有回音，连接已断开（网络中断或对方卡住）"),
    (("claims to hold envelope", "was pruned", "LinkProtocolError", "expected seq"), _DATABASES_DIFFER),
    (("UNAUTHENTICATED", "PERMISSION_DENIED"), "对方拒绝了本节点"),
    (("peer ended the stream", "receive failed", "Socket closed", "Connection reset"), "对方断开了连接"),
)  # fmt: skip


def needs_operator(meaning: str) -> bool:
    """Whether a link down for this trouble (trouble_meaning's words) stays down until an operator
    acts: dialling again does not mend databases that differ or certificates neither side trusts."""
    return meaning in _LASTING


def trouble_meaning(words: str, neighbour: str = "要连的节点", setting: str = "", here: str = "") -> str:
    """A link's trouble (`Link.trouble`) in Chinese: what it means, or that it is an error at all.
    `neighbour` (上级 430981006000) and the `setting` that gives its address name them where the
    node answering at that address is another one; `here`, this node's code, tells its own
    certificate revoked from its parent's."""
    if refused_as_revoked(words):  # the handshake worked; the certificate was judged and refused
        code = revoked_code(words)
        if here and code and code != here:
            return (
                f"上级 {code} 的证书已被吊销（上级换了设备），本节点的证书随之失效，{neighbour} 拒绝连接："
                f"须向新的上级重新入网：{enroll_again_words(here)}"
            )
        return f"本节点的证书已被吊销，{neighbour} 拒绝连接：不能再受理，请联系上级运维"
    if any(sign in words for sign in _ANOTHER_NODE):
        check = f"请核对地址（{setting}）" if setting else "请核对地址"
        return f"那个地址上运行的不是{neighbour}，而是另一个节点（证书名称不符）：{check}"
    for signs, meaning in _TROUBLE_MEANINGS:
        if any(sign in words for sign in signs):
            return meaning
    return "连接出错"


def clock_trouble(node: Node, parent: str, link: Link | None) -> str:
    """Receipts, time limits and events are stamped with this node's clock: a village PC whose
    clock is wrong (a flat CMOS battery, a date typed in by hand) is told so by its parent's
    heartbeats, or, before one is heard, by its own certificate (issued on the parent's clock)."""
    ahead = link.peer_clock_ahead if link is not None else None
    if ahead is not None:
        if abs(ahead) <= CLOCK_DRIFT_NOTICE:
            return ""
        return (
            f"本机时钟比上级 {parent} {drift_words(-ahead)}：受理时间和办理期限都按本机时钟记录，"
            f"请校正本机的日期和时间"
        )
    now = node.clock.now()
    valid_from = node.identity.tls_certificate.not_valid_before_utc
    if now < valid_from:
        return (
            f"本机时钟（{shanghai(now)}）早于本节点证书的生效时间（{shanghai(valid_from)}），日期和时间不对："
            f"受理时间和办理期限都按本机时钟记录，请校正本机的日期和时间"
        )
    return ""
