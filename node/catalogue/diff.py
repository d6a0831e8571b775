"""What changed between two catalogues (目录比对), item by item and element by element."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from node.catalogue.items import ELEMENTS, Item, canonical_item
from wuji.v1 import desk_pb2


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ItemChange:
    code: str
    name: str
    kind: str  # "added", "withdrawn" or "changed"
    fields: list[FieldChange] = field(default_factory=list)


def diff_items(before: Mapping[str, Item], after: Mapping[str, Item]) -> list[ItemChange]:
    """Items added, withdrawn (撤销) or changed from `before` to `after`, by code."""
    changes: list[ItemChange] = []
    for code in sorted(set(before) | set(after)):
        old, new = before.get(code), after.get(code)
        if old is None and new is not None:
            changes.append(ItemChange(code, new["name"], "added"))
        elif new is None and old is not None:
            changes.append(ItemChange(code, old["name"], "withdrawn"))
        elif old is not None and new is not None and canonical_item(old) != canonical_item(new):
            fields = [
                FieldChange(name, old.get(name), new.get(name))
                for name in sorted(set(old) | set(new), key=_element_order)
                if old.get(name) != new.get(name)
            ]
            changes.append(ItemChange(code, new["name"], "changed", fields))
    return changes


def changed_codes(changes: list[ItemChange]) -> tuple[list[str], list[str]]:
    """(codes added or changed, codes withdrawn)."""
    kept = [change.code for change in changes if change.kind != "withdrawn"]
    return kept, [change.code for change in changes if change.kind == "withdrawn"]


def to_proto(changes: list[ItemChange], from_version: int, to_version: int) -> desk_pb2.CatalogDiff:
    return desk_pb2.CatalogDiff(
        from_version=from_version,
        to_version=to_version,
        changes=[
            desk_pb2.ItemChange(
                code=change.code,
                name=change.name,
                kind=change.kind,
                fields=[
                    desk_pb2.FieldChange(field=f.field, before=_json(f.before), after=_json(f.after))
                    for f in change.fields
                ],
            )
            for change in changes
        ],
    )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _element_order(name: str) -> int:
    return ELEMENTS.index(name) if name in ELEMENTS else len(ELEMENTS)
