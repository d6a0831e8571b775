"""`wuji simulate`: the federation at the size of the real division table, in one process.

The tree is the real one (wuji/division_table.py): whole provinces, prefectures, counties and
townships, and a fraction F of each township's villages. Every division is a `SimNode` (the
node's own routing, links, outbox, inbox, case and catalogue code over a SQLite database of its
own), linked to its parent — and the provinces to each other as peers — over the in-process
transport. The run publishes a signed catalogue release at every province and delivers it to every
node, then routes cases between villages (same township, same county, same province, another
province) to their handling township and the handler's 受理 back, and checks that every case
arrived once and every node holds its province's release.
"""

from __future__ import annotations

import random
import resource
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from node.cases.applicants import with_check_character
from node.cases.materials import Material
from node.cases.service import Applicant
from node.cases.states import Action, State
from node.catalogue import items as catalog
from node.catalogue.items import PROXY, CatalogDocument
from node.catalogue.releases import ReleaseSigner
from node.runtime.simnode import SimNode, Stores
from node.store.models import Case, PartnerItem
from signing.algorithms import Algorithm, generate_key
from signing.pki import Authority, CertificatePurpose, make_csr
from sync.memory import MemoryNetwork
from sync.origin import OriginSigner
from wuji.division_table import Division, DivisionTable
from wuji.divisions import DivisionCode, Tier

# the item the simulated cases apply for: handled at the township of the applicant's home
CASE_ITEM = "YB-0001"  # 城乡居民基本医疗保险参保登记
CASE_MATERIAL = "居民身份证或户口簿"
KINDS = ("same township", "same county", "same province", "other province")


@dataclass(frozen=True)
class SimulationPlan:
    scale: float = 0.01  # F: the fraction of each township's villages kept
    provinces: Sequence[str] = ()  # 2-digit province codes; empty: all
    within: Sequence[str] = ()  # codes (a prefecture, a county): only their subtrees and the chains above
    cases: int = 100
    seed: int = 20231231
    open_stores: int = 2000  # databases kept open at once; the others are compressed images


@dataclass
class Phase:
    name: str
    seconds: float  # wall clock
    cpu_seconds: float  # this process's CPU time: what the run costs on a machine shared with others
    units: int  # what the phase is per: nodes built or reached, or cases
    peak_rss_mb: float
    messages: Counter[str] = field(default_factory=Counter)  # by "sender tier → receiver tier"
    bytes: Counter[str] = field(default_factory=Counter)


@dataclass
class SimulationResult:
    nodes: Counter[Tier]
    phases: list[Phase]
    cases_sent: Counter[str]
    cases_arrived_once: int
    cases_answered: int
    catalogue_consistent: int  # nodes holding their province's current release
    store_bytes: int  # all nodes' databases, as held (open or compressed)
    reopened: int
    baseline_rss_mb: float  # before the first node: the interpreter, the modules, the table

    @property
    def node_count(self) -> int:
        return sum(self.nodes.values())

    @property
    def ok(self) -> bool:
        sent = sum(self.cases_sent.values())
        return (
            self.cases_arrived_once == sent
            and self.cases_answered == sent
            and self.catalogue_consistent == self.node_count
        )


def select_divisions(table: DivisionTable, plan: SimulationPlan) -> list[Division]:
    """The simulated tree, parents before children: whole tiers above villages, F of the villages.

    A township keeps floor(F·n + u) of its n villages (u uniform in [0, 1), drawn per township from
    the seed), so the expected count is F·n everywhere and the choice is repeatable.
    """
    rng = random.Random(plan.seed)
    within = [DivisionCode.parse(code.strip().ljust(6, "0")) for code in plan.within]  # 37, 3703 too
    provinces = {p[:2] for p in plan.provinces} | {code.value[:2] for code in within}

    def wanted(division: Division) -> bool:
        code = DivisionCode.parse(division.code)
        return not within or any(code.is_in_subtree_of(w) or code.is_ancestor_of(w) for w in within)

    chosen: list[Division] = []
    pending = [p for p in table.provinces() if not provinces or p.code[:2] in provinces]
    while pending:  # depth first, parents before children
        division = pending.pop()
        if not wanted(division):
            continue
        chosen.append(division)
        children = table.children(division.code)
        if division.tier is Tier.TOWNSHIP:
            keep = min(len(children), int(plan.scale * len(children) + rng.random()))
            chosen.extend(sorted(rng.sample(children, keep), key=lambda v: v.code))
        else:
            pending.extend(reversed(children))
    return chosen


class Simulation:
    def __init__(self, plan: SimulationPlan, console: Console) -> None:
        self.plan = plan
        self.console = console
        self.network = MemoryNetwork()
        self.stores = Stores(plan.open_stores)
        self.nodes: dict[str, SimNode] = {}
        self.phases: list[Phase] = []
        self._rng = random.Random(plan.seed + 1)
        self.baseline_rss_mb = _current_rss_mb()

    # -- building ------------------------------------------------------------------------------

    def build(self, divisions: list[Division]) -> None:
        provinces = [d.code for d in divisions if d.tier is Tier.PROVINCE]
        roots = {code: Authority.create_root(code, f"{code} 根证书") for code in provinces}
        signers = {code: _release_signer(authority) for code, authority in roots.items()}
        authorities: dict[str, Authority] = dict(roots)  # the CA of every node but villages
        # every node trusts every simulated province's root, as partner provinces install each
        # other's (跨省通办): a case's answer from another province is signed by its handler there
        anchors = [authority.certificate for authority in roots.values()]
        with self._phase("build nodes and links", len(divisions)) as advance:
            for division in divisions:
                province = division.code[:2] + "0" * 10
                peers = frozenset(p for p in provinces if p != province)
                node = SimNode(
                    division.code,
                    self.stores,
                    self.network,
                    anchors,
                    _node_key(division, authorities),
                    signers[province] if division.tier is Tier.PROVINCE else None,
                    peers if division.tier is Tier.PROVINCE else frozenset(),
                )
                self.nodes[division.code] = node
                if division.parent is not None:
                    parent = self.nodes[division.parent]
                    self.network.connect(
                        node.link(parent.here.value, "parent"), parent.link(division.code, "child")
                    )
                self._settle()
                advance(1)
            for index, first in enumerate(provinces):
                for second in provinces[index + 1 :]:
                    self.network.connect(
                        self.nodes[first].link(second, "peer"), self.nodes[second].link(first, "peer")
                    )
            self._settle()

    # -- the catalogue -------------------------------------------------------------------------

    def publish_catalogues(self) -> int:
        """Every province publishes a release; it flows down to every node. Returns nodes in step."""
        provinces = [node for node in self.nodes.values() if node.here.tier is Tier.PROVINCE]
        expected = len(self.nodes) - len(provinces)
        with self._phase("catalogue release to every node", expected) as advance:
            codes = [node.here.value for node in provinces]
            for node in provinces:
                node.catalog.publish(_catalogue([code for code in codes if code != node.here.value]))
            self._settle(advance)
        return self._catalogue_consistent()

    def _catalogue_consistent(self) -> int:
        held: dict[str, tuple[int, str]] = {}
        for code, node in self.nodes.items():
            held[code] = _release_of(node)
            self.stores.trim()  # one node at a time: the check must not open every database at once
        published = {
            code[:2]: held[code] for code, node in self.nodes.items() if node.here.tier is Tier.PROVINCE
        }
        return sum(1 for code, release in held.items() if release[0] > 0 and release == published[code[:2]])

    # -- cases ---------------------------------------------------------------------------------

    def route_cases(self) -> tuple[Counter[str], int, int]:
        """Submit cases at villages for applicants whose home is another village; check both ends.

        Within a province the handler (the home's township) holds the case once and its 受理 comes
        back to the village. From another province the case is 异地代收代办 (a window refuses a case
        for another province's home without an agreed mode): every province opens the item to the
        others, and its 受理 comes back across the peer link the same way.
        """
        pairs = list(self._case_pairs())
        sent: Counter[str] = Counter()
        submitted: list[tuple[str, str, str, str]] = []  # (kind, case id, origin, handler)
        with self._phase(f"{len(pairs)} cases to their handlers", len(pairs)) as advance:
            for kind, origin, home in pairs:
                number = len(submitted) + 1
                mode = ""
                if kind == "other province":  # the home province's offer, as it reaches a window
                    mode = PROXY
                    with self.nodes[origin].sessions.begin() as session:
                        _offered(session, home[:2] + "0" * 10)
                case = self.nodes[origin].cases.submit(
                    CASE_ITEM,
                    Applicant(f"参保人{number}", _identity_number(home, number)),
                    [Material(CASE_MATERIAL, b"%PDF-1.4 simulated identity document", file_name="id.pdf")],
                    home_division=home,
                    mode=mode,
                )
                submitted.append((kind, case.id, origin, case.handler))
                sent[kind] += 1
                self._settle()
                advance(1)
        arrived = 0
        with self._phase("受理 at each handler, back to the village", len(submitted)) as advance:
            for _kind, case_id, _origin, handler in submitted:
                node = self.nodes[handler]
                if node.with_session(partial(_copies, case_id=case_id)) == 1:
                    arrived += 1
                    node.cases.act(case_id, Action.ACCEPT, note="模拟受理")
                self._settle()
                advance(1)
        answered = 0
        for _kind, case_id, origin, _handler in submitted:
            state = self.nodes[origin].with_session(partial(_state, case_id=case_id))
            answered += state == State.ACCEPTED
            self.stores.trim()
        return sent, arrived, answered

    def _case_pairs(self) -> Iterator[tuple[str, str, str]]:
        """(kind, origin village, home village) for plan.cases cases, the kinds taken in turn."""
        villages = [code for code, node in self.nodes.items() if node.here.tier is Tier.VILLAGE]
        if len(villages) < 2:
            return
        by_prefix: dict[int, dict[str, list[str]]] = {length: defaultdict(list) for length in (9, 6, 2)}
        for code in villages:
            for length, groups in by_prefix.items():
                groups[code[:length]].append(code)
        kinds = list(zip(KINDS, (9, 6, 2, 0), strict=True))
        provinces = sorted(by_prefix[2])
        produced = attempts = 0
        while produced < self.plan.cases and attempts < self.plan.cases * 20:
            kind, length = kinds[attempts % len(kinds)]
            attempts += 1
            origin = self._rng.choice(villages)
            home = self._home_for(origin, length, by_prefix, provinces)
            if home is not None:
                produced += 1
                yield kind, origin, home

    def _home_for(
        self, origin: str, length: int, by_prefix: dict[int, dict[str, list[str]]], provinces: list[str]
    ) -> str | None:
        """A village sharing the first `length` digits with origin but not the next tier's (0: another
        province); drawn by rejection, so a case costs the same however large the tree."""
        if length == 0:
            others = [p for p in provinces if p != origin[:2]]
            return self._rng.choice(by_prefix[2][self._rng.choice(others)]) if others else None
        group = by_prefix[length][origin[:length]]
        narrower = {9: 12, 6: 9, 2: 6}[length]  # same county: another township, and so on
        for _ in range(20):
            home = self._rng.choice(group)
            if home[:narrower] != origin[:narrower]:
                return home
        return None

    # -- running the network -------------------------------------------------------------------

    def _settle(self, advance: Callable[[int], None] | None = None) -> None:
        """Move frames until every link is quiet, closing idle databases as it goes."""
        self.network.run(after_pump=lambda envelopes: self._after_pump(envelopes, advance))

    def _after_pump(self, envelopes: int, advance: Callable[[int], None] | None) -> None:
        self.stores.trim()
        if advance is not None and envelopes:
            advance(envelopes)

    def _phase(self, name: str, total: int) -> _PhaseContext:
        return _PhaseContext(self, name, total)

    def result(self, sent: Counter[str], arrived: int, answered: int, consistent: int) -> SimulationResult:
        tiers = Counter(node.here.tier for node in self.nodes.values())
        return SimulationResult(
            tiers,
            self.phases,
            sent,
            arrived,
            answered,
            consistent,
            self.stores.total_bytes(),
            self.stores.reopened,
            self.baseline_rss_mb,
        )


class _PhaseContext:
    """Times a phase, shows its progress bar, and records its traffic by tier and its peak RSS."""

    def __init__(self, simulation: Simulation, name: str, total: int) -> None:
        self._simulation = simulation
        self._name = name
        self._total = total
        self._progress = Progress(
            TextColumn(f"{name:<42}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=simulation.console,
            transient=False,
        )

    def __enter__(self) -> Callable[[int], None]:
        self._before = _traffic(self._simulation.network)
        self._start = time.perf_counter()
        self._cpu = time.process_time()
        self._progress.start()
        task = self._progress.add_task(self._name, total=max(self._total, 1))
        return lambda steps: self._progress.advance(task, steps)

    def __exit__(self, *error: object) -> None:
        self._progress.stop()
        seconds = time.perf_counter() - self._start
        cpu = time.process_time() - self._cpu
        after = _traffic(self._simulation.network)
        phase = Phase(self._name, seconds, cpu, self._total, _peak_rss_mb())
        for key, (messages, size) in after.items():
            was_messages, was_size = self._before.get(key, (0, 0))
            if messages > was_messages:
                phase.messages[key] = messages - was_messages
                phase.bytes[key] = size - was_size
        self._simulation.phases.append(phase)


def _traffic(network: MemoryNetwork) -> dict[str, tuple[int, int]]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for sender, receiver, traffic in network.traffic():
        key = f"{DivisionCode.parse(sender).tier.label}→{DivisionCode.parse(receiver).tier.label}"
        totals[key][0] += traffic.envelopes
        totals[key][1] += traffic.bytes
    return {key: (value[0], value[1]) for key, value in totals.items()}


def _identity_number(home: str, number: int) -> str:
    """A well-formed 居民身份证号码 (GB 11643) of the applicant's home county."""
    return with_check_character(f"{home[:6]}19900101{number % 1000:03d}")


def _state(session: Session, case_id: str) -> str:
    """The case's state as stored (a State value: State is a StrEnum, so the two compare equal)."""
    return session.get_one(Case, case_id).state


def _copies(session: Session, case_id: str) -> int:
    return session.scalar(select(func.count()).select_from(Case).where(Case.id == case_id)) or 0


def _offered(session: Session, province: str) -> None:
    """The cases' item as province offers it to windows here (异地代收代办); a real node learns it
    from the partner's signed offer (node/trust/partners.py), which the simulation does not run."""
    if session.get(PartnerItem, (province, CASE_ITEM)) is None:
        item = catalog.item(session, CASE_ITEM)
        session.add(
            PartnerItem(
                province=province,
                code=item.code,
                name=item.name,
                handling_tier=item.handling_tier,
                department=item.department,
                modes=[PROXY],
                item={},
            )
        )


def _release_of(node: SimNode) -> tuple[int, str]:
    release = node.with_session(catalog.latest_release)
    node_trim = (release.version, release.digest) if release is not None else (0, "")
    return node_trim


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _node_key(division: Division, authorities: dict[str, Authority]) -> OriginSigner:
    """The node's CA (certified by its parent's) and its node key, as enrollment would give them:
    a village's node certificate comes from its township, every other node's from its own CA."""
    if division.tier is Tier.VILLAGE:
        issuer = authorities[division.parent or ""]
    else:
        if division.parent is not None:
            parent = authorities[division.parent]
            key = generate_key(Algorithm.ECDSA_P256_SHA256)
            csr = make_csr(key, division.code, CertificatePurpose.CA, division.name)
            certificate = parent.issue(csr, CertificatePurpose.CA, valid_days=30)
            authorities[division.code] = Authority(key, certificate, parent.full_chain())  # type: ignore[arg-type]
        issuer = authorities[division.code]
    key = generate_key(Algorithm.ECDSA_P256_SHA256)
    csr = make_csr(key, division.code, CertificatePurpose.TLS, division.name)
    certificate = issuer.issue(csr, CertificatePurpose.TLS, valid_days=30)
    return OriginSigner(key, certificate, issuer.full_chain()[:-1])


def _release_signer(root: Authority) -> ReleaseSigner:
    key = generate_key(Algorithm.ECDSA_P256_SHA256)
    code = root.code.value
    csr = make_csr(key, code, CertificatePurpose.CATALOG, f"{code} 事项目录发布")
    certificate = root.issue(csr, CertificatePurpose.CATALOG, valid_days=30)
    return ReleaseSigner(key, [certificate, root.certificate])


def _catalogue(partners: Sequence[str]) -> CatalogDocument:
    """The shipped demo catalogue (湖南's, which has the cases' item), published by each province,
    the cases' item open to the partner provinces' windows (异地代收代办)."""
    document = catalog.load_document(catalog.demo_catalog_path())
    opened = {province: [PROXY] for province in partners}
    items = [
        {**item, "partner_modes": {**(item.get("partner_modes") or {}), **opened}}
        if item["code"] == CASE_ITEM and opened
        else item
        for item in document.items
    ]
    return CatalogDocument(document.name, items)


def run(table: DivisionTable, plan: SimulationPlan, console: Console) -> SimulationResult:
    started, cpu = time.perf_counter(), time.process_time()
    divisions = select_divisions(table, plan)
    simulation = Simulation(plan, console)
    simulation.build(divisions)
    consistent = simulation.publish_catalogues()
    sent, arrived, answered = simulation.route_cases()
    result = simulation.result(sent, arrived, answered, consistent)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    result.phases.append(Phase("total", wall, cpu, len(divisions), _peak_rss_mb()))
    return result


def report(result: SimulationResult, plan: SimulationPlan, console: Console) -> None:
    nodes = result.node_count
    console.print(
        f"F = {plan.scale}: {nodes:,} nodes ("
        + ", ".join(f"{tier.label} {result.nodes[tier]:,}" for tier in sorted(result.nodes))
        + ")",
        highlight=False,
    )
    table = Table(
        "phase", "wall s", "CPU s", "CPU ms each", "peak RSS MiB", "KiB per node", "envelopes", "bytes"
    )
    for phase in result.phases:
        table.add_row(
            phase.name,
            f"{phase.seconds:,.1f}",
            f"{phase.cpu_seconds:,.1f}",
            f"{phase.cpu_seconds * 1000 / max(phase.units, 1):.1f}",
            f"{phase.peak_rss_mb:,.0f}",
            f"{(phase.peak_rss_mb - result.baseline_rss_mb) * 1024 / nodes:.1f}",
            f"{sum(phase.messages.values()):,}",
            f"{sum(phase.bytes.values()):,}",
        )
    console.print(table)
    console.print(
        f"(CPU ms each: per node for the first phases and the total, per case for the case phases; "
        f"KiB per node: peak RSS above the {result.baseline_rss_mb:,.0f} MiB before the first node)",
        highlight=False,
    )
    by_tier = Table("phase", "link (sender → receiver)", "envelopes", "bytes")
    for phase in result.phases:
        for key in sorted(phase.messages):
            by_tier.add_row(phase.name, key, f"{phase.messages[key]:,}", f"{phase.bytes[key]:,}")
    console.print(by_tier)
    sent = sum(result.cases_sent.values())
    console.print(
        f"cases: {sent} sent ("
        + ", ".join(f"{kind} {result.cases_sent[kind]}" for kind in KINDS)
        + f"), {result.cases_arrived_once} held once at their handler, "
        f"{result.cases_answered} answered at their village (受理)",
        highlight=False,
    )
    console.print(
        f"catalogue: {result.catalogue_consistent:,} of {nodes:,} nodes hold their province's release; "
        f"databases {result.store_bytes / 2**20:,.1f} MiB as held, "
        f"{result.reopened:,} reopened after closing",
        highlight=False,
    )
    console.print("[green]ok[/]" if result.ok else "[red]NOT ok[/]")
