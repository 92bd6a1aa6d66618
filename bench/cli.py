"""Benchmark: how fast the command line starts.

Times whole processes, as a user meets them (median of --runs, wall clock): `talentflow --help`, `talentflow
status` on a small store (a simulated market ingested here unless --db is given) and `talentflow indicators
list`, beside two baselines run the same way: the Python interpreter alone (the floor) and importing the
libraries the command line used to load for every command (pandas, Ibis, FastAPI, plotly). Goal: --help and
status under 0.4 s.

    .venv/bin/python bench/cli.py
    .venv/bin/python bench/cli.py --runs 9 --db demo/talentflow.duckdb
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def wall(command: list[str], runs: int) -> float:
    """Median wall time of ``runs`` runs of ``command`` (one unmeasured run first, to warm the file cache)."""
    subprocess.run(command, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def small_store(folder: Path) -> Path:
    from talentflow import ingest
    from talentflow.simulate import load_scenario, simulate

    simulate(load_scenario("exodus-2022"), folder / "sim", scale=0.002, seed=1)
    db = folder / "store.duckdb"
    ingest([folder / "sim"], db=db)
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", type=Path, help="a store for `talentflow status` [default: a small simulated one]")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or small_store(Path(tmp))
        talentflow = str(BIN / "talentflow")
        rows = [
            ("python -c pass (floor)", [sys.executable, "-c", "pass"]),
            ("import pandas, ibis, fastapi, plotly", [sys.executable, "-c", "import pandas, ibis, fastapi, plotly"]),
            ("talentflow --help", [talentflow, "--help"]),
            ("talentflow status", [talentflow, "status", "--db", str(db)]),
            ("talentflow indicators list", [talentflow, "indicators", "list", "--db", str(db)]),
        ]
        times = {name: wall(command, args.runs) for name, command in rows}
    floor = times["python -c pass (floor)"]
    print(f"median of {args.runs} runs, wall clock")
    for name, seconds in times.items():
        print(f"  {name:<40} {seconds:6.3f} s   {seconds / floor:5.1f}x the floor")
    for name in ("talentflow --help", "talentflow status"):
        verdict = "meets" if times[name] < 0.4 else "MISSES"
        print(f"{name}: {times[name]:.3f} s {verdict} the goal of 0.4 s")


if __name__ == "__main__":
    main()
