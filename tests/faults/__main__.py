"""`python -m tests.faults`: the fault scenarios at full size, printing the README's figures."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tests.faults.scenarios import lossy_link, sigkill_rounds, village_cut_off


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=500, help="cases in the SIGKILL scenario")
    parser.add_argument("--rounds", type=int, default=10, help="SIGKILL rounds")
    parser.add_argument("--cutoff-cases", type=int, default=2000, help="cases accepted while cut off")
    parser.add_argument("--lossy-cases", type=int, default=100, help="cases over the lossy links")
    parser.add_argument("--only", choices=["kill", "cutoff", "lossy"], help="run one scenario")
    parser.add_argument("--keep", type=Path, help="run in this folder and keep the nodes' files and logs")
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory(prefix="wuji-faults-") as scratch:
        folder = args.keep or Path(scratch)
        runs = {
            "kill": lambda: sigkill_rounds(Path(folder) / "kill", args.cases, args.rounds),
            "cutoff": lambda: village_cut_off(Path(folder) / "cutoff", args.cutoff_cases),
            "lossy": lambda: lossy_link(Path(folder) / "lossy", args.lossy_cases),
        }
        for name, run in runs.items():
            if args.only and name != args.only:
                continue
            figures = run()
            print("\n".join(figures.lines()), flush=True)
            a = figures.audit
            failed |= bool(a.lost or a.duplicated or a.out_of_order or a.broken_chains)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
