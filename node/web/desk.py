"""The pages of the window's day: items and their guides, the application form, receipts, this
point's cases, a department's queues, a case with its materials, history and allowed actions.

Every step calls a node service (CaseService, BundleService, DeferralService, RatingService) with
the person logged in; the services check role, department and state and word the refusals.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pypinyin import Style, lazy_pinyin
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from node.cases import crossprovince, deadlines, deferrals, queues, requests, submissions
from node.cases.applicants import digits_as_typed, division_in_number
from node.cases.bundles import CONCLUDED as BUNDLE_CONCLUDED
from node.cases.deferrals import MAX_SIGNATURE_BYTES
from node.cases.materials import Material, checked_material
from node.cases.queues import QUEUES
from node.cases.service import DUTY_OF, Applicant
from node.cases.states import OPEN_STATES, RULES, Action, Performer, State, transition
from node.cases.submissions import KeyUsedBefore
from node.catalogue import items as catalog
from node.convert import state_to_proto
from node.desk.documents import DocumentDesk, Rendered
from node.documents import kinds
from node.errors import IllegalTransition, InvalidInput, NotFound, NotReady, WrongNode
from node.staff.roles import Actor, Duty, NotPermitted
from node.store.models import Case as CaseRow
from node.supervision.cards import ACCEPTANCE_DAYS
from node.supervision.ratings import BAD_SCORES, RATEABLE, SCORE_LABELS
from node.timeutil import to_timestamp
from node.trust import partners
from node.trust.sealing import RESULT_WAITS
from node.web.auth import Visit, may, page
from node.web.held import HOLD_SECONDS, ChosenFile, HeldFiles
from node.web.partners import unreachable_partner
from node.web.uplink import news_held_below
from node.workdays import add_working_days, china_date
from sync.transport import DEFAULT_MAX_MESSAGE_BYTES
from wuji.v1 import case_pb2

if TYPE_CHECKING:
    from node.runtime.node import Node
    from node.store.models import PartnerItem, ServiceItem

Render = Callable[..., Response]
AT_WINDOW = (Duty.APPLY, Duty.ON_BEHALF, Duty.RECEIVE, Duty.DECIDE)
# who may read the 办事指南 (the menu offers 事项 to everyone): the window, and the 管理员 and 监察
# who keep and watch the catalogue; only those who take applications are offered 申请
READS_ITEMS = (*AT_WINDOW, Duty.SUPERVISE, Duty.ADMINISTER)
CASES_PER_PAGE = 50  # the case list's page, newest first, and a queue's, most urgent first
_LAST_PAGE = 100_000  # beyond any node's cases; keeps the offset a number the database takes
# the 延期 form's field: at most this many working days, 5 offered unless the item allows fewer
MAX_EXTENSION_DAYS, DEFAULT_EXTENSION_DAYS = 60, 5
TO_DELIVER = "待送达"  # the case list's filter of results to hand out (办结, not yet 送达)
# the case list's filter: its value in the address (what `listed_state` reads), and its words
LISTED_STATES = (("", "全部状态"), (TO_DELIVER, "待送达（已办结）"), *((s.label, s.label) for s in State))
# actions with their own form (files) or taken by the applicant's point on request
_OWN_FORMS = frozenset({Action.SUPPLEMENT})
# the events whose letter the history offers to print: the document's kind and title, by action
LETTERS = {
    case_pb2.CaseAction.Value(action.value): (kind, kinds.TITLES[kind])
    for action, kind in (
        (Action.REQUEST_CORRECTION, "correction"),
        (Action.REFUSE, "refusal"),
        (Action.RETURN, "returned"),
        (Action.EXTEND, "extension"),
        (Action.SUSPEND, "suspension"),
    )
}


@functools.lru_cache(maxsize=4096)
def initials(name: str) -> str:
    """拼音首字母 of an item's name: 最低生活保障对象认定 → zdshbzdxrd."""
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()


def matches(item: ServiceItem | SimpleNamespace, query: str) -> bool:
    # as typed at a village PC: full-width letters, spaces between the characters (低 保), a code
    # without its hyphens (MZ0001)
    needle = "".join(unicodedata.normalize("NFKC", query).split()).lower()
    code = item.code.lower()
    return (
        not needle
        or needle in item.name
        or code.startswith(needle)
        or code.replace("-", "").startswith(needle.replace("-", ""))
        or needle in initials(item.name)
        or _abbreviates(needle, item.name)
    )


def _abbreviates(needle: str, name: str) -> bool:
    """Whether Chinese characters typed are the name's in order, as people shorten names: 低保 for
    最低生活保障, 社保卡 for 社会保障卡申领 (two characters at least, each of them Chinese)."""
    if len(needle) < 2 or not all("\u4e00" <= ch <= "\u9fff" for ch in needle):
        return False
    rest = iter(name)
    return all(ch in rest for ch in needle)  # each found after the one before


def node_of(visit: Visit) -> Node:
    return visit.request.app.state.node


# no item takes a larger file (the catalogue caps max_material_mb at 15) and no link message carries
# more: a file beyond this (a video chosen by mistake) is refused by its size, never read into memory
MAX_UPLOAD_BYTES = DEFAULT_MAX_MESSAGE_BYTES
MIB = 1024 * 1024


def _read_upload(name: str, upload: UploadFile) -> bytes:
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise InvalidInput(
            f"材料 {name} 的文件 {upload.filename} 有 {upload.size / MIB:.0f} MB，超过任何事项能收的 "
            f"{MAX_UPLOAD_BYTES // MIB} MB：请确认选对了文件 (file too large)"
        )
    return upload.file.read(MAX_UPLOAD_BYTES + 1)


def _form_used_before(earlier: submissions.TakenIn) -> str:
    """A form sent again for another applicant: brought back with the browser's Back button after
    its case was taken in, and filled in for the next citizen."""
    taken = f"办件 {earlier.case_id}" if earlier.case_id else f"一件事 {earlier.bundle_id}"
    return (
        f"这张申请表已经提交过，受理为{earlier.applicant_name}的{taken}；刚才填写的这件申请还没有提交。"
        "请核对下面的内容后再点提交，将作为一件新的申请 (the form was sent before for another application)"
    )


def _chosen_files(
    visit: Visit, kept: Mapping[str, ChosenFile], materials: list[dict[str, Any]]
) -> tuple[dict[str, ChosenFile], InvalidInput | None]:
    """The files of an application form by field: those chosen now, and those kept from its refused
    sending that were neither chosen again nor ticked 不用此文件; with the first file that cannot
    be read (too large), the others read all the same so that they can be kept."""
    chosen = {field: file for field, file in kept.items() if not visit.field(f"drop_{field}")}
    names = {f"file_{index}": str(spec["name"]) for index, spec in enumerate(materials)}
    unread: InvalidInput | None = None
    for field, upload in visit.form.multi_items() if visit.form is not None else ():
        if not (field.startswith("file_") or field == "promise_signature"):
            continue
        if not isinstance(upload, UploadFile) or not upload.filename:
            continue
        try:
            if field == "promise_signature":  # the service says what a signature may weigh
                content = upload.file.read(MAX_SIGNATURE_BYTES + 1)
            else:
                content = _read_upload(names.get(field, field), upload)
        except InvalidInput as refused:
            chosen.pop(field, None)
            unread = unread or refused
            continue
        chosen[field] = ChosenFile(upload.filename, upload.content_type or "", content)
    return chosen, unread


def _keepable(
    visit: Visit, materials: list[dict[str, Any]], chosen: Mapping[str, ChosenFile]
) -> dict[str, ChosenFile]:
    """The files of a refused form worth keeping: not one the window never takes (a text file, an
    empty one, a signature that is no image), which the form said was "已保留（不必重新选择）" and
    sent again to the same refusal."""
    names = {f"file_{index}": str(spec["name"]) for index, spec in enumerate(materials)}
    kept: dict[str, ChosenFile] = {}
    for field, file in chosen.items():
        try:
            if not file.content:
                continue
            if field == "promise_signature":
                deferrals.signature_type(file.content)
            else:  # judged as the service judges it, a licence's file by the licence ticked for it
                licence = visit.field(f"licence_{field.removeprefix('file_')}").strip()
                name = names.get(field, field)
                checked_material(Material(name, file.content, file_name=file.file_name, licence=licence))
        except InvalidInput:
            continue
        kept[field] = file
    return kept


def _applies(visit: Visit) -> bool:
    """Whether the person takes applications here: only then are 申请 links shown."""
    return may(visit.person, frozenset({Duty.APPLY}))


def routes(render: Render) -> list[Route]:
    """The desk's routes; render(visit, template, **values) draws a page."""

    @page(*READS_ITEMS)
    def item_list(visit: Visit) -> Response:
        query = visit.request.query_params.get("q", "")
        found = _find_items(visit, query)
        name = "items_found.html" if visit.request.headers.get("hx-request") else "items.html"
        return render(visit, name, items=found, q=query, applies=_applies(visit))

    @page(*READS_ITEMS)
    def item_guide(visit: Visit) -> Response:
        item, parts = _item_and_parts(visit)
        materials = catalog.listed_materials(item, parts)
        return render(
            visit, "guide.html", item=item, parts=parts, materials=materials, applies=_applies(visit)
        )

    @page(*READS_ITEMS)
    def item_notice(visit: Visit) -> Response:
        item, parts = _item_and_parts(visit)
        here = node_of(visit).here.value
        taken = kinds.taking_in(kinds.handled_at(here, item.handling_tier, getattr(item, "partner", "")))
        materials = catalog.listed_materials(item, parts)
        promised = kinds.promised_limit(item.promised_days)  # as the PDF words it
        documents: DocumentDesk = visit.request.app.state.documents
        place = documents.where_to_apply(item.code)
        part_rows = documents.notice_parts(item.code) if parts else []  # a 一件事's, as its PDF lists them
        return render(
            visit,
            "notice.html",
            item=item,
            parts=parts,
            materials=materials,
            taken=taken,
            promised=promised,
            place=place,
            part_rows=part_rows,
        )

    def application_form(
        visit: Visit,
        refusal: str = "",
        status_code: int = 200,
        kept: Mapping[str, ChosenFile] | None = None,
        held: str = "",
        confirm_again: bool = False,
    ) -> Response:
        """The form, empty, or again as it was sent with the refusal above it: what was typed, and
        the files the desk keeps for it under the token `held` (a browser never fills in a file
        field); confirm_again: with the box that takes an application in progress in again."""
        item, parts = _item_and_parts(visit)
        modes = _modes(item)
        home = ""  # a 跨省通办 application refused for want of it: as the applicant's number carries it
        if refusal and modes and not visit.field("home_division").strip():
            carried = division_in_number(digits_as_typed(visit.field("id_number")).upper())
            home = carried[0] if carried else ""
        form = render(
            visit,
            "apply.html",
            status_code=status_code,
            item=item,
            parts=parts,
            materials=catalog.listed_materials(item, parts),
            modes=modes,
            suggested_home=home,
            refusal=refusal,
            confirm_again=confirm_again,
            sent=visit.form or {},
            submission=submissions.new_key(),  # nothing was taken in under a refused form's key
            kept=kept or {},
            hold_hours=HOLD_SECONDS // 3600,
            held=held,
        )
        # never brought back from the browser's cache (the Back button after a receipt): its key has
        # taken a case in, and the next citizen's application belongs on a fresh form
        form.headers["Cache-Control"] = "no-store"
        return form

    @page(Duty.APPLY)
    def apply_form(visit: Visit) -> Response:
        item, _ = _item_and_parts(visit)
        if getattr(item, "elsewhere", ""):  # a partner's 全程网办 item: applied for in its province
            raise InvalidInput(item.elsewhere)
        return application_form(visit)

    @page(Duty.APPLY)
    def apply(visit: Visit) -> Response:
        key = submissions.checked_key(visit.field("submission"))
        held: HeldFiles = visit.request.app.state.held
        username, item_code = visit.person.username, visit.request.path_params["code"]
        item, parts = _item_and_parts(visit)
        listed = catalog.listed_materials(item, parts)
        form_token = visit.field("held")
        chosen, unread = _chosen_files(visit, held.kept(username, form_token, item_code), listed)
        sent = submissions.Sent(item_code, visit.field("id_number"))
        try:
            if unread is not None:
                raise unread
            taken_in = submissions.once(
                node_of(visit).readers,
                key,
                sent,
                lambda: _submit(visit, key, item, listed, chosen),
                _receipt_of,
            )
        except (InvalidInput, ValueError) as refused:  # what the window can mend on the form
            keepable = _keepable(visit, listed, chosen)
            token = held.hold(username, item_code, keepable, replacing=form_token)
            said = _form_used_before(refused.earlier) if isinstance(refused, KeyUsedBefore) else str(refused)
            again = isinstance(refused, submissions.PendingApplication)
            return application_form(visit, said, 400, keepable if token else {}, token, again)
        held.release(username, form_token)
        return taken_in

    def _receipt_of(taken_in: submissions.TakenIn) -> Response:
        """The receipt of what a form took in (also when it is sent again: a double click)."""
        if taken_in.bundle_id:
            return RedirectResponse(f"/bundles/{quote(taken_in.bundle_id)}", status_code=303)
        return RedirectResponse(f"/cases/{quote(taken_in.case_id)}/receipt", status_code=303)

    def _submit(
        visit: Visit,
        key: str,
        item: Any,
        listed: list[dict[str, Any]],
        chosen: Mapping[str, ChosenFile],
    ) -> Response:
        node = node_of(visit)
        applicant = Applicant(visit.field("applicant_name"), visit.field("id_number"), visit.field("phone"))
        given: list[Material] = []
        deferred: list[str] = []
        promised: list[str] = []
        for index, spec in enumerate(listed):
            name = str(spec["name"])
            file = chosen.get(f"file_{index}")
            licence = visit.field(f"licence_{index}").strip()  # 无证明: the file is that licence
            if file is not None:
                given.append(
                    Material(
                        name,
                        file.content,
                        file_name=file.file_name,
                        media_type=file.media_type,
                        licence=licence,
                    )
                )
            elif licence:
                raise InvalidInput(f"{name}：请上传电子证照 {licence} 的文件 (*.sealed) (the licence file)")
            elif visit.field(f"defer_{index}"):
                deferred.append(name)
            elif visit.field(f"promise_{index}"):
                promised.append(name)
        promise = None
        if promised:
            signature = chosen.get("promise_signature")
            promise = case_pb2.Promise(
                text=visit.field("promise_text") or "本人承诺所告知事项属实，愿意承担不实承诺的法律责任。",
                replaces=promised,
                signed_by=visit.field("signed_by") or applicant.name,
                # the applicant's signature as the window captured it (signing pad or scanned page)
                signature=signature.content if signature is not None else b"",
                signed_at=to_timestamp(node.clock.now()),
            )
        refuse_pending = not visit.field("again")  # 确认再次申请 not ticked
        home = visit.field("home_division")
        if item.bundle:
            bundle = node.bundles.submit(
                item.code,
                applicant,
                given,
                home,
                deferred,
                visit.field("promised_on"),
                promise,
                key,
                refuse_pending=refuse_pending,
                by=visit.person,  # 首问负责: the first parts' 申请 name who took it in
            )
            return _receipt_of(submissions.TakenIn(bundle_id=bundle.id))
        case = node.cases.submit(
            item.code,
            applicant,
            given,
            home,
            mode=visit.field("mode"),
            place_division=visit.field("place_division"),
            extras=deferrals.extras(deferred, visit.field("promised_on"), promise, node.clock.now()),
            by=visit.person,  # the service records 代办 for an agent, 窗口 otherwise
            submission=key,
            refuse_pending=refuse_pending,
        )
        return _receipt_of(submissions.TakenIn(case_id=case.id))

    @page(*AT_WINDOW, Duty.SUPERVISE)
    def case_list(visit: Visit) -> Response:
        node = node_of(visit)
        query = visit.request.query_params.get("q", "").strip()
        # applied for here, or handled here (a county's concluded cases are in no queue): department
        # staff are shown only what they may open
        role = "handler" if visit.request.query_params.get("role") == "handler" else "origin"
        chosen = visit.request.query_params.get("state", "").strip()
        state = listed_state(chosen)
        # results to hand out: concluded, and applied for here; on the tab of cases handled here,
        # only those handled here too (a 两地联办 part concluded in another province is not)
        to_deliver = chosen == TO_DELIVER
        number, more = _page_number(visit), False
        if query:
            typed = query.upper()  # a 一件事's number, as its receipt prints it: its page
            if "-B" in typed and node.bundles.bundle_of(typed) == typed:
                return RedirectResponse(f"/bundles/{quote(typed)}", status_code=303)
            person = visit.person  # and what they took in for another department
            cases = node.cases.search(query, department=person.bound_department, taker=person.on_record)
            if state is not None:  # a search finds a page at most: chosen from it
                cases = [c for c in cases if c.state == state_to_proto(state.value)]
            if to_deliver:
                cases = [c for c in cases if c.origin == node.here.value]
            if not cases and not chosen and node.cases.passed_through(typed):  # its 转送记录
                return RedirectResponse(f"/cases/{quote(typed)}", status_code=303)
        else:
            # one more than a page: whether an older page exists
            cases = node.cases.list_cases(
                state=state,
                role=role,
                limit=CASES_PER_PAGE + 1,
                department=visit.person.bound_department,
                offset=(number - 1) * CASES_PER_PAGE,
                taker=visit.person.on_record,  # what they took in for another department, too
                applied_here=to_deliver,
            )
            cases, more = cases[:CASES_PER_PAGE], len(cases) > CASES_PER_PAGE
        shown = {"q": query, "role": role, "state": chosen, "states": LISTED_STATES}
        return render(visit, "cases.html", cases=cases, **shown, page=number, more=more)

    @page(Duty.RECEIVE, Duty.DECIDE)
    def queue(visit: Visit) -> Response:
        node = node_of(visit)
        first = "review" if not may(visit.person, frozenset({Duty.RECEIVE})) else "received"
        which = visit.request.query_params.get("queue", first)  # 审核 starts at 待审核
        department = visit.person.department
        counts = {q.key: node.cases.queue_size(q.key, department) for q in QUEUES}
        number = _page_number(visit)  # a queue longer than a page goes on, most urgent first
        cases = node.cases.queue(
            which, department, limit=CASES_PER_PAGE + 1, offset=(number - 1) * CASES_PER_PAGE
        )
        cases, more = cases[:CASES_PER_PAGE], len(cases) > CASES_PER_PAGE
        shown: dict[str, Any] = {"queues": QUEUES, "which": which, "cases": cases, "counts": counts}
        if queues.queue_named(which).key == "received":  # no 办结期限 runs yet: 受理's own, 5 working days
            shown["acceptance_due"] = node.supervision.acceptance_due(c.id for c in cases)
            shown["due_soon"] = add_working_days(china_date(node.clock.now()), 1)
            shown["acceptance_days"] = ACCEPTANCE_DAYS
        return render(visit, "queues.html", **shown, page=number, more=more)

    @page(*AT_WINDOW, Duty.SUPERVISE)
    def case_page(visit: Visit) -> Response:
        case = _visible_case(visit)
        return render(visit, "case.html", case=case, **_case_extras(visit, case))

    @page(*AT_WINDOW, Duty.SUPERVISE)
    def case_timeline(visit: Visit) -> Response:
        case = _visible_case(visit)
        node = node_of(visit)
        if visit.request.query_params.get("v") == _watched(
            case, _sent(node, case), _result_waits(node, case)
        ):
            return Response(status_code=204)  # nothing new: htmx leaves the page (and its forms) alone
        return render(visit, "timeline.html", case=case, **_case_extras(visit, case))

    @page(*AT_WINDOW, Duty.SUPERVISE)  # as its PDF (case_document): 监察 reads the papers too
    def receipt(visit: Visit) -> Response:
        from node.web.verify import qr_svg

        case = _visible_case(visit)
        documents: DocumentDesk = visit.request.app.state.documents  # the PDF receipt's words
        words = documents.receipt_words(case)
        return render(visit, "receipt.html", case=case, receipt=words, qr=qr_svg(words.verify_url))

    @page(*AT_WINDOW, Duty.SUPERVISE)
    def event_print(visit: Visit) -> Response:
        """补正告知书, 不予受理决定书 or 退件通知书 for the printer: the words of its PDF
        (DocumentDesk.letter)."""
        from node.web.verify import qr_svg

        case = _visible_case(visit)
        documents: DocumentDesk = visit.request.app.state.documents
        letter = documents.letter(case, int(visit.request.path_params["version"]))
        return render(visit, "event_print.html", case=case, letter=letter, qr=qr_svg(letter.verify_url))

    @page(*AT_WINDOW, Duty.SUPERVISE)
    def material(visit: Visit) -> Response:
        case = _visible_case(visit)
        node = node_of(visit)
        found = node.cases.material(case.id, int(visit.request.path_params["material_id"]))
        return _file(found.content, found.media_type, found.file_name or found.name)

    @page(*AT_WINDOW, Duty.SUPERVISE)
    def promise_signature(visit: Visit) -> Response:
        """The applicant's signature under a 告知承诺, as the window captured it (no name or type
        came with it: a signing pad's image or a scanned page, typed by its bytes). One taken before
        signatures were judged, or sent by an older point, that is no image or scan is not served."""
        case = _visible_case(visit)
        if not case.promise.signature:
            raise NotFound(f"办件 {case.id} 没有告知承诺签字 (the case has no signed promise)")
        kind = deferrals.signature_type(case.promise.signature)
        return _file(case.promise.signature, kind, f"承诺书签字-{case.id}{_SUFFIXES.get(kind, '')}")

    @page(Duty.RECEIVE, Duty.DECIDE, Duty.ON_BEHALF)
    def act(visit: Visit) -> Response:
        node = node_of(visit)
        case = _visible_case(visit)
        try:
            action = Action(visit.field("action"))
        except ValueError:
            asked = visit.field("action")
            raise InvalidInput(
                f"没有“{asked}”这一办理操作，请从办件页面上的按钮提交 (unknown action {asked!r})"
            ) from None
        days = 0
        if action is Action.EXTEND:
            typed = visit.field("days").strip()
            if not typed.isdigit():
                asked = (
                    f"请填写延期的工作日天数（整数），不是“{typed}”" if typed else "请填写延期的工作日天数"
                )
                return case_refused(visit, case, InvalidInput(asked))
            days = int(typed)
        try:
            correct = visit.fields("correct")
            node.cases.act(case.id, action, visit.field("note"), days, visit.person, (), correct)
        # NotReady: no seal to conclude; WrongNode: the applicant's act, asked for where they applied
        except (IllegalTransition, InvalidInput, NotReady, WrongNode) as refused:
            return case_refused(visit, case, refused)
        return RedirectResponse(f"/cases/{quote(case.id)}", status_code=303)

    def _refuse_while_result_waits(visit: Visit, case: case_pb2.Case) -> None:
        if _result_waits(node_of(visit), case):
            raise NotReady(f"办件 {case.id}：{RESULT_WAITS} (the sealed result waits for its time-stamp)")

    def case_refused(visit: Visit, case: case_pb2.Case, refused: Exception) -> Response:
        """The case page again with the refusal above it and the note (and a 延期's days) as typed:
        the clerk stays on the case (nothing was stored). The case is read again: a refusal often
        means a colleague acted first, and the page then shows their step and what may be done
        now, not the buttons of the state the clerk saw before."""
        case = node_of(visit).cases.get(case.id, by=visit.person)
        return render(
            visit,
            "case.html",
            status_code=400 if isinstance(refused, InvalidInput) else 409,
            case=case,
            refusal=str(refused),
            note=visit.field("note"),
            correct=visit.fields("correct"),  # the materials to correct, ticked as they were
            days=visit.field("days").strip(),
            comment=visit.field("comment"),
            **_case_extras(visit, case),
        )

    @page(Duty.ON_BEHALF)
    def supply(visit: Visit) -> Response:
        """补正材料 (after a 补正告知) or 补齐 a 容缺 material: the files reach the handler."""
        node = node_of(visit)
        case = _visible_case(visit)
        files: list[Material] = []
        if visit.form is not None:
            for key, upload in visit.form.multi_items():
                if key.startswith("file:") and isinstance(upload, UploadFile) and upload.filename:
                    content = _read_upload(key[5:], upload)
                    files.append(
                        Material(
                            key[5:], content, file_name=upload.filename, media_type=upload.content_type or ""
                        )
                    )
        if not files:
            return case_refused(visit, case, InvalidInput("请选择要补交的文件 (choose the file to supply)"))
        try:
            if case.state == case_pb2.CORRECTION_REQUESTED:
                node.cases.act(case.id, Action.SUPPLEMENT, visit.field("note"), 0, visit.person, files)
            else:
                visit.person.require(Duty.ON_BEHALF)
                for file in files:
                    node.deferrals.supply(case.id, file)
        except (IllegalTransition, InvalidInput) as refused:
            return case_refused(visit, case, refused)
        return RedirectResponse(f"/cases/{quote(case.id)}", status_code=303)

    @page(Duty.ON_BEHALF)
    def rate(visit: Visit) -> Response:
        node = node_of(visit)
        case = _visible_case(visit)
        visit.person.require(Duty.ON_BEHALF)  # as the Desk's RateCase does
        score = visit.field("score")
        try:
            node.ratings.rate(case.id, int(score) if score.isdigit() else 0, visit.field("comment"))
        except InvalidInput as refused:  # the citizen's comment stays in the form
            return case_refused(visit, case, refused)
        return RedirectResponse(f"/cases/{quote(case.id)}?rated=1", status_code=303)

    @page(*AT_WINDOW, Duty.SUPERVISE)
    def result(visit: Visit) -> Response:
        case = _visible_case(visit)
        _refuse_while_result_waits(visit, case)
        if not case.sealed_result:
            raise InvalidInput(f"办件 {case.id} 尚无加盖印章的办理结果 (not concluded yet)")
        return Response(
            case.sealed_result,
            media_type="application/vnd.wuji.sealed+json",
            headers={"Content-Disposition": f"attachment; filename={case.id}.sealed"},
        )

    @page(*AT_WINDOW, Duty.SUPERVISE)
    def result_print(visit: Visit) -> Response:
        """办结通知书 for the printer: the words of its PDF (DocumentDesk.result_words)."""
        from node.web.verify import qr_svg

        case = _visible_case(visit)
        _refuse_while_result_waits(visit, case)
        if not case.sealed_result:
            raise InvalidInput(f"办件 {case.id} 尚无加盖印章的办理结果 (not concluded yet)")
        documents: DocumentDesk = visit.request.app.state.documents
        words = documents.result_words(case)
        return render(visit, "result_print.html", case=case, words=words, qr=qr_svg(words.verify_url))

    @page(*READS_ITEMS)
    def notice_pdf(visit: Visit) -> Response:
        documents: DocumentDesk = visit.request.app.state.documents
        return _pdf(documents.render("notice", item_code=visit.request.path_params["code"]))

    @page(*AT_WINDOW, Duty.SUPERVISE)
    def case_document(visit: Visit) -> Response:
        """受理回执, 补正告知书, 不予受理决定书, 办结通知书 as PDF (node/documents/), QR code included."""
        kind = visit.request.path_params["kind"]
        if kind == "notice":  # the item's, the same for every case of it
            code = _visible_case(visit).item_code
            raise InvalidInput(
                f"一次性告知书按事项打印，不属于某一办件：请在事项 {code} 的页面打印，"
                f"或打开 /items/{quote(code)}/notice.pdf (the notice belongs to an item)"
            )
        documents: DocumentDesk = visit.request.app.state.documents
        case_id = visit.request.path_params["case_id"]
        event = visit.request.query_params.get("event", "")  # which 补正告知书, when there were several
        if event and not event.isdigit():
            raise InvalidInput(f"event 应为记录序号 (event must be an event's number): {event!r}")
        # the person must see the case
        return _pdf(documents.render(kind, case_id=case_id, by=visit.person, event_version=int(event or 0)))

    @page(*AT_WINDOW, Duty.SUPERVISE)
    def bundle_list(visit: Visit) -> Response:
        number = _page_number(visit)
        found = node_of(visit).bundles.recent(CASES_PER_PAGE + 1, (number - 1) * CASES_PER_PAGE)
        shown = {"bundles": found[:CASES_PER_PAGE], "page": number, "more": len(found) > CASES_PER_PAGE}
        return render(visit, "bundles.html", **shown)

    def show_bundle(visit: Visit, refused: Exception | None = None) -> Response:
        """The bundle's page; refused: its 一事一评 again with the reason above it, the comment as typed."""
        node = node_of(visit)
        bundle = node.bundles.get(visit.request.path_params["bundle_id"])
        rating = node.ratings.of_bundle(bundle.id)
        return render(
            visit,
            "bundle.html",
            status_code=200 if refused is None else 400 if isinstance(refused, InvalidInput) else 409,
            bundle=bundle,
            refusal=str(refused) if refused is not None else "",
            comment=visit.field("comment") if refused is not None else "",
            rating=rating,
            # 一事一评: once every part is settled, where it was applied for, by the person at the window
            can_rate=rating is None
            and bundle.state == BUNDLE_CONCLUDED
            and may(visit.person, frozenset({Duty.ON_BEHALF})),
            scores=SCORE_LABELS,
            rated_bad=rating is not None and rating.score in BAD_SCORES,
        )

    @page(*AT_WINDOW, Duty.SUPERVISE)
    def bundle_page(visit: Visit) -> Response:
        return show_bundle(visit)

    @page(Duty.ON_BEHALF)
    def rate_bundle(visit: Visit) -> Response:
        """一事一评: the citizen's one rating of the whole 一件事, given to each part."""
        node = node_of(visit)
        bundle_id = node.bundles.get(visit.request.path_params["bundle_id"]).id
        score = visit.field("score")
        try:
            node.ratings.rate_bundle(bundle_id, int(score) if score.isdigit() else 0, visit.field("comment"))
        except (InvalidInput, IllegalTransition) as refused:  # the citizen's comment stays in the form
            return show_bundle(visit, refused)
        return RedirectResponse(f"/bundles/{quote(bundle_id)}?rated=1", status_code=303)

    @page(*AT_WINDOW, Duty.SUPERVISE)
    def bundle_receipt(visit: Visit) -> Response:
        """一件事收件回执 as PDF: what the bundle took in once, and where each part went."""
        documents: DocumentDesk = visit.request.app.state.documents
        return _pdf(documents.bundle_receipt(visit.request.path_params["bundle_id"]))

    return [
        Route("/items", item_list),
        Route("/items/{code}", item_guide),
        Route("/items/{code}/notice", item_notice),
        Route("/items/{code}/notice.pdf", notice_pdf),
        Route("/items/{code}/apply", apply_form, methods=["GET"]),
        Route("/items/{code}/apply", apply, methods=["POST"]),
        Route("/cases", case_list),
        Route("/queues", queue),
        Route("/cases/{case_id}", case_page),
        Route("/cases/{case_id}/timeline", case_timeline),
        Route("/cases/{case_id}/receipt", receipt),
        Route("/cases/{case_id}/events/{version:int}", event_print),
        Route("/cases/{case_id}/materials/{material_id:int}", material),
        Route("/cases/{case_id}/promise/signature", promise_signature),
        Route("/cases/{case_id}/act", act, methods=["POST"]),
        Route("/cases/{case_id}/supply", supply, methods=["POST"]),
        Route("/cases/{case_id}/rate", rate, methods=["POST"]),
        Route("/cases/{case_id}/result", result),
        Route("/cases/{case_id}/result/print", result_print),
        Route("/cases/{case_id}/documents/{kind}", case_document),
        Route("/bundles", bundle_list),
        Route("/bundles/{bundle_id}", bundle_page),
        Route("/bundles/{bundle_id}/receipt.pdf", bundle_receipt),
        Route("/bundles/{bundle_id}/rate", rate_bundle, methods=["POST"]),
    ]


# -- helpers ---------------------------------------------------------------------------------------


def _pdf(rendered: Rendered) -> Response:
    return Response(
        rendered.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(rendered.file_name)}"},
    )


def _find_items(visit: Visit, query: str) -> list[Any]:
    """Our catalogue's items, then the partner provinces' items open to applicants here (跨省通办)."""
    with node_of(visit).readers() as session:
        found: list[Any] = [item for item in catalog.items(session) if matches(item, query)]
        found.sort(key=lambda item: query.strip() not in item.name)  # the name itself first, then shortenings
        for item in found:
            session.expunge(item)
        views = [
            _partner_view(row, node_of(visit).names.province(row.province))
            for row in partners.partner_items(session)
        ]
        found += [view for view in views if matches(view, query)]
        return found


def _partner_view(row: PartnerItem, owner: str) -> SimpleNamespace:
    """A partner province's item as its offer describes it, shaped like one of ours for the pages;
    `partner` names the province, and its modes are the ones it opened to us; `elsewhere`, for an
    item no window here takes in (全程网办 only), says where it is applied for instead."""
    elements: dict[str, Any] = {
        "conditions": [],
        "materials": [],
        "fees": [],
        "bundle": None,
        "notify_promise": None,
        "instant": False,
        "promised_days": 0,
        "statutory_days": 0,
        "implementing_body": "",
        **row.item,
    }
    elements.update(
        code=row.code,
        name=row.name,
        department=row.department,
        handling_tier=row.handling_tier,
        partner=row.province,
        partner_modes={row.province: list(row.modes)},
        elsewhere=""
        if crossprovince.window_modes(row)
        else crossprovince.applied_in_its_province(row, owner or row.province),
    )
    return SimpleNamespace(**elements)


def _item_and_parts(visit: Visit) -> tuple[Any, list[ServiceItem]]:
    code = visit.request.path_params["code"]
    with node_of(visit).readers() as session:
        try:
            item = catalog.item(session, code)
        except NotFound:
            offered = partners.offered_item(session, code)
            if offered is None:
                raise
            return _partner_view(offered, node_of(visit).names.province(offered.province)), []
        parts = catalog.bundle_parts(session, item)
        for row in (item, *parts):
            session.expunge(row)
        return item, parts


def _modes(item: Any) -> list[str]:
    """The 跨省通办 modes the form offers: those a window here can take the item in with (an own
    item's 异地代收代办 is the partner's windows' to take in, and was offered here only to be refused)."""
    if getattr(item, "partner", ""):
        return [mode for mode in item.partner_modes[item.partner] if mode == catalog.PROXY]
    return crossprovince.own_window_modes(item)


def listed_state(text: str) -> State | None:
    """The state a case list is filtered by: 待送达 (办结 where the citizen applied, to hand out), a
    state's Chinese name (办结) or its English one (CONCLUDED); None for every state."""
    if not text:
        return None
    if text == TO_DELIVER:
        return State.CONCLUDED
    for state in State:
        if text in (state.label, state.value, state.value.lower()):
            return state
    choices = "、".join(label for value, label in LISTED_STATES if value)
    raise InvalidInput(f"没有“{text}”这一状态，可选：{choices} (unknown state {text!r})")


def _visible_case(visit: Visit) -> case_pb2.Case:
    """The case, if the person may see it (NotPermitted naming the department otherwise)."""
    return node_of(visit).cases.get(visit.request.path_params["case_id"], by=visit.person)


def _page_number(visit: Visit) -> int:
    """The page of the case list asked for (1, the newest, when none or nonsense is given)."""
    try:
        return min(max(1, int(visit.request.query_params.get("page", "1"))), _LAST_PAGE)
    except ValueError:
        return 1


def _sent(node: Node, case: case_pb2.Case) -> list[requests.SentRequest]:
    """What the applicant's point sent the case's handler, where it stands (none elsewhere)."""
    if case.origin != node.here.value or case.handler == node.here.value:
        return []
    return node.cases.sent_requests(case.id)


def _watched(case: case_pb2.Case, sent: list[requests.SentRequest], result_waits: bool) -> str:
    """What the live timeline redraws on: the case's version, its requests leaving this node or
    being answered, and its result getting its time-stamp (which change no version)."""
    answers = "".join(f"{r.left:d}{r.answered_at is not None:d}" for r in sent)
    return f"{case.version}.{answers}" + (".t" if result_waits else "")


def _result_waits(node: Node, case: case_pb2.Case) -> bool:
    """Concluded here, the sealed result still waits for the province's time-stamp."""
    concluded = case.state in (case_pb2.CONCLUDED, case_pb2.DELIVERED)
    return (
        concluded
        and not case.sealed_result
        and case.handler == node.here.value
        and node.cases.result_waits(case.id)
    )


def _case_extras(visit: Visit, case: case_pb2.Case) -> dict[str, Any]:
    node = node_of(visit)
    sent = _sent(node, case)
    result_waits = _result_waits(node, case)
    state = State(case_pb2.CaseState.Name(case.state))
    # 补正 files, 容缺 materials and the citizen's rating are all given where the citizen applied
    for_the_applicant = case.origin == node.here.value and may(visit.person, frozenset({Duty.ON_BEHALF}))
    with node.readers() as session:
        limit = deadlines.standing(session, case.id, china_date(node.clock.now()))
    actions = allowed_actions(node, visit.person, case, state, limit is not None and limit.paused)
    owed: list[str] = []
    if Action.APPROVE in actions:  # the rule the service applies when 办结(准予) is asked for
        with node.readers() as session:
            owed = [
                m.name
                for m in deferrals.holding_approval(session, case.id, case.item_code, case.catalog_version)
            ]
    extension_max = MAX_EXTENSION_DAYS
    if Action.EXTEND in actions:  # the form asks no more than the item's statutory limit allows
        with node.readers() as session:
            item = catalog.item_of_case(session, case.item_code, case.catalog_version)
            room = deadlines.extension_room(session, case.id, item.statutory_days if item else 0)
        extension_max = min(extension_max, room) if room else extension_max
    waiting = {r.action for r in sent if r.answered_at is None}
    item_materials = _item_material_names(node, case)
    requested = _last_event(case, Action.REQUEST_CORRECTION) if state is State.CORRECTION_REQUESTED else None
    asked = list(requested.correct_materials) if requested is not None else []
    rating, rectification = node.ratings.of_case(case.id)
    unrated = state in RATEABLE and for_the_applicant and rating is None
    same_applicant: dict[str, Any] = {}
    if state in OPEN_STATES:  # before a decision: the same person applying twice, or a number mistyped
        number, name = case.applicant.id_number, case.applicant.name
        with node.readers() as session:
            same_applicant = {
                "twice": submissions.same_item_in_progress(
                    session, id_number=number, item_code=case.item_code, besides=case.id
                ),
                "other_names": submissions.other_names_of(session, id_number=number, name=name),
            }
    return {
        "sent": sent,
        "watched": _watched(case, sent, result_waits),
        "result_waits": RESULT_WAITS if result_waits else "",
        "same_applicant": same_applicant,
        # a 特别程序 under way, told by the case's history (the applicant's point keeps no clock)
        "special_procedure": state in RULES[Action.SUSPEND].from_states
        and _last_of(case, (Action.SUSPEND, Action.RESUME)) is Action.SUSPEND,
        "limit": limit,
        "extension": _extension(case),
        "extension_max": extension_max,
        "extension_days": min(DEFAULT_EXTENSION_DAYS, extension_max),
        # a request (撤回) that still waits for its answer is not offered again: a second would be refused
        "actions": [
            action
            for action in actions
            if not (owed and action is Action.APPROVE) and action.value not in waiting
        ],
        "approval_waits": owed,
        "can_supply": state is State.CORRECTION_REQUESTED
        and for_the_applicant
        and Action.SUPPLEMENT.value not in waiting,
        "missing": [m for m in case.missing_materials if not m.supplied_at.seconds],
        "can_supply_missing": for_the_applicant,
        # a 一件事's part is rated with its bundle, once for the whole (一事一评), on the bundle's page
        "can_rate": unrated and not case.bundle_id,
        "rated_with_bundle": unrated and bool(case.bundle_id),
        "rating": rating,  # shown once given, with the 差评整改 it opened at the handler
        "rectification": rectification,
        # a 差评 rated here opens its 整改 at the handler, which tells it back here (until then: sent)
        "rectified_at_handler": rating is not None
        and rating.score in BAD_SCORES
        and case.handler != node.here.value,
        "scores": SCORE_LABELS,
        "final": state in (State.CONCLUDED, State.DELIVERED, State.REFUSED, State.WITHDRAWN, State.RETURNED),
        "item_materials": item_materials,
        # 补正材料: what the 补正告知 named first, then the item's other materials (still taken)
        "asked_to_correct": asked,
        "supply_names": [*asked, *(name for name in item_materials if name not in asked)],
        # 退件 ends the case: its reason is shown beside the state, where the citizen applied too
        "returned": _last_event(case, Action.RETURN) if state is State.RETURNED else None,
        "letters": LETTERS,
        "receipt_title": _receipt_title(node, visit.person, case),
        # a 两地联办 part's main case: a link where it is held here, its number as text where not
        "joint_main_here": _joint_main_here(node, case),
        # at the province: the partner province the case waits on cannot be reached
        "partner_down": unreachable_partner(node, case),
        # below: the point where the citizen applied is offline, and the news made here waits for it
        "news_held": news_held_below(node, case),
    }


def _joint_main_here(node: Node, case: case_pb2.Case) -> bool:
    """Whether the main case of a 两地联办 part is held here (the province that started the part);
    the partner's part handled here names a main case in the other province, which has no page here."""
    if not case.joint_of:
        return False
    with node.readers() as session:
        return session.get(CaseRow, case.joint_of) is not None


def _receipt_title(node: Node, person: Actor, case: case_pb2.Case) -> str:
    """What the case's receipt is called (受理回执 once the handler accepted it, 收件回执 before),
    where the citizen applied and the person may print it (as /cases/ID/receipt); empty elsewhere."""
    if case.origin != node.here.value or not may(person, frozenset(AT_WINDOW)):
        return ""
    accepted = any(event.action == case_pb2.ACCEPT for event in case.events)
    return kinds.TITLES["receipt"] if accepted else kinds.RECEIVED_TITLE


def allowed_actions(
    node: Node, actor: Actor, case: case_pb2.Case, state: State, clock_stopped: bool
) -> list[Action]:
    """The actions this person may take on the case here and now, by the state machine's rules
    (node/cases/states.py) and the role table (node/staff/roles.py); `clock_stopped`: its time limit
    here is stopped (a 特别程序 or a 补正 under way)."""
    instant = _is_instant(node, case)
    accepted = any(event.action == case_pb2.ACCEPT for event in case.events)  # 退件 only after 受理
    # 特别程序 begins only while the clock runs and ends only while it is stopped for one; a time
    # limit is extended once (node/cases/deadlines.py)
    not_now = {Action.SUSPEND if clock_stopped else Action.RESUME}
    if _last_of(case, (Action.EXTEND,)) is not None:
        not_now.add(Action.EXTEND)
    if case.joint_of:  # a 两地联办 part is withdrawn with its main case only (node/cases/crossprovince.py)
        not_now.add(Action.WITHDRAW)
    allowed = []
    for action, rule in RULES.items():
        if action in _OWN_FORMS or action in not_now:
            continue
        where = case.handler if rule.performer is Performer.HANDLER else case.origin
        if where != node.here.value:
            continue
        try:
            transition(state, action, accepted=accepted, instant=instant)
            actor.require(DUTY_OF[action], case.department)
        except (IllegalTransition, NotPermitted):
            continue
        allowed.append(action)
    return allowed


def _extension(case: case_pb2.Case) -> deadlines.Extension | None:
    """The case's approved 延期, read from its event as either copy holds it (the applicant's
    point learns the days from nothing else), so both pages say the same."""
    extended = _last_event(case, Action.EXTEND)
    return deadlines.extension_in(extended.note) if extended is not None else None


def _last_event(case: case_pb2.Case, action: Action) -> case_pb2.CaseEvent | None:
    """The latest event of the case taking action, if any."""
    wanted = case_pb2.CaseAction.Value(action.value)
    return next((e for e in reversed(case.events) if e.action == wanted), None)


def _last_of(case: case_pb2.Case, actions: tuple[Action, ...]) -> Action | None:
    """The latest of `actions` in the case's history, if any was taken."""
    names = {case_pb2.CaseAction.Value(action.value): action for action in actions}
    return next((names[e.action] for e in reversed(case.events) if e.action in names), None)


def _is_instant(node: Node, case: case_pb2.Case) -> bool:
    with node.readers() as session:  # as the case's release had it; a partner province's: not held
        item = catalog.item_of_case(session, case.item_code, case.catalog_version)
        return item is not None and item.instant


def _item_material_names(node: Node, case: case_pb2.Case) -> list[str]:
    with node.readers() as session:
        item = catalog.item_of_case(session, case.item_code, case.catalog_version)
        if item is None:  # a partner province's item
            return sorted({m.name for m in case.materials})
        return [str(m["name"]) for m in item.materials]


VIEWABLE = frozenset({"application/pdf", "text/plain", "image/png", "image/jpeg", "image/gif", "image/webp"})


# a downloaded signature's file name says what it is, so the PC opens it with the right program
_SUFFIXES = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/tiff": ".tif",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "application/ofd": ".ofd",
}


def _file(content: bytes, media_type: str, name: str) -> Response:
    """A file a window took in, shown in the browser if it is of a harmless type, else downloaded."""
    viewable = _viewable(media_type)
    headers = {
        "Content-Disposition": f"{'inline' if viewable else 'attachment'}; filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff",  # shown as the type declared, never sniffed as a page
    }
    if media_type != "application/pdf":  # chromium's PDF viewer does not open in a sandbox
        headers["Content-Security-Policy"] = "sandbox"  # an uploaded file never runs as this site
    return Response(content, media_type=media_type or "application/octet-stream", headers=headers)


def _viewable(media_type: str) -> bool:
    """Types a browser shows without running anything of the file's (no SVG, no HTML)."""
    return media_type in VIEWABLE
