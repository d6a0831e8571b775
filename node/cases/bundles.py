"""一件事一次办: one application, one set of materials, several items handled in parallel (并联审批).

A bundle is a catalogue entry (its `bundle` element) naming its parts, items handled by different
departments and tiers, and which parts start only after others conclude. The node where the
citizen applies (the origin) owns the bundle: it submits each part that waits for nothing as a
case of its own through CaseService (routed to that item's handler), giving it only the materials
its item lists (一次提交, 多方复用). It learns each part's progress from the event notices it
receives anyway for the part cases, and, when a part concludes, starts the parts that follow it,
or marks them blocked when the part they follow was denied or refused. The bundle's status is
derived from its parts; nothing about a bundle needs to travel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from ulid import ULID

from node.cases import materials as files
from node.cases import submissions
from node.cases.applicants import typed_division
from node.cases.deferrals import DeferralService, promised_date
from node.cases.service import (
    HOME_FIELD,
    Applicant,
    CaseHook,
    CaseService,
    Material,
    Taker,
    applicant_as_typed,
    checked_material,
)
from node.cases.states import Action, Outcome, State, denial_words
from node.catalogue import items as catalog
from node.clock import Clock
from node.convert import outcome_to_proto
from node.errors import DomainError, InvalidInput, NotFound
from node.staff.roles import Actor
from node.store.models import (
    Bundle,
    BundleMaterial,
    BundlePart,
    Case,
    CaseEvent,
    MissingMaterial,
    Rating,
    ServiceItem,
)
from node.timeutil import to_timestamp
from node.workdays import china_date
from wuji.divisions import DivisionCode
from wuji.v1 import case_pb2

WAITING, BLOCKED = "WAITING", "BLOCKED"
IN_PROGRESS, CONCLUDED = "IN_PROGRESS", "CONCLUDED"
_UNFAVOURABLE = frozenset({State.REFUSED, State.WITHDRAWN, State.RETURNED})
_SETTLED = frozenset({State.CONCLUDED, State.DELIVERED, *_UNFAVOURABLE})


class BundleService(CaseHook):
    def __init__(
        self,
        here: DivisionCode,
        sessions: sessionmaker[Session],
        readers: sessionmaker[Session],
        cases: CaseService,
        deferrals: DeferralService,
        clock: Clock,
    ) -> None:
        self.here = here
        self._sessions = sessions
        self._readers = readers
        self._cases = cases
        self._deferrals = deferrals
        self._clock = clock

    def submit(
        self,
        code: str,
        applicant: Applicant,
        materials: Sequence[Material] = (),
        home_division: str = "",
        deferred: Sequence[str] = (),
        promised_on: str = "",
        promise: case_pb2.Promise | None = None,
        submission: str = "",
        refuse_pending: bool = False,
        by: Actor | None = None,
    ) -> case_pb2.Bundle:
        """申请 a bundle here: the bundle and the cases of its first parts, in one transaction
        (submission, refuse_pending and by, the person at the window, as for `CaseService.submit`:
        the first parts' 申请 name who took the bundle in; a later part starts by itself, the node's)."""
        self._cases.require_open()
        applicant = applicant_as_typed(applicant)
        home_division = self._home(home_division)
        checked = [checked_material(m) for m in materials]
        deferred = [d.strip() for d in deferred]
        with self._sessions.begin() as session:
            entry = catalog.item(session, code.strip())
            if not entry.bundle:
                raise InvalidInput(f"{entry.name} ({entry.code}) is a single item, not a bundle (一件事)")
            catalog.require_unexpired(session)
            # a JSON column, of the shape the catalogue checked: {"parts": [codes], "after": {code: [codes]}}
            spec: dict[str, Any] = entry.bundle
            parts = [catalog.item(session, part) for part in spec["parts"]]
            _check_materials(entry, parts, checked, deferred, promise)
            now = self._clock.now()
            today = china_date(now)
            promised = None
            if deferred:
                promised = promised_date(promised_on, "容缺材料", today, promised_days=entry.promised_days)
            signed = promise
            if promise is not None and not promise.HasField("signed_at"):
                signed = case_pb2.Promise()
                signed.CopyFrom(promise)
                signed.signed_at.CopyFrom(to_timestamp(now))
            after: dict[str, list[str]] = spec.get("after", {})
            bundle = Bundle(
                id=f"{self.here.value}-B{ULID()}",
                code=entry.code,
                name=entry.name,
                origin=self.here.value,
                applicant_name=applicant.name,
                applicant_id_number=applicant.id_number,
                applicant_phone=applicant.phone,
                home_division=home_division.strip(),
                deferred=deferred,
                promised_on=promised,
                promise=signed.SerializeToString() if signed is not None else b"",
                submitted_at=now,
                concluded_at=None,
                parts=[
                    BundlePart(
                        item_code=part.code, position=i, after=after.get(part.code, []), blocked_reason=""
                    )
                    for i, part in enumerate(parts)
                ],
                materials=[_kept(m) for m in checked],
            )
            session.add(bundle)
            session.flush()
            submissions.record(session, submission, now, bundle_id=bundle.id)
            if refuse_pending:
                submissions.refuse_pending_bundle(session, bundle)
            for part in bundle.parts:
                if not part.after:
                    self._start(session, bundle, part, by)  # a refusal here refuses the whole bundle
            return self._view(session, bundle)

    def _home(self, typed: str) -> str:
        """The 户籍地 as the window reads it; within this province: a bundle's parts are not offered
        across provinces (each would be refused there for want of a 跨省通办 mode)."""
        if not typed.strip():
            return ""
        home = typed_division(HOME_FIELD, typed, f"（例如本点 {self.here.value}）")
        if home.province != self.here.province:
            raise InvalidInput(
                f"户籍地 {home} 在外省：一件事只在户籍所在省内联办，请按单个事项以跨省通办分别申请 "
                f"(a bundle is applied for within its home province; {home} is in another)"
            )
        return home.value

    def get(self, bundle_id: str) -> case_pb2.Bundle:
        with self._readers() as session:
            bundle = session.get(Bundle, bundle_id.strip())
            if bundle is None:
                raise NotFound(
                    f"本节点没有一件事 {bundle_id.strip()}：一件事的记录在申请它的服务点 "
                    f"(no bundle {bundle_id!r} at node {self.here}: a bundle is kept where it was applied)"
                )
            return self._view(session, bundle)

    def recent(self, limit: int = 50, offset: int = 0) -> list[case_pb2.Bundle]:
        """The bundles applied for here, the newest first (a bundle is kept only where applied for)."""
        with self._readers() as session:
            query = select(Bundle).order_by(Bundle.submitted_at.desc(), Bundle.id.desc())
            return [bundle_view(session, b) for b in session.scalars(query.offset(offset).limit(limit))]

    def supply(self, bundle_id: str, material: Material) -> None:
        """补齐 a 容缺 material once for the whole bundle: every part missing it receives it."""
        checked = checked_material(material)
        with self._sessions.begin() as session:
            bundle = session.get(Bundle, bundle_id.strip(), with_for_update=True)
            if bundle is None:
                raise NotFound(f"本节点没有一件事 {bundle_id} (no bundle {bundle_id!r} at node {self.here})")
            used = False
            for part in bundle.parts:
                case = session.get(Case, part.case_id) if part.case_id else None
                if case is not None and _still_missing(session, case, checked.name):
                    self._deferrals.supply_in(session, case, checked)
                    used = True
            if checked.name in bundle.deferred:  # parts that start later receive it with the rest
                for later in (part for part in bundle.parts if not part.case_id):  # refused now, not then
                    files.check_sizes(session.get(ServiceItem, later.item_code), [checked])
                bundle.deferred = [name for name in bundle.deferred if name != checked.name]
                bundle.materials.append(_kept(checked))
                used = True
            if not used:
                raise InvalidInput(
                    f"一件事 {bundle.id} 没有缺 {checked.name} 的事项 (no part is missing {checked.name!r})"
                )

    def bundle_of(self, identifier: str) -> str | None:
        """The bundle a bundle id or a part's case id names at this node (None: not a bundle's)."""
        with self._readers() as session:
            if session.get(Bundle, identifier.strip()) is not None:
                return identifier.strip()
            part = session.scalars(select(BundlePart).where(BundlePart.case_id == identifier.strip())).first()
            return part.bundle_id if part is not None else None

    # -- the hook: a part case changed at this node ----------------------------------------------------

    def after_change(self, session: Session, case: Case, action: Action) -> None:
        if case.origin != self.here.value:
            return
        part = session.scalars(select(BundlePart).where(BundlePart.case_id == case.id)).first()
        if part is None:
            return
        bundle = session.get(Bundle, part.bundle_id)
        assert bundle is not None
        state = State(case.state)
        if state in (State.CONCLUDED, State.DELIVERED) and case.outcome == Outcome.APPROVED:
            self._start_ready(session, bundle)
        elif state in _SETTLED:
            self._block_dependants(session, bundle, part, _outcome_words(session, case))
        if bundle.concluded_at is None and all(_settled(session, p) for p in bundle.parts):
            bundle.concluded_at = self._clock.now()

    def decorate(self, session: Session, case: Case, view: case_pb2.Case) -> None:
        part = session.scalars(select(BundlePart).where(BundlePart.case_id == case.id)).first()
        if part is not None:
            view.bundle_id = part.bundle_id
            # 申请时间 is when the citizen applied for the bundle, also for a part started later (its
            # own start is its first event's time); the case row keeps the start, which supervision
            # counts from
            bundle = session.get(Bundle, part.bundle_id)
            if bundle is not None:
                view.submitted_at.CopyFrom(to_timestamp(bundle.submitted_at))

    # -- inside --------------------------------------------------------------------------------------

    def _view(self, session: Session, bundle: Bundle) -> case_pb2.Bundle:
        return bundle_view(session, bundle)

    def _start(self, session: Session, bundle: Bundle, part: BundlePart, by: Actor | None = None) -> None:
        """Submit one part as a case of its own, with only the materials its item lists."""
        item = catalog.item(session, part.item_code)
        listed = {str(m["name"]) for m in item.materials}
        materials = [
            Material(m.name, m.content, m.sha256, file_name=m.file_name or "", media_type=m.media_type or "")
            for m in bundle.materials
            if m.name in listed
        ]
        extras = case_pb2.Case(bundle_id=bundle.id)
        for name in bundle.deferred:
            if name in listed:
                assert bundle.promised_on is not None
                extras.missing_materials.add(name=name, promised_on=bundle.promised_on.isoformat())
        if bundle.promise and item.notify_promise:
            promise = case_pb2.Promise.FromString(bundle.promise)
            allowed = set(item.notify_promise.get("replaces", []))  # type: ignore[call-overload]
            replaces = [name for name in promise.replaces if name in allowed]
            if replaces:
                del promise.replaces[:]
                promise.replaces.extend(replaces)
                extras.promise.CopyFrom(promise)
        applicant = Applicant(bundle.applicant_name, bundle.applicant_id_number, bundle.applicant_phone)
        taker = None if by is not None else _taker(session, bundle)  # a later part: the bundle's
        case = self._cases.submit_in(
            session, item.code, applicant, materials, bundle.home_division, extras=extras, by=by, taker=taker
        )
        part.case_id = case.id

    def _start_ready(self, session: Session, bundle: Bundle) -> None:
        approved = {
            p.item_code
            for p in bundle.parts
            if p.case_id and (c := session.get(Case, p.case_id)) is not None and c.outcome == Outcome.APPROVED
        }
        for part in bundle.parts:
            if part.case_id or part.blocked_reason or not set(part.after) <= approved:
                continue
            try:
                with session.begin_nested():  # a part that cannot start is blocked, not the link
                    self._start(session, bundle, part)
            except DomainError as error:
                part.blocked_reason = f"未能提交：{error}"

    def _block_dependants(self, session: Session, bundle: Bundle, failed: BundlePart, outcome: str) -> None:
        """Parts that follow a denied or refused part (directly or not) will not start: say why (the
        handler's reason is on the failed part's own row, not repeated on each that follows it)."""
        code = failed.item_code
        named = item.name if (item := session.get(ServiceItem, code)) else code
        why = f"前序事项 {named}（{code}）未办成（{outcome}），本事项不再办理"
        blocked = {code}
        changed = True
        while changed:
            changed = False
            for part in bundle.parts:
                if part.case_id or part.item_code in blocked or not set(part.after) & blocked:
                    continue
                blocked.add(part.item_code)
                part.blocked_reason = why
                changed = True


def _taker(session: Session, bundle: Bundle) -> Taker | None:
    """Who took the bundle in, as the first event of a part started with it records them."""
    for part in bundle.parts:
        case = session.get(Case, part.case_id) if part.case_id and not part.after else None
        if case is not None and case.events:
            first = case.events[0]
            return Taker(first.actor_person or "", first.actor_department or "", case.channel or "")
    return None


def _kept(material: Material) -> BundleMaterial:
    """A checked material as the bundle keeps it for its parts: the file's name and type with it."""
    return BundleMaterial(
        name=material.name,
        sha256=material.sha256,
        content=material.content,
        file_name=material.file_name or None,
        media_type=material.media_type or None,
    )


def _check_materials(
    entry: ServiceItem,
    parts: list[ServiceItem],
    materials: Sequence[Material],
    deferred: Sequence[str],
    promise: case_pb2.Promise | None,
) -> None:
    """One set for all parts: each material must be listed by a part; 容缺 only where every part allows."""
    listed = {str(m["name"]) for part in parts for m in part.materials}
    for material in materials:
        if material.name not in listed:
            raise InvalidInput(
                f"{entry.name}（{entry.code}）的各项事项都不需要材料 {material.name} "
                "(a material listed by no part)"
            )
    given = {m.name for m in materials}
    for name in deferred:
        if name in given:
            raise InvalidInput(f"材料 {name} 已提交，不能同时容缺 ({name!r}: given and deferred at once)")
        listing = [part for part in parts if any(m["name"] == name for m in part.materials)]
        if not listing:
            raise InvalidInput(f"{entry.name} 的各项事项都不需要材料 {name}，无须容缺 (listed by no part)")
        strict = [
            p.code for p in listing if not any(m["name"] == name and m.get("deferrable") for m in p.materials)
        ]
        if strict:
            raise InvalidInput(f"材料 {name} 在 {'、'.join(strict)} 中不可容缺 (not deferrable there)")
    if promise is not None and not any(part.notify_promise for part in parts):
        raise InvalidInput(f"{entry.name}（{entry.code}）的各项事项都不适用告知承诺制 (no part allows it)")
    for part in parts:  # the one set must be complete for every part (容缺/告知承诺 where allowed)
        names = {str(m["name"]) for m in part.materials}
        replaced = promise.replaces if promise is not None and part.notify_promise else ()
        files.check_complete(part, [m for m in materials if m.name in names], deferred, replaced)


def _still_missing(session: Session, case: Case, name: str) -> bool:
    row = session.get(MissingMaterial, (case.id, name))
    return row is not None and row.supplied_at is None


def _settled(session: Session, part: BundlePart) -> bool:
    if not part.case_id:
        return bool(part.blocked_reason)
    case = session.get(Case, part.case_id)
    return case is not None and State(case.state) in _SETTLED


def _outcome_words(session: Session, case: Case) -> str:
    """How a part failed, in a word: 不予办理 (不予许可 for a licence), 不予受理, 撤回 or 退件."""
    if case.outcome == Outcome.DENIED:
        item = catalog.item_of_case(session, case.item_code, case.catalog_version)
        return denial_words(item.type if item is not None else "")
    return State(case.state).label


def _settled_reason(session: Session, case: Case) -> str:
    """What happened to a part that failed, with the handler's note, said once as the applicant
    reads it in place of its state: 未办成（不予办理）：<the reason> (it read "办结（办结（不予）：…）")."""
    note = session.scalars(
        select(CaseEvent.note).where(CaseEvent.case_id == case.id).order_by(CaseEvent.version.desc()).limit(1)
    ).first()
    return f"未办成（{_outcome_words(session, case)}）" + (f"：{note}" if note else "")


def _waits_for(session: Session, codes: list[str]) -> str:
    names = [(item.name if (item := session.get(ServiceItem, code)) else code) for code in codes]
    return f"待 {'、'.join(names)} 办结后开始"


def _part_view(session: Session, part: BundlePart) -> case_pb2.BundlePart:
    item = session.get(ServiceItem, part.item_code)
    view = case_pb2.BundlePart(
        item_code=part.item_code,
        item_name=item.name if item else "",
        department=item.department if item else "",
        after=part.after,
    )
    if not part.case_id:
        view.status = BLOCKED if part.blocked_reason else WAITING
        view.reason = part.blocked_reason or _waits_for(session, part.after)
        return view
    case = session.get(Case, part.case_id)
    if case is None:
        view.status = BLOCKED
        view.reason = f"本节点没有办件 {part.case_id}"
        return view
    view.case_id, view.handler, view.status = case.id, case.handler, case.state
    view.outcome = outcome_to_proto(case.outcome)
    if case.outcome == Outcome.DENIED or State(case.state) in _UNFAVOURABLE:
        view.reason = _settled_reason(session, case)
    return view


def granted(part: case_pb2.BundlePart) -> bool:
    """A part the family got: concluded 准予."""
    done = part.status in (State.CONCLUDED.value, State.DELIVERED.value)
    return done and part.outcome == case_pb2.APPROVED


def failed(part: case_pb2.BundlePart) -> bool:
    """A part the family did not get: denied, refused, withdrawn or returned, or never started for
    a part before it failing."""
    settled = part.status in (State.CONCLUDED.value, State.DELIVERED.value)
    closed = part.status == BLOCKED or part.status in {s.value for s in _UNFAVOURABLE}
    return closed or (settled and part.outcome == case_pb2.DENIED)


def progress(bundle: case_pb2.Bundle) -> str:
    """How far a bundle is, as the family reads it, the same on the bundle page, the point's list and
    `wuji bundle show`: each part counted once, as 办成, 未办成 or still in hand (a 不予 is 办结 yet
    not 办成, so "已办结" beside "未办成" counted it twice)."""
    done = sum(map(granted, bundle.parts))
    lost = sum(map(failed, bundle.parts))
    going = len(bundle.parts) - done - lost
    if not going:
        return f"已全部办理完毕：办成 {done} 项，未办成 {lost} 项"
    return f"办理中：办成 {done} 项，未办成 {lost} 项，还在办理 {going} 项"


def _bundle_state(parts: Sequence[case_pb2.BundlePart]) -> str:
    settled = {State.CONCLUDED.value, State.DELIVERED.value, BLOCKED, *(s.value for s in _UNFAVOURABLE)}
    return CONCLUDED if all(part.status in settled for part in parts) else IN_PROGRESS


def bundle_view(session: Session, bundle: Bundle) -> case_pb2.Bundle:
    parts = [_part_view(session, part) for part in bundle.parts]
    view = case_pb2.Bundle(
        id=bundle.id,
        code=bundle.code,
        name=bundle.name,
        origin=bundle.origin,
        state=_bundle_state(parts),
        applicant=case_pb2.Applicant(
            name=bundle.applicant_name, id_number=bundle.applicant_id_number, phone=bundle.applicant_phone
        ),
        submitted_at=to_timestamp(bundle.submitted_at),
        parts=parts,
        concluded_parts=sum(p.status in (State.CONCLUDED.value, State.DELIVERED.value) for p in parts),
    )
    if bundle.concluded_at is not None:
        view.concluded_at.CopyFrom(to_timestamp(bundle.concluded_at))
    rating = _one_rating(session, bundle)
    if rating is not None:
        view.rating_score, view.rating_comment = rating.score, rating.comment
        view.rated_at.CopyFrom(to_timestamp(rating.rated_at))
    return view


def _one_rating(session: Session, bundle: Bundle) -> Rating | None:
    """一事一评: the bundle's one rating, which RatingService.rate_bundle gave each rated part alike
    (a part is never rated alone); None before it is rated."""
    parts = [part.case_id for part in bundle.parts if part.case_id]
    if not parts:
        return None
    return session.scalars(
        select(Rating).where(Rating.case_id.in_(parts)).order_by(Rating.rated_at).limit(1)
    ).first()
