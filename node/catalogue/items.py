"""The service-item catalogue (事项目录): item elements, canonical form, and the items held here.

An item carries the standard elements (GB/T 39554 family): basic code (基本编码), implementation code
(实施编码) and handling-item code (业务办理项编码); its place in the hierarchy 主项 → 子项 → 业务办理项;
type, 即办件/承诺件, legal basis, handling tier and department, conditions, materials, time limits,
fees, result, online level, 跨省通办 and the maximum number of visits (最多跑一次). Only the province
sets them; releases carry them unchanged to every tier (五级N同, node/catalogue/releases.py). What a tier adds
locally is its implementation list (node/catalogue/implementation.py).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from node.errors import InvalidInput, NotFound, NotReady
from node.store.models import CatalogRelease, ServiceItem
from node.timeutil import as_utc, utcnow
from node.workdays import china_date
from wuji.divisions import DivisionCode, InvalidDivisionCode, InvalidTier, Tier

Item = dict[str, Any]

ITEM_TYPES = frozenset(
    {"行政许可", "行政确认", "行政裁决", "行政给付", "行政奖励", "行政备案", "其他行政权力", "公共服务"}
)
HANDLING_TIERS = frozenset({Tier.PROVINCE, Tier.CITY, Tier.COUNTY, Tier.TOWNSHIP})
LEVELS = ("主项", "子项", "业务办理项")
ONLINE_LEVELS = ("全程网办", "网上预审", "窗口办理")
MATERIAL_FORMS = ("原件", "复印件", "原件及复印件", "电子材料")
RESULT_TYPES = ("证照", "批文", "证明", "其他")
# 跨省通办 modes: fully online (全程网办), received here and handled there (异地代收代办), handled
# jointly by both provinces (两地联办)
ONLINE, PROXY, JOINT = "全程网办", "异地代收代办", "两地联办"
CROSS_PROVINCE_MODES = (ONLINE, PROXY, JOINT)
_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-]{0,63}$")

# The elements of an item, in the order they are described; every one is set by the province.
ELEMENTS = (
    "code",
    "basic_code",
    "implementation_code",
    "handling_code",
    "level",
    "parent_code",
    "name",
    "type",
    "department",
    "implementing_body",
    "handling_tier",
    "instant",
    "statutory_days",
    "promised_days",
    "legal_basis",
    "conditions",
    "materials",
    "fees",
    "result_type",
    "result_name",
    "online_level",
    "cross_province",
    "max_visits",
    "licence",
    "step_days",  # optional: working days a case may stay in a step (see node/supervision/cards.py)
    "partner_modes",  # optional: 跨省通办 agreements, partner province → modes (node/trust/partners.py)
    "joint_item",  # optional: 两地联办, the partner province's item that is this item's other part
    "bundle",  # optional: the parts of a 一件事 and their order (see node/cases/bundles.py)
    "notify_promise",  # optional: 告知承诺制, proofs a signed promise replaces (cases/deferrals.py)
    "conclude_with_deferred",  # optional: 容缺 materials may arrive after 办结 (cases/deferrals.py)
    "max_material_mb",  # optional: the largest file a window takes for the item (default 10 MB)
)
# What each element is called in a 办事指南 (the national catalogue's element names).
ELEMENT_NAMES = {
    "code": "事项编码",
    "basic_code": "基本编码",
    "implementation_code": "实施编码",
    "handling_code": "业务办理项编码",
    "level": "事项层级",
    "parent_code": "所属事项",
    "name": "事项名称",
    "type": "事项类型",
    "department": "实施部门",
    "implementing_body": "实施主体",
    "handling_tier": "办理层级",
    "instant": "办件类型",
    "statutory_days": "法定时限",
    "promised_days": "承诺时限",
    "legal_basis": "设定依据",
    "conditions": "受理条件",
    "materials": "申请材料",
    "fees": "收费",
    "result_type": "结果类型",
    "result_name": "办理结果",
    "online_level": "网办深度",
    "cross_province": "跨省通办",
    "max_visits": "最多跑动次数",
    "licence": "电子证照",
    "step_days": "环节时限",
    "partner_modes": "跨省通办协作",
    "joint_item": "两地联办另一部分",
    "bundle": "一件事",
    "notify_promise": "告知承诺制",
    "conclude_with_deferred": "容缺后补",
    "max_material_mb": "单个材料上限",
}
DEFAULT_MAX_MATERIAL_MB = 10  # a link message carries up to 16 MiB
# 六要素: identical at every tier by law; the other elements are equally fixed by the release.
BASIC_ELEMENTS = ("name", "code", "type", "department", "implementing_body", "legal_basis")


def canonical_item(item: Mapping[str, Any]) -> bytes:
    """The bytes an item is hashed and shipped as: sorted keys, no spaces, UTF-8."""
    return json.dumps(item, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def canonical_items(items: Iterable[Mapping[str, Any]]) -> bytes:
    """The canonical JSON list of items ordered by code (equal to json.dumps of the sorted list)."""
    ordered = sorted(items, key=lambda item: item["code"])
    return b"[" + b",".join(canonical_item(item) for item in ordered) + b"]"


def digest_of(items: Iterable[Mapping[str, Any]]) -> str:
    return hashlib.sha256(canonical_items(items)).hexdigest()


def item_digest(item: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_item(item)).hexdigest()


@dataclass(frozen=True)
class CatalogDocument:
    """A catalogue as the province writes it: a name and its checked items."""

    name: str
    items: list[Item]

    def canonical_json(self) -> bytes:
        return canonical_items(self.items)

    def digest(self) -> str:
        return hashlib.sha256(self.canonical_json()).hexdigest()

    def by_code(self) -> dict[str, Item]:
        return {item["code"]: item for item in self.items}


DEMO_CATALOGS = {"44": "demo_catalog_guangdong.json"}  # by province prefix; 湖南 (and others) below


def demo_catalog_path(province: str = "") -> Path:
    """The shipped demo catalogue of a province (湖南's unless the province has its own)."""
    return Path(__file__).with_name("data") / DEMO_CATALOGS.get(province[:2], "demo_catalog.json")


def load_document(path: Path) -> CatalogDocument:
    """Read and check a catalogue file; InvalidInput names the item and field at fault."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidInput(f"读不了事项目录文件 {path}：{error} (cannot read the catalogue)") from error
    return parse_document(data, str(path), default_name=path.stem)


def parse_document(data: bytes, source: str = "", default_name: str = "") -> CatalogDocument:
    """Check a catalogue given as JSON bytes ({"name": …, "items": [...]}); `source` is its file
    ("": the document a publication sent)."""
    named = _named(source)
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(f"{named}不是有效的 JSON：{error} (cannot read the catalogue)") from error
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
        raise InvalidInput(
            f"{named}应是一个含 items 列表的 JSON 对象 (expected an object with an 'items' list)"
        )
    items = []
    for index, entry in enumerate(raw["items"]):
        item = checked_item(entry, f"第 {index + 1} 项")
        _check_publishable(item, f"第 {index + 1} 项（{item['code']}）")
        items.append(item)
    for field in ("code", "handling_code"):
        values = [item[field] for item in items]
        duplicates = sorted({value for value in values if values.count(value) > 1})
        if duplicates:
            raise InvalidInput(
                f"{named}中{ELEMENT_NAMES[field]}重复：{'、'.join(duplicates)} (duplicate {field})"
            )
    _check_hierarchy(items, named)
    _check_bundles(items, named)
    _check_visits(items, named)
    return CatalogDocument(name=str(raw.get("name") or default_name or "catalogue"), items=items)


def checked_item(item: Any, where: str) -> Item:
    """One item with every element present and well-formed; InvalidInput says which one is not."""
    if not isinstance(item, dict):
        raise InvalidInput(f"{where}：应是一个 JSON 对象 (expected an object)")
    where = f"{where}（{item.get('code', '?')}）"
    unknown = sorted(set(item) - set(ELEMENTS))
    if unknown:
        raise InvalidInput(f"{where}：没有这样的要素 {', '.join(unknown)} (unknown element)")
    for field in ("name", "type", "department", "implementing_body", "handling_tier", "legal_basis"):
        _text(item, field, where)
    for field in ("code", "basic_code", "implementation_code", "handling_code"):
        if not isinstance(item.get(field), str) or not _CODE.match(item[field].strip()):
            raise InvalidInput(
                f"{where}：{_named_element(field)}须为 1–64 个字母、数字或“-” (1–64 letters, digits or '-')"
            )
    if item["type"] not in ITEM_TYPES:
        raise InvalidInput(
            f"{where}：事项类型 type 须为 {'、'.join(sorted(ITEM_TYPES))} 之一，不能是 {item['type']!r}"
        )
    try:
        tier = Tier.from_name(item["handling_tier"])
    except InvalidTier as error:
        raise InvalidInput(f"{where}：办理层级 handling_tier {error}") from error
    if tier not in HANDLING_TIERS:
        raise InvalidInput(
            f"{where}：村（社区）代办点只受理和转报办件，不办理事项，"
            "办理层级 handling_tier 须为省、市、县或乡镇 "
            "(villages accept and forward cases; they do not handle items)"
        )
    for field in ("statutory_days", "promised_days"):
        if not _whole(item.get(field)):
            raise InvalidInput(f"{where}：{_named_element(field)}须为不小于 0 的整数（工作日）")
    if item["promised_days"] > item["statutory_days"]:
        raise InvalidInput(
            f"{where}：承诺时限 {item['promised_days']} 个工作日"
            f"长于法定时限 {item['statutory_days']} 个工作日 "
            "(promised_days exceeds statutory_days)"
        )
    level = item.get("level", "主项")
    if level not in LEVELS:
        raise InvalidInput(f"{where}：事项层级 level 须为 {'、'.join(LEVELS)} 之一")
    parent = item.get("parent_code")
    if (level == "主项") != (parent in (None, "")):
        raise InvalidInput(f"{where}：主项不填所属事项 parent_code；子项和业务办理项须填所属事项")
    online = item.get("online_level", "窗口办理")
    if online not in ONLINE_LEVELS:
        raise InvalidInput(f"{where}：网办深度 online_level 须为 {'、'.join(ONLINE_LEVELS)} 之一")
    result_type = item.get("result_type", "其他")
    if result_type not in RESULT_TYPES:
        raise InvalidInput(f"{where}：结果类型 result_type 须为 {'、'.join(RESULT_TYPES)} 之一")
    max_visits = item.get("max_visits", 1)
    if not _whole(max_visits):
        raise InvalidInput(f"{where}：最多跑动次数 max_visits 须为整数（0 = 零跑动，1 = 最多跑一次）")
    conditions = item.get("conditions", [])
    if not isinstance(conditions, list) or not all(isinstance(c, str) and c.strip() for c in conditions):
        raise InvalidInput(f"{where}：受理条件 conditions 须为一组非空的文字")
    checked: Item = {
        "code": item["code"].strip(),
        "basic_code": item["basic_code"].strip(),
        "implementation_code": item["implementation_code"].strip(),
        "handling_code": item["handling_code"].strip(),
        "level": level,
        "parent_code": str(parent).strip() if parent else None,
        "name": item["name"].strip(),
        "type": item["type"],
        "department": item["department"].strip(),
        "implementing_body": item["implementing_body"].strip(),
        "handling_tier": tier.name.lower(),
        "instant": bool(item.get("instant", False)),
        "statutory_days": item["statutory_days"],
        "promised_days": item["promised_days"],
        "legal_basis": item["legal_basis"].strip(),
        "conditions": [c.strip() for c in conditions],
        "materials": _materials(item.get("materials", []), where),
        "fees": _fees(item.get("fees", []), where),
        "result_type": result_type,
        "result_name": str(item.get("result_name", "")).strip(),
        "online_level": online,
        "cross_province": bool(item.get("cross_province", False)),
        "max_visits": max_visits,
        "licence": _licence(item.get("licence"), where),
    }
    if "step_days" in item:  # only when given, so older catalogues keep their digest
        checked["step_days"] = _checked_step_days(item["step_days"], where)
    if "bundle" in item:
        checked["bundle"] = _checked_bundle(item["bundle"], checked["code"], where)
    if "notify_promise" in item:
        checked["notify_promise"] = _checked_promise(item["notify_promise"], checked["materials"], where)
    if "conclude_with_deferred" in item:
        if not isinstance(item["conclude_with_deferred"], bool):
            raise InvalidInput(f"{where}：容缺后补 conclude_with_deferred 须为 true 或 false")
        checked["conclude_with_deferred"] = item["conclude_with_deferred"]
    if "max_material_mb" in item:
        limit = item["max_material_mb"]
        if not _whole(limit) or not 1 <= limit <= 15:  # a link message carries up to 16 MiB
            raise InvalidInput(f"{where}：单个材料上限 max_material_mb 须为 1 至 15 的整数（MB）")
        checked["max_material_mb"] = limit
    if "partner_modes" in item:
        checked["partner_modes"] = _checked_partner_modes(item["partner_modes"], where)
    if "joint_item" in item:
        joint = item["joint_item"]
        if not isinstance(joint, str) or not _CODE.match(joint.strip()):
            raise InvalidInput(
                f"{where}：两地联办另一部分 joint_item 须为对方省份的事项编码（1–64 个字母、数字或“-”）"
            )
        if JOINT not in {mode for modes in checked.get("partner_modes", {}).values() for mode in modes}:
            raise InvalidInput(
                f"{where}：填了两地联办另一部分 joint_item，"
                f"跨省通办协作 partner_modes 中须有约定{JOINT}的省份"
            )
        checked["joint_item"] = joint.strip()
    return checked


def _check_publishable(item: Item, where: str) -> None:
    """Rules a catalogue keeper's file meets, beyond what `checked_item` asks of every item: kept out
    of `checked_item` so that a release published before them still installs at the tiers below."""
    if not item["materials"] and "bundle" not in item:  # a 一件事's materials are its parts'
        raise InvalidInput(
            f"{where}：申请材料 materials 不能为空（一次性告知书和窗口都按它收件，"
            "没有材料的事项会让窗口受理一件没有任何证明的办件）"
        )
    names = [material["name"] for material in item["materials"]]
    repeated = sorted({name for name in names if names.count(name) > 1}, key=names.index)
    if repeated:
        raise InvalidInput(f"{where}：申请材料名称重复：{'、'.join(repeated)} (duplicate material name)")
    if item["instant"] and item["promised_days"]:
        raise InvalidInput(
            f"{where}：即办件 instant 当场办结，承诺时限 promised_days 须为 0，"
            f"不能是 {item['promised_days']} 个工作日（否则办事指南与一次性告知书、受理回执说法不一）；"
            "若要承诺天数，请改为承诺件（instant 为 false）"
        )


def _checked_partner_modes(agreements: Any, where: str) -> dict[str, list[str]]:
    """{"440000000000": ["异地代收代办", …]}: which partner provinces may use the item, and how."""
    modes = "、".join(CROSS_PROVINCE_MODES)
    problem = f"{where}：跨省通办协作 partner_modes 须以 12 位省级代码对应办理模式（{modes}）"
    if not isinstance(agreements, dict):
        raise InvalidInput(problem)
    checked: dict[str, list[str]] = {}
    for province, modes in agreements.items():
        try:
            code = DivisionCode.parse(str(province))
        except InvalidDivisionCode as error:
            raise InvalidInput(f"{problem}: {error}") from error
        if code.parent is not None or not isinstance(modes, list) or not modes:
            raise InvalidInput(problem)
        if any(mode not in CROSS_PROVINCE_MODES for mode in modes):
            raise InvalidInput(problem)
        checked[code.value] = sorted(set(modes), key=CROSS_PROVINCE_MODES.index)
    return checked


def _checked_bundle(bundle: Any, code: str, where: str) -> Item:
    """一件事: {"parts": [item codes], "after": {part: [parts it starts after]}}, without cycles."""
    parts = bundle.get("parts") if isinstance(bundle, dict) else None
    if (
        not isinstance(parts, list)
        or len(parts) < 2
        or not all(isinstance(part, str) and part.strip() for part in parts)
        or len(set(parts)) != len(parts)
    ):
        raise InvalidInput(f"{where}：一件事 bundle 的 parts 须列出两个或更多不同的事项编码")
    if code in parts:
        raise InvalidInput(f"{where}：一件事不能包含它自己")
    after = bundle.get("after", {})
    unknown = sorted(set(bundle) - {"parts", "after"})
    if unknown or not isinstance(after, dict):
        raise InvalidInput(f"{where}：一件事 bundle 只有 parts 和（可选的）after ({', '.join(unknown)})")
    checked_after: dict[str, list[str]] = {}
    for part, before in after.items():
        if part not in parts or not isinstance(before, list) or not all(b in parts for b in before):
            raise InvalidInput(f"{where}：一件事 after 中 {part} 的先办事项须是这件事的组成事项")
        if part in before:
            raise InvalidInput(f"{where}：一件事的组成事项 {part} 不能排在它自己之后")
        if before:
            checked_after[part] = sorted(set(before))
    done: set[str] = set()
    while len(done) < len(parts):  # peel off parts whose predecessors are all placed: else a cycle
        ready = {part for part in parts if part not in done and set(checked_after.get(part, [])) <= done}
        if not ready:
            raise InvalidInput(f"{where}：一件事 after 的先后顺序构成了循环 (the bundle's order has a cycle)")
        done |= ready
    return {"parts": [part.strip() for part in parts], "after": checked_after}


def _checked_promise(promise: Any, materials: list[Item], where: str) -> Item:
    """告知承诺制: {"replaces": [material names], "post_check_days": working days to 核查 after 办结}."""
    names = {material["name"] for material in materials}
    replaces = promise.get("replaces") if isinstance(promise, dict) else None
    if not isinstance(replaces, list) or not replaces or not all(name in names for name in replaces):
        raise InvalidInput(f"{where}：告知承诺制 notify_promise 的 replaces 须列出本事项的申请材料")
    days = promise.get("post_check_days", 20)
    if not _whole(days) or days < 1:
        raise InvalidInput(f"{where}：告知承诺制的核查时限 post_check_days 须为不小于 1 的整数（工作日）")
    return {"replaces": list(replaces), "post_check_days": days}


STEPS_WITH_LIMITS = frozenset({"SUBMITTED", "ACCEPTED", "UNDER_REVIEW"})


def _checked_step_days(steps: Any, where: str) -> dict[str, int]:
    """Own limits of the steps (受理, 审核, …) in working days, keyed by the state a step is in."""
    if not isinstance(steps, dict) or not all(
        state in STEPS_WITH_LIMITS and isinstance(days, int) and days >= 0 for state, days in steps.items()
    ):
        raise InvalidInput(
            f"{where}：环节时限 step_days 须以环节（{', '.join(sorted(STEPS_WITH_LIMITS))}）"
            "对应不小于 0 的工作日数"
        )
    return dict(steps)


def _text(item: Mapping[str, Any], field: str, where: str) -> None:
    if not isinstance(item.get(field), str) or not item[field].strip():
        raise InvalidInput(f"{where}：{_named_element(field)}须为非空的文字")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _named(source: str) -> str:
    """The catalogue a check speaks of: its file, or the document a publication sent."""
    return f"事项目录文件 {source} " if source else "所发布的事项目录"


def _named_element(field: str) -> str:
    """An element as a catalogue keeper reads and writes it: 承诺时限 promised_days."""
    return f"{ELEMENT_NAMES.get(field, '')} {field} ".lstrip()


def _materials(materials: Any, where: str) -> list[Item]:
    """Each: name, required, deferrable under 容缺, original or copy, electronic licence accepted."""
    if not isinstance(materials, list) or not all(
        isinstance(m, dict) and isinstance(m.get("name"), str) and m["name"].strip() for m in materials
    ):
        raise InvalidInput(f"{where}：申请材料 materials 须为一组带名称 name 的对象")
    checked = []
    for material in materials:
        form = material.get("form", "原件")
        if form not in MATERIAL_FORMS:
            raise InvalidInput(
                f"{where}：材料 {material['name']} 的形式 form 须为 {'、'.join(MATERIAL_FORMS)} 之一"
            )
        required = bool(material.get("required", True))
        deferrable = bool(material.get("deferrable", False))
        if deferrable and not required:
            raise InvalidInput(f"{where}：材料 {material['name']} 不是必要材料，不能容缺")
        checked.append(
            {
                "name": material["name"].strip(),
                "required": required,
                "deferrable": deferrable,
                "form": form,
                "e_licence": bool(material.get("e_licence", False)),
            }
        )
    return checked


def _fees(fees: Any, where: str) -> list[Item]:
    """Each: name, amount in yuan as a decimal text (e.g. "9.00"), and the basis for charging."""
    if not isinstance(fees, list):
        raise InvalidInput(f"{where}：收费 fees 须为列表（空列表 = 不收费）")
    checked = []
    for fee in fees:
        amount = str(fee.get("amount", "")) if isinstance(fee, dict) else ""
        if not isinstance(fee, dict) or not fee.get("name") or not re.fullmatch(r"\d+(\.\d{1,2})?", amount):
            raise InvalidInput(f'{where}：每项收费须有名称 name 和以元计的金额 amount，如 "9.00"')
        checked.append(
            {"name": str(fee["name"]).strip(), "amount": amount, "basis": str(fee.get("basis", ""))}
        )
    return checked


def _licence(licence: Any, where: str) -> Item | None:
    if licence is None:
        return None
    if not isinstance(licence, dict) or not licence.get("kind") or not licence.get("type_code"):
        raise InvalidInput(
            f"{where}：电子证照 licence 须有证照名称 kind 和证照类型代码 type_code（GB/T 36904）"
        )
    return {
        "kind": str(licence["kind"]),
        "type_code": str(licence["type_code"]),
        "valid_years": int(licence.get("valid_years", 0) or 0),
    }


def _check_visits(items: list[Item], catalogue: str) -> None:
    """An item handled at the window takes the applicant there at least once: 零跑动 printed on its
    一次性告知书 would send the citizen home. Checked where a catalogue is written, not in releases
    and offers already signed (a node does not refuse its parent's catalogue over it)."""
    at_window = [
        item["code"] for item in items if item["online_level"] == "窗口办理" and item["max_visits"] < 1
    ]
    if at_window:
        raise InvalidInput(
            f"{catalogue}中 {', '.join(at_window)} 为窗口办理，申请人至少到现场一次，"
            "最多跑动次数不能为 0 (a 窗口办理 item takes max_visits ≥ 1)"
        )


def _check_hierarchy(items: list[Item], catalogue: str) -> None:
    """子项 sit under a 主项, 业务办理项 under a 主项 or 子项, with the same basic code."""
    by_code = {item["code"]: item for item in items}
    for item in items:
        if item["parent_code"] is None:
            continue
        parent = by_code.get(item["parent_code"])
        if parent is None:
            raise InvalidInput(f"{catalogue}中 {item['code']} 的所属事项 {item['parent_code']} 不在目录中")
        if LEVELS.index(parent["level"]) >= LEVELS.index(item["level"]):
            raise InvalidInput(
                f"{catalogue}中 {item['code']}（{item['level']}）不能归在 "
                f"{parent['code']}（{parent['level']}）之下"
            )
        if parent["basic_code"] != item["basic_code"]:
            raise InvalidInput(f"{catalogue}中 {item['code']} 的基本编码须与所属事项 {parent['code']} 的相同")


def _check_bundles(items: list[Item], catalogue: str) -> None:
    """A bundle's parts are items of the same catalogue, and not bundles themselves."""
    by_code = {item["code"]: item for item in items}
    for item in items:
        for part in item.get("bundle", {}).get("parts", []):
            if part not in by_code:
                raise InvalidInput(f"{catalogue}中一件事 {item['code']} 的组成事项 {part} 不在目录中")
            if "bundle" in by_code[part]:
                raise InvalidInput(f"{catalogue}中一件事 {item['code']} 不能包含另一件一件事 {part}")


# -- the release held here ------------------------------------------------------------------------


def current_version(session: Session) -> int:
    return session.scalar(select(func.max(CatalogRelease.version))) or 0


def latest_release(session: Session) -> CatalogRelease | None:
    return session.scalars(select(CatalogRelease).order_by(CatalogRelease.version.desc()).limit(1)).first()


def release(session: Session, version: int) -> CatalogRelease:
    found = session.get(CatalogRelease, version)
    if found is None:
        raise NotFound(
            f"catalogue release {version} is not held at this node (latest: {current_version(session)})"
        )
    return found


def items_of(release: CatalogRelease | None) -> dict[str, Item]:
    """The items of a stored release, by code."""
    if release is None:
        return {}
    return {item["code"]: item for item in json.loads(release.items_json)}


OPTIONAL_ELEMENTS = frozenset(
    {
        "step_days",
        "partner_modes",
        "joint_item",
        "bundle",
        "notify_promise",
        "conclude_with_deferred",
        "max_material_mb",
    }
)  # absent from an item unless given, so digests stay put


def row_to_item(row: ServiceItem) -> Item:
    item = {element: getattr(row, element) for element in ELEMENTS}
    for element in OPTIONAL_ELEMENTS:
        if item[element] is None:
            del item[element]
    return item


def held_items(session: Session) -> dict[str, Item]:
    """The items as the service_item rows hold them (what cases are judged by)."""
    return {row.code: row_to_item(row) for row in session.scalars(select(ServiceItem))}


def install(
    session: Session,
    record: CatalogRelease,
    items: Mapping[str, Item],
    changed: Iterable[str],
    removed: Iterable[str],
    *,
    replace_all: bool = False,
) -> CatalogRelease:
    """Write a verified release: its record, and the item rows that changed (one transaction)."""
    changed, removed = list(changed), list(removed)
    if replace_all:
        session.execute(delete(ServiceItem))
    else:
        stale = [*changed, *removed]
        for start in range(0, len(stale), 500):
            session.execute(delete(ServiceItem).where(ServiceItem.code.in_(stale[start : start + 500])))
    session.add_all(ServiceItem(release_version=record.version, **items[code]) for code in changed)
    session.add(record)
    session.flush()
    return record


_LATEST_EXPIRY = (  # asked at every submission: built once
    select(CatalogRelease.version, CatalogRelease.expires_at).order_by(CatalogRelease.version.desc()).limit(1)
)


def require_unexpired(session: Session) -> int:
    """The version of the release held here (0: none yet); NotReady if it has expired, so that no
    case is judged by stale items. Reads two columns: a release row also holds every item's text."""
    current = session.execute(_LATEST_EXPIRY).first()
    if current is None:
        return 0
    if current.expires_at is not None and as_utc(current.expires_at) <= utcnow():
        raise NotReady(
            f"本节点所存的事项目录第 {current.version} 版已于 {china_date(current.expires_at)} 过期，"
            "省级节点发布新版本后才能受理申请 "
            f"(catalogue release {current.version} expired on {china_date(current.expires_at)}: "
            "the province must publish a new release before cases are accepted)"
        )
    return int(current.version)


def item(session: Session, code: str) -> ServiceItem:
    found = session.get(ServiceItem, code)
    if found is None:
        version = current_version(session)
        if version == 0:
            raise NotFound(
                f"本节点尚未收到事项目录，无法办理 {code} (unknown item {code!r}: no catalogue yet)"
            )
        withdrawn = _withdrawal(session, code)
        if withdrawn is not None:
            name, in_version = withdrawn
            raise NotFound(
                f"事项 {name}（{code}）已在事项目录第 {in_version} 版退出目录，不再受理申请 "
                f"(item {code!r} was withdrawn in catalogue release {in_version})"
            )
        raise NotFound(
            f"事项目录第 {version} 版中没有事项 {code} "
            f"(unknown item {code!r}: not in catalogue release {version})"
        )
    return found


def _withdrawal(session: Session, code: str) -> tuple[str, int] | None:
    """The name of an item no longer in the catalogue and the release that withdrew it (退出目录),
    as the releases held here show; None for a code none of them lists (a typo). Only the releases
    whose text names the code are read."""
    quoted = json.dumps(code)
    named = select(CatalogRelease.version).where(CatalogRelease.items_json.contains(quoted, autoescape=True))
    for version in session.scalars(named.order_by(CatalogRelease.version.desc())):
        listed = _release_items(session, version).get(code)
        if listed is None:
            continue
        after = select(func.min(CatalogRelease.version)).where(CatalogRelease.version > version)
        later = session.scalar(after)
        return (str(listed.get("name", "")), int(later)) if later is not None else None
    return None


def item_at(session: Session, code: str, version: int) -> Item:
    """An item as release `version` described it (what a case submitted then was judged by)."""
    found = items_of(release(session, version)).get(code)
    if found is None:
        raise NotFound(f"item {code!r} is not in catalogue release {version}")
    return found


def item_of_case(session: Session, code: str, version: int | None) -> ServiceItem | None:
    """The item a case is held to: as the release it was judged by (its catalog_version) described
    it. A later release that shortens the item's time limit, or withdraws the item (退出目录),
    leaves a case in progress with the limit, department (its seal), result name and materials it
    was applied for under. The row held now where no release changed the item since (the usual
    case, one look-up); otherwise a detached row made from the release's text, never added to the
    session. None for an item known here by neither (a partner province's)."""
    row = session.get(ServiceItem, code)
    if not version or (row is not None and row.release_version <= version):
        return row
    described = _release_items(session, version).get(code)
    if described is None:  # that release is not held here, or did not have the item: today's row
        return row
    return ServiceItem(release_version=version, **copy.deepcopy(described))


_RELEASE_DIGEST = select(CatalogRelease.digest).where(CatalogRelease.version == bindparam("version"))
# the items of a few releases, by digest: a release's text never changes, and two provinces'
# releases of the same number differ in digest (nodes of several provinces share a process in tests)
_RELEASE_ITEMS: dict[str, dict[str, Item]] = {}
_RELEASES_KEPT = 4


def _release_items(session: Session, version: int) -> dict[str, Item]:
    digest = session.scalar(_RELEASE_DIGEST, {"version": version})
    if digest is None:
        return {}
    found = _RELEASE_ITEMS.get(digest)
    if found is None:
        found = items_of(session.get(CatalogRelease, version))
        if len(_RELEASE_ITEMS) >= _RELEASES_KEPT:
            _RELEASE_ITEMS.clear()  # rarely reached: most cases are held to the rows of today
        _RELEASE_ITEMS[digest] = found
    return found


def items(session: Session) -> list[ServiceItem]:
    return list(session.scalars(select(ServiceItem).order_by(ServiceItem.code)))


def bundle_parts(session: Session, row: ServiceItem) -> list[ServiceItem]:
    """A 一件事's parts in the bundle's order; [] for an item that is not a bundle."""
    # a JSON column; checked to name item codes when the release was installed (_check_bundles)
    codes = cast(list[str], (row.bundle or {}).get("parts", []))
    return [item(session, code) for code in codes]


class ListsMaterials(Protocol):
    """An item as far as its application's materials go: a ServiceItem, or a partner's item."""

    @property
    def name(self) -> str: ...

    @property
    def materials(self) -> list[dict[str, object]]: ...

    @property
    def notify_promise(self) -> dict[str, object] | None: ...


def listed_materials(
    item: ListsMaterials | Mapping[str, Any], parts: Iterable[ListsMaterials] = ()
) -> list[Item]:
    """The materials an application lists: the item's, or for a 一件事 every part's, each named once
    (一次提交) — required if any part requires it; `promise` (告知承诺), `deferrable` (容缺) and
    `e_licence` (电子证照) only if every part listing it allows that, as the bundle's submission
    judges it: a proof another part requires is to be brought anyway (a bundle's `promise_parts`
    and `proof_parts` name the parts that allow a promise for it and those that require it); its
    `form` the one the parts requiring it ask (原件及复印件 where they differ). The one list the
    window's form, the on-screen 一次性告知书 and its PDF all show. An item is a row, or its
    elements as a partner province's offer gives them."""
    listed: dict[str, Item] = {}
    forms: dict[str, list[str]] = {}  # of the parts requiring each material (else of every part)
    rows: list[ListsMaterials | Mapping[str, Any]] = [*parts] or [item]
    for row in rows:
        if isinstance(row, Mapping):
            specs, promises = row.get("materials") or [], row.get("notify_promise")
            part_name = str(row.get("name", ""))
        else:
            specs, promises, part_name = row.materials, row.notify_promise, row.name
        promise = set(cast(list[str], (promises or {}).get("replaces", [])))
        for spec in specs:
            name = str(spec["name"])
            entry = listed.get(name)
            form, required = str(spec.get("form") or ""), bool(spec.get("required", True))
            if entry is None:
                allows = {key: bool(spec.get(key)) for key in ("deferrable", "e_licence")}
                entry = listed[name] = {
                    **spec,
                    "promise": name in promise,
                    **allows,
                    "promise_parts": [],
                    "proof_parts": [],
                }
                forms[name] = [form] if form else []
            else:
                entry["promise"] = entry["promise"] and name in promise
                entry["deferrable"] = entry["deferrable"] and bool(spec.get("deferrable"))
                entry["e_licence"] = entry["e_licence"] and bool(spec.get("e_licence"))
                if required and not entry.get("required", True):  # the forms of the parts requiring it count
                    forms[name] = []
                if form and (required or not entry.get("required", True)) and form not in forms[name]:
                    forms[name].append(form)
                entry["required"] = bool(entry.get("required", True)) or required
            if parts and name in promise:  # a bundle's form says which parts a promise would serve
                entry["promise_parts"].append(part_name)
            elif parts and required:  # and which still take the proof itself
                entry["proof_parts"].append(part_name)
    for name, entry in listed.items():
        if len(forms[name]) > 1:
            entry["form"] = _one_form(forms[name])
        elif forms[name]:
            entry["form"] = forms[name][0]
    return list(listed.values())


def _one_form(forms: list[str]) -> str:
    """The form of a material two parts ask differently: both (原件及复印件), as people say it."""
    kinds = {part for form in forms for part in form.split("及")}
    if kinds <= {"原件", "复印件"}:
        return "原件及复印件"
    return "、".join(forms)


def departments_at(session: Session, tier: Tier) -> list[str]:
    """The departments that handle items at a tier: the ones a window's staff can belong to."""
    handled_here = select(ServiceItem.department).where(ServiceItem.handling_tier == tier.name.lower())
    return sorted({department for department in session.scalars(handled_here.distinct()) if department})


def departments_in_catalogue(session: Session) -> list[str]:
    """The departments of every item of the catalogue, wherever handled: a window here may take
    applications in for one handled above (a portal's 全程网办 clerk)."""
    every = select(ServiceItem.department).distinct()
    return sorted({department for department in session.scalars(every) if department})
