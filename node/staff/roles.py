"""Roles (岗位) and the duties each may perform; one table, checked by the services themselves.

A role that works for a department (窗口受理, 审核/审批) acts only on cases of items of that
department; the others are not bound to one. The page and the CLI show the labels; both accept
the label or the English name on input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from node.errors import DomainError, InvalidInput


class Role(StrEnum):
    AGENT = "agent"  # 代办员: a village point's proxy agent, applies for citizens
    CLERK = "clerk"  # 窗口受理: a department's window clerk: receives, 受理, 补正, 不予受理
    REVIEWER = "reviewer"  # 审核/审批: a department's reviewer: 审核, 办结, 延期, 特别程序
    SUPERVISOR = "supervisor"  # 监察: supervision cards, statistics, appeals
    ADMIN = "admin"  # 管理员: staff accounts and the node's settings

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def needs_department(self) -> bool:
        return self in (Role.CLERK, Role.REVIEWER)


ROLE_LABELS = {
    Role.AGENT: "代办员",
    Role.CLERK: "窗口受理",
    Role.REVIEWER: "审核/审批",
    Role.SUPERVISOR: "监察",
    Role.ADMIN: "管理员",
}


def parse_role(text: str) -> Role:
    """A role from its English name or its Chinese label (审核 and 审批 both name the reviewer)."""
    value = text.strip()
    if not value:
        raise InvalidInput(f"请选择岗位：{'、'.join(role.label for role in Role)} (no role chosen)")
    for role in Role:
        if value in (role.value, role.label) or value in role.label.split("/"):
            return role
    names = "、".join(f"{role.label} ({role.value})" for role in Role)
    raise InvalidInput(f"没有岗位 {value}，可选：{names} (unknown role {value!r})")


def account_role(role: str, department: str) -> Role:
    """The role of a new staff account; a department's roles need the department."""
    parsed = parse_role(role)
    if parsed.needs_department and not department.strip():
        raise InvalidInput(
            f"{parsed.label}须属于一个部门：请指定所属部门 "
            f"(a {parsed.label} ({parsed.value}) works for a department)"
        )
    return parsed


class Duty(StrEnum):
    """What a person may be allowed to do at a node."""

    APPLY = "apply"  # 申请: take a citizen's application at this point
    ON_BEHALF = "on_behalf"  # for the applicant where they applied: 补正材料, 撤回, 送达, 好差评, 回访
    RECEIVE = "receive"  # 受理, 不予受理, 补正告知 (department)
    DECIDE = "decide"  # 审核, 办结, 退件, 特别程序, 延期 (department)
    RECTIFY = "rectify"  # 差评整改 (department)
    SUPERVISE = "supervise"  # cards, statistics, appeals
    ADMINISTER = "administer"  # staff accounts, node settings


DUTIES: dict[Role, frozenset[Duty]] = {
    Role.AGENT: frozenset({Duty.APPLY, Duty.ON_BEHALF}),
    Role.CLERK: frozenset({Duty.APPLY, Duty.ON_BEHALF, Duty.RECEIVE, Duty.RECTIFY}),
    Role.REVIEWER: frozenset({Duty.DECIDE, Duty.RECTIFY}),
    Role.SUPERVISOR: frozenset({Duty.SUPERVISE}),
    Role.ADMIN: frozenset({Duty.ADMINISTER, Duty.SUPERVISE}),
}
DEPARTMENT_DUTIES = frozenset({Duty.RECEIVE, Duty.DECIDE, Duty.RECTIFY})
# what a refusal says the person may not do, where the caller does not name the step itself
DUTY_WORDS = {
    Duty.APPLY: "收件申请",
    Duty.ON_BEHALF: "代申请人办理（补正材料、撤回、送达、评价）",
    Duty.RECEIVE: "受理、不予受理或补正告知",
    Duty.DECIDE: "审核、办结、退件、特别程序或延期",
    Duty.RECTIFY: "差评整改",
    Duty.SUPERVISE: "监察",
    Duty.ADMINISTER: "管理工作人员和节点设置",
}


def holders(duty: Duty) -> str:
    """The roles that hold duty, as a refusal tells the person whom to hand the step to."""
    return "、".join(role.label for role in Role if duty in DUTIES[role])


def _staff(roles: str) -> str:
    """Roles named as people: 窗口受理人员, but 代办员 and 管理员 as they are (not 代办员人员)."""
    return roles if roles.endswith("员") else f"{roles}人员"


class NotPermitted(DomainError):
    """The person's role or department does not allow the action."""


class PasswordToChange(NotPermitted):
    """The person must first change the password a 管理员 set: not a matter of role, which a
    colleague could take over, but of their own next step."""


class NotLoggedIn(DomainError):
    """No person is logged in, or the login has expired."""


@dataclass(frozen=True)
class Actor:
    """Who takes an action: a person with a role at this node, or the node's operator (person None)."""

    node: str
    username: str = ""
    name: str = ""
    role: Role | None = None
    department: str = ""
    # the password a 管理员 set, not yet changed by its holder, who does that before anything else
    password_to_change: bool = False

    @property
    def is_person(self) -> bool:
        return self.role is not None

    def describe(self) -> str:
        if not self.is_person:
            return f"节点运维 {self.node}"
        where = f"{self.department} " if self.department else ""
        return f"{where}{self.role.label if self.role else ''} {self.name} ({self.username})"

    @property
    def bound_department(self) -> str:
        """The department this person's role binds them to; "" for those who see every department."""
        return self.department if self.role is not None and self.role.needs_department else ""

    @property
    def on_record(self) -> str:
        """How a case's event records this person: "name (login)"; "" for the node's operator."""
        return person_on_record(self.name, self.username) if self.is_person else ""

    def require_sight(self, here: str, handler: str, department: str, taken_in_by: str = "") -> None:
        """NotPermitted unless this actor is shown a case handled at `handler` by `department`:
        department staff see their department's cases handled here (and those of none), every case
        handled elsewhere, and every case they took in themselves (`taken_in_by`, as on record: a
        民政 clerk at a township window takes in a 卫健 application and hands its receipt over);
        everyone else sees every case (`queues.seen_by`, as a query)."""
        mine = self.bound_department
        if taken_in_by and taken_in_by == self.on_record:
            return
        if mine and handler == here and department and department != mine:
            raise NotPermitted(
                f"{self.describe()} 不属于{department}，不能查看{department}在本节点办理的办件："
                f"请由{department}的工作人员查看 (only its staff see its cases handled here)"
            )

    def require_one_of(self, duties: frozenset[Duty], what: str) -> None:
        """NotPermitted unless this actor holds one of duties: the check a page runs first
        (web/auth.page), for the same view asked for over the Desk API (`what` names it)."""
        if not self.is_person or self.role is None or DUTIES[self.role] & duties:
            return
        raise NotPermitted(f"{self.describe()} 无权查看{what} (the role {self.role.value} may not see it)")

    def require(self, duty: Duty, department: str = "", what: str = "") -> None:
        """NotPermitted unless this actor may perform duty (for department, where it has one),
        saying whose step it is; what: the step asked for (办结), else the duty's steps.

        The operator may do everything: they hold the node's key, so they could anyway."""
        if not self.is_person or self.role is None:
            return
        if duty not in DUTIES[self.role]:
            what = what or DUTY_WORDS[duty]
            raise NotPermitted(
                f"{self.describe()} 无权{what}：{_staff(self.role.label)}不能{what}，"
                f"请由{_staff(holders(duty))}办理 "
                f"(the role {self.role.value} may not {duty.value})"
            )
        if duty in DEPARTMENT_DUTIES and department and department != self.department:
            raise NotPermitted(
                f"{self.describe()} 不属于{department}，不能办理{department}的办件：请由{department}的"
                f"工作人员办理 (only staff of {department} may act on this case)"
            )


def operator(node: str) -> Actor:
    return Actor(node=node)


_ON_RECORD = re.compile(r"\s*\([a-z0-9][a-z0-9._-]*\)$")  # the login (accounts.USERNAME) in brackets


def person_on_record(name: str, username: str) -> str:
    """A person as a case's events (and its 首问负责人) record them: "name (login)"."""
    return f"{name} ({username})"


def name_on_record(recorded: str) -> str:
    """The person's name of an event's "name (login)": what a paper for the applicant prints (a
    login name is half of what logs in)."""
    return _ON_RECORD.sub("", recorded)
