"""The work that follows a decision: 全量回访 at the applicant's point (a call to every citizen
whose case was concluded), 差评整改 at the handler (each poor rating rectified and the citizen
called back) and 核查 at the handler (whether what was accepted on a promise, 告知承诺, holds).

Each is a list of open tasks with a form per task, posted to `<list>/<case id>`; a refusal shows
the list again with its reason. The services check role and department. 监察 reads the handler's
lists (差评整改, 核查) of every department, without their forms: what is open and since when.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from node.errors import IllegalTransition, InvalidInput, NotFound
from node.staff.roles import Actor, Duty
from node.supervision.cards import RECTIFICATION_OVERDUE
from node.supervision.visits import OUTCOMES
from node.web import appeals
from node.web.auth import Visit, may, page
from wuji.v1 import case_pb2

if TYPE_CHECKING:
    from node.runtime.node import Node

Render = Callable[..., Response]
_REFUSALS = (InvalidInput, IllegalTransition, NotFound)  # mended on the same page


def routes(render: Render) -> list[Route]:
    return [
        *_task_list(
            render,
            "/visits",
            "visits.html",
            Duty.ON_BEHALF,
            listed=lambda node, person: node.visits.list(department=person.bound_department),
            close=lambda node, visit, case_id: node.visits.record(
                case_id, visit.field("outcome"), visit.field("note"), visit.person
            ),
            outcomes=OUTCOMES,
            supervised=False,  # the applicants' telephone numbers: for the point that calls them
            together=lambda node, tasks: node.visits.bundles_of([task.case_id for task in tasks]),
        ),
        *_task_list(
            render,
            "/rectifications",
            "rectifications.html",
            Duty.RECTIFY,
            listed=lambda node, person: node.ratings.tasks(department=person.bound_department),
            close=lambda node, visit, case_id: node.ratings.rectify(
                case_id, visit.field("return_visit"), visit.person
            ),
            below=_rectifications_below,
            # 申诉复核: the department that handled the case may appeal the 差评 to the tier above
            actions={
                "appeal": lambda node, visit, case_id: node.ratings.appeal(
                    case_id, visit.field("reason"), visit.person
                )
            },
            more=appeals.filed_here,
            together=lambda node, tasks: node.ratings.rated_together([task.case_id for task in tasks]),
        ),
        *_task_list(
            render,
            "/checks",
            "checks.html",
            Duty.DECIDE,
            listed=lambda node, person: node.deferrals.post_checks(department=person.bound_department),
            close=lambda node, visit, case_id: node.deferrals.complete_post_check(
                case_id, _verdict(visit.field("passed")), visit.field("finding"), visit.person
            ),
        ),
    ]


@dataclass(frozen=True)
class ChildRectifications:
    """A child's subtree as its statistics rollup tells it: 差评 (not voided) and those rectified."""

    child: str
    bad: int
    rectified: int

    @property
    def open(self) -> int:
        return self.bad - self.rectified


@dataclass(frozen=True)
class Below:
    """What a 监察 above the handlers sees of the subtree's 差评整改: no task travels up, only each
    child's counts (its rollup) and, once a task is past its deadline, its red card."""

    children: list[ChildRectifications]
    overdue: list[case_pb2.SupervisionCard]
    items: dict[str, str]  # case id → item, as each card names it


def _rectifications_below(node: Node, person: Actor) -> Below | None:
    if not may(person, frozenset({Duty.SUPERVISE})):
        return None
    children = [
        ChildRectifications(child, counts["bad_ratings"], counts["rectified"])
        for child, counts in node.stats.child_totals().items()
        if counts["bad_ratings"]
    ]
    overdue = [
        card
        for card in node.supervision.cards()
        if card.reason == RECTIFICATION_OVERDUE and card.handler != node.here.value
    ]
    if not children and not overdue:
        return None
    return Below(children, overdue, {card.case_id: card.item_name for card in overdue})


def _verdict(chosen: str) -> bool:
    """属实 (yes) or 不属实 (no), as chosen: a form without the choice must not record either."""
    if chosen not in ("yes", "no"):
        raise InvalidInput("请选择核查结论：属实或不属实 (choose whether the promise held)")
    return chosen == "yes"


def _task_list(
    render: Render,
    path: str,
    template: str,
    duty: Duty,
    *,
    listed: Callable[[Node, Actor], list[Any]],
    close: Callable[[Node, Visit, str], object],
    supervised: bool = True,
    below: Callable[[Node, Actor], object] | None = None,
    actions: Mapping[str, Callable[[Node, Visit, str], object]] | None = None,
    more: Callable[[Node, Actor], Mapping[str, Any]] | None = None,
    together: Callable[[Node, list[Any]], dict[str, Any]] | None = None,
    **extra: Any,
) -> list[Route]:
    """GET path: the open tasks (supervised: shown to 监察 too, to read); POST path/<case id>: close
    one with the form's fields; POST path/<case id>/<action>: another step on a task (by the same
    duty), said back as ?<action>=<case id>. more: what else the page shows its reader. together:
    which tasks belong to one 一件事 (case id → what names it), so one call to the family answers
    for them all."""
    readers = (duty, Duty.SUPERVISE) if supervised else (duty,)
    actions = actions or {}

    def show(
        visit: Visit, refusal: str = "", status_code: int = 200, kept: dict[str, str] | None = None
    ) -> Response:
        """kept: the refused form's case id and fields, shown again in its row as they were typed;
        below: what the reader may see of the tasks of the subtree below this node."""
        node: Node = visit.request.app.state.node
        finished = {step: visit.case_in_query(step) for step in ("done", *actions)}
        tasks = listed(node, visit.person)
        return render(
            visit,
            template,
            status_code=status_code,
            tasks=tasks,
            refusal=refusal,
            kept=kept or {},
            closing=may(visit.person, frozenset({duty})),  # 监察 reads the list without its forms
            below=below(node, visit.person) if below is not None else None,
            **finished,
            **(more(node, visit.person) if more is not None else {}),
            together=together(node, tasks) if together is not None else {},
            **extra,
        )

    @page(*readers)
    def open_tasks(visit: Visit) -> Response:
        return show(visit)

    def step(
        said_as: str, take: Callable[[Node, Visit, str], object]
    ) -> Callable[[Request], Awaitable[Response]]:
        @page(duty)
        def take_step(visit: Visit) -> Response:
            case_id = visit.request.path_params["case_id"]
            try:
                take(visit.request.app.state.node, visit, case_id)
            except _REFUSALS as refused:
                typed = {k: v for k, v in (visit.form or {}).items() if isinstance(v, str) and k != "csrf"}
                return show(visit, str(refused), status_code=400, kept={**typed, "case_id": case_id})
            return RedirectResponse(f"{path}?{said_as}={case_id}", status_code=303)

        return take_step

    return [
        Route(path, open_tasks),
        Route(path + "/{case_id}", step("done", close), methods=["POST"]),
        *(
            Route(f"{path}/{{case_id}}/{name}", step(name, take), methods=["POST"])
            for name, take in actions.items()
        ),
    ]
