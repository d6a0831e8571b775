"""The case state machine (docs/architecture.md §6): which action moves which state, and who may take it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from node.errors import IllegalTransition


class State(StrEnum):
    SUBMITTED = "SUBMITTED"  # 申请
    ACCEPTED = "ACCEPTED"  # 受理
    REFUSED = "REFUSED"  # 不予受理
    CORRECTION_REQUESTED = "CORRECTION_REQUESTED"  # 补正 (clock stops)
    UNDER_REVIEW = "UNDER_REVIEW"  # 审核
    CONCLUDED = "CONCLUDED"  # 办结
    DELIVERED = "DELIVERED"  # 送达
    WITHDRAWN = "WITHDRAWN"  # 撤回
    RETURNED = "RETURNED"  # 退件

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]


_STATE_LABELS = {
    State.SUBMITTED: "申请",
    State.ACCEPTED: "受理",
    State.REFUSED: "不予受理",
    State.CORRECTION_REQUESTED: "补正",
    State.UNDER_REVIEW: "审核",
    State.CONCLUDED: "办结",
    State.DELIVERED: "送达",
    State.WITHDRAWN: "撤回",
    State.RETURNED: "退件",
}


class Outcome(StrEnum):
    APPROVED = "APPROVED"  # 准予
    DENIED = "DENIED"  # 不予


class Action(StrEnum):
    ACCEPT = "ACCEPT"  # 受理
    REFUSE = "REFUSE"  # 不予受理
    REQUEST_CORRECTION = "REQUEST_CORRECTION"  # 一次性告知补正
    SUPPLEMENT = "SUPPLEMENT"  # 补正材料
    REVIEW = "REVIEW"  # 审核
    APPROVE = "APPROVE"  # 办结·准予
    DENY = "DENY"  # 办结·不予
    DELIVER = "DELIVER"  # 送达
    WITHDRAW = "WITHDRAW"  # 撤回
    RETURN = "RETURN"  # 退件
    SUSPEND = "SUSPEND"  # 特别程序: hearing, testing, expert review (clock stops, case stays open)
    RESUME = "RESUME"  # 特别程序结束 (clock runs again)
    EXTEND = "EXTEND"  # 延期: an approved extension of the time limit

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]


_ACTION_LABELS = {
    Action.ACCEPT: "受理",
    Action.REFUSE: "不予受理",
    Action.REQUEST_CORRECTION: "补正告知",
    Action.SUPPLEMENT: "补正材料",
    Action.REVIEW: "审核",
    Action.APPROVE: "办结(准予)",
    Action.DENY: "办结(不予)",
    Action.DELIVER: "送达",
    Action.WITHDRAW: "撤回",
    Action.RETURN: "退件",
    Action.SUSPEND: "特别程序",
    Action.RESUME: "特别程序结束",
    Action.EXTEND: "延期",
}


# what the applicant is owed in words when the case goes against them or waits longer (行政许可法
# 第三十二、三十八、四十二、四十五条): the desk takes none of these without its note, which the
# applicant's document prints or their point of application tells them
OWES_REASON = {
    Action.REFUSE: "不予受理须写明理由和依据：不予受理决定书将载明理由交给申请人",
    Action.DENY: "办结（不予）须写明理由和依据：办结通知书将载明理由交给申请人",
    Action.RETURN: "退件须写明理由：退件通知书将载明理由交给申请人",
    Action.EXTEND: "延期须写明理由：延长期限的理由应告知申请人",
    Action.SUSPEND: "特别程序须写明是哪一程序（听证、检验检测、鉴定、专家评审等）及所需时间：将告知申请人",
}


def denial_words(item_type: str) -> str:
    """A decision against the applicant on an item of this type (行政许可法 第三十八条 for a
    licence): 不予许可, and for a 行政确认, 行政给付 and the rest 不予办理."""
    return "不予许可" if item_type == "行政许可" else "不予办理"


class Performer(Enum):
    HANDLER = "the handling node"  # taken at the handler's desk
    APPLICANT = "the applicant"  # asked for where the citizen applied, carried out by the handler
    ORIGIN = "the node where the citizen applied"  # taken there (delivery of the result)

    @property
    def label(self) -> str:
        """Where the action is taken, as a refusal elsewhere tells the window."""
        return "办理此办件的节点" if self is Performer.HANDLER else "申请人申请的服务点"


@dataclass(frozen=True)
class Rule:
    performer: Performer
    from_states: frozenset[State]
    to_state: State | None  # None: the case stays in its state (only its clock changes)
    outcome: Outcome | None = None


# 在办: taken in, and neither concluded nor ended
OPEN_STATES = frozenset({State.SUBMITTED, State.CORRECTION_REQUESTED, State.ACCEPTED, State.UNDER_REVIEW})
_RUNNING = frozenset({State.ACCEPTED, State.UNDER_REVIEW})  # 受理'd, the time limit running

RULES: dict[Action, Rule] = {
    Action.ACCEPT: Rule(Performer.HANDLER, frozenset({State.SUBMITTED}), State.ACCEPTED),
    Action.REFUSE: Rule(
        Performer.HANDLER, frozenset({State.SUBMITTED, State.CORRECTION_REQUESTED}), State.REFUSED
    ),
    Action.REQUEST_CORRECTION: Rule(
        Performer.HANDLER, frozenset({State.SUBMITTED, State.UNDER_REVIEW}), State.CORRECTION_REQUESTED
    ),
    # back to where the case stood: SUBMITTED before 受理, UNDER_REVIEW after (see transition()).
    Action.SUPPLEMENT: Rule(Performer.APPLICANT, frozenset({State.CORRECTION_REQUESTED}), State.SUBMITTED),
    Action.REVIEW: Rule(Performer.HANDLER, frozenset({State.ACCEPTED}), State.UNDER_REVIEW),
    Action.APPROVE: Rule(
        Performer.HANDLER, frozenset({State.UNDER_REVIEW}), State.CONCLUDED, Outcome.APPROVED
    ),
    Action.DENY: Rule(Performer.HANDLER, frozenset({State.UNDER_REVIEW}), State.CONCLUDED, Outcome.DENIED),
    Action.DELIVER: Rule(Performer.ORIGIN, frozenset({State.CONCLUDED}), State.DELIVERED),
    Action.WITHDRAW: Rule(Performer.APPLICANT, OPEN_STATES, State.WITHDRAWN),
    # 退件 ends a case once 受理'd (a 补正 after 受理 included, see transition()); before 受理 the
    # window's tools are 不予受理, with its reason and 决定书, and 补正告知
    Action.RETURN: Rule(Performer.HANDLER, _RUNNING | {State.CORRECTION_REQUESTED}, State.RETURNED),
    Action.SUSPEND: Rule(Performer.HANDLER, _RUNNING, None),
    Action.RESUME: Rule(Performer.HANDLER, _RUNNING, None),
    Action.EXTEND: Rule(Performer.HANDLER, _RUNNING, None),
}

FINAL_STATES = frozenset({State.REFUSED, State.DELIVERED, State.WITHDRAWN, State.RETURNED})


@dataclass(frozen=True)
class Transition:
    to_state: State
    outcome: Outcome | None


def transition(state: State, action: Action, *, accepted: bool, instant: bool) -> Transition:
    """The effect of action on a case in state; IllegalTransition (with the reason) otherwise.

    accepted: the case was 受理'd before (a 补正 after 受理 returns to 审核).
    instant: the item is a 即办件, concluded straight from 受理 without a separate 审核 step.
    """
    rule = RULES[action]
    allowed = set(rule.from_states)
    if instant and action in (Action.APPROVE, Action.DENY):
        allowed.add(State.ACCEPTED)
    if action is Action.RETURN and not accepted and state in (State.SUBMITTED, State.CORRECTION_REQUESTED):
        raise IllegalTransition(
            "此办件尚未受理，不能退件：受理前不予办理的，请由窗口受理人员作出不予受理（写明理由，出具"
            "不予受理决定书）；材料不齐全的，请补正告知 "
            "(only a case accepted may be returned; before 受理 it is refused or asked for correction)"
        )
    if instant and action is Action.EXTEND:
        # a 即办件's statutory limit is 0: its receipt promises 当场办结, and no extension fits in it
        raise IllegalTransition(
            "此办件是即办件，应当场办结，法定办结时限为 0 个工作日，不能延期 "
            "(an instant item (即办件) is concluded on the spot: its time limit cannot be extended)"
        )
    if state not in allowed:
        # said first as the window says it: most often a colleague (or a second click) acted first
        ordered = sorted(allowed)
        labels = "、".join(f"“{s.label}”" for s in ordered)
        raise IllegalTransition(
            f"此办件当前为“{state.label}”状态，不能{action.label}：只有{labels}状态的办件可以{action.label} "
            f"(cannot {action.value.lower()} a case in state {state.value}; "
            f"allowed only from {', '.join(s.value for s in ordered)})"
        )
    if action is Action.SUPPLEMENT and accepted:
        return Transition(State.UNDER_REVIEW, None)
    return Transition(rule.to_state or state, rule.outcome)
