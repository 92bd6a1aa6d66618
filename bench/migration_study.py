"""Validate the panel flow estimator on the simulator: many seeds, estimate against truth, naive against corrected.

    python bench/migration_study.py --seeds 20 --scale 0.02
    python bench/migration_study.py --scenario bench/scenarios/exodus-2022-heavy-bias.toml --seeds 20

For each seed: simulate, ingest into a fresh store, estimate 2022 emigration and returns (corrected and naive),
and compare with the truth in truth/summary.json. The population figure given to the estimator is the true
number of IT workers (home and abroad) at the end of 2021, as a census would give it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from talentflow.ingestion import ingest
from talentflow.migration.panel import PanelOptions, Population, load_panel, panel_flows
from talentflow.simulate import load_scenario, simulate
from talentflow.store import Store

WINDOW = ("2022-01", "2022-12")


def truth_of(sim: Path) -> tuple[dict[str, float], Population]:
    summary = json.loads((sim / "truth" / "summary.json").read_text())
    year = [r for r in summary if WINDOW[0] <= r["month"] <= WINDOW[1]]
    ref = next(r for r in summary if r["month"] == "2021-12")
    pop = Population(ref["it_workers_home"] + ref["abroad"], "2021-12", "simulator truth at 2021-12")
    return {"emigration": sum(r["emigrated"] for r in year), "return": sum(r["returned"] for r in year)}, pop


def one_seed(scenario: object, seed: int, scale: float, n_boot: int, work: Path) -> list[dict]:
    sim = work / f"sim-{seed}"
    simulate(scenario, sim, seed=seed, scale=scale)
    with Store(work / f"s-{seed}.duckdb") as store:
        ingest(sim, store=store)
        panel = load_panel(store, data="simulated")
    truth, pop = truth_of(sim)
    rows = []
    for corrected in (True, False):
        opt = PanelOptions(n_boot=n_boot, seed=seed)
        res = panel_flows(panel, pop, start=WINDOW[0], end=WINDOW[1], corrected=corrected, options=opt)
        for flow in ("emigration", "return"):
            r = res.select(flow=flow, destination="abroad", period=f"{WINDOW[0]}/{WINDOW[1]}").iloc[0]
            rows.append(
                {
                    "seed": seed,
                    "method": res.method,
                    "flow": flow,
                    "truth": truth[flow],
                    "estimate": r.estimate,
                    "low": r.low,
                    "high": r.high,
                    "rel_error": r.estimate / truth[flow] - 1,
                    "covered": bool(r.low <= truth[flow] <= r.high),
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="exodus-2022")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--scale", type=float, default=0.02)
    ap.add_argument("--n-boot", type=int, default=100)
    ap.add_argument("--csv", type=Path, help="Also write the per-seed rows here.")
    args = ap.parse_args(argv)
    scenario = load_scenario(args.scenario)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            t = time.perf_counter()
            rows += one_seed(scenario, seed, args.scale, args.n_boot, Path(tmp))
            print(f"seed {seed} done in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    frame = pd.DataFrame(rows)
    if args.csv:
        frame.to_csv(args.csv, index=False)
    pd.set_option("display.width", 160)
    print(frame.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    summary = frame.groupby(["method", "flow"]).agg(
        mean_truth=("truth", "mean"),
        mean_estimate=("estimate", "mean"),
        mean_rel_error=("rel_error", "mean"),
        mean_abs_rel_error=("rel_error", lambda e: e.abs().mean()),
        covered=("covered", "sum"),
        seeds=("seed", "count"),
    )
    print(f"\n{scenario.name}, scale {args.scale}, {args.seeds} seeds, {args.n_boot} bootstrap replicates")
    print(summary.to_string(float_format=lambda v: f"{v:,.3f}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
