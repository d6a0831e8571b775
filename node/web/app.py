"""The front desk's Starlette application for one running node: routes, templates, errors."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from node.cases import bundles
from node.cases.states import Action, State
from node.catalogue.items import ELEMENT_NAMES
from node.desk.documents import DocumentDesk, issuer_of
from node.errors import DomainError, InvalidInput, NotFound, Unforeseen, unforeseen
from node.staff.roles import Duty, NotLoggedIn, NotPermitted, name_on_record
from node.supervision.stats import shown_rate
from node.timeutil import from_timestamp, shanghai
from node.web import appeals, desk, followups, partners, seals, staff, supervision, verify
from node.web.auth import CsrfRefused, SessionCodec, Visit, may, note_visitor, page, template_context
from node.web.held import HeldFiles
from node.web.machine import low_disk
from node.web.partners import partners_down
from node.web.uplink import children_down, uplink_of
from wuji.divisions import tier_level_words
from wuji.v1 import case_pb2

if TYPE_CHECKING:
    from node.runtime.node import Node

HERE = Path(__file__).parent
log = logging.getLogger(__name__)
STATUS_OF: dict[type[DomainError], int] = {
    NotLoggedIn: 401,
    CsrfRefused: 403,
    NotPermitted: 403,
    NotFound: 404,
    InvalidInput: 400,
}


# what the login page says after a form was sent once the login had ended (auth.page sends it here)
FORM_LOST = (
    "登录已结束（已超时、已在别处退出或修改了密码），刚才提交的内容没有保存：请重新登录，再填写并提交一次。"
)


def state_label(value: int | str) -> str:
    name = case_pb2.CaseState.Name(value) if isinstance(value, int) else value
    return State(name).label if name in State.__members__ else ""


def action_label(value: int | str) -> str:
    name = case_pb2.CaseAction.Name(value) if isinstance(value, int) else value
    return Action(name).label if name in Action.__members__ else "申请"


def stamp_time(stamp: Any) -> str:
    return shanghai(from_timestamp(stamp)) if stamp is not None and stamp.seconds else ""


def clock_stopped(case: case_pb2.Case) -> bool:
    """A row's case whose time limit is stopped (特别程序): 受理'd, and no last day while it runs —
    the row carries no pause of its own, and a running limit always has that day."""
    return case.state in (case_pb2.ACCEPTED, case_pb2.UNDER_REVIEW) and not case.due_on


def iso_china_time(text: str) -> str:
    """A view's ISO instant (as the Desk API gives it) in China's wall time."""
    return shanghai(datetime.fromisoformat(text)) if text else ""


def templates() -> Jinja2Templates:
    environment = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]), auto_reload=False
    )
    environment.filters.update(
        state_label=state_label,
        action_label=action_label,
        stamp_time=stamp_time,
        china_time=shanghai,
        iso_china_time=iso_china_time,
        clock_stopped=clock_stopped,
        masked=verify.masked,
        tier_label=tier_level_words,
        rate=shown_rate,
        on_paper=name_on_record,
        window_words=window_words,  # a refusal kept as text (a request's answer), as the desk shows one
        bundle_progress=bundles.progress,  # one count of a bundle's parts, as `wuji bundle show` words it
    )
    environment.tests["bundle_part_failed"] = bundles.failed
    environment.globals["uplink_of"] = uplink_of
    environment.globals["partners_down"] = partners_down
    environment.globals["children_down"] = children_down
    environment.globals["low_disk"] = low_disk
    environment.globals["element_names"] = ELEMENT_NAMES  # a 办事指南's words, as the CLI's
    return Jinja2Templates(env=environment)


@page()
def home(visit: Visit) -> Response:
    """Each role starts where its day starts."""
    actor = visit.person
    if may(actor, frozenset({Duty.RECEIVE, Duty.DECIDE})):
        return RedirectResponse("/queues", status_code=303)
    if may(actor, frozenset({Duty.APPLY})):
        return RedirectResponse("/items", status_code=303)
    if may(actor, frozenset({Duty.SUPERVISE})):
        return RedirectResponse("/supervision", status_code=303)
    return RedirectResponse("/verify", status_code=303)


@page(public=True)
def login_form(visit: Visit) -> Response:
    changed = visit.request.query_params.get("changed") == "1"  # after 修改密码
    notice = "密码已修改，请用新密码登录。" if changed else ""
    lost = FORM_LOST if visit.request.query_params.get("lost") == "1" else ""  # a form sent logged out
    target = visit.request.query_params.get("next", "/")
    return render(visit, "login.html", next=target, notice=notice, lost=lost)


@page(public=True)
def login(visit: Visit) -> Response:
    node: Node = visit.request.app.state.node
    target = visit.field("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"  # only pages of this desk
    try:
        signed_in = node.staff.login(visit.field("username"), visit.field("password"), source=_source(visit))
    except NotLoggedIn as refusal:
        return render(visit, "login.html", next=target, refusal=str(refusal), status_code=401)
    # a new session for the person: token and CSRF token both fresh (no fixation of either)
    visit.session.token, visit.session.csrf = signed_in.token, secrets.token_urlsafe(24)
    visit.session.changed = True
    return RedirectResponse(target, status_code=303)


def _source(visit: Visit) -> str:
    """Where a login came from, for the records of a refused one: 网页，来自 10.0.0.7."""
    client = visit.request.client
    return f"网页，来自 {client.host}" if client is not None else "网页"


@page()
def logout(visit: Visit) -> Response:
    node: Node = visit.request.app.state.node
    node.staff.logout(visit.session.token)
    visit.request.app.state.held.release_all(visit.person.username)  # a form left refused: nobody's files
    visit.session.token, visit.session.changed = "", True
    return RedirectResponse("/login", status_code=303)


def render(visit: Visit, template: str, status_code: int = 200, **values: Any) -> Response:
    """A page; the value `refusal` is what a refusal says, shown in the words of the window (logged whole)."""
    app = visit.request.app
    values.setdefault("node", app.state.node)
    if values.get("refusal"):
        values["refusal"] = _refused(visit.request, str(values["refusal"]))
    return app.state.templates.TemplateResponse(
        visit.request, template, template_context(visit, **values), status_code=status_code
    )


async def domain_error(request: Request, error: Exception) -> Response:
    """A refusal from a service, shown in its own words (the same words the CLI prints)."""
    assert isinstance(error, DomainError)
    status = next((code for kind, code in STATUS_OF.items() if isinstance(error, kind)), 409)
    if status == 401:
        return RedirectResponse("/login", status_code=303)
    if request.headers.get("hx-request"):
        return _htmx_refusal(request, str(error))
    await note_visitor(request)  # refused before the page's wrapper knew the person (a stale form)
    return _error_page(request, "无法办理", str(error), status)


# what a person is told for the errors the web server itself raises (an address no page has, a
# form sent with GET): Starlette's own words are English ("Not Found"), on a page without the header
_HTTP_ERRORS = {
    404: ("页面不存在", "此地址没有页面，请返回首页 (not found)"),
    405: ("无法打开此页面", "此地址不接受这种请求，请从页面上的按钮提交 (method not allowed)"),
}


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    await note_visitor(request)
    status = error.status_code
    # Starlette's own words for another status (a malformed form: "Missing boundary …") go to the log
    said = f"此请求无法办理（HTTP {status}） ({error.detail})"
    heading, message = _HTTP_ERRORS.get(status, ("无法办理", said))
    return _error_page(request, heading, message, status, error.headers)


# Starlette's own answer to a failure no service refuses in words is a bare "Internal Server Error"
_HEADINGS = {
    Unforeseen.DISK_FULL: "无法保存",
    Unforeseen.DAMAGED_DATABASE: "无法办理",
    Unforeseen.INTERNAL: "系统出错",
}


async def unexpected_error(request: Request, error: Exception) -> Response:
    """Starlette logs the error itself after this answer (ServerErrorMiddleware re-raises it)."""
    kind = unforeseen(error)
    heading, message = _HEADINGS[kind], kind.value
    if request.headers.get("hx-request"):
        return _htmx_refusal(request, message)
    try:
        return _error_page(request, heading, message, 500)
    except Exception:  # the page's header reads the node's database, which may be what failed
        return HTMLResponse(f"<h1>{heading}</h1><p>{_escape(window_words(message))}</p>", status_code=500)


def _htmx_refusal(request: Request, message: str) -> HTMLResponse:
    """A refusal put where an htmx request's answer goes (a 200: htmx swaps only successes in)."""
    body = f'<div class="refusal" role="alert">{_escape(_refused(request, message))}</div>'
    return HTMLResponse(body, status_code=200, headers={"HX-Reswap": "innerHTML"})


def _error_page(
    request: Request, heading: str, message: str, status: int, headers: Mapping[str, str] | None = None
) -> HTMLResponse:
    body = request.app.state.templates.get_template("error.html").render(
        request=request,
        me=getattr(request.state, "actor", None),  # the person stays logged in: the header says so
        csrf=getattr(request.state, "csrf", ""),
        node=request.app.state.node,
        heading=heading,
        refusal=_refused(request, message),
        status=status,
    )
    return HTMLResponse(body, status_code=status, headers=headers)


# A service's refusal reads "中文 (english detail)": the Chinese is for the people at the window, the
# English for operators. Every refusal the desk shows (a form's, a page's, an htmx answer's) passes
# through _refused: the log keeps it whole, the page shows window_words of it.
_CHINESE = re.compile("[\u3400-\u9fff\U00020000-\U0003134f]")
_ENGLISH_WORD = re.compile("[a-z]{2}")


def _refused(request: Request, message: str) -> str:
    actor = getattr(request.state, "actor", None)
    who = actor.username if actor is not None else "-"
    log.info("front desk refused %s %s (%s): %s", request.method, request.url.path, who, message)
    return window_words(message)


def window_words(message: str) -> str:
    """A refusal in the words of the window: without its English details in brackets
    (" (missing required materials …)", wherever one stands: a refusal may quote another). A
    message with no Chinese left is shown as it is: no words at all would help nobody."""
    shown, kept_from = [], 0
    for start, end in _english_details(message):
        shown.append(message[kept_from:start])
        kept_from = end
    shown.append(message[kept_from:])
    words = "".join(shown).strip()
    return words if _CHINESE.search(words) else message


def _english_details(message: str) -> list[tuple[int, int]]:
    """Where the English details stand: " (" then an ASCII character, to its matching ")", with an
    English word inside (a code in brackets, 电子印章CA (SM2), or Chinese in brackets stays)."""
    found: list[tuple[int, int]] = []
    start = message.find(" (")
    while start >= 0:
        end = _closing(message, start + 1)
        first = message[start + 2 : start + 3]
        opens_english = first.isascii() and first.strip() != ""
        if end is not None and opens_english and _ENGLISH_WORD.search(message, start + 2, end):
            found.append((start, end + 1))
            start = message.find(" (", end + 1)
        else:
            start = message.find(" (", start + 2)
    return found


def _closing(message: str, opening: int) -> int | None:
    """The index of the ")" that closes the "(" at opening (None: it is never closed)."""
    depth = 0
    for index in range(opening, len(message)):
        if message[index] == "(":
            depth += 1
        elif message[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    return None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def create_app(node: Node, secure: bool) -> Starlette:
    """The desk of node; secure: served over TLS (cookies are then Secure)."""
    routes = [
        Route("/", home),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        *desk.routes(render),
        *supervision.routes(render),
        *followups.routes(render),
        *appeals.routes(render),
        *staff.routes(render),
        *seals.routes(render),
        *partners.routes(render),
        *verify.routes(render),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            DomainError: domain_error,
            ValueError: domain_value_error,
            HTTPException: http_error,
            Exception: unexpected_error,
        },
    )
    app.state.node = node
    app.state.sessions = SessionCodec(node.here.value, secure, node.identity.tls_key)
    app.state.templates = templates()
    app.state.held = HeldFiles()  # the files of refused application forms, until sent again
    app.state.templates.env.filters["place"] = node.names.place  # 430981000000 → 沅江市政务服务中心（…）
    app.state.templates.env.filters["province"] = node.names.province  # 440000000000 → 广东省, or ""
    # the printable PDFs, with the QR codes of the 核验 page this desk serves
    app.state.documents = DocumentDesk(
        issuer_of(node.config),
        node.readers,
        node.cases,
        node.clock,
        lambda case_id: verify.verify_link(node, case_id),
        node.names,
    )
    return app


async def domain_value_error(request: Request, error: Exception) -> Response:
    """Malformed codes and dates from a form read like any other refusal."""
    return await domain_error(request, InvalidInput(str(error)))
