"""好差评 申诉复核 at the desk: the handling node's department appeals a 差评 from its 差评整改 page
(followups: /rectifications/<case id>/appeal); the supervising tier's 监察 upholds (维持) or voids
(作废) it at /appeals. RatingService checks who may: the department that handled the case files,
监察 decide.

Above the handler no copy of the case is held: the page there names the case, the handling office
and the rating as the appeal brought them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from node.errors import IllegalTransition, InvalidInput, NotFound
from node.staff.roles import Actor, Duty
from node.supervision.ratings import DECISION_LABELS, SCORE_LABELS
from node.web.auth import Visit, may, page
from wuji.v1 import desk_pb2

if TYPE_CHECKING:
    from node.runtime.node import Node

_REFUSALS = (InvalidInput, IllegalTransition, NotFound)  # mended on the same page
# the buttons of the decision form: the rating stands, or it stops counting
VOID_OF = {"uphold": False, "void": True}


def filed_here(node: Node, person: Actor) -> dict[str, Any]:
    """For the handler's 差评整改 page: the appeals this node filed (a department's staff: those of
    its cases), each by its case for the task's row, and whether this reader may file one."""
    filed = [a for a in node.ratings.appeals(person.bound_department) if a.handler == node.here.value]
    return {
        "appeals": filed,
        "appeal_of": {appeal.case_id: appeal for appeal in filed},
        "appeal_items": node.cases.items_of(appeal.case_id for appeal in filed),
        # a province has no tier above it to appeal to
        "may_appeal": node.here.parent is not None and may(person, frozenset({Duty.RECTIFY})),
        "decision_labels": DECISION_LABELS,
    }


def waiting_here(node: Node) -> list[desk_pb2.AppealView]:
    """The appeals the children filed with this node: those waiting for a decision first (the
    earliest filed first), then those decided (the latest first)."""
    brought = [a for a in node.ratings.appeals() if a.handler != node.here.value]
    waiting = sorted((a for a in brought if not a.decision), key=lambda a: a.filed_at)
    return waiting + sorted((a for a in brought if a.decision), key=lambda a: a.decided_at, reverse=True)


def routes(render: Callable[..., Response]) -> list[Route]:
    def show(
        visit: Visit, refusal: str = "", status_code: int = 200, kept: dict[str, str] | None = None
    ) -> Response:
        node: Node = visit.request.app.state.node
        return render(
            visit,
            "appeals.html",
            status_code=status_code,
            appeals=waiting_here(node),
            refusal=refusal,
            decided=visit.case_in_query("decided"),
            kept=kept or {},
            decision_labels=DECISION_LABELS,
            score_labels=SCORE_LABELS,
        )

    @page(Duty.SUPERVISE)
    def waiting(visit: Visit) -> Response:
        return show(visit)

    @page(Duty.SUPERVISE)
    def decide(visit: Visit) -> Response:
        node: Node = visit.request.app.state.node
        case_id = visit.request.path_params["case_id"]
        try:
            chosen = visit.field("decision")
            if chosen not in VOID_OF:
                raise InvalidInput("请选择维持或作废该评价 (choose to uphold or void the rating)")
            node.ratings.decide(case_id, VOID_OF[chosen], visit.field("note"), visit.person)
        except _REFUSALS as refused:
            return show(
                visit, str(refused), status_code=400, kept={"case_id": case_id, "note": visit.field("note")}
            )
        return RedirectResponse(f"/appeals?decided={case_id}", status_code=303)

    return [Route("/appeals", waiting), Route("/appeals/{case_id}", decide, methods=["POST"])]
