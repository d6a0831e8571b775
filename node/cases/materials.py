"""Materials (申请材料): what a window takes for a case, checked against the item's list.

At 申请 every required material of the item is given as a file, deferred under 容缺 (where the
item marks it deferrable), replaced by the applicant's promise (告知承诺, where the item allows it),
or stood in for by the holder's electronic licence (无证明); otherwise the submission is refused
naming what is missing. Each file keeps its name, file name, media type, size and SHA-256, and no
file is larger than the item allows. A file taken here must be a scan or photo, or for 无证明 a sealed
document, judged by its bytes (node/cases/filekinds.py); its media type is the one its bytes show.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from node.cases import filekinds
from node.catalogue.items import DEFAULT_MAX_MATERIAL_MB
from node.convert import material_to_proto
from node.errors import InvalidInput, clean_text
from node.store.models import CaseMaterial, ServiceItem
from wuji.v1 import case_pb2

SUBMITTED, CORRECTION, SUPPLIED = "submitted", "correction", "supplied"


@dataclass(frozen=True)
class Material:
    name: str  # the item's material it stands for
    content: bytes
    sha256: str = ""  # optional on input; checked when given
    file_name: str = ""
    media_type: str = ""
    licence: str = ""  # 无证明: the electronic licence identifier; content is its sealed document


def from_proto(message: case_pb2.Material) -> Material:
    return Material(
        name=message.name,
        content=message.content,
        sha256=message.sha256,
        file_name=message.file_name,
        media_type=message.media_type,
        licence=message.licence,
    )


def checked_material(material: Material, *, arrived: bool = False) -> Material:
    """Clean names, a digest that matches the bytes, and a file a window takes: its media type the one
    its bytes show. arrived: a copy another node took in (judged there; a case on its way is not turned
    back at the next tier for a rule it met where it was taken in), its media type kept as sent."""
    name = clean_text("material name", material.name, 200, required=True)
    digest = hashlib.sha256(material.content).hexdigest()
    if material.sha256 and material.sha256.lower() != digest:
        raise InvalidInput(f"material {name!r}: sha256 {material.sha256} does not match its bytes ({digest})")
    # a client may send the whole path on the agent's PC (/home/<name>/身份证.pdf, C:\Users\<name>\…):
    # the case keeps the file's own name, not the folders of the person who sent it
    file_name = clean_text(f"file name of {name}", re.split(r"[\\/]", material.file_name)[-1], 255)
    media_type = clean_text(f"media type of {name}", material.media_type, 100)
    licence = clean_text(f"licence of {name}", material.licence, 160)
    if not arrived:
        media_type = _judged_type(name, file_name, material.content, licence)
    elif not media_type:
        media_type = filekinds.scan_type(material.content) or "application/octet-stream"
    return replace(
        material, name=name, sha256=digest, file_name=file_name, media_type=media_type, licence=licence
    )


def _judged_type(name: str, file_name: str, content: bytes, licence: str) -> str:
    """The media type of a file taken here, by its bytes; InvalidInput for a file a window does not take."""
    shown = f"文件 {file_name} " if file_name else "所给文件"
    if licence:
        if filekinds.is_sealed_document(content):
            return filekinds.SEALED_MEDIA_TYPE
        what = filekinds.described(content, file_name)
        raise InvalidInput(
            f"{name}：{shown}是{what}，不是电子证照 {licence} 的文件（*.sealed） "
            f"(an electronic licence is given as its sealed document)"
        )
    judged = filekinds.scan_type(content)
    if judged is not None:
        return judged
    if not content:
        return "application/octet-stream"  # check_sizes refuses it, saying it is empty
    what = filekinds.described(content, file_name)
    raise InvalidInput(
        f"{name}：{shown}是{what}，不能作为申请材料；请上传扫描件或照片（{filekinds.ACCEPTED_WORDS}） "
        f"(only scans and photos are taken, judged by the file's content: "
        f"PDF, JPEG, PNG, OFD, TIFF, BMP, GIF, WebP)"
    )


def served(row: CaseMaterial, origin: str) -> case_pb2.Material:
    """A stored material's file to open or download, typed by its bytes. A copy another node sent is
    stored as it came (the point that took it in judged it), so an older or rogue point could have
    sent a program under a scan's name and type: such a file is not handed to anyone's PC."""
    found = material_to_proto(row, with_content=True)
    if filekinds.is_sealed_document(row.content):
        found.media_type = filekinds.SEALED_MEDIA_TYPE
        return found
    judged = filekinds.scan_type(row.content)
    if judged is None:
        shown = f"文件 {row.file_name} " if row.file_name else "该文件"
        what = filekinds.described(row.content, row.file_name or "")
        raise InvalidInput(
            f"{row.name}：{shown}是{what}，不是扫描件或照片，"
            f"本节点不提供打开或下载；请申请地 {origin} 以补正重新收取该材料 "
            f"(material {row.id} is no scan or photo by its bytes: not served)"
        )
    found.media_type = judged
    return found


def limit_bytes(item: ServiceItem | None) -> int:
    megabytes = (item.max_material_mb if item is not None else None) or DEFAULT_MAX_MATERIAL_MB
    return megabytes * 1024 * 1024


def check_sizes(item: ServiceItem | None, materials: Iterable[Material]) -> None:
    limit = limit_bytes(item)
    for material in materials:
        if len(material.content) > limit:
            raise InvalidInput(
                f"材料 {material.name} ({material.file_name or '文件'}) 大小 {len(material.content):,} 字节，"
                f"超过本事项上限 {limit // (1024 * 1024)} MB (file too large)"
            )
        if not material.content:
            raise InvalidInput(f"材料 {material.name} 是空文件 (the file is empty)")


def check_complete(
    item: ServiceItem, given: Sequence[Material], deferred: Iterable[str] = (), promised: Iterable[str] = ()
) -> None:
    """InvalidInput naming every required material that is neither given, deferred nor promised,
    and every given file the item does not list."""
    listed = {str(m["name"]): m for m in item.materials}
    unknown = sorted({m.name for m in given} - set(listed))
    if unknown:
        raise InvalidInput(
            f"{item.name}（{item.code}）不需要材料 {'、'.join(unknown)}；本事项的申请材料是："
            f"{'、'.join(listed)} (not a material of the item)"
        )
    for material in given:
        if material.licence and not listed[material.name].get("e_licence", False):
            raise InvalidInput(
                f"材料 {material.name} 不接受电子证照代替 (no electronic licence accepted for it)"
            )
    covered = {m.name for m in given} | set(deferred) | set(promised)
    missing = [name for name, spec in listed.items() if spec.get("required", True) and name not in covered]
    if missing:
        raise InvalidInput(
            f"材料不齐，不能申请 {item.name}: 缺少 {'、'.join(missing)} "
            f"(missing required materials; give each as a file, or defer it under 容缺 where allowed)"
        )


def check_corrections(
    item: ServiceItem | None, given: Sequence[Material], held: Iterable[str], asked: str = ""
) -> None:
    """InvalidInput for a 补正 file standing for no material of the item (of an item not held here,
    a partner province's, none the case `held` already): taken under any name, it ended the 补正
    while the material asked for never came. asked: the 补正告知's words, repeated in the refusal."""
    listed = [str(m["name"]) for m in item.materials] if item is not None else sorted(set(held))
    unknown = sorted({m.name for m in given} - set(listed))
    if unknown:
        what = f"{item.name}（{item.code}）" if item is not None else "本事项"
        told = f"；补正告知：{asked}" if asked else ""
        raise InvalidInput(
            f"{what}没有材料 {'、'.join(unknown)}，补正只收本事项的申请材料：{'、'.join(listed)}{told} "
            "(a correction supplies materials of the item)"
        )


def correction_names(names: Iterable[str]) -> list[str]:
    """A 补正告知's materials to correct as typed or sent: each trimmed, one line, once, in order."""
    cleaned = (clean_text("material name", name, 200, single_line=True) for name in names)
    return list(dict.fromkeys(name for name in cleaned if name))


def check_correction_names(item: ServiceItem | None, names: Sequence[str]) -> None:
    """InvalidInput for a material to correct that the item does not list: the village would be
    told to bring a file its form cannot take. Names the materials that may be asked for."""
    if not names:
        return
    if item is None:
        raise InvalidInput(
            "本节点目录中没有该办件的事项，无法核对补正材料名称：请只在告知内容中写明需补正的材料 "
            "(the case's item is not in this node's catalogue, so no material can be named)"
        )
    listed = [str(m["name"]) for m in item.materials]
    unknown = [name for name in names if name not in listed]
    if unknown:
        raise InvalidInput(
            f"{item.name}（{item.code}）没有材料 {'、'.join(unknown)}，补正告知只能勾选本事项的申请材料："
            f"{'、'.join(listed)} (a correction names materials of the item)"
        )


def stored(material: Material, purpose: str) -> CaseMaterial:
    return CaseMaterial(**stored_row(material, purpose))


def stored_row(material: Material, purpose: str) -> dict[str, Any]:
    """The case_material columns of a checked material, but its case_id (and id)."""
    return {
        "name": material.name,
        "sha256": material.sha256,
        "content": material.content,
        "file_name": material.file_name or None,
        "media_type": material.media_type or None,
        "size": len(material.content),
        "licence": material.licence or None,
        "purpose": purpose,
    }
