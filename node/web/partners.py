"""协作省份 (跨省通办) at a province, in the browser as with `wuji peer list`: each partner province,
whether its link is up and since when, the last contact, what waits to go to it and which cases
wait on it; and, on a case's page, that the partner the case waits on cannot be reached."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from starlette.responses import Response
from starlette.routing import Route

from node.cases.waiting import WaitingCase, cases_waiting_for, has_waiting
from node.errors import WrongNode
from node.staff.roles import Duty
from node.timeutil import shanghai
from node.trust import partners
from node.trust.partner_links import PartnerDown, down_partners
from node.web.auth import Visit, page
from node.web.uplink import needs_operator, trouble_meaning
from wuji.divisions import DivisionCode, Tier

if TYPE_CHECKING:
    from collections.abc import Callable

    from node.runtime.node import Node
    from sync.link import Link
    from wuji.v1 import case_pb2

    Render = Callable[..., Response]


@dataclass(frozen=True)
class PartnerLink:
    """One partner province's link as the province's 监察 and operators see it."""

    province: str
    name: str
    address: str  # "" where the partner dials this province
    connected: bool
    since: datetime | None  # when it came up, or went down (None: neither since this node started)
    last_contact: datetime | None
    waiting: int  # envelopes queued for the partner, not yet acknowledged by it
    trouble: str  # why it is down, in words ("" if up, or not known)
    cases: list[WaitingCase]

    @property
    def words(self) -> str:
        if self.connected:
            return "已连接"
        why = f"：{self.trouble}；" if self.trouble else "，"  # the trouble's words hold brackets
        if needs_operator(self.trouble):
            return f"无法连接{why}须运维处理后才能报送（wuji peer list，节点日志）"
        return f"暂时无法连接{why}恢复后自动报送"


def partner_links(node: Node) -> list[PartnerLink]:
    """Every partner province of this province and its link now (none below a province)."""
    if node.here.tier is not Tier.PROVINCE:
        return []
    with node.readers() as session:
        summaries = node.partners.peers(session)
        waiting = {summary.province: cases_waiting_for(session, summary.province) for summary in summaries}
    found = []
    for summary in summaries:
        name = summary.name or node.names.province(summary.province) or summary.province
        link = node.links.find(summary.province)  # a page only looks: the node makes its links
        status = partners.peer_link_status(link)
        found.append(
            PartnerLink(
                province=summary.province,
                name=name,
                address=summary.address,
                connected=status.connected,
                since=status.since,
                last_contact=status.last_contact,
                waiting=status.waiting,
                trouble=_trouble(node, link, name, summary.address) if not status.connected else "",
                cases=waiting[summary.province],
            )
        )
    return found


def unreachable_partner(node: Node, case: case_pb2.Case) -> str:
    """What a case's page says where the case waits on a partner province that cannot be reached
    (its handler or its applicant's point is there, or, at the province, its messages wait for it);
    "" otherwise. The province sees its own link; below it, a node goes by what the province told
    its tree (node/trust/partner_links.py)."""
    ends = {DivisionCode.parse(code).province.value for code in (case.handler, case.origin) if code}
    if node.here.tier is not Tier.PROVINCE:
        with node.readers() as session:
            down = down_partners(session)
        for partner in down:
            if partner.province in ends:
                return _down_words(node, partner)
        return ""
    with node.readers() as session:
        peers = partners.peer_codes(session)
        for province in peers:
            link = node.links.find(province)
            if link is not None and link.connected:
                continue
            if province in ends or has_waiting(session, province, case.id):
                name = node.names.province(province) or province
                return f"{name}节点暂时无法连接，恢复后自动报送（协作省份连接见“协作省份”页）"
    return ""


def partners_down(node: Node) -> list[str]:
    """The header's word below a province on each partner province it cannot reach (none when
    every partner is up): 跨省通办 cases for it wait, and the agent should not wonder why."""
    if node.here.tier is Tier.PROVINCE:
        return []  # the province's own 协作省份 page says it, with the link's details
    with node.readers() as session:
        down = down_partners(session)
    return [f"跨省通办：{_down_words(node, partner)}" for partner in down]


def _down_words(node: Node, partner: PartnerDown) -> str:
    return down_words(node.names.province(partner.province) or partner.province, partner)


def down_words(name: str, partner: PartnerDown) -> str:
    """A partner province its province cannot reach, as a node below says it (name: 广东省)."""
    since = f"（自 {shanghai(partner.since)} 起）" if partner.since else ""
    if needs_operator(partner.reason):
        return f"{name}节点无法连接{since}：{partner.reason}，须运维处理后才能报送"
    return f"{name}节点暂时无法连接{since}，恢复后自动报送"


def partner_trouble(node: Node, province: str, link: Link | None) -> str:
    """Why the link to a partner province is down, in words ("" if not known)."""
    with node.readers() as session:
        summary = node.partners.summary(session, province)
    name = summary.name or node.names.province(province) or province
    return _trouble(node, link, name, summary.address)


def _trouble(node: Node, link: Link | None, name: str, address: str) -> str:
    if link is None or link.trouble is None:
        return "" if address else "等待对方连入"
    setting = "wuji peer add 时给的地址" if address else ""
    return trouble_meaning(link.trouble.words, f"协作省份 {name}", setting, node.here.value)


def routes(render: Render) -> list[Route]:
    @page(Duty.SUPERVISE)
    def partner_page(visit: Visit) -> Response:
        node: Node = visit.request.app.state.node
        if node.here.tier is not Tier.PROVINCE:
            raise WrongNode("只有省级节点与协作省份直接连接：协作省份的连接请到省级节点查看")
        return render(visit, "partners.html", links=partner_links(node))

    return [Route("/partners", partner_page)]
