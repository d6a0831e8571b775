"""`wuji bench`: measure, print the table (or JSON), save the results under bench/results/."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import raw
from bench.catalogue import measure as measure_catalogue
from bench.measure import measure
from bench.origin import measure as measure_origin
from bench.queues import measure as measure_queues
from bench.supervision import measure as measure_scan

RESULTS = Path(__file__).with_name("results")
SIZES = {  # (cases over two links, latency samples, seals, unary calls, stream messages, sqlite commits,
    # signatures, cases caught up over one hop)
    "quick": (300, 30, 100, 300, 5_000, 1_000, 200, 1_000),
    "full": (5_000, 200, 1_000, 2_000, 50_000, 5_000, 1_000, 100_000),
}
SCAN_SIZES = {  # (open cases, of which due a look today); the goal is about 1,000,000 open cases
    "quick": (50_000, 100),
    "full": (1_000_000, 1_000),
}
QUEUE_SIZES = {"quick": 50_000, "full": 1_000_000}  # cases at a county hall's node; the goal is at 1,000,000
GOALS = {
    "hop_vs_raw_stream": 0.5,
    "verify_vs_raw": 0.8,
    "sm2_verified_per_s": 150,  # per core, with the chain (issue 18)
}


def run(quick: bool) -> dict[str, Any]:
    cases, samples, seals, unary, stream, commits, signatures, catch_up = SIZES["quick" if quick else "full"]
    wuji = measure(cases, samples, seals, catch_up)
    catalogue = measure_catalogue(1_000 if quick else 10_000)
    scan = measure_scan(*SCAN_SIZES["quick" if quick else "full"])
    lists = measure_queues(QUEUE_SIZES["quick" if quick else "full"])
    origin = measure_origin(signatures)
    payload = b"\0" * wuji.envelope_bytes
    unary_rate, stream_rate = raw.grpc_rates(payload, unary, stream)
    sign_rate, verify_rate = raw.signature_rates(b"x" * 600, signatures)
    sm2_sign_rate, sm2_verify_rate = raw.sm2_signature_rates(b"x" * 600, signatures)
    commit_rate = raw.sqlite_commit_rate(wuji.envelope_bytes, commits)
    ratios = {
        "hop_vs_raw_stream": wuji.hop_cases_per_s / stream_rate,
        "two_links_vs_raw_stream": wuji.two_link_cases_per_s / stream_rate,
        "hop_vs_raw_sqlite_commit": wuji.hop_cases_per_s / commit_rate,
        "seal_vs_raw_sign": wuji.seals_per_s / sign_rate,
        "verify_vs_raw": wuji.seal_verifications_per_s / verify_rate,
        # share of one hop's time per case that the origin's signing / the destination's check takes
        "origin_sign_share_of_hop": wuji.hop_cases_per_s / origin.signs_per_s,
        "origin_verify_share_of_hop": wuji.hop_cases_per_s / origin.verifies_per_s,
        "origin_verify_vs_raw_verify": origin.verifies_per_s / verify_rate,
        "sm2_seal_vs_raw_sign": wuji.sm2_seals_per_s / sm2_sign_rate,
        "sm2_verify_vs_raw": wuji.sm2_seal_verifications_per_s / sm2_verify_rate,
    }
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "size": "quick" if quick else "full",
        "machine": f"{platform.machine()} python {platform.python_version()}",
        "raw": {
            "grpc_unary_per_s": unary_rate,
            "grpc_stream_messages_per_s": stream_rate,
            "sign_per_s": sign_rate,
            "verify_per_s": verify_rate,
            "sm2_sign_per_s": sm2_sign_rate,
            "sm2_verify_per_s": sm2_verify_rate,
            "sqlite_outbox_commits_per_s": commit_rate,
        },
        "wuji": asdict(wuji),
        "catalogue": asdict(catalogue),
        "supervision_scan": asdict(scan),
        "queues": asdict(lists),
        "origin": asdict(origin),
        "ratios": ratios
        | {"delta_vs_full_release_bytes": catalogue.delta_bytes / catalogue.full_release_bytes},
        "goals": {
            "hop_vs_raw_stream >= 0.5": ratios["hop_vs_raw_stream"] >= GOALS["hop_vs_raw_stream"],
            "3-node p99 < 50 ms": wuji.latency_p99_ms < 50,
            "verify_vs_raw >= 0.8": ratios["verify_vs_raw"] >= GOALS["verify_vs_raw"],
            "SM2 seals verified with chain >= 150/s": wuji.sm2_seal_verifications_per_s
            >= GOALS["sm2_verified_per_s"],
            f"overdue scan of {scan.open_cases:,} open cases < 1 s": scan.scan_seconds < 1,
            f"catch-up of {wuji.catch_up_cases:,} queued cases < 60 s": wuji.catch_up_seconds < 60,
            f"every list or search page at {lists.cases:,} cases < 20 ms": lists.slowest_list_ms < 20,
        },
        "not_measured_yet": (
            [
                "overdue scan at the goal's 1,000,000 open cases (quick runs 50,000)",
                "catch-up at the goal's 100,000 queued cases (quick runs 1,000)",
                "queues and search at the goal's 1,000,000 cases (quick runs 50,000)",
            ]
            if quick
            else []
        ),
    }


def save(result: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{result['when'].replace(':', '')}-{result['size']}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def print_table(console: Console, result: dict[str, Any]) -> None:
    raw_figures, wuji, ratios = result["raw"], result["wuji"], result["ratios"]
    table = Table("figure", "wuji", "raw baseline", "ratio", title=f"wuji bench ({result['size']})")
    table.add_row(
        "cases/s over one durable hop (catch-up)",
        f"{wuji['hop_cases_per_s']:,.0f}",
        f"{raw_figures['grpc_stream_messages_per_s']:,.0f} stream msg/s",
        f"{ratios['hop_vs_raw_stream']:.2f}",
    )
    table.add_row(
        "cases/s village → township → county",
        f"{wuji['two_link_cases_per_s']:,.0f}",
        f"{raw_figures['grpc_stream_messages_per_s']:,.0f} stream msg/s",
        f"{ratios['two_links_vs_raw_stream']:.2f}",
    )
    table.add_row(
        "same hop vs one SQLite outbox commit",
        f"{wuji['hop_cases_per_s']:,.0f}",
        f"{raw_figures['sqlite_outbox_commits_per_s']:,.0f} commits/s",
        f"{ratios['hop_vs_raw_sqlite_commit']:.2f}",
    )
    table.add_row(
        "village → county latency p50 / p99",
        f"{wuji['latency_p50_ms']:.1f} / {wuji['latency_p99_ms']:.1f} ms",
        f"{1000 / raw_figures['grpc_unary_per_s']:.2f} ms unary round trip",
        "",
    )
    table.add_row(
        "seals made/s (with the province's time-stamp)",
        f"{wuji['seals_per_s']:,.0f}",
        f"{raw_figures['sign_per_s']:,.0f} raw P-256 signs/s",
        f"{ratios['seal_vs_raw_sign']:.2f}",
    )
    table.add_row(
        "seals verified/s (with chain checks)",
        f"{wuji['seal_verifications_per_s']:,.0f}",
        f"{raw_figures['verify_per_s']:,.0f} raw P-256 verifies/s",
        f"{ratios['verify_vs_raw']:.2f}",
    )
    origin = result["origin"]
    table.add_row(
        "origin signature: signs/s at the origin (share of a hop's time per case)",
        f"{origin['signs_per_s']:,.0f}",
        f"{raw_figures['sign_per_s']:,.0f} raw P-256 signs/s",
        f"{ratios['origin_sign_share_of_hop']:.2f}",
    )
    table.add_row(
        f"origin check: verifies/s at the destination ({origin['envelope_bytes']:,} B envelope)",
        f"{origin['verifies_per_s']:,.0f}",
        f"{raw_figures['verify_per_s']:,.0f} raw P-256 verifies/s",
        f"{ratios['origin_verify_share_of_hop']:.2f}",
    )
    table.add_row(
        "SM2 seals made/s (GB/T 38540 signature, time-stamped)",
        f"{wuji['sm2_seals_per_s']:,.0f}",
        f"{raw_figures['sm2_sign_per_s']:,.0f} raw SM2 signs/s",
        f"{ratios['sm2_seal_vs_raw_sign']:.2f}",
    )
    table.add_row(
        "SM2 seals verified/s (with chain checks)",
        f"{wuji['sm2_seal_verifications_per_s']:,.0f}",
        f"{raw_figures['sm2_verify_per_s']:,.0f} raw SM2 verifies/s",
        f"{ratios['sm2_verify_vs_raw']:.2f}",
    )
    catalogue = result["catalogue"]
    table.add_row(
        f"catalogue of {catalogue['items']:,} items applied at a child (full / one-item delta)",
        f"{catalogue['full_apply_seconds']:.2f} s / {catalogue['delta_apply_seconds'] * 1000:.0f} ms",
        f"{catalogue['full_release_bytes']:,} B / {catalogue['delta_bytes']:,} B",
        f"{ratios['delta_vs_full_release_bytes']:.4f}",
    )
    scan = result["supervision_scan"]
    table.add_row(
        f"overdue scan of {scan['open_cases']:,} open cases ({scan['due_cases']:,} due today, each carded)",
        f"{scan['scan_seconds'] * 1000:,.0f} ms",
        "",
        "",
    )
    table.add_row(
        f"catch-up of {wuji['catch_up_cases']:,} queued cases (queued at {wuji['queue_cases_per_s']:,.0f}/s)",
        f"{wuji['catch_up_seconds']:.1f} s",
        "",
        "",
    )
    lists = result["queues"]
    table.add_row(
        f"slowest list or search page of {lists['cases']:,} cases ({lists['slowest_list']}, median)",
        f"{lists['slowest_list_ms']:.1f} ms",
        "",
        "",
    )
    console.print(table)
    for goal, met in result["goals"].items():
        console.print(f"  goal {goal}: {'met' if met else '[red]not met[/]'}")
    for pending in result["not_measured_yet"]:
        console.print(f"  not measured yet: {pending}")
