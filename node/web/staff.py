"""工作人员 for the node's 管理员, in the browser as with `wuji staff`: the accounts with their role,
department and state, a new account, a new role or department, 停用 and 启用, and a new password
(for a forgotten one, or to unlock an account before its fifteen minutes are up). And for everyone,
修改密码: their own, given the current one, so that the password the 管理员 set is not the one they
keep. Below the accounts, the 操作记录: the newest changes, who made them and when.

StaffService checks every field and ends the account's logins where it should; a refusal shows
the page again with its reason and the new account's fields as typed (never the password).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from node.cases import queues
from node.catalogue import items as catalog
from node.errors import InvalidInput, NotFound
from node.staff.accounts import StaffView
from node.staff.roles import ROLE_LABELS, Duty, NotPermitted, person_on_record
from node.web.auth import Visit, page

if TYPE_CHECKING:
    from collections.abc import Callable

    from node.runtime.node import Node

    Render = Callable[..., Response]

_REFUSALS = (InvalidInput, NotFound)  # mended on the same page


def routes(render: Render) -> list[Route]:
    def show(visit: Visit, refusal: str = "", typed: dict[str, str] | None = None) -> Response:
        node: Node = visit.request.app.state.node
        with node.readers() as session:
            departments = catalog.departments_at(session, node.here.tier)
        accounts = node.staff.list()
        done = _done_message(visit, accounts)
        if done:
            done += _cases_left(visit, accounts)
        return render(
            visit,
            "staff.html",
            status_code=400 if refusal else 200,
            accounts=accounts,
            roles=ROLE_LABELS,
            departments=departments,
            refusal=refusal,
            done=done,
            typed=typed or {},
            changes=node.staff.log(),
        )

    @page(Duty.ADMINISTER)
    def staff_page(visit: Visit) -> Response:
        return show(visit)

    @page(Duty.ADMINISTER)
    def add(visit: Visit) -> Response:
        typed = {name: visit.field(name) for name in ("username", "name", "role", "department")}
        try:
            password = _new_password(visit)
            added = visit.request.app.state.node.staff.add(**typed, password=password, by=visit.person)
        except _REFUSALS as refused:
            return show(visit, str(refused), typed)
        return _done("added", added.username)

    @page(Duty.ADMINISTER)
    def disable(visit: Visit) -> Response:
        username = visit.request.path_params["username"]
        try:
            gone = visit.request.app.state.node.staff.disable(username, by=visit.person)
        except (*_REFUSALS, NotPermitted) as refused:  # their own account: the service says so
            return show(visit, str(refused))
        return _done("disabled", gone.username)

    @page(Duty.ADMINISTER)
    def enable(visit: Visit) -> Response:
        try:
            back = visit.request.app.state.node.staff.enable(
                visit.request.path_params["username"], by=visit.person
            )
        except _REFUSALS as refused:
            return show(visit, str(refused))
        return _done("enabled", back.username)

    @page(Duty.ADMINISTER)
    def change(visit: Visit) -> Response:
        try:
            changed = visit.request.app.state.node.staff.change(
                visit.request.path_params["username"],
                visit.field("role"),
                visit.field("department"),
                by=visit.person,
            )
        except (*_REFUSALS, NotPermitted) as refused:  # their own role: the service says so
            return show(visit, str(refused))
        return _done("changed", changed.username)

    @page(Duty.ADMINISTER)
    def password(visit: Visit) -> Response:
        username = visit.request.path_params["username"]
        try:
            changed = visit.request.app.state.node.staff.set_password(
                username, _new_password(visit), by=visit.person
            )
        except (*_REFUSALS, NotPermitted) as refused:  # their own: the service says where instead
            return show(visit, str(refused))
        return _done("renewed", changed.username)

    def own_password_form(visit: Visit, refusal: str = "") -> Response:
        return render(visit, "password.html", status_code=400 if refusal else 200, refusal=refusal)

    @page()
    def own_password_page(visit: Visit) -> Response:
        return own_password_form(visit)

    @page()
    def own_password(visit: Visit) -> Response:
        staff = visit.request.app.state.node.staff
        try:
            staff.change_own_password(visit.person.username, visit.field("current"), _new_password(visit))
        except (InvalidInput, NotPermitted) as refused:
            return own_password_form(visit, str(refused))
        visit.session.token, visit.session.changed = "", True  # its login has ended with the change
        return RedirectResponse("/login?changed=1", status_code=303)

    return [
        Route("/password", own_password_page),
        Route("/password", own_password, methods=["POST"]),
        Route("/staff", staff_page),
        Route("/staff", add, methods=["POST"]),
        Route("/staff/{username}/disable", disable, methods=["POST"]),
        Route("/staff/{username}/enable", enable, methods=["POST"]),
        Route("/staff/{username}/change", change, methods=["POST"]),
        Route("/staff/{username}/password", password, methods=["POST"]),
    ]


def _new_password(visit: Visit) -> str:
    """The password typed twice; the service judges its length."""
    password = visit.field("password")
    if password != visit.field("password_again"):
        raise InvalidInput("两次输入的密码不一致 (the two passwords differ)")
    return password


# what was done, said by the page from its own words and the account's row: a link cannot make the
# page say anything else
_DONE = {
    "added": "已添加 {username}（{name}）",
    "disabled": "已停用 {username}（{name}），其登录已结束",
    "enabled": "已启用 {username}（{name}）",
    "changed": "{username}（{name}）现为 {role}{department}，岗位或部门有变时其登录已结束",
    "renewed": "已为 {username}（{name}）设置新密码，账号已解锁",
}


def _cases_left(visit: Visit, accounts: list[StaffView]) -> str:
    """After a 停用 or a move: the open cases the person answers for as 首问负责人, which stay in their
    department's queues for colleagues to take on ("" if none, or after anything else)."""
    query = visit.request.query_params
    account = next((a for a in accounts if a.username == query.get("account")), None)
    if query.get("done") not in ("disabled", "changed") or account is None:
        return ""
    node: Node = visit.request.app.state.node
    with node.readers() as session:
        left = queues.answered_by(session, node.here.value, person_on_record(account.name, account.username))
    if not left:
        return ""
    counted = "、".join(f"{department or '本节点'} {count} 件" for department, count in left.items())
    return (
        f"。{account.name}是 {sum(left.values())} 件未办结办件的首问负责人（{counted}）："
        "办件仍在原部门的待办队列中，请安排该部门的同事接续办理"
    )


def _done(what: str, username: str) -> Response:
    return RedirectResponse(f"/staff?done={what}&account={quote(username)}", status_code=303)


def _done_message(visit: Visit, accounts: list[StaffView]) -> str:
    query = visit.request.query_params
    wording = _DONE.get(query.get("done", ""))
    account = next((a for a in accounts if a.username == query.get("account")), None)
    if not wording or not account:
        return ""
    return wording.format(
        username=account.username,
        name=account.name,
        role=account.role.label,
        department=f" {account.department}" if account.department else "",  # a 监察 has none
    )
