"""`wuji seal verify`: which roots and revocation data to trust, and the verdict in plain words.

With `--config` the command uses what the node itself knows: its roots and its partner provinces'
anchors, every revocation list it holds, and the licence revocations that reached it. Without
any revocation data the verdict says so rather than a plain VALID, and `--require-revocation`
makes that a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from cryptography import x509
from rich.cells import cell_len
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from node.config import NodeConfig
from node.store.models import LicenceRevocation
from node.timeutil import in_beijing_time, shanghai
from node.trust import partners
from node.trust.certificates import known_crls
from node.workdays import china_date
from signing.seals import Problem, SealCheck, SealedDocument, SealError, read_json
from signing.seals import verify as verify_sealed
from signing.trust import TrustStore

STEP_LICENCE = "证照 licence"
# what a failed check means, told to whoever relies on the document (the 核验 page): the step and
# the signing layer's reason follow in brackets for operators, as `wuji seal verify` shows them
PROBLEM_WORDS: dict[Problem, str] = {
    Problem.MALFORMED: "文件已损坏或不完整，不能作为电子签章文件核验",
    Problem.ALTERED: "文件内容在盖章后被改动过，与电子印章的签名不符",
    Problem.UNTRUSTED: "盖章所用的证书不能追溯到本节点信任的签发机构，无法确认是谁盖的章"
    "（可能是伪造的印章，或来自本节点未互认的省份）",
    Problem.REVOKED: "盖章所用的证书在盖章时已被吊销",
    Problem.CERTIFICATE_EXPIRED: "盖章所用的证书在盖章时不在有效期内（已过期或尚未生效）",
    Problem.SEAL_EXPIRED: "电子印章在盖章时不在有效期内",
    Problem.SEAL_MISMATCH: "电子印章所载的单位与盖章所用的证书不符",
    Problem.TIMESTAMP: "时间戳无效，不能证明盖章的时间",
    Problem.BACKDATED: "文件所载的盖章时间与时间戳证明的时间不符（疑似倒签）",
    Problem.NOT_ATTESTED: "盖章时间未经时间戳证明",
    Problem.REVOCATION_UNKNOWN: "无法确认盖章所用的证书在盖章时未被吊销",
    Problem.LICENCE_REVOKED: "此电子证照已被颁发机关吊销",
}


@dataclass
class NodeEvidence:
    """What a node knows that bears on a seal: partner anchors, CRLs, revoked licences."""

    anchors: list[x509.Certificate] = field(default_factory=list)
    crls: list[x509.CertificateRevocationList] = field(default_factory=list)
    revoked_licences: dict[str, str] = field(default_factory=dict)  # identifier -> why, when, by whom


def node_evidence(session: Session) -> NodeEvidence:
    revoked = {
        row.identifier: f"revoked {china_date(row.revoked_at)} by {row.issuer_node}: {row.reason}"
        for row in session.scalars(select(LicenceRevocation))
    }
    return NodeEvidence(partners.anchors(session), known_crls(session), revoked)


def load_trust(trust: Path | None, config: Path | None, evidence: NodeEvidence | None = None) -> TrustStore:
    """Roots from a PEM file or a folder of *.pem (--trust), or the node's own (--config), with the
    node's anchors and CRLs when `evidence` is given."""
    if trust is None and config is None:
        raise ValueError("say whom to trust: --trust ROOTS.pem (or a folder of them) or --config node.toml")
    roots: list[x509.Certificate] = []
    if trust is not None:
        files = sorted(trust.glob("*.pem")) if trust.is_dir() else [trust]
        for path in files:
            roots.extend(x509.load_pem_x509_certificates(path.read_bytes()))
    if config is not None:
        node = NodeConfig.load(config)
        roots.extend(x509.load_pem_x509_certificates((node.pki_folder(config) / "root.pem").read_bytes()))
        seal_root = node.pki_folder(config) / "seal-root.pem"  # a province that seals with SM2
        if seal_root.exists() and seal_root.read_bytes().strip():
            roots.extend(x509.load_pem_x509_certificates(seal_root.read_bytes()))
    if not roots:
        raise ValueError(f"no certificates found in {trust}")
    if evidence is None:
        return TrustStore(roots)
    return TrustStore([*roots, *evidence.anchors], evidence.crls)


def verify_offline(
    data: bytes,
    trust: TrustStore,
    evidence: NodeEvidence | None = None,
    *,
    require_revocation: bool = False,
    require_timestamp: bool = False,
) -> SealCheck:
    """The seal's verdict, then, for an electronic licence, whether the node knows it revoked."""
    check = verify_sealed(
        data, trust, require_revocation=require_revocation, require_timestamp=require_timestamp
    )
    if not check.valid or evidence is None:
        return check
    identifier = licence_identifier(data)
    if identifier and identifier in evidence.revoked_licences:
        return replace(
            check,
            valid=False,
            step=STEP_LICENCE,
            problem=Problem.LICENCE_REVOKED,
            reason=f"证照已吊销 licence {identifier} {evidence.revoked_licences[identifier]}",
        )
    return check


def failure_words(check: SealCheck) -> str:
    """Why a document is not valid, in Chinese first, then the check's own step and reason (its
    instants in Beijing time) in brackets: 文件内容在盖章后被改动过，与电子印章的签名不符 (签名
    signature: the signature does not match the document (altered after sealing?))."""
    detail = in_beijing_time(check.reason)
    said = f"{check.step}: {detail}" if check.step else detail
    words = PROBLEM_WORDS.get(check.problem) if check.problem is not None else None
    return f"{words} ({said})" if words else said


def licence_identifier(data: bytes) -> str:
    """The identifier of the electronic licence a sealed document carries ("" if none)."""
    try:
        body = read_json(SealedDocument.from_bytes(data).content)
        return str(body["licence"]["identifier"]).strip() if isinstance(body, dict) else ""
    except (SealError, ValueError, KeyError, TypeError):
        return ""


def describe_check(console: Console, document: Path, check: SealCheck) -> None:
    if not check.valid:
        verdict = "[bold red]NOT VALID 无效[/]"
    elif check.revocation_checked:
        verdict = "[bold green]VALID 有效[/]"
    else:
        verdict = (
            "[bold yellow]VALID 有效, but revocation not checked (no list of the seal certificate's CA "
            "issued since the time judged) 未核验吊销状态[/]"
        )
    if check.valid and check.revoked_since is not None:
        revoked = shanghai(check.revoked_since, seconds=True)
        verdict += f" [yellow](签章时有效；印章证书已于 {revoked}（北京时间）吊销 revoked since)[/]"
    console.print(f"{document}: {verdict}")
    if not check.valid:
        words = PROBLEM_WORDS.get(check.problem) if check.problem is not None else None
        if words:  # what it means for the paper in hand, before the check's own words
            _line(console, "meaning", words)
        _line(console, "failed", check.step)
        _line(console, "reason", in_beijing_time(check.reason))
    if check.seal is not None:
        seal = check.seal
        _line(console, "holder", f"{seal.holder} ({seal.holder_code}), {seal.department}")
        _line(console, "seal", f"{seal.kind} {seal.seal_id}")
        _line(console, "validity", f"{shanghai(seal.valid_from)} – {shanghai(seal.valid_to)}（北京时间）")
    if check.signing_time is not None:
        when = shanghai(check.signing_time, seconds=True)
        _line(console, "signed at", f"{when} ({check.algorithm}), 签章方自述 as the sealer says")
    if check.attested_time is not None:
        _line(console, "attested", shanghai(check.attested_time, seconds=True))
    _line(console, "time", check.time)
    if check.chain:
        _line(console, "chain", " ← ".join(check.chain))
    _line(console, "revocation", revocation_words(check))


# each line of a verdict, labelled in Chinese and English (the labels a script may look for)
_LABELS = {
    "meaning": "结论",
    "failed": "未通过",
    "reason": "原因",
    "holder": "持章单位",
    "seal": "印章",
    "validity": "有效期",
    "signed at": "签章时间",
    "attested": "时间戳",
    "time": "时间依据",
    "chain": "证书链",
    "revocation": "吊销状态",
}
_LABEL_CELLS = max(cell_len(f"{chinese} {key}:") for key, chinese in _LABELS.items()) + 1


def _line(console: Console, key: str, value: str) -> None:
    label = f"{_LABELS[key]} {key}:"
    console.print(f"  {label}{' ' * (_LABEL_CELLS - cell_len(label))}{value}", highlight=False)


def revocation_words(check: SealCheck) -> str:
    """The revocation finding with its times in Beijing time (the check words them in UTC)."""
    return in_beijing_time(check.revocation, marked=False)
