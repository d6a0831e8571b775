"""Who is at the desk: signed session cookies, CSRF tokens, and the check every page runs first.

The cookie holds the staff login token the node issued (node/staff/accounts.py: argon2, lock-out
after five wrong passwords) and this session's CSRF token, signed with a key derived from the node's
TLS key (a restart keeps everyone logged in; a new key ends every session). It is
HttpOnly and SameSite=Strict, and Secure when the desk is served over TLS. Every POST must carry
the session's CSRF token, as a form field or as the X-CSRF-Token header htmx sends.
"""

from __future__ import annotations

import functools
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node.errors import InvalidInput
from node.staff.accounts import LOGIN_HOURS
from node.staff.roles import DUTIES, Actor, Duty, NotLoggedIn, NotPermitted
from signing.algorithms import PrivateKey
from signing.keys import derived_secret

COOKIE = "wuji_desk_"  # + the node's code: cookies ignore ports, and two nodes may share a host
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
MAX_AGE = LOGIN_HOURS * 3600
_CASE_ID = re.compile(r"\d{12}-[0-9A-HJKMNP-TV-Z]{26}")  # a division code and a ULID


class CsrfRefused(NotPermitted):
    """A POST without this session's CSRF token (a forged or stale form)."""


@dataclass
class DeskSession:
    token: str = ""  # the node's staff login token ("" before login)
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    changed: bool = False


class SessionCodec:
    """The desk's session cookie, signed with a secret derived from the node's TLS key: a restart of
    the node (an update, a power cut) keeps everyone logged in, and a form being filled in at that
    moment is still taken when it is sent; a new key (the node enrolled again) ends every session."""

    def __init__(self, node_code: str, secure: bool, key: PrivateKey) -> None:
        self.secure = secure
        self.cookie = COOKIE + node_code
        secret = derived_secret(key, "wuji front desk session cookies")
        self._serializer = URLSafeTimedSerializer(secret, salt="wuji-desk-session")

    def load(self, request: Request) -> DeskSession:
        raw = request.cookies.get(self.cookie, "")
        if raw:
            try:
                data = self._serializer.loads(raw, max_age=MAX_AGE)
                return DeskSession(token=str(data.get("t", "")), csrf=str(data["c"]))
            except (BadSignature, KeyError, TypeError, AttributeError):
                pass
        return DeskSession(changed=True)

    def store(self, session: DeskSession, response: Response) -> None:
        response.set_cookie(
            self.cookie,
            self._serializer.dumps({"t": session.token, "c": session.csrf}),
            max_age=MAX_AGE,
            httponly=True,
            samesite="strict",
            secure=self.secure,
            path="/",
        )


@dataclass
class Visit:
    """One request at the desk: the session, the person (None on public pages) and the form."""

    request: Request
    session: DeskSession
    actor: Actor | None
    form: FormData | None

    @property
    def person(self) -> Actor:
        if self.actor is None:
            raise NotLoggedIn("请先登录 (log in first)")
        return self.actor

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, str) else default

    def fields(self, name: str) -> list[str]:
        """Every value the form gives under name (ticked boxes), in the form's order."""
        values = self.form.getlist(name) if self.form is not None else []
        return [value for value in values if isinstance(value, str)]

    def case_in_query(self, name: str) -> str:
        """The case id the address names under name (a page's notice of the step just taken), or
        "": a case id, not words a crafted link puts on the page."""
        value = self.request.query_params.get(name, "")
        return value if _CASE_ID.fullmatch(value) else ""


Endpoint = Callable[[Visit], Response]


def may(actor: Actor, duties: frozenset[Duty]) -> bool:
    """Whether actor holds one of duties (the role table of node/staff/roles.py decides)."""
    return not actor.is_person or actor.role is None or bool(DUTIES[actor.role] & duties)


def page(
    *duties: Duty, public: bool = False
) -> Callable[[Endpoint], Callable[[Request], Awaitable[Response]]]:
    """Wrap an endpoint: load the session, check the CSRF token of a POST, require a logged-in
    person holding one of duties (any person when none are named) unless public."""
    wanted = frozenset(duties)

    def wrap(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(endpoint)
        async def handle(request: Request) -> Response:
            codec: SessionCodec = request.app.state.sessions
            session = codec.load(request)
            form = None
            if request.method == "POST":
                _require_acceptable_size(request)
                form = await request.form()
                given = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
                if not isinstance(given, str) or not hmac.compare_digest(given, session.csrf):
                    raise CsrfRefused("表单已失效或来源不明，请刷新页面后重试 (missing or wrong CSRF token)")
            # the services block (database, argon2): they run in a worker thread, not the event loop
            response = await run_in_threadpool(
                _serve, endpoint, Visit(request, session, None, form), public, wanted
            )
            if session.changed:
                codec.store(session, response)
            return response

        return handle

    return wrap


# the largest form a page takes: a bundle's application with its materials (no one file over 16 MB);
# anything larger (a video chosen by mistake) is refused before it is spooled to the node's disk
MAX_FORM_BYTES = 64 * 1024 * 1024


def _require_acceptable_size(request: Request) -> None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise InvalidInput(
            f"提交的内容共 {int(declared) / 1024 / 1024:.0f} MB，超过一次能收的 "
            f"{MAX_FORM_BYTES // 1024 // 1024} MB：请确认选对了文件 (request too large)"
        )


def _serve(endpoint: Endpoint, visit: Visit, public: bool, wanted: frozenset[Duty]) -> Response:
    session = visit.session
    visit.actor = _person(visit.request, session)
    if visit.actor is None and session.token:  # the login ended (expired, or the password changed)
        session.token, session.changed = "", True
    # a refusal's page (app.domain_error) is drawn for the same person, with the same CSRF token
    visit.request.state.actor, visit.request.state.csrf = visit.actor, session.csrf
    if not public:
        if visit.actor is None:
            session.changed = True
            # a form sent after the login ended (logged out in another tab, expired, the password
            # changed) is not taken: the login page says so, not only asks for the password
            lost = "&lost=1" if visit.request.method == "POST" else ""
            return RedirectResponse(f"/login?next={quote(visit.request.url.path)}{lost}", status_code=303)
        if visit.request.url.path not in _BEFORE_A_NEW_PASSWORD and _password_to_change(visit):
            return RedirectResponse("/password", status_code=303)  # the 管理员's password is not theirs
        if wanted and not may(visit.actor, wanted):
            raise NotPermitted(f"{visit.actor.describe()} 无权使用此页面 (the role may not use this page)")
    return endpoint(visit)


# the pages a person whose password a 管理员 set may open before choosing their own
_BEFORE_A_NEW_PASSWORD = frozenset({"/password", "/logout"})


def _password_to_change(visit: Visit) -> bool:
    actor = visit.actor
    return actor is not None and actor.password_to_change


def _person(request: Request, session: DeskSession) -> Actor | None:
    if not session.token:
        return None
    try:
        return cast(Actor, request.app.state.node.staff.actor(session.token))
    except NotLoggedIn:
        return None


async def note_visitor(request: Request) -> None:
    """Who is logged in, for the header of an error page no page's wrapper has drawn (an address
    no page has): a person who mistyped an address is not shown as logged out."""
    if not hasattr(request.state, "actor"):
        session = request.app.state.sessions.load(request)
        request.state.actor = await run_in_threadpool(_person, request, session)
        request.state.csrf = session.csrf


def template_context(visit: Visit, **values: Any) -> dict[str, Any]:
    return {"request": visit.request, "me": visit.actor, "csrf": visit.session.csrf, **values}
