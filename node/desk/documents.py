"""The desk's printer: gathers what a document says from the catalogue and the case, renders it.

The item comes from this node's catalogue (and its implementation list, for where to go), or, for
a partner province's item open to applicants here (跨省通办), from that province's offer; a case's
item as the release the case was applied under had it (`catalog.item_of_case`: a later release
that shortens the limit or withdraws the item changes none of its papers). The case comes from the
case service as this node knows it (its events, materials and sealed result). A receipt's
promised date is the handler's running limit where the case is handled here, else the last day
the handler told with its latest notice, else (the clock stopped for a correction, or ended)
counted from the 受理 day on the working-day calendar; an item known here by neither gives no time
limit, and the receipt leaves it out. An approved 延期 is printed beside the promise, its days and
reason read from the case's 延期 event at either copy (`deadlines.extension_in`), so the handler's
receipt and the applicant's point's say the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from node.cases import deadlines
from node.cases.bundles import bundle_view
from node.cases.service import CaseService
from node.catalogue import items as catalog
from node.clock import Clock
from node.config import NodeConfig
from node.documents import kinds, remedies
from node.documents.facts import (
    Appeal,
    BundleFacts,
    CaseFacts,
    Deferral,
    Fee,
    GivenMaterial,
    Issuer,
    ItemFacts,
    ItemPart,
    ListedMaterial,
    PartFacts,
    Promise,
    ReceiptFacts,
    ResultFacts,
    SealFacts,
    Step,
)
from node.errors import InvalidInput, NotFound, NotReady
from node.staff.roles import Actor
from node.store.models import Bundle, BundlePart, CaseDeadline, ItemClaim, PartnerItem, ServiceItem
from node.timeutil import from_timestamp
from node.trust import partners
from node.trust.names import PlaceNames
from node.trust.sealing import RESULT_WAITS
from node.workdays import add_working_days, china_date
from signing.seals import SealedDocument, SealError, read_json
from signing.timestamps import TimestampRejected, read_token
from wuji import division_table
from wuji.divisions import DivisionCode, Tier
from wuji.v1 import case_pb2

KINDS = tuple(kinds.TITLES)
# the letters telling a running case's step (kind: its action and the step's name)
_TOLD = {"extension": (case_pb2.EXTEND, "延期"), "suspension": (case_pb2.SUSPEND, "特别程序")}


def issuer_of(config: NodeConfig) -> Issuer:
    """The body printing at this node: its configured name, else one made from its code."""
    place = "代办点" if config.division.tier is Tier.VILLAGE else "中心"
    return Issuer(config.name or f"{config.code} 政务服务{place}", config.code)


@dataclass(frozen=True)
class Rendered:
    kind: str
    title: str
    pdf: bytes
    file_name: str
    verify_url: str = ""


class DocumentDesk:
    def __init__(
        self,
        issuer: Issuer,
        readers: sessionmaker[Session],
        cases: CaseService,
        clock: Clock,
        verify_url: Callable[[str], str],
        names: PlaceNames,
    ) -> None:
        self._issuer = issuer
        self._readers = readers
        self._cases = cases
        self._clock = clock
        self._verify_url = verify_url
        self._names = names  # offices and partner provinces as people read them

    def render(
        self,
        kind: str,
        item_code: str = "",
        case_id: str = "",
        by: Actor | None = None,
        event_version: int = 0,
    ) -> Rendered:
        """One document: a notice of item_code, or a case document of case_id (a unique prefix);
        by: the person printing it, who must be shown the case (CaseService.get); event_version: the
        event whose 补正告知书, 不予受理决定书, 退件通知书, 延长办理期限告知书 or 特别程序告知书 it is
        (0: the latest)."""
        kind = kind.strip().lower()
        if kind not in KINDS:
            raise InvalidInput(f"unknown document {kind!r}: one of {', '.join(KINDS)}")
        if kind == "notice":
            if not item_code.strip():
                raise InvalidInput("一次性告知书 needs an item code")
            return self.notice(item_code.strip())
        if not case_id.strip():
            raise InvalidInput(f"{kinds.TITLES[kind]} needs a case id")
        if kind == "bundle":  # of the bundle a bundle id or a part's case id names
            return self.bundle_receipt(case_id.strip())
        case = self._cases.get(case_id.strip(), by=by)  # loaded once, the person's sight checked
        if event_version:
            return self._letter_of_event(kind, case, event_version)
        if kind in _TOLD:  # 延期, 特别程序: the latest one's
            return self._latest_letter(kind, case)
        return {
            "receipt": self.receipt,
            "correction": self.correction,
            "refusal": self.refusal,
            "returned": self.returned,
            "result": self.result,
        }[kind](case)

    def where_to_apply(self, item_code: str) -> str:
        """The notice's 办理地点, for its page."""
        with self._readers() as session:
            return kinds.where_to_apply(self._issuer, self._item(session, item_code))

    def notice_parts(self, item_code: str) -> list[list[str]]:
        """A 一件事's parts as its notice lists them, for its page ([] for a single item)."""
        with self._readers() as session:
            return kinds.notice_parts(self._item(session, item_code))

    def notice(self, item_code: str) -> Rendered:
        with self._readers() as session:
            item = self._item(session, item_code)
        pdf = kinds.notice(self._issuer, item, self._clock.now())
        return Rendered("notice", kinds.TITLES["notice"], pdf, f"一次性告知书-{item.code}.pdf")

    def receipt(self, case: case_pb2.Case) -> Rendered:
        words = self.receipt_words(case)
        pdf = kinds.receipt_pdf(self._issuer, self._case_facts(case), words, self._clock.now())
        return self._rendered("receipt", words.title, case, pdf)

    def receipt_words(self, case: case_pb2.Case) -> kinds.Receipt:
        """The words of the case's receipt, as its PDF prints them, for the front desk's receipt page."""
        return kinds.receipt_words(self._issuer, self._case_facts(case), self._receipt_facts(case))

    def _receipt_facts(self, case: case_pb2.Case) -> ReceiptFacts:
        """受理, the time limit and who took the case in, as its receipt gives them."""
        accepted = _last(case, {case_pb2.ACCEPT}, first=True)
        extended = _last(case, {case_pb2.EXTEND})  # its days are in its note at either copy
        extension = deadlines.extension_in(extended.note) if extended is not None else None
        extension_days = extension.days if extension is not None else 0
        with self._readers() as session:
            item = self._known_item(session, case)
            promised_days = item.promised_days if item is not None else None
            promised_on = None
            if accepted is not None:
                promised_days, extension_days, promised_on = _promised(
                    session, case, accepted, promised_days, extension_days
                )
        instant = item is not None and item.instant  # 即办件: no days to promise, not 0
        here = case.handler == self._issuer.code  # else on the spot only once at the handler
        received = _step(case.events[0]) if case.events else None
        ended = _last(case, {case_pb2.RETURN})
        waits = case.state in (case_pb2.CONCLUDED, case_pb2.DELIVERED) and not case.sealed_result
        return ReceiptFacts(
            accepted,
            promised_on,
            promised_days,
            instant,
            handled_here=here,
            received=received,
            extension_days=extension_days,
            extension_reason=extension.reason if extension is not None else "",
            ended=self._named(ended) if ended is not None else None,
            result_waits=RESULT_WAITS if waits and self._cases.result_waits(case.id) else "",
        )

    def bundle_receipt(self, identifier: str) -> Rendered:
        """一件事收件回执 of the bundle a bundle id or one of its parts' case ids names."""
        facts = self.bundle_facts(identifier)
        pdf = kinds.bundle_receipt(self._issuer, facts, self._clock.now())
        title = kinds.TITLES["bundle"]
        return Rendered("bundle", title, pdf, f"{title}-{facts.bundle_id}.pdf", facts.verify_url)

    def bundle_facts(self, identifier: str) -> BundleFacts:
        """A bundle as applied for here: its one set of materials, 容缺 and 告知承诺, and each part with
        its office and time limit — a started part's as its own receipt gives them, a waiting part's
        from its item (the office of this point's ancestor at the item's tier)."""
        with self._readers() as session:
            of_part = select(Bundle).join(BundlePart).where(BundlePart.case_id == identifier)
            row = session.get(Bundle, identifier) or session.scalars(of_part).first()
            if row is None:
                raise NotFound(
                    f"本节点没有一件事 {identifier}：一件事的收件回执在申请它的服务点打印 "
                    f"(no bundle {identifier!r} here: a bundle is kept where it was applied)"
                )
            view = bundle_view(session, row)
            kept = [(m.name, m.file_name or "", len(m.content)) for m in row.materials]
            promised_on = row.promised_on.isoformat() if row.promised_on else ""
            owed = {name: Deferral(name, promised_on) for name in row.deferred}  # for parts to come
            promise = case_pb2.Promise.FromString(row.promise) if row.promise else None
            waiting = {
                part.item_code: self._row_facts(session, catalog.item(session, part.item_code), [])
                for part in view.parts
                if not part.case_id
            }
        parts, received = [], None
        for part in view.parts:
            if not part.case_id:
                item = waiting[part.item_code]
                office = self._office_above(item.handling_tier, item.department) or item.department
                limit = ReceiptFacts(None, None, item.promised_days, item.instant, handled_here=False)
                parts.append(_part_facts(part, office, limit))
                continue
            case = self._cases.get(part.case_id)
            facts = self._receipt_facts(case)
            if received is None and not part.after:  # the first parts' 申请 name who took the bundle in
                received = facts.received
            for missing in case.missing_materials:  # 容缺: supplied once the last part missing it has it
                known = owed.get(missing.name)
                if known is None or known.supplied_at is not None:
                    owed[missing.name] = _deferral(missing)
            parts.append(_part_facts(part, self._names.place(case.handler, case.department), facts))
        supplied = {name for name, owing in owed.items() if owing.supplied_at is not None}
        return BundleFacts(
            bundle_id=view.id,
            code=view.code,
            name=view.name,
            origin=self._names.place(view.origin, ""),
            applicant_name=view.applicant.name,
            applicant_id_number=view.applicant.id_number,
            applicant_phone=view.applicant.phone,
            submitted_at=from_timestamp(view.submitted_at),
            verify_url=self._verify_url(view.id),
            materials=tuple(
                GivenMaterial(name, file_name, size, "supplied" if name in supplied else "submitted")
                for name, file_name, size in kept
            ),
            deferred=tuple(owed.values()),
            promise=Promise(promise.text, tuple(promise.replaces), promise.signed_by) if promise else None,
            parts=tuple(parts),
            received=received,
        )

    def correction(self, case: case_pb2.Case) -> Rendered:
        requested = _last(case, {case_pb2.REQUEST_CORRECTION})
        if requested is None:
            raise NotReady(f"办件 {case.id} 没有补正告知 (no correction was asked for)")
        letter = self._correction_letter(case, self._named(requested))
        pdf = kinds.letter_pdf(self._issuer, letter, self._clock.now())
        return self._rendered("correction", kinds.TITLES["correction"], case, pdf)

    def refusal(self, case: case_pb2.Case) -> Rendered:
        refused = _last(case, {case_pb2.REFUSE}, state=case_pb2.REFUSED)
        if case.state != case_pb2.REFUSED or refused is None:
            raise NotReady(f"办件 {case.id} 未被不予受理 (the case was not refused)")
        letter = self._refusal_letter(case, self._named(refused))
        pdf = kinds.letter_pdf(self._issuer, letter, self._clock.now())
        return self._rendered("refusal", kinds.TITLES["refusal"], case, pdf)

    def returned(self, case: case_pb2.Case) -> Rendered:
        returned = _last(case, {case_pb2.RETURN})
        if case.state != case_pb2.RETURNED or returned is None:
            raise NotReady(f"办件 {case.id} 未被退件 (the case was not returned)")
        letter = self._returned_letter(case, self._named(returned))
        pdf = kinds.letter_pdf(self._issuer, letter, self._clock.now())
        return self._rendered("returned", kinds.TITLES["returned"], case, pdf)

    def _latest_letter(self, kind: str, case: case_pb2.Case) -> Rendered:
        """The letter of the case's latest 延期 or 特别程序."""
        action, step = _TOLD[kind]
        latest = next((e for e in reversed(case.events) if e.action == action), None)
        if latest is None:
            raise NotReady(f"办件 {case.id} 没有{step}，没有{kinds.TITLES[kind]}可打印 (no such event)")
        return self._letter_of_event(kind, case, latest.version)

    def _letter_of_event(self, kind: str, case: case_pb2.Case, version: int) -> Rendered:
        letter = self.letter(case, version)
        if letter.kind != kind:
            found, wanted = kinds.TITLES[letter.kind], kinds.TITLES[kind]
            raise InvalidInput(
                f"办件 {case.id} 的第 {version} 条记录是{found}，不是{wanted} "
                f"(event {version} is a {letter.kind}, not a {kind})"
            )
        pdf = kinds.letter_pdf(self._issuer, letter, self._clock.now())
        rendered = self._rendered(kind, kinds.TITLES[kind], case, pdf)
        # one file per letter: a case asked for 补正 twice has two
        return replace(rendered, file_name=f"{kinds.TITLES[kind]}-{case.id}-{version}.pdf")

    def letter(self, case: case_pb2.Case, version: int) -> kinds.Letter:
        """The 补正告知书, 不予受理决定书 or 退件通知书 that the case's event `version` decided, in the
        words its PDF prints, for the front desk's print page."""
        event = next((e for e in case.events if e.version == version), None)
        if event is None:
            raise NotFound(f"办件 {case.id} 没有第 {version} 条记录 (no event {version})")
        step = self._named(_step(event))
        if event.action == case_pb2.REQUEST_CORRECTION:
            return self._correction_letter(case, step)
        if event.action == case_pb2.REFUSE:
            return self._refusal_letter(case, step)
        if event.action == case_pb2.RETURN:
            return self._returned_letter(case, step)
        if event.action == case_pb2.EXTEND:
            return self._extension_letter(case, step)
        if event.action == case_pb2.SUSPEND:
            return kinds.suspension_letter(self._issuer, self._case_facts(case), step)
        raise InvalidInput(
            f"办件 {case.id} 的第 {version} 条记录不是补正告知、不予受理、退件、延期或特别程序，"
            "没有告知书可打印 (the event is no correction request, refusal, return, extension or "
            "special procedure)"
        )

    def _extension_letter(self, case: case_pb2.Case, extended: Step) -> kinds.Letter:
        """The 延期's days and reason as its note records them at either copy; the last day as the
        receipt gives it now (a case is extended once)."""
        extension = deadlines.extension_in(extended.note) or deadlines.Extension(0, extended.note)
        due = self._receipt_facts(case).promised_on
        return kinds.extension_letter(
            self._issuer, self._case_facts(case), extended, extension.days, extension.reason, due
        )

    def _refusal_letter(self, case: case_pb2.Case, refused: Step) -> kinds.Letter:
        return kinds.refusal_letter(self._issuer, self._case_facts(case), refused, self._appeal(refused))

    def _returned_letter(self, case: case_pb2.Case, returned: Step) -> kinds.Letter:
        return kinds.returned_letter(self._issuer, self._case_facts(case), returned, self._appeal(returned))

    def _appeal(self, decided: Step) -> Appeal:
        """Where the decision may be challenged: the bodies of the deciding node's division."""
        return remedies.appeal_of(decided.node, decided.department, self._division_name)

    def _division_name(self, code: str) -> str:
        """A division's name: from its office's name as the certificates here give it (沅江市政务服务中心
        → 沅江市), else from the division table where one is installed, else ""."""
        named = remedies.division_of_office(self._names.name_of(code))
        if named:
            return named
        try:
            division = division_table.installed().get(code)
        except division_table.TableMissing:
            return ""
        return division.name if division is not None else ""

    def _correction_letter(self, case: case_pb2.Case, requested: Step) -> kinds.Letter:
        with self._readers() as session:
            item = self._known_item(session, case) or _unknown_item(case)
        return kinds.correction_letter(self._issuer, self._case_facts(case), item, requested)

    def _item(self, session: Session, code: str, province: str = "") -> ItemFacts:
        """The item from this node's catalogue, else from a partner province's offer (of
        `province`, where a case names it); NotFound in the catalogue's words if neither has it."""
        try:
            row = catalog.item(session, code)
        except NotFound:
            offered = partners.offered_item(session, code, province)
            if offered is None:
                raise
            return _offered_facts(offered, self._names.province(offered.province))
        return self._row_facts(session, row, catalog.bundle_parts(session, row))

    def _row_facts(self, session: Session, row: ServiceItem, parts: list[ServiceItem]) -> ItemFacts:
        facts = _item_facts(session, row, parts)
        # a 一件事's parts: each with the office it goes to, its time limit and what it waits for
        after = cast(dict[str, list[str]], (row.bundle or {}).get("after", {}))
        names = {part.code: part.name for part in parts}
        listed = tuple(
            ItemPart(
                part.code,
                part.name,
                self._office_of(part.handling_tier, part.department),
                part.instant,
                part.promised_days,
                tuple(names.get(code, code) for code in after.get(part.code, [])),
            )
            for part in parts
        )
        office = self._office_above(row.handling_tier, row.department)
        return replace(facts, handler_office=office, parts=listed)

    def _office_of(self, handling_tier: str, department: str) -> str:
        """The office that handles an item of a tier, as a paper printed here can name it: this
        node's, an ancestor's by its name, else by its level (县级 公安局)."""
        tier = Tier.from_name(handling_tier)
        if tier == DivisionCode.parse(self._issuer.code).tier:
            return f"{self._issuer.name} {department}"
        return self._office_above(handling_tier, department) or f"{tier.label}级 {department}"

    def _office_above(self, handling_tier: str, department: str) -> str:
        """The office of this node's ancestor at the item's tier, if that is above this node and has
        a name here: where a collecting point sends the application."""
        here = DivisionCode.parse(self._issuer.code)
        tier = Tier.from_name(handling_tier)
        if tier >= here.tier:  # handled here, or below (which township's, the notice cannot say)
            return ""
        name = self._names.name_of(here.ancestor_at(tier).value)
        return f"{name} {department}" if name else ""

    def _known_item(self, session: Session, case: case_pb2.Case) -> ItemFacts | None:
        """The case's item as the release it was applied under had it (its time limit, result name
        and materials, even once a later release changed or withdrew it), else as a partner
        province's offer gives it (a 跨省通办 item: of the handler's province), else None."""
        row = catalog.item_of_case(session, case.item_code, case.catalog_version)
        if row is not None:
            return self._row_facts(session, row, [])  # a case is never of a 一件事 itself: of its parts
        province = DivisionCode.parse(case.handler).province.value
        offered = partners.offered_item(session, case.item_code, province)
        return _offered_facts(offered, self._names.province(offered.province)) if offered else None

    def _named(self, step: Step) -> Step:
        """The step with its office named as people read it (PlaceNames.place), to sign a letter
        and, without the code, to head it."""
        organ = f"{self._names.name_of(step.node) or step.node} {step.department}".strip()
        return replace(step, office=self._names.place(step.node, step.department), organ=organ)

    def result(self, case: case_pb2.Case) -> Rendered:
        pdf = kinds.result_pdf(self._issuer, self.result_words(case), self._clock.now())
        return self._rendered("result", kinds.TITLES["result"], case, pdf)

    def result_words(self, case: case_pb2.Case) -> kinds.Outcome:
        """The words of the case's 办结通知书, as its PDF prints them, for the front desk's result page."""
        concluded = _last(case, {case_pb2.APPROVE, case_pb2.DENY})
        if concluded is None or case.state not in (case_pb2.CONCLUDED, case_pb2.DELIVERED):
            raise NotReady(f"办件 {case.id} 尚未办结 (the case is not concluded)")
        if not case.sealed_result and self._cases.result_waits(case.id):
            raise NotReady(f"办件 {case.id}：{RESULT_WAITS} (the sealed result waits for its time-stamp)")
        if not case.sealed_result:
            raise NotReady(f"办件 {case.id} 的办结结果尚未送达本节点 (no sealed result here yet)")
        try:
            sealed = SealedDocument.from_bytes(case.sealed_result)
            body = read_json(sealed.content)
        except (SealError, ValueError) as error:
            raise NotReady(f"办件 {case.id} 的办结结果无法读取: {error}") from error
        granted = case.outcome == case_pb2.APPROVED
        with self._readers() as session:
            item = self._known_item(session, case)
        seal = sealed.seal
        facts = ResultFacts(
            outcome="准予" if granted else "不予",
            concluded=self._named(concluded),
            # a denial grants nothing: no 营业执照 printed beside 不予
            result_name=item.result_name if granted and item is not None else "",
            seal=SealFacts(
                holder=seal.holder,
                department=seal.department,
                kind=seal.kind,
                seal_id=seal.seal_id,
                signed_at=sealed.signing_time,
                digest=sealed.digest,
                attested_at=_attested_time(sealed),
            ),
            licence=str((body.get("licence") or {}).get("identifier", "")) if isinstance(body, dict) else "",
            item_type=item.type if item is not None else "",
            appeal=None if granted else self._appeal(concluded),
            phone=item.phone if item is not None else "",
        )
        return kinds.result_words(self._issuer, self._case_facts(case), facts)

    def _case_facts(self, case: case_pb2.Case) -> CaseFacts:
        return CaseFacts(
            case_id=case.id,
            item_code=case.item_code,
            item_name=case.item_name,
            department=case.department,
            origin=self._place(case.origin),
            handler=self._place(case.handler, case.department),
            applicant_name=case.applicant.name,
            applicant_id_number=case.applicant.id_number,
            applicant_phone=case.applicant.phone,
            submitted_at=from_timestamp(case.submitted_at),
            verify_url=self._verify_url(case.id),
            state=case_pb2.CaseState.Name(case.state),
            materials=tuple(
                GivenMaterial(m.name, m.file_name, m.size, m.purpose or "submitted", m.licence)
                for m in case.materials
            ),
            deferred=tuple(map(_deferral, case.missing_materials)),
            promise=(
                Promise(case.promise.text, tuple(case.promise.replaces), case.promise.signed_by)
                if case.HasField("promise")
                else None
            ),
            mode=case.mode,
        )

    def _place(self, code: str, department: str = "") -> str:
        """A point or office as a case's papers name it; one in another province after that province's
        name (广东省 南山区政务服务中心 公安局（440305000000）), which a paper handed over across the
        border must say, unless its own name says it."""
        named = self._names.place(code, department)
        province = DivisionCode.parse(code).province
        if province == DivisionCode.parse(self._issuer.code).province:
            return named
        called = self._names.province(province.value) or f"{province.value} 所属省份"
        return named if named.startswith(called) else f"{called} {named}"

    def _rendered(self, kind: str, title: str, case: case_pb2.Case, pdf: bytes) -> Rendered:
        return Rendered(kind, title, pdf, f"{title}-{case.id}.pdf", self._verify_url(case.id))


def _attested_time(sealed: SealedDocument) -> datetime | None:
    """The time its token attests: the result was verified, token and all, before this node kept
    it (or it was attested here), so the token is only read; None without one."""
    if not sealed.timestamp:
        return None
    try:
        return read_token(sealed.timestamp).gen_time
    except TimestampRejected:
        return None


def _part_facts(part: case_pb2.BundlePart, office: str, limit: ReceiptFacts) -> PartFacts:
    outcome = {case_pb2.APPROVED: "准予", case_pb2.DENIED: "不予"}.get(part.outcome, "")
    return PartFacts(
        part.item_code, part.item_name, office, part.case_id, part.status, outcome, part.reason, limit
    )


def _last(case: case_pb2.Case, actions: set[int], state: int = 0, first: bool = False) -> Step | None:
    """The latest (or first) event taking one of actions, or arriving in state."""
    found = [e for e in case.events if e.action in actions or (state and e.to_state == state)]
    if not found:
        return None
    return _step(found[0] if first else found[-1])


def _deferral(missing: case_pb2.MissingMaterial) -> Deferral:
    supplied = from_timestamp(missing.supplied_at) if missing.HasField("supplied_at") else None
    return Deferral(missing.name, missing.promised_on, supplied)


def _step(event: case_pb2.CaseEvent) -> Step:
    return Step(
        at=from_timestamp(event.at),
        node=event.actor_node,
        department=event.actor_department,
        person=event.actor_person,
        note=event.note,
        materials=tuple(event.correct_materials),
    )


def _promised(
    session: Session, case: case_pb2.Case, accepted: Step, promised_days: int | None, extension_days: int
) -> tuple[int | None, int, date | None]:
    """The working days promised, those an approved 延期 added (`extension_days`, as its event
    tells them) and the limit's last day (None while the clock is stopped, or where the item's
    limit is not known here: promised_days None)."""
    limit = session.get(CaseDeadline, case.id)
    if limit is not None:  # handled here: the running limit, pauses and extensions included
        return limit.promised_days, limit.extension_days, limit.deadline
    if promised_days is None:
        return None, 0, None
    if case.due_on:  # the last day the handler's clock gives, told with its latest notice
        return promised_days, extension_days, date.fromisoformat(case.due_on)
    days = promised_days + extension_days
    return promised_days, extension_days, add_working_days(china_date(accepted.at), days)


def _item_facts(session: Session, row: ServiceItem, parts: list[ServiceItem] | None = None) -> ItemFacts:
    """An item of this node's catalogue as a document describes it; a 一件事's materials are its
    parts' (`parts`), each named once, as the window's form and on-screen notice list them."""
    claim = session.get(ItemClaim, row.code)
    return replace(
        item_facts(catalog.row_to_item(row), catalog.listed_materials(row, parts or ())),
        window_address=claim.window_address if claim else "",
        phone=claim.phone if claim else "",
        opening_hours=claim.opening_hours if claim else "",
        local_notes=claim.local_notes if claim else "",
    )


def _offered_facts(offered: PartnerItem, province: str) -> ItemFacts:
    """A partner province's item (跨省通办) as its offer describes it, handled in `province` (as named
    here; its code where it is not)."""
    return replace(
        item_facts(offered.item, catalog.listed_materials(offered.item)),
        handled_in=province or f"{offered.province} 所属省份",
        modes=tuple(offered.modes),
    )


def item_facts(elements: Mapping[str, Any], materials: list[dict[str, Any]]) -> ItemFacts:
    """An item's elements (a catalogue row's, or a partner's offer) and its listed materials as a
    document describes them."""
    return ItemFacts(
        code=str(elements["code"]),
        name=str(elements["name"]),
        type=str(elements.get("type", "")),
        department=str(elements.get("department", "")),
        implementing_body=str(elements.get("implementing_body", "")),
        legal_basis=str(elements.get("legal_basis", "")),
        handling_tier=Tier.from_name(str(elements["handling_tier"])).label,
        instant=bool(elements.get("instant", False)),
        statutory_days=int(elements.get("statutory_days", 0)),
        promised_days=int(elements.get("promised_days", 0)),
        online_level=str(elements.get("online_level", "")),
        max_visits=int(elements.get("max_visits", 1)),
        result_name=str(elements.get("result_name", "")),
        conditions=tuple(map(str, elements.get("conditions") or ())),
        materials=tuple(
            ListedMaterial(
                name=str(m["name"]),
                required=bool(m.get("required", True)),
                deferrable=bool(m.get("deferrable", False)),
                form=str(m.get("form", "")),
                e_licence=bool(m.get("e_licence", False)),
                promise=bool(m.get("promise", False)),
            )
            for m in materials
        ),
        fees=tuple(
            Fee(str(f["name"]), str(f["amount"]), str(f.get("basis", ""))) for f in elements.get("fees") or ()
        ),
    )


def _unknown_item(case: case_pb2.Case) -> ItemFacts:
    """An item this node's catalogue does not hold (a partner province's): what the case says."""
    if not case.item_code:
        raise NotFound("the case names no item")
    return ItemFacts(
        code=case.item_code,
        name=case.item_name,
        type="",
        department=case.department,
        implementing_body="",
        legal_basis="",
        handling_tier="",
        instant=False,
        statutory_days=0,
        promised_days=0,
        online_level="",
        max_visits=1,
    )
