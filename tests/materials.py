"""Complete sets of materials for the demo catalogues' items, as a window would take them."""

from __future__ import annotations

import io
import zipfile
from functools import cache

from PIL import Image

from node.cases.materials import Material
from node.catalogue import items as catalog
from wuji.v1 import case_pb2


@cache
def _listed(item_code: str) -> tuple[tuple[str, bool], ...]:
    for province in ("430000000000", "440000000000"):
        for item in catalog.load_document(catalog.demo_catalog_path(province)).items:
            if item["code"] == item_code:
                return tuple((str(m["name"]), bool(m.get("required", True))) for m in item["materials"])
    return ()


def required_names(item_code: str, leave_out: tuple[str, ...] = ()) -> list[str]:
    return [name for name, required in _listed(item_code) if required and name not in leave_out]


def complete(item_code: str, leave_out: tuple[str, ...] = ()) -> list[Material]:
    """A PDF-like file for every required material of the item (but those left out)."""
    return [
        Material(name, f"%PDF-1.4 {name}".encode(), file_name=f"{name}.pdf", media_type="application/pdf")
        for name in required_names(item_code, leave_out)
    ]


def complete_proto(item_code: str, leave_out: tuple[str, ...] = ()) -> list[case_pb2.Material]:
    return [
        case_pb2.Material(name=m.name, content=m.content, file_name=m.file_name, media_type=m.media_type)
        for m in complete(item_code, leave_out)
    ]


# files a window must not take, whatever they are named (their bytes say what they are)
EXECUTABLE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
    + bytes(48)
    + b"This program cannot be run in DOS mode"
)
BATCH = b"@echo off\r\nformat c: /q /y\r\n"


def zipped(names: list[str]) -> bytes:
    """A zip holding files of those names (with OFD.xml at its root, an OFD document)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<xml/>")
    return buffer.getvalue()


def photo() -> bytes:
    """A real JPEG, as a window's camera takes one."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "JPEG")
    return buffer.getvalue()
