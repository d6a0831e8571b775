"""`wuji demo`: five real node processes on loopback, and real cases through them."""

from __future__ import annotations

import json
import secrets
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from rich.console import Console
from rich.table import Table

from node.cases.applicants import with_check_character
from node.cases.states import Action
from node.catalogue.items import JOINT, ONLINE, PROXY
from node.config import NodeConfig
from node.desk.client import DeskClient
from node.runtime.cluster import STARTUP_TIMEOUT, ProcessFederation
from node.staff.roles import Role
from signing.seals import SealedDocument
from signing.seals import verify as verify_sealed
from signing.trust import TrustStore
from wuji.divisions import DivisionCode, Tier
from wuji.v1 import case_pb2


@dataclass(frozen=True)
class DemoNode:
    code: str
    name: str


# A real chain of division codes in 湖南省 (统计用区划代码 2023, checked against `wuji divisions`).
CHAIN = (
    DemoNode("430000000000", "湖南省政务服务中心"),
    DemoNode("430900000000", "益阳市政务服务中心"),
    DemoNode("430981000000", "沅江市政务服务中心"),
    DemoNode("430981006000", "琼湖街道便民服务中心"),
    DemoNode("430981006001", "韩家汊社区代办点"),
)
VILLAGE = CHAIN[-1]
# 跨省通办 partner: a chain in 广东省 (深圳市 → 南山区 → 南头街道 → 南头城社区)
PARTNER_CHAIN = (
    DemoNode("440000000000", "广东省政务服务中心"),
    DemoNode("440300000000", "深圳市政务服务中心"),
    DemoNode("440305000000", "南山区政务服务中心"),
    DemoNode("440305001000", "南头街道便民服务中心"),
    DemoNode("440305001001", "南头城社区代办点"),
)

# (item code, applicant) submitted at the village: handled at county, township and city; the
# business licence is an electronic licence (电子证照) sealed by the county.
CASES = (
    ("MZ-0001", "张秀英", "430981196503120026"),
    ("SJ-0001", "赵小龙", "430981198807150012"),
    ("MZ-0003", "李建国", "430981197811230037"),
    ("GJ-0001", "王芳", "430981199002140049"),
)
STEP_TIMEOUT = 30.0
# 一件事一次办: 新生儿出生一件事 with one set of materials at the village; the social security card
# (社会保障卡, county) starts only once the birth registration (出生登记, county) is approved.
BUNDLE = ("YJS-0001", "周敏", "43098119930506002X")
BUNDLE_MATERIALS = (
    "居民身份证",
    "户口簿",
    "结婚证",
    "出生医学证明",
    "近期免冠彩色照片（可现场采集）",
    "本人银行结算账户",
)


# the demo's people by name: a 决定部门 on a 不予受理决定书 names a person, never a role (窗口1)
STAFF_NAMES = ("李娜", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄丽", "周杰", "吴强", "徐丹", "孙浩", "马琳")


class DemoStaff:
    """The demo's people: a 代办员 at each village point, and a 窗口受理 and a 审核/审批 of each
    department a case needs at its handler, made on first need. Every action is taken by one of
    them, so each event names a person; with --keep their passwords are printed and left behind."""

    def __init__(self, clients: dict[str, DeskClient]) -> None:
        self._clients = clients
        self._people: dict[tuple[str, str, str], DeskClient] = {}
        self.accounts: list[tuple[str, str, str, str, str]] = []  # node, username, password, role, dept
        self._names: dict[str, set[str]] = {}  # node: the names its people have

    def agent(self, node: str) -> DeskClient:
        return self._person(node, "agent", "")

    def supervisor(self, node: str) -> DeskClient:
        return self._person(node, "supervisor", "")

    def admin(self, node: str) -> DeskClient:
        return self._person(node, "admin", "")

    def for_action(self, node: str, department: str, action: Action) -> DeskClient:
        if action in (Action.ACCEPT, Action.REFUSE, Action.REQUEST_CORRECTION):
            return self._person(node, "clerk", department)
        if action in (Action.DELIVER, Action.WITHDRAW, Action.SUPPLEMENT):
            at_village = DivisionCode.parse(node).tier is Tier.VILLAGE
            return self._person(node, "agent" if at_village else "clerk", department)
        return self._person(node, "reviewer", department)

    def _name_at(self, node: str) -> str:
        """The next name, one nobody at the node has yet: two 陈静 at one hall, a paper's
        决定部门 民政局 陈静 would not say which (names repeat only once all are taken there)."""
        taken = self._names.setdefault(node, set())
        turn = len(self.accounts)  # the nodes' people do not all start from the same name
        names = [STAFF_NAMES[(turn + step) % len(STAFF_NAMES)] for step in range(len(STAFF_NAMES))]
        name = next((n for n in names if n not in taken), names[0])
        taken.add(name)
        return name

    def _person(self, node: str, role: str, department: str) -> DeskClient:
        key = (node, role, department)
        if key not in self._people:
            username = f"{role}{sum(1 for k in self._people if k[0] == node and k[1] == role) + 1}"
            password = secrets.token_urlsafe(9)
            name = self._name_at(node)  # papers print it
            operator = self._clients[node]
            operator.add_staff(username, name, role, department, password)
            self._people[key] = operator.with_token(operator.login(username, password).token)
            self.accounts.append((node, username, password, role, department))
        return self._people[key]


def complete_materials(client: DeskClient, item_code: str) -> list[case_pb2.Material]:
    """A scan of every required material the item lists (the demo's stand-in for paper)."""
    item = next((i for i in client.items().items if i.code == item_code), None)
    if item is None:  # a partner province's item: its list is checked where it is handled
        return []
    return [
        case_pb2.Material(
            name=m.name,
            content=f"%PDF-1.4 {m.name} (scan)".encode(),
            file_name=f"{m.name}.pdf",
            media_type="application/pdf",
        )
        for m in item.materials
        if m.required
    ]


# what a window clerk and a reviewer write in each step's 说明 (the event already names where and who)
CLERKS_NOTES = {
    Action.ACCEPT: "材料齐全，符合法定形式，予以受理",
    Action.REVIEW: "经审核，符合条件",
    Action.APPROVE: "准予办理",
}


def desk_url(config_path: Path) -> str:
    """The web front desk of the node whose config is at config_path (loopback: plain HTTP)."""
    listen = NodeConfig.load(config_path).web_listen
    return "off" if listen == "off" else f"http://{listen}/"


def _name_of(code: str) -> str:
    return next((f"{n.name} {code}" for n in (*CHAIN, *PARTNER_CHAIN) if n.code == code), code)


def run_demo(console: Console, keep: Path | None, serve: bool = False) -> int:
    """Run the demo's cases through ten fresh nodes; with serve, leave the nodes up afterwards, their
    front desks open to the accounts it made, until Ctrl-C."""
    folder = keep.resolve() if keep else Path(tempfile.mkdtemp(prefix="wuji-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    federation = ProcessFederation(
        folder,
        [(node.code, node.name) for node in (*CHAIN, *PARTNER_CHAIN)],
        seal_algorithms={PARTNER_CHAIN[0].code: "sm2"},  # 广东 seals with 国密 SM2, its tree follows
    )
    clients = federation.clients
    # Ctrl-C may land inside a gRPC call, which then fails as CANCELLED rather than raising
    # KeyboardInterrupt: remember that it was pressed, so any failure after it counts as the interrupt
    interrupted = threading.Event()

    def on_interrupt(signum: int, frame: object) -> None:
        interrupted.set()
        raise KeyboardInterrupt

    previous_handler = signal.signal(signal.SIGINT, on_interrupt)
    serving = False  # Ctrl-C while serving is the way to stop, not an interruption
    try:
        console.rule("[bold]wuji demo · 五级 federation on loopback, mTLS on every link")
        paths = federation.paths
        started = time.monotonic()
        for node in (*CHAIN, *PARTNER_CHAIN):
            federation.start(node.code)
            tier = DivisionCode.parse(node.code).tier.label
            how = (
                "root CA created"
                if node in (CHAIN[0], PARTNER_CHAIN[0])
                else "enrolled with a one-time invite"
            )
            console.print(
                f"  started {tier:<2} {node.name} {node.code} on {federation.addresses[node.code]} ({how}); "
                f"front desk {desk_url(paths[node.code])}"
            )
            if node is VILLAGE:
                _first_release(console, clients[VILLAGE.code], CHAIN[-2].code)
        for node in CHAIN[:-1]:
            clients[node.code].create_seal(node.name, "政务服务中心", "公章")
        for node in PARTNER_CHAIN[:-1]:  # 广东 seals with 国密 SM2 (GB/T 38540), 湖南 with ECDSA P-256
            clients[node.code].create_seal(node.name, "政务服务中心", "公章", algorithm="sm2-sm3")
        # a 广东 village's SM2 seal: certified by its township's SM2 seal CA, which makes its SESeal
        clients[PARTNER_CHAIN[-1].code].create_seal(
            PARTNER_CHAIN[-1].name, "村委会", "公章", algorithm="sm2-sm3"
        )
        clients[CHAIN[2].code].create_seal("沅江市民政局", "民政局", "业务专用章")
        # 市场监管局 seals the 营业执照 it grants with its licence seal, and its denials with its 业务专用章
        clients[CHAIN[2].code].create_seal("沅江市市场监督管理局", "市场监督管理局", "业务专用章")
        clients[CHAIN[2].code].create_seal("沅江市市场监督管理局", "市场监督管理局", "电子证照专用章")
        console.print(
            "  seals made: a 公章 at every tier above the village (湖南 ECDSA P-256, 广东 国密 SM2/SM3); "
            "民政局 and 市场监管局 (业务专用章, 电子证照专用章) seals at the 湖南 county"
        )
        trust = folder / "trust"
        trust.mkdir(exist_ok=True)
        shutil.copy(paths[CHAIN[0].code].parent / "pki" / "root.pem", trust / "hunan-root.pem")
        guangdong_pki = paths[PARTNER_CHAIN[0].code].parent / "pki"  # its root and its SM2 seal root
        (trust / "guangdong-root.pem").write_bytes(
            (guangdong_pki / "root.pem").read_bytes() + (guangdong_pki / "seal-root.pem").read_bytes()
        )
        _federate(console, federation, trust)
        village = clients[VILLAGE.code]
        items = len(village.items().items)
        console.print(f"  federation up in {time.monotonic() - started:.1f}s ({items} catalogue items)")
        proof = village.verify_catalog()
        verdict = "identical to" if proof.identical else "DIFFERENT from"
        console.print(
            f"  catalog verify at the village: release {proof.version} {verdict} the township's "
            f"({proof.digest[:16]}…), signed by the province"
        )
        federation.check_alive()
        staff = DemoStaff(clients)
        summary = Table("item", "handled at", "status where applied", "elapsed")
        trust_store = TrustStore([*_roots(trust / "hunan-root.pem"), *_roots(trust / "guangdong-root.pem")])
        for item_code, name, id_number in CASES:
            _run_case(
                console, clients, staff, item_code, name, id_number, summary, folder / "sealed", trust_store
            )
        _run_bundle(console, clients, staff, summary)
        _run_cross_province_cases(console, clients, staff, summary, folder / "sealed", trust_store)
        console.rule("[bold]summary")
        console.print(summary)
        if keep or serve:
            # a 监察 at the county, the city and the province, to look at cards and statistics; a
            # 管理员 everywhere, to add the staff a walk-through needs; the 广东 village's 代办员
            for supervised in (CHAIN[2], CHAIN[1], CHAIN[0]):
                staff.supervisor(supervised.code)
            for node in (*CHAIN, *PARTNER_CHAIN):
                staff.admin(node.code)
            staff.agent(PARTNER_CHAIN[-1].code)
        if serve:
            _print_accounts(console, staff.accounts, federation.paths)
            console.print("each node's node.toml, for wuji commands (--config) while they run:")
            for code, path in federation.paths.items():
                console.print(f"  {code} {path}", highlight=False, soft_wrap=True)
            console.print("[bold]the nodes keep running: press Ctrl-C to stop every node[/]")
            serving = True
            _serve(console, federation)
        return 0
    except KeyboardInterrupt:
        if serving:
            console.print("stopping every node")
            return 0
        console.print("[yellow]interrupted: stopping every node[/]")
        return 130
    except Exception as error:
        if interrupted.is_set():
            console.print("[yellow]interrupted: stopping every node[/]")
            return 130
        console.print(f"[bold red]demo failed:[/] {error}")
        console.print(f"logs are in {folder}")
        keep = keep or folder  # keep the evidence
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the stopping short
        troubles = federation.stop()
        signal.signal(signal.SIGINT, previous_handler)
        if troubles:  # the logs named below are the evidence
            keep = keep or folder
        if keep:
            console.print(f"everything the run made is in {folder}")
            if not serving:  # the accounts were printed when the serving began
                _print_accounts(console, staff.accounts if "staff" in locals() else [], federation.paths)
            _print_restart(console, federation.paths)
            sealed = folder / "sealed" / "CASE.sealed"
            console.print(f"check a sealed result: wuji seal verify {sealed} --trust {folder / 'trust'}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
        for trouble in troubles:
            console.print(f"[yellow]{trouble}[/]", highlight=False)
        console.print("all nodes stopped")


def _run_case(
    console: Console,
    clients: dict[str, DeskClient],
    staff: DemoStaff,
    item_code: str,
    name: str,
    id_number: str,
    summary: Table,
    sealed_folder: Path,
    trust: TrustStore,
) -> None:
    village = clients[VILLAGE.code]
    started = time.monotonic()
    agent = staff.agent(VILLAGE.code)
    case = agent.submit(item_code, name, id_number, "13800000000", complete_materials(village, item_code))
    handler = clients[case.handler]
    console.rule(f"{case.item_name} ({item_code})")
    console.print(f"  申请 at {_name_of(case.origin)}: case {case.id}", highlight=False)

    arrived = handler.wait_for(lambda d: d.get(case.id), STEP_TIMEOUT, f"case {case.id}")
    console.print(
        f"  hops up   {' → '.join(arrived.events[0].route)} ({time.monotonic() - started:.2f}s)",
        highlight=False,
    )
    for action in (Action.ACCEPT, Action.REVIEW, Action.APPROVE):
        person = staff.for_action(case.handler, arrived.department, action)
        done = person.act(case.id, action, note=CLERKS_NOTES[action])
        who = done.events[-1]
        console.print(
            f"  {action.label} at {_name_of(case.handler)} by {who.actor_department} {who.actor_person}",
            highlight=False,
        )

    concluded = village.wait_for(
        lambda d: (c := d.get(case.id)).state == case_pb2.CONCLUDED and c,
        STEP_TIMEOUT,
        "the village to see the conclusion",
    )
    console.print(f"  hops down {' → '.join(concluded.events[-1].route)}", highlight=False)
    elapsed = time.monotonic() - started
    sealed_folder.mkdir(exist_ok=True)
    sealed_path = sealed_folder / f"{case.id}.sealed"
    sealed_path.write_bytes(concluded.sealed_result)
    check = verify_sealed(concluded.sealed_result, trust)
    verdict = "verifies" if check.valid else f"DOES NOT VERIFY ({check.reason})"
    holder = f"{check.seal.holder} {check.seal.kind}" if check.seal else "?"
    console.print(
        f"  sealed result ({holder}) {verdict} at the village → {sealed_path.name}", highlight=False
    )
    licence = json.loads(SealedDocument.from_bytes(concluded.sealed_result).content).get("licence")
    if licence:
        console.print(f"  电子证照 {licence['kind']} {licence['identifier']}", highlight=False)
    delivered = agent.act(case.id, Action.DELIVER, note="结果已交申请人")
    console.print(f"  送达 at {_name_of(case.origin)}: {name} receives the result", highlight=False)
    handler_tier = DivisionCode.parse(case.handler).tier.label
    summary.add_row(
        case.item_name,
        f"{handler_tier} {case.handler}",
        "办结 准予 → 送达" if delivered.state == case_pb2.DELIVERED else str(delivered.state),
        f"{elapsed:.2f}s",
    )


def _roots(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def _first_release(console: Console, village: DeskClient, parent: str) -> None:
    """A freshly enrolled village: how long from its start to its link, and on to the catalogue."""
    started = time.monotonic()
    village.wait_for(
        lambda d: any(link.peer == parent and link.connected for link in d.describe().links),
        STARTUP_TIMEOUT,
        "the village's link to its township",
    )
    linked = time.monotonic()
    version = village.wait_for(
        lambda d: d.describe().catalog_version, STARTUP_TIMEOUT, "the catalogue to reach the village"
    )
    console.print(
        f"  catalogue release {version} reached the village {time.monotonic() - linked:.2f}s after its "
        f"link came up ({linked - started:.2f}s after the village started)"
    )


def _federate(console: Console, federation: ProcessFederation, trust: Path) -> None:
    """湖南 and 广东 install each other's root (`wuji peer add`); 湖南 dials."""
    hunan, guangdong = CHAIN[0], PARTNER_CHAIN[0]
    clients = federation.clients
    clients[guangdong.code].add_peer(hunan.code, (trust / "hunan-root.pem").read_bytes(), "", "湖南省")
    view = clients[hunan.code].add_peer(
        guangdong.code,
        (trust / "guangdong-root.pem").read_bytes(),
        federation.addresses[guangdong.code],
        "广东省",
    )
    console.print(
        f"  peer add: 湖南 and 广东 trust each other's root (广东 root {view.root_fingerprint[:16]}…)",
        highlight=False,
    )
    items = clients[VILLAGE.code].wait_for(
        lambda d: d.partner_items(guangdong.code), STARTUP_TIMEOUT, "广东's 跨省通办 list at the village"
    )
    console.print(
        "  广东's 跨省通办 list reached the 湖南 village: "
        + ", ".join(f"{item.name} ({'/'.join(item.modes)})" for item in items),
        highlight=False,
    )


def _advance(
    client: DeskClient, staff: DemoStaff, case_id: str, who: str, console: Console, *actions: Action
) -> None:
    arrived = client.wait_for(lambda d: d.get(case_id), STEP_TIMEOUT, f"case {case_id} at {who}")
    for action in actions:
        person = staff.for_action(who, arrived.department, action)
        person.act(case_id, action, note=CLERKS_NOTES[action])
        console.print(f"  {action.label} at {_name_of(who)}", highlight=False)


def _run_cross_province_cases(
    console: Console,
    clients: dict[str, DeskClient],
    staff: DemoStaff,
    summary: Table,
    sealed_folder: Path,
    trust: TrustStore,
) -> None:
    """One case in each 跨省通办 mode between 湖南 and 广东."""
    village, gd_home = staff.agent(VILLAGE.code), PARTNER_CHAIN[-1].code
    operator = clients[VILLAGE.code]
    steps = (Action.ACCEPT, Action.REVIEW, Action.APPROVE)

    console.rule("跨省通办 · 异地代收代办: received in 湖南, handled in 广东")
    started = time.monotonic()
    case = village.submit(
        "KS-0201",
        "陈嘉怡",
        with_check_character("44030519920308002"),
        "",
        complete_materials(operator, "KS-0201"),
        gd_home,
        PROXY,
    )
    console.print(
        f"  申请 at {_name_of(case.origin)} for a resident of {gd_home}: case {case.id}", highlight=False
    )
    _advance(clients[case.handler], staff, case.id, case.handler, console, *steps)
    _delivered_row(console, village, case, summary, sealed_folder, trust, started, PROXY)

    console.rule("跨省通办 · 两地联办: 迁入 in 湖南, 迁出 confirmed in 广东")
    started = time.monotonic()
    case = village.submit(
        "KS-0101",
        "黄伟",
        with_check_character("44030519870612003"),
        "",
        complete_materials(operator, "KS-0101"),
        gd_home,
        JOINT,
    )
    county = clients[case.handler]
    _advance(county, staff, case.id, case.handler, console, Action.ACCEPT, Action.REVIEW)
    part = county.get(case.id).parts[0]
    console.print(f"  the 广东 part {part.item_name} goes to {_name_of(part.handler)}", highlight=False)
    _advance(clients[part.handler], staff, part.case_id, part.handler, console, *steps)
    county.wait_for(
        lambda d: d.get(part.case_id).state == case_pb2.CONCLUDED, STEP_TIMEOUT, "the 广东 part's result"
    )
    _advance(county, staff, case.id, case.handler, console, Action.APPROVE)
    _delivered_row(console, village, case, summary, sealed_folder, trust, started, JOINT)

    console.rule("跨省通办 · 全程网办: online at 广东, identity confirmed by 湖南")
    started = time.monotonic()
    portal_operator = clients[PARTNER_CHAIN[0].code]
    online_item = next(i for i in portal_operator.items().items if i.code == "KS-0301")
    portal = staff.for_action(PARTNER_CHAIN[0].code, online_item.department, Action.ACCEPT)
    case = portal.submit(
        "KS-0301",
        "刘洋",
        with_check_character("43098119950101004"),
        "",
        complete_materials(portal_operator, "KS-0301"),
        VILLAGE.code,
        ONLINE,
        PARTNER_CHAIN[1].code,
    )
    handler = clients[case.handler]
    checked = handler.wait_for(
        lambda d: (c := d.get(case.id)).identity_check.answered and c, STEP_TIMEOUT, "湖南's identity answer"
    )
    console.print(f"  湖南 answered: {checked.identity_check.detail}", highlight=False)
    _advance(handler, staff, case.id, case.handler, console, *steps)
    _delivered_row(console, portal, case, summary, sealed_folder, trust, started, ONLINE)


def _delivered_row(
    console: Console,
    origin: DeskClient,
    case: case_pb2.Case,
    summary: Table,
    sealed_folder: Path,
    trust: TrustStore,
    started: float,
    mode: str,
) -> None:
    concluded = origin.wait_for(
        lambda d: (c := d.get(case.id)).state == case_pb2.CONCLUDED and c, STEP_TIMEOUT, "the result"
    )
    sealed_folder.mkdir(exist_ok=True)
    (sealed_folder / f"{case.id}.sealed").write_bytes(concluded.sealed_result)
    check = verify_sealed(concluded.sealed_result, trust)
    holder = f"{check.seal.holder} {check.seal.kind}, {check.algorithm}" if check.seal else "?"
    verdict = "verifies" if check.valid else f"DOES NOT VERIFY ({check.step}: {check.reason})"
    standard = f"; {check.standard}" if check.standard else ""
    console.print(
        f"  sealed result ({holder}) {verdict} at {_name_of(case.origin)}{standard}", highlight=False
    )
    delivered = origin.act(case.id, Action.DELIVER, note="结果已交申请人")
    summary.add_row(
        f"{case.item_name} · {mode}",
        f"{DivisionCode.parse(case.handler).tier.label} {case.handler}",
        "办结 准予 → 送达" if delivered.state == case_pb2.DELIVERED else str(delivered.state),
        f"{time.monotonic() - started:.2f}s",
    )


def _run_bundle(console: Console, clients: dict[str, DeskClient], staff: DemoStaff, summary: Table) -> None:
    """One bundle from the village: every part concluded at its own handler, in parallel where it may."""
    village = staff.agent(VILLAGE.code)
    code, name, id_number = BUNDLE
    started = time.monotonic()
    materials = [
        case_pb2.Material(name=m, content=f"%PDF-1.4 {m} (scan)".encode(), file_name=f"{m}.pdf")
        for m in BUNDLE_MATERIALS
    ]
    applicant = case_pb2.Applicant(name=name, id_number=id_number, phone="13800000000")
    bundle = village.submit_bundle(code, applicant, materials)
    console.rule(f"{bundle.name} ({code}): one application, {len(bundle.parts)} parts")
    concluded: set[str] = set()
    while len(concluded) < len(bundle.parts):
        ready = [p for p in bundle.parts if p.case_id and p.item_code not in concluded]
        for part in ready:
            _advance(
                clients[part.handler],
                staff,
                part.case_id,
                part.handler,
                Console(quiet=True),
                Action.ACCEPT,
                Action.REVIEW,
                Action.APPROVE,
            )
            console.print(
                f"  {part.item_name} ({part.department}) 办结 at {_name_of(part.handler)}", highlight=False
            )
            concluded.add(part.item_code)
        bundle = village.wait_for(
            # mypy cannot type a lambda with a default argument (python/mypy#15459)
            lambda d, b=bundle.id: _moved(d.get_bundle(b), concluded),  # type: ignore[misc]
            STEP_TIMEOUT,
            "the next part",
        )
    console.print(
        f"  bundle {bundle.id}: {bundle.concluded_parts}/{len(bundle.parts)} parts concluded "
        "(seen at the village)",
        highlight=False,
    )
    summary.add_row(bundle.name, "乡镇, 县 ×2, 市", "一件事 办结", f"{time.monotonic() - started:.2f}s")


def _print_accounts(
    console: Console, accounts: list[tuple[str, str, str, str, str]], paths: dict[str, Path]
) -> None:
    """The demo's staff, for clicking through the kept federation in a browser (its front desks)
    or at the command line (`wuji login USERNAME`). Plain lines: a table would cut passwords short."""
    if not accounts:
        return
    console.print("staff accounts left in the kept federation (log in at the front desk, or wuji login):")
    for node in dict.fromkeys(node for node, *_ in accounts):
        line = f"  {_name_of(node)} — front desk {desk_url(paths[node])}"
        console.print(line, highlight=False, soft_wrap=True)
        for where, username, password, role, department in accounts:
            if where == node:
                line = f"    {username:<10} {password}  {Role(role).label} {department}".rstrip()
                console.print(line, highlight=False, soft_wrap=True)


def _serve(console: Console, federation: ProcessFederation) -> None:
    """Until Ctrl-C: a node that stops (a trainee practising a restart, or a crash) is said so once,
    with how to start it again; the others keep running."""
    told: set[str] = set()
    while True:
        for code, how in federation.ended().items():
            if code not in told:
                told.add(code)
                console.print(
                    f"[yellow]node {code} stopped ({how}); the other nodes keep running. Start it again "
                    f"with: wuji node run --config {federation.paths[code]} (then it is yours to stop)[/]",
                    highlight=False,
                    soft_wrap=True,
                )
        time.sleep(1)


def _print_restart(console: Console, paths: dict[str, Path]) -> None:
    """How to start the kept nodes again: one command per node, parents first (a child waits and
    retries for a parent that is not up yet, so the order only saves it the wait)."""
    console.print("start the kept nodes again (each in its own terminal, or with & at the end):")
    for path in paths.values():
        console.print(f"  wuji node run --config {path}", highlight=False, soft_wrap=True)


def _moved(bundle: case_pb2.Bundle, concluded: set[str]) -> case_pb2.Bundle | None:
    """The bundle once it concluded or a part began that was not yet handled, else None."""
    started = any(p.case_id and p.item_code not in concluded for p in bundle.parts)
    return bundle if bundle.state == "CONCLUDED" or started else None
