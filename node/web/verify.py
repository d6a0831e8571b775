"""核验: anyone at the desk drops a sealed result or an electronic licence, or follows its QR code,
and reads holder, seal, chain, sealing time and revocation state in plain words.

The verdict is node/trust/sealcheck.py's `verify_offline` with this node's evidence (our roots,
partner provinces' anchors, every CRL and licence revocation known here) — the check of
`wuji seal verify --config` — plus, for a licence, what this node knows of it (node/trust/licences.py).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import segno
from starlette.datastructures import UploadFile
from starlette.responses import Response
from starlette.routing import Route

from node.documents.layout import masked_id
from node.errors import InvalidInput, NotFound
from node.timeutil import shanghai
from node.trust.names import place
from node.trust.sealcheck import failure_words, licence_identifier, node_evidence, verify_offline
from node.web.auth import Visit, page
from signing.seals import MAX_NESTING, nested_too_deep, read_json

if TYPE_CHECKING:
    from node.runtime.node import Node
    from signing.seals import SealCheck
    from wuji.v1 import case_pb2

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
REVOCATION_WORDS = {
    "revoked": "签章证书已被吊销",
    "not established": "无法确认证书状态",
    "not checked": "未检查",
}
LICENCE_WORDS = {"valid": "有效", "revoked": "已吊销", "expired": "已过期"}


@dataclass
class Verdict:
    valid: bool
    reason: str
    digest: str = ""
    holder: str = ""
    seal: str = ""
    sealed_at: str = ""
    chain: list[str] = field(default_factory=list)
    revocation: str = ""
    time: str = ""  # how the moment of sealing was established (time-stamp token or not)
    content: dict[str, Any] = field(default_factory=dict)
    summary: str = ""  # the content in a line: what the document is, of which item, for whom, decided how
    licence: dict[str, str] = field(default_factory=dict)


def masked(name: str) -> str:
    """王秀兰 → 王**: enough for the applicant to recognise their case, not for a stranger."""
    return name[:1] + "*" * max(len(name) - 1, 0)


def masked_phone(phone: str) -> str:
    """13812345678 → 138****5678."""
    value = phone.strip()
    return value if len(value) < 8 else value[:3] + "*" * (len(value) - 7) + value[-4:]


@dataclass(frozen=True)
class Masking:
    """What a page open to anyone must not spell out: the applicant's name, identity number and
    phone, wherever they appear in its words, as masked as on the printed documents."""

    names: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()

    @classmethod
    def of(cls, applicant: case_pb2.Applicant, content: dict[str, Any]) -> Masking:
        """The case's applicant, and whoever the sealed result's content names (its applicant, a
        licence's holder): the same person, but the page shows what the document says."""
        people = [content.get("applicant"), content.get("licence")]
        said = [person for person in people if isinstance(person, dict)]
        return cls(
            names=_present(applicant.name, *(str(p.get("name") or p.get("holder") or "") for p in said)),
            numbers=_present(
                applicant.id_number,
                *(str(p.get("id_number") or p.get("holder_id_number") or "") for p in said),
            ),
            phones=_present(applicant.phone),
        )

    def __call__(self, text: str) -> str:
        # longest first, so a number that contains another is masked whole
        for value in sorted(self.numbers, key=len, reverse=True):
            text = text.replace(value, masked_id(value))
        for value in sorted(self.phones, key=len, reverse=True):
            text = text.replace(value, masked_phone(value))
        for value in sorted(self.names, key=len, reverse=True):
            text = text.replace(value, masked(value))
        return text


def _present(*values: str) -> frozenset[str]:
    return frozenset(value.strip() for value in values if value.strip())


@dataclass(frozen=True)
class NotSealed:
    """A file dropped on the page that is no sealed document at all (a printout's PDF, a photo of
    the paper): nothing to judge, only what to do instead."""

    what: str  # what the file is, in words
    refused: bool = False  # no document of any kind (a 400), not a genuine paper's printout or photo


# what to do instead of uploading a file that is not sealed
CHECK_INSTEAD = (
    "核验纸质文书：请用手机扫描文书上的二维码，打开该办件的核验页。",
    "核验电子文件：请上传办理结果或电子证照的电子文件（文件名以 .sealed 结尾，可向办理窗口索取）。",
)
PDF_PRINTOUT = "这是一份 PDF 文件：办结通知书等文书的 PDF 是供打印的，本身不带电子印章，不能在这里核验真伪。"
IMAGE = "这是一张图片（照片或扫描件），不带电子印章，不能在这里核验真伪。"
# file signatures of the images a phone or a scanner makes
IMAGE_SIGNATURES = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",  # TIFF
    b"MM\x00*",
)
PACKAGE = "这是一个 OFD、Word 或压缩文件，不是本系统的电子签章文件（本系统的签章文件不是压缩包）。"
EMPTY = "这个文件是空的，不是电子签章文件。"
NESTED = (
    f"文件里的数据一层套一层，超过 {MAX_NESTING} 层，不是本系统的电子签章文件（签章文件只有几层），"
    "可能已损坏或是伪造的，不能在这里核验。"
)
OTHER = "这不是本系统的电子签章文件（签章文件是以 .sealed 结尾的电子文件），不能在这里核验。"


def not_sealed(data: bytes) -> NotSealed | None:
    """What a file is when it is plainly not a sealed document (a sealed document, electronic
    licence too, is a JSON object: signing/seals.py); None when it may be one, to be judged."""
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        return NotSealed(NESTED, refused=True) if nested_too_deep(text) else None
    if not text:
        return NotSealed(EMPTY)
    if b"%PDF-" in data[:1024]:  # a PDF's header may follow a little junk
        return NotSealed(PDF_PRINTOUT)
    if data.startswith(IMAGE_SIGNATURES) or _riff_or_box_image(data):
        return NotSealed(IMAGE)
    if data.startswith(b"PK\x03\x04"):  # OFD, docx and zip are all zip archives
        return NotSealed(PACKAGE)
    return NotSealed(OTHER)


def _riff_or_box_image(data: bytes) -> bool:
    """WebP (RIFF….WEBP) or HEIC/AVIF (….ftypheic), as phones save photos."""
    return (data[:4] == b"RIFF" and data[8:12] == b"WEBP") or (
        data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"avif")
    )


def describe(node: Node, data: bytes, applicant: case_pb2.Applicant | None = None) -> Verdict:
    """The verdict of `wuji seal verify --config` at this node (its roots, partner anchors, CRLs
    and revoked licences), in words for the desk. With the `applicant` of the case the page is
    open to anyone for, their name, number and phone are masked in every word of the verdict."""
    with node.readers() as session:
        evidence = node_evidence(session)
    check = verify_offline(data, node.trust_store(), evidence)
    if check.valid:
        headline = "有效：印章、证书链与内容均核验通过"
        if not check.revocation_checked:
            headline += "（未核验吊销状态：本节点和文件中均无签章证书签发机构在签章以后签发的吊销列表）"
    else:
        headline = f"无效：{failure_words(check)}"
    verdict = Verdict(check.valid, headline)
    verdict.revocation = REVOCATION_WORDS.get(check.revocation, check.revocation)
    if check.revocation_lists:
        issuers = "、".join(_issuer(check, code) for code in check.revocation_lists)
        verdict.revocation = f"签章时证书未被吊销（依据 {issuers} 的吊销列表）"
    elif check.older_list_issued is not None:
        issued = shanghai(check.older_list_issued)
        verdict.revocation = (
            f"未能核验：本节点所存签章证书签发机构的最新吊销列表签发于 {issued}（北京时间），早于签章时间"
        )
    elif check.revocation.startswith("无吊销数据"):
        verdict.revocation = "本节点无吊销数据，未核验"
    if check.revoked_since is not None:  # after the seal was made: valid as made, never again
        revoked = shanghai(check.revoked_since, seconds=True)
        verdict.revocation += f"；该印章证书已于 {revoked}（北京时间）吊销，本文件盖章在吊销之前，仍然有效"
    if check.seal is not None:
        seal = check.seal
        verdict.holder = holder_words(seal.holder, seal.holder_code, seal.department, seal.kind)
        verdict.seal = (
            f"{seal.kind} {seal.seal_id}，有效期 {shanghai(seal.valid_from)} 至 {shanghai(seal.valid_to)}"
        )
    if check.attested_time is not None:
        verdict.sealed_at = f"{shanghai(check.attested_time, seconds=True)}（北京时间，时间戳服务证明）"
    elif check.signing_time is not None:
        verdict.sealed_at = f"{shanghai(check.signing_time, seconds=True)}（北京时间，签章方自述，无时间戳）"
    verdict.time = _time_basis(node, check)
    verdict.chain = list(check.chain)
    raw = _raw(data)
    verdict.digest = str(raw.get("digest", {}).get("value", "")) if raw else ""
    if check.seal is not None and raw:
        try:
            content = read_json(base64.b64decode(raw["content"]))
        except (ValueError, KeyError, TypeError):
            content = {}
        verdict.content = content if isinstance(content, dict) else {}
    verdict.summary = _summary(verdict.content)
    identifier = licence_identifier(data)
    if identifier:
        with node.readers() as session:
            status = node.licences.status(session, identifier)
        state = LICENCE_WORDS.get(status.state, status.state)
        if status.state == "unknown here":  # issued elsewhere: say by whom, not "no record"
            state = issued_elsewhere(node, verdict.content, check.valid)
        verdict.licence = {
            "identifier": status.identifier,
            "state": state,
            "revoked_at": shanghai(datetime.fromisoformat(status.revoked_at)) if status.revoked_at else "",
            "reason": status.reason,
        }
    if applicant is not None:
        _mask(verdict, Masking.of(applicant, verdict.content))
    return verdict


def issued_elsewhere(node: Node, content: dict[str, Any], sealed_valid: bool) -> str:
    """A licence another node issued, in words a citizen reads right: only its issuer keeps its
    record, and every node hears of a revocation, so "本节点无此证照的记录" (read as "no such
    licence") said less than the page knows — who issued it, and that its seal holds."""
    licence = content.get("licence")
    code = str(licence.get("issuer_node", "")) if isinstance(licence, dict) else ""
    holder = str(content.get("handler_name") or "")
    issuer = (f"{holder}（{code}）" if holder and code not in holder else holder) or node.names.place(code)
    if not sealed_valid or not issuer:
        return "非本节点颁发：本节点不保存此证照的记录，请向颁发机关核实"
    revoked = "本节点未收到该证照被吊销的通知（最新状态以颁发机关的记录为准）"
    return f"由{issuer}颁发，电子印章核验有效；{revoked}"


def _summary(content: dict[str, Any]) -> str:
    """办件结果：社会保障卡申领，申请人 王秀兰，结论 准予 — not the decision's own words, which the
    applicant's paper carries (free text, that may say more of the person than their name)."""
    if not content:
        return ""
    applicant = content.get("applicant")
    name = str(applicant.get("name", "")) if isinstance(applicant, dict) else ""
    line = f"{content.get('document', '')}：{content.get('item_name', '')}，申请人 {name}"
    outcome = str(content.get("outcome") or "")
    return f"{line}，结论 {outcome}" if outcome else line


def _mask(verdict: Verdict, masking: Masking) -> None:
    """Everything of the verdict a page shows in words, masked; the content itself is not shown."""
    verdict.reason, verdict.summary = masking(verdict.reason), masking(verdict.summary)
    verdict.licence = {key: masking(value) for key, value in verdict.licence.items()}
    verdict.content = {}


OFFICE_SEAL = "公章"  # an office's own seal, as `wuji seal create` kinds it


def holder_words(holder: str, code: str, department: str, kind: str) -> str:
    """沅江市民政局（430981000000）: the code and department said once, not again when the holder's
    name already says them (a seal's holder is usually named after its department). A 公章 is the
    holder's own seal: its department (政务服务中心 for every office's in the demo) is not added, or
    a township's read "琼湖街道便民服务中心（430981006000） 政务服务中心" where the county's had none."""
    named = holder if code in holder else f"{holder}（{code}）"
    return named if department in holder or kind == OFFICE_SEAL else f"{named} {department}"


def _issuer(check: SealCheck, code: str) -> str:
    """A CA on the document's chain as its certificate names it: 沅江市政务服务中心（430981000000）.
    The chain says it, so a node of another province names it too."""
    for entry in check.chain[1:]:  # the CAs; the sealing certificate may bear its CA's code
        found, _, name = entry.partition(" ")
        if found == code:
            return place(code, "" if name == code else name)
    return code


def _time_basis(node: Node, check: SealCheck) -> str:
    """How the sealing time was established, in words (the check's own line is bilingual)."""
    if check.attested_by:
        return f"经 {node.names.place(check.attested_by)} 的时间戳服务证明"
    if check.judged_at is not None:
        return "无时间戳：按核验时的时间判定"
    return "未核验"


def _raw(data: bytes) -> dict[str, Any]:
    try:
        raw = read_json(data)
    except (UnicodeDecodeError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def verify_link(node: Node, case_id: str) -> str:
    """Where a QR code leads: this node's 核验 page for the case — the address the printed documents
    (node/documents/) carry, at the port the desk really listens on when no public_url is set."""
    if node.config.public_url or node.web is None:
        return node.config.verify_url(case_id)
    return f"{node.web.url.rstrip('/')}/verify/{quote(case_id)}"


def qr_svg(link: str) -> str:
    return str(segno.make(link, error="m").svg_inline(scale=3, title="核验二维码"))


def routes(render: Callable[..., Response]) -> list[Route]:
    @page(public=True)
    def verify_form(visit: Visit) -> Response:
        return render(visit, "verify.html", verdict=None, name="")

    @page(public=True)
    def verify_upload(visit: Visit) -> Response:
        upload = visit.form.get("document") if visit.form is not None else None
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("请选择要核验的文件 (choose a sealed result or licence file)")
        data = upload.file.read(MAX_DOCUMENT_BYTES + 1)
        if len(data) > MAX_DOCUMENT_BYTES:
            raise InvalidInput("文件过大，不是本系统的签章文件 (file too large)")
        plain = not_sealed(data)
        if plain is not None:  # a printout or a photo: no verdict, what to do instead
            return render(
                visit,
                "verify.html",
                status_code=400 if plain.refused else 200,
                verdict=None,
                name=upload.filename,
                plain=plain,
                instead=CHECK_INSTEAD,
            )
        verdict = describe(visit.request.app.state.node, data)
        return render(visit, "verify.html", verdict=verdict, name=upload.filename)

    @page(public=True)
    def verify_case(visit: Visit) -> Response:
        """The QR code's target: the case's progress as this node knows it and, once concluded, the
        verdict on its sealed result (a 一件事's: each part's progress, kept where it was applied for).
        Nothing personal beyond the applicant's masked name: anyone
        holding a paper (a receipt found in the street) comes here. Only by the whole case id: the
        staff's unique beginnings would let a stranger walk the cases of a day by their ids' time."""
        node: Node = visit.request.app.state.node
        asked = str(visit.request.path_params["case_id"]).strip().upper()
        if "-B" in asked and node.bundles.bundle_of(asked) == asked:  # a 一件事收件回执's code: its parts
            shown = node.bundles.get(asked)
            return render(visit, "verify.html", verdict=None, name=f"一件事 {asked}", bundle=shown)
        try:
            case = node.cases.get(asked)
        except (NotFound, InvalidInput):
            case = None
        if case is None or case.id != asked:  # the whole id, as the QR code has it: never a beginning
            bundle = "-B" in asked  # a 一件事's number, not kept here: each part's receipt has its own code
            where = "各事项回执上的二维码，或到收件的服务点查询" if bundle else "回执上的二维码或办件编号"
            message = f"本节点没有办件 {asked[:64]}：请核对{where} (no such case at this node)"
            return render(visit, "error.html", status_code=404, heading="查无此件", refusal=message)
        verdict = describe(node, case.sealed_result, case.applicant) if case.sealed_result else None
        return render(visit, "verify.html", verdict=verdict, name=f"办件 {case.id}", case=case)

    return [
        Route("/verify", verify_form, methods=["GET"]),
        Route("/verify", verify_upload, methods=["POST"]),
        Route("/verify/{case_id}", verify_case),
    ]
