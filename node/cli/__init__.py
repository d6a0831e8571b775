"""`wuji`: the command line of a node (Typer + rich). Errors are one clear line and an exit code.

One module per command group; `common` holds what they share.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from node.cli import cases, catalog, divisions, documents, login, nodes, supervision, trust
from node.cli.common import console, fail
from node.config import ConfigError
from wuji.divisions import InvalidDivisionCode

app = typer.Typer(
    help="wuji (五级): one node program for the five tiers of government service.", no_args_is_help=True
)
app.add_typer(nodes.node_app, name="node")
app.add_typer(cases.case_app, name="case")
app.add_typer(cases.bundle_app, name="bundle")
app.add_typer(catalog.catalog_app, name="catalog")
app.add_typer(documents.doc_app, name="doc")
app.add_typer(catalog.calendar_app, name="calendar")
app.add_typer(trust.peer_app, name="peer")
app.add_typer(trust.seal_app, name="seal")
app.add_typer(trust.cert_app, name="cert")
app.add_typer(trust.licence_app, name="licence")
app.add_typer(supervision.supervision_app, name="supervision")
app.add_typer(supervision.rating_app, name="rating")
app.command("stats")(supervision.stats)
app.add_typer(divisions.divisions_app, name="divisions")
app.add_typer(login.staff_app, name="staff")
app.command("login")(login.login)
app.command("logout")(login.logout)
app.command("whoami")(login.whoami)


@app.command("demo")
def demo(
    keep: Annotated[
        Path | None, typer.Option(help="run in DIR and leave configs, databases and logs there")
    ] = None,
    serve: Annotated[
        bool, typer.Option(help="afterwards, keep the nodes and their front desks running until Ctrl-C")
    ] = False,
) -> None:
    """Start two five-tier provinces (湖南, 广东) as ten real nodes on loopback and run cases through them."""
    from node.runtime.demo import run_demo

    raise typer.Exit(run_demo(console, keep, serve))


@app.command("simulate")
def simulate(
    scale: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="F: the fraction of each township's villages kept")
    ] = 0.01,
    provinces: Annotated[
        str, typer.Option(help="comma-separated province codes (37,43); default: all 31")
    ] = "",
    within: Annotated[
        str, typer.Option(help="comma-separated codes (prefecture 3703, county 430981): only their subtrees")
    ] = "",
    cases: Annotated[int, typer.Option(min=0, help="cases routed between villages")] = 100,
    seed: Annotated[int, typer.Option(help="seed of the village sample and the cases")] = 20231231,
    open_stores: Annotated[
        int, typer.Option(min=1, help="node databases kept open at once (the rest as compressed images)")
    ] = 2000,
) -> None:
    """Run the federation on the real division table in one process (in-process links), and report."""
    import logging

    from node.runtime.simulation import SimulationPlan, report, run
    from wuji import division_table

    def codes(text: str) -> list[str]:
        return [code.strip() for code in text.split(",") if code.strip()]

    if not 0 < scale <= 1:
        fail("--scale must be in (0, 1]")
    try:
        table = division_table.installed()
    except division_table.TableMissing as missing:
        fail(str(missing))
    for text in codes(provinces) + codes(within):  # before anything starts: 0 nodes ended in a traceback
        if table.get(divisions.table_code(text)) is None:
            fail(f"{text} 不在区划表中 (not in the division table)")
    logging.getLogger("sync.link").setLevel(logging.ERROR)  # refusals on arrival are expected
    plan = SimulationPlan(scale, codes(provinces), codes(within), cases, seed, open_stores)
    result = run(table, plan, console)
    report(result, plan, console)
    raise typer.Exit(0 if result.ok else 1)


@app.command("bench")
def bench(
    quick: Annotated[bool, typer.Option(help="small sizes (well under 90 s), as CI runs it")] = False,
    database_url: Annotated[
        str,
        typer.Option(help="a PostgreSQL server (URL) for the hop's handler and the raw database baseline"),
    ] = "",
    as_json: Annotated[
        bool, typer.Option("--json", help="print one JSON object instead of the table")
    ] = False,
) -> None:
    """Measure wuji against raw baselines from the same run; results are saved in bench/results/."""
    import json

    from bench.run import print_table, run, save

    result = run(quick, database_url)
    path = save(result)
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print_table(console, result)
        console.print(f"saved {path}")


def main() -> None:
    try:
        app()
    except (InvalidDivisionCode, ConfigError) as error:
        # outside the app Typer no longer turns fail's Exit into an exit code: it was a traceback
        try:
            fail(str(error))
        except typer.Exit as refused:
            sys.exit(refused.exit_code)
