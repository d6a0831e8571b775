"""The work that follows a decision: 全量回访 at the applicant's point (a call to every citizen
whose case was concluded), 差评整改 at the handler (each poor rating rectified and the citizen
called back) and 核查 at the handler (whether what was accepted on a promise, 告知承诺, holds);
each a list with its form; the services check role and department.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from node.errors import IllegalTransition, InvalidInput, NotFound
from node.staff.roles import Duty
from node.supervision.visits import OUTCOMES
from node.web.auth import Visit, page

if TYPE_CHECKING:
    from node.runtime.node import Node

Render = Callable[..., Response]
_REFUSALS = (InvalidInput, IllegalTransition, NotFound)  # mended on the same page


def routes(render: Render) -> list[Route]:
    def visits_page(visit: Visit, refusal: str = "", status_code: int = 200) -> Response:
        node: Node = visit.request.app.state.node
        return render(
            visit,
            "visits.html",
            status_code=status_code,
            visits=node.visits.list(),
            outcomes=OUTCOMES,
            refusal=refusal,
            done=visit.request.query_params.get("done", ""),
        )

    @page(Duty.ON_BEHALF)
    def visits(visit: Visit) -> Response:
        return visits_page(visit)

    @page(Duty.ON_BEHALF)
    def record_visit(visit: Visit) -> Response:
        node: Node = visit.request.app.state.node
        case_id = visit.request.path_params["case_id"]
        try:
            node.visits.record(case_id, visit.field("outcome"), visit.field("note"), visit.person)
        except _REFUSALS as refused:
            return visits_page(visit, str(refused), status_code=400)
        return RedirectResponse(f"/visits?done={case_id}", status_code=303)

    def rectifications_page(visit: Visit, refusal: str = "", status_code: int = 200) -> Response:
        node: Node = visit.request.app.state.node
        return render(
            visit,
            "rectifications.html",
            status_code=status_code,
            tasks=node.ratings.tasks(department=visit.person.department or ""),
            refusal=refusal,
            done=visit.request.query_params.get("done", ""),
        )

    @page(Duty.RECTIFY)
    def rectifications(visit: Visit) -> Response:
        return rectifications_page(visit)

    @page(Duty.RECTIFY)
    def rectify(visit: Visit) -> Response:
        node: Node = visit.request.app.state.node
        case_id = visit.request.path_params["case_id"]
        try:
            node.ratings.rectify(case_id, visit.field("return_visit"), visit.person)
        except _REFUSALS as refused:
            return rectifications_page(visit, str(refused), status_code=400)
        return RedirectResponse(f"/rectifications?done={case_id}", status_code=303)

    def checks_page(visit: Visit, refusal: str = "", status_code: int = 200) -> Response:
        node: Node = visit.request.app.state.node
        return render(
            visit,
            "checks.html",
            status_code=status_code,
            checks=node.deferrals.post_checks(department=visit.person.department or ""),
            refusal=refusal,
            done=visit.request.query_params.get("done", ""),
        )

    @page(Duty.DECIDE)
    def checks(visit: Visit) -> Response:
        return checks_page(visit)

    @page(Duty.DECIDE)
    def complete_check(visit: Visit) -> Response:
        node: Node = visit.request.app.state.node
        case_id = visit.request.path_params["case_id"]
        passed = visit.field("passed") == "yes"
        try:
            node.deferrals.complete_post_check(case_id, passed, visit.field("finding"), visit.person)
        except _REFUSALS as refused:
            return checks_page(visit, str(refused), status_code=400)
        return RedirectResponse(f"/checks?done={case_id}", status_code=303)

    return [
        Route("/checks", checks),
        Route("/checks/{case_id}", complete_check, methods=["POST"]),
        Route("/visits", visits),
        Route("/visits/{case_id}", record_visit, methods=["POST"]),
        Route("/rectifications", rectifications),
        Route("/rectifications/{case_id}", rectify, methods=["POST"]),
    ]
