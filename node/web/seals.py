"""印章: the seals this node holds, and which of them each department's results are sealed with.

A township's director asked "which seal goes on our 民政 results, and until when is it good?": the
seals were made with `wuji seal create` and shown nowhere after. The page reads the seal register
only; no key is opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from starlette.routing import Route

from node.catalogue import items as catalog
from node.staff.roles import Duty
from node.timeutil import as_utc, utcnow
from node.trust.sealing import SealService
from node.web.auth import Visit, page

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.responses import Response

    from node.runtime.node import Node
    from node.store.models import SealRecord

    Render = Callable[..., Response]

# a seal ending within this is flagged: making and certifying a new one takes an operator's visit
ENDING_NOTICE = timedelta(days=60)

ALGORITHM_WORDS = {"sm2-sm3": "国密 SM2/SM3", "ecdsa-p256-sha256": "ECDSA P-256", "ed25519": "Ed25519"}


@dataclass(frozen=True)
class HeldSeal:
    seal_id: str
    holder: str
    department: str
    kind: str
    algorithm: str  # in words
    valid_from: datetime
    valid_to: datetime
    standing: str  # 在用, 即将到期, 已过期, 未生效


@dataclass(frozen=True)
class DepartmentSeal:
    department: str
    seal: HeldSeal | None  # the seal its results get now; None: none is in force
    own: bool  # the department's own seal (not the node's 公章 standing in)


def held_seal(record: SealRecord, now: datetime) -> HeldSeal:
    valid_from, valid_to = as_utc(record.valid_from), as_utc(record.valid_to)
    if now < valid_from:
        standing = "未生效"
    elif now > valid_to:
        standing = "已过期"
    elif valid_to - now <= ENDING_NOTICE:
        standing = f"即将到期（还剩 {(valid_to - now).days} 天）"
    else:
        standing = "在用"
    algorithm = ALGORITHM_WORDS.get(record.algorithm, record.algorithm)
    held = (record.seal_id, record.holder, record.department, record.kind, algorithm)
    return HeldSeal(*held, valid_from, valid_to, standing)


def seals_of(node: Node) -> tuple[list[HeldSeal], list[DepartmentSeal]]:
    """The seals held here, and for each department handling items at this tier the seal its
    results are sealed with now (as `SealService.seal_for` chooses it, on the machine's clock, which
    seals' validity is stamped with)."""
    now = utcnow()
    with node.readers() as session:
        held = [held_seal(record, now) for record in SealService.held(session)]
        used = []
        for department in catalog.departments_at(session, node.here.tier):
            chosen = SealService.chosen_for(session, department)
            seal = held_seal(chosen, now) if chosen is not None else None
            own = chosen is not None and chosen.department == department
            used.append(DepartmentSeal(department, seal, own))
    return held, used


def routes(render: Render) -> list[Route]:
    @page(Duty.SUPERVISE, Duty.ADMINISTER)
    def seal_page(visit: Visit) -> Response:
        held, used = seals_of(visit.request.app.state.node)
        return render(visit, "seals.html", held=held, used=used)

    return [Route("/seals", seal_page)]
