"""`wuji doc …`: print a document (文书) as a PDF file, rendered by the node's desk."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from node.cli.common import ConfigPath, NodeAddress, ask, console, fail

doc_app = typer.Typer(help="文书: printable documents (PDF) of an item or a case.", no_args_is_help=True)

Out = Annotated[
    Path | None, typer.Option("--out", "-o", help="the PDF file to write (default: its title and id)")
]
CaseId = Annotated[str, typer.Argument(help="the case (any unique beginning of its id)")]
Event = Annotated[
    int,
    typer.Option(
        "--event",
        min=0,
        help="the event (its number in `wuji case show`) whose letter it is; default the latest",
    ),
]


def _write(
    kind: str,
    out: Path | None,
    config: Path,
    node: str,
    item_code: str = "",
    case_id: str = "",
    event: int = 0,
) -> None:
    rendered = ask(config, node, lambda desk: desk.render_document(kind, item_code, case_id, event))
    target = out or Path(rendered.file_name)
    try:
        target.write_bytes(rendered.pdf)
    except OSError as error:
        fail(f"cannot write {target}: {error}")
    console.print(f"已生成{rendered.title}：{target}（{len(rendered.pdf):,} 字节）", highlight=False)
    if rendered.verify_url:
        console.print(f"核验地址：{rendered.verify_url}", highlight=False)


@doc_app.command("notice")
def doc_notice(
    item: Annotated[str, typer.Argument(help="item code, e.g. MZ-0001 (see `wuji catalog list`)")],
    out: Out = None,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """一次性告知书: conditions, every material, time limit, fees, where, how many visits."""
    _write("notice", out, config, node, item_code=item)


@doc_app.command("receipt")
def doc_receipt(case_id: CaseId, out: Out = None, config: ConfigPath = Path("node.toml"),
                node: NodeAddress = "") -> None:  # fmt: skip
    """受理回执: the case id, what was received, the promised date and a QR code to verify it."""
    _write("receipt", out, config, node, case_id=case_id)


@doc_app.command("correction")
def doc_correction(case_id: CaseId, out: Out = None, event: Event = 0, config: ConfigPath = Path("node.toml"),
                   node: NodeAddress = "") -> None:  # fmt: skip
    """补正告知书: what the applicant is to correct, told once."""
    _write("correction", out, config, node, case_id=case_id, event=event)


@doc_app.command("refusal")
def doc_refusal(case_id: CaseId, out: Out = None, event: Event = 0, config: ConfigPath = Path("node.toml"),
                node: NodeAddress = "") -> None:  # fmt: skip
    """不予受理决定书: the decision not to accept, with its reason and the applicant's remedies."""
    _write("refusal", out, config, node, case_id=case_id, event=event)


@doc_app.command("returned")
def doc_returned(case_id: CaseId, out: Out = None, event: Event = 0, config: ConfigPath = Path("node.toml"),
                 node: NodeAddress = "") -> None:  # fmt: skip
    """退件通知书: a case ended after 受理, with its reason and the applicant's remedies."""
    _write("returned", out, config, node, case_id=case_id, event=event)


@doc_app.command("extension")
def doc_extension(case_id: CaseId, out: Out = None, event: Event = 0, config: ConfigPath = Path("node.toml"),
                  node: NodeAddress = "") -> None:  # fmt: skip
    """延长办理期限告知书: the days an approved 延期 adds, its reason and the new last day."""
    _write("extension", out, config, node, case_id=case_id, event=event)


@doc_app.command("suspension")
def doc_suspension(case_id: CaseId, out: Out = None, event: Event = 0, config: ConfigPath = Path("node.toml"),
                   node: NodeAddress = "") -> None:  # fmt: skip
    """特别程序告知书: the 特别程序 (hearing, testing, expert review) and its time, not counted."""
    _write("suspension", out, config, node, case_id=case_id, event=event)


@doc_app.command("result")
def doc_result(case_id: CaseId, out: Out = None, config: ConfigPath = Path("node.toml"),
               node: NodeAddress = "") -> None:  # fmt: skip
    """办结通知书: the outcome, with the seal's holder and time and a QR code to verify it."""
    _write("result", out, config, node, case_id=case_id)


@doc_app.command("bundle")
def doc_bundle(
    bundle_id: Annotated[str, typer.Argument(help="the 一件事 (its id, or the case id of one of its parts)")],
    out: Out = None,
    config: ConfigPath = Path("node.toml"),
    node: NodeAddress = "",
) -> None:
    """一件事收件回执: the materials taken in once, 容缺, and each part's office and time limit."""
    _write("bundle", out, config, node, case_id=bundle_id)
