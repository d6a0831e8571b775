"""The service-item catalogue (事项目录): loaded at the province, released down the tree.

Signed releases, deltas and 五级N同 proofs come later (DESIGN.md §6–7); a release is for now the
whole item list with its digest, applied in one transaction and never downgraded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from node.errors import InvalidInput, NotFound
from node.models import CatalogRelease, ServiceItem
from node.timeutil import utcnow
from wuji.divisions import InvalidTier, Tier

ITEM_TYPES = frozenset(
    {"行政许可", "行政确认", "行政裁决", "行政给付", "行政奖励", "行政备案", "其他行政权力", "公共服务"}
)
HANDLING_TIERS = frozenset({Tier.PROVINCE, Tier.CITY, Tier.COUNTY, Tier.TOWNSHIP})


@dataclass(frozen=True)
class CatalogDocument:
    name: str
    items: list[dict[str, Any]]

    def canonical_json(self) -> bytes:
        ordered = sorted(self.items, key=lambda item: item["code"])
        return json.dumps(ordered, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()

    def digest(self) -> str:
        return hashlib.sha256(self.canonical_json()).hexdigest()


def demo_catalog_path() -> Path:
    return Path(__file__).with_name("data") / "demo_catalog.json"


def load_document(path: Path) -> CatalogDocument:
    """Read and check a catalogue file; InvalidInput names the item and field at fault."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(f"cannot read catalogue {path}: {error}") from error
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
        raise InvalidInput(f"catalogue {path}: expected an object with an 'items' list")
    items = [_checked_item(item, index) for index, item in enumerate(raw["items"])]
    codes = [item["code"] for item in items]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise InvalidInput(f"catalogue {path}: duplicate item codes {', '.join(duplicates)}")
    return CatalogDocument(name=str(raw.get("name", path.stem)), items=items)


def _checked_item(item: Any, index: int) -> dict[str, Any]:
    where = f"item #{index + 1}"
    if not isinstance(item, dict):
        raise InvalidInput(f"{where}: expected an object")
    where = f"item #{index + 1} ({item.get('code', '?')})"
    for field in ("code", "name", "type", "department", "handling_tier", "legal_basis"):
        if not isinstance(item.get(field), str) or not item[field].strip():
            raise InvalidInput(f"{where}: field '{field}' must be a non-empty string")
    if item["type"] not in ITEM_TYPES:
        raise InvalidInput(f"{where}: type {item['type']!r} is not one of {', '.join(sorted(ITEM_TYPES))}")
    try:
        tier = Tier.from_name(item["handling_tier"])
    except InvalidTier as error:
        raise InvalidInput(f"{where}: {error}") from error
    if tier not in HANDLING_TIERS:
        raise InvalidInput(f"{where}: villages accept and forward cases; they do not handle items")
    for field in ("statutory_days", "promised_days"):
        if not isinstance(item.get(field), int) or item[field] < 0:
            raise InvalidInput(f"{where}: field '{field}' must be a whole number of working days ≥ 0")
    if item["promised_days"] > item["statutory_days"]:
        raise InvalidInput(f"{where}: promised_days exceeds statutory_days")
    materials = item.get("materials", [])
    if not isinstance(materials, list) or not all(
        isinstance(m, dict) and isinstance(m.get("name"), str) for m in materials
    ):
        raise InvalidInput(f"{where}: materials must be a list of objects with a name")
    licence = item.get("licence")
    if licence is not None:
        if not isinstance(licence, dict) or not licence.get("kind") or not licence.get("type_code"):
            raise InvalidInput(f"{where}: licence needs a kind and a type_code (GB/T 36904)")
        licence = {
            "kind": str(licence["kind"]),
            "type_code": str(licence["type_code"]),
            "valid_years": int(licence.get("valid_years", 0) or 0),
        }
    checked = {
        "licence": licence,
        "code": item["code"].strip(),
        "name": item["name"].strip(),
        "type": item["type"],
        "department": item["department"].strip(),
        "handling_tier": tier.name.lower(),
        "instant": bool(item.get("instant", False)),
        "statutory_days": item["statutory_days"],
        "promised_days": item["promised_days"],
        "legal_basis": item["legal_basis"].strip(),
        "materials": [{"name": m["name"], "required": bool(m.get("required", True))} for m in materials],
    }
    if "step_days" in item:  # only when given, so older catalogues keep their digest
        checked["step_days"] = _checked_step_days(item["step_days"], where)
    return checked


STEPS_WITH_LIMITS = frozenset({"SUBMITTED", "ACCEPTED", "UNDER_REVIEW"})


def _checked_step_days(steps: Any, where: str) -> dict[str, int]:
    """Own limits of the steps (受理, 审核, …) in working days, keyed by the state a step is in."""
    if not isinstance(steps, dict) or not all(
        state in STEPS_WITH_LIMITS and isinstance(days, int) and days >= 0 for state, days in steps.items()
    ):
        raise InvalidInput(
            f"{where}: step_days maps steps ({', '.join(sorted(STEPS_WITH_LIMITS))}) to working days ≥ 0"
        )
    return dict(steps)


def current_version(session: Session) -> int:
    return session.scalar(select(func.max(CatalogRelease.version))) or 0


def latest_release(session: Session) -> CatalogRelease | None:
    return session.scalars(select(CatalogRelease).order_by(CatalogRelease.version.desc()).limit(1)).first()


def publish(session: Session, document: CatalogDocument) -> CatalogRelease | None:
    """Make document the next release here (at the province); None if it is already current."""
    latest = latest_release(session)
    if latest is not None and latest.digest == document.digest():
        return None
    version = (latest.version if latest else 0) + 1
    return apply(session, version, document.name, document.canonical_json(), document.digest(), utcnow())


def apply(
    session: Session, version: int, name: str, items_json: bytes, digest: str, published_at: datetime
) -> CatalogRelease | None:
    """Replace the items with a release's, if it is newer; None if it is not (nothing changes)."""
    if hashlib.sha256(items_json).hexdigest() != digest:
        raise InvalidInput(f"catalogue release {version}: digest does not match its items")
    if version <= current_version(session):
        return None
    items = json.loads(items_json)
    session.execute(delete(ServiceItem))
    session.add_all(ServiceItem(release_version=version, **item) for item in items)
    release = CatalogRelease(
        version=version,
        name=name,
        digest=digest,
        items_json=items_json.decode("utf-8"),
        published_at=published_at,
        applied_at=utcnow(),
    )
    session.add(release)
    session.flush()
    return release


def item(session: Session, code: str) -> ServiceItem:
    found = session.get(ServiceItem, code)
    if found is None:
        if current_version(session) == 0:
            raise NotFound(f"unknown item {code!r}: this node has not received the catalogue yet")
        raise NotFound(f"unknown item {code!r}: not in catalogue release {current_version(session)}")
    return found


def items(session: Session) -> list[ServiceItem]:
    return list(session.scalars(select(ServiceItem).order_by(ServiceItem.code)))
