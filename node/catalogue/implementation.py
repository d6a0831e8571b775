"""This tier's implementation list (实施清单): the items it claims (认领) and their local fields.

Every element of an item comes from the province's release and is the same at all five tiers
(五级N同). Below the province a tier may only add local fields: window address, phone, opening
hours and local notes. Asking to set anything else is refused and names what may be set.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.catalogue import items as catalog
from node.catalogue.items import BASIC_ELEMENTS, ELEMENT_NAMES, ELEMENTS
from node.errors import InvalidInput, WrongNode, clean_text
from node.store.models import ItemClaim
from node.timeutil import utcnow
from wuji.divisions import DivisionCode
from wuji.v1 import desk_pb2

LOCAL_FIELDS = {"window_address": 200, "phone": 50, "opening_hours": 200, "local_notes": 2000}
# as the printed 一次性告知书 names them
LOCAL_FIELD_NAMES = {
    "window_address": "办理地点",
    "phone": "咨询电话",
    "opening_hours": "办公时间",
    "local_notes": "本地说明",
}


class CoreElementLocked(WrongNode):
    """A tier tried to change an element only the province may change (by publishing a release)."""


def claim(session: Session, here: DivisionCode, item_code: str, fields: Mapping[str, str]) -> ItemClaim:
    """认领 an item held in the current release, setting (only) local fields; one transaction."""
    item = catalog.item(session, item_code.strip())
    core = sorted(name for name in fields if name in ELEMENTS)
    if core:
        basic = [name for name in core if name in BASIC_ELEMENTS]
        kind = "basic elements (六要素)" if basic else "core elements"
        named = "、".join(f"{ELEMENT_NAMES.get(name, name)}（{name}）" for name in core)
        version = catalog.current_version(session)
        raise CoreElementLocked(
            f"{item.name}（{item.code}）的{named}是{'六要素，' if basic else ''}由省级事项目录第 {version} 版"
            f"确定的，各级一致，{here.tier.label}节点 {here} 不能修改；本节点认领时只能填写{_local_words()} "
            f"({', '.join(core)} of {item.code} are {kind} fixed by the province's catalogue release "
            f"{version}; only {', '.join(LOCAL_FIELDS)} may be added locally)"
        )
    unknown = sorted(set(fields) - set(LOCAL_FIELDS))
    if unknown:
        raise InvalidInput(
            f"没有可填写的本地字段 {'、'.join(unknown)}：只能填写{_local_words()} "
            f"(unknown local field(s) {', '.join(unknown)}; one of {', '.join(LOCAL_FIELDS)})"
        )
    values = {name: clean_text(name, value, LOCAL_FIELDS[name]) for name, value in fields.items()}
    now = utcnow()
    row = session.get(ItemClaim, item.code)
    if row is None:
        row = ItemClaim(
            item_code=item.code,
            window_address="",
            phone="",
            opening_hours="",
            local_notes="",
            claimed_at=now,
            updated_at=now,
        )
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = now
    session.flush()
    return row


def _local_words() -> str:
    """办理地点（window_address）、…: what a tier may fill in, with the names its options take."""
    return "、".join(f"{label}（{name}）" for name, label in LOCAL_FIELD_NAMES.items())


def claims(session: Session) -> dict[str, ItemClaim]:
    return {row.item_code: row for row in session.scalars(select(ItemClaim))}


def claim_to_proto(session: Session, here: DivisionCode, row: ItemClaim) -> desk_pb2.ItemClaim:
    item = catalog.item(session, row.item_code)
    return desk_pb2.ItemClaim(
        item_code=row.item_code,
        item_name=item.name,
        node_code=here.value,
        window_address=row.window_address,
        phone=row.phone,
        opening_hours=row.opening_hours,
        local_notes=row.local_notes,
        catalog_version=catalog.current_version(session),
    )
