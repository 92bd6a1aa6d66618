"""The panel estimator on markets that break its simplest assumptions: many seeds per behaviour, estimate against
truth, with 90% coverage and its binomial interval.

    python bench/misspecification_study.py --seeds 50 --scale 0.005
    python bench/misspecification_study.py --cells model,return_early --seeds 10 --model simple

Cells (docs/simulator.md, "Behaviours"; each on top of exodus-2022):

- ``model``: the market as the estimator assumes it;
- ``return_early``: returns four times likelier in the first 13 weeks abroad (same share back after a year);
- ``types``: half the workers start looking for a job five times less often than the other half;
- ``intent``: those willing to move abroad start looking twice as often;
- ``all3``: the three together; ``hard``: the built-in exodus-2022-hard (the three, plus destination-specific
  use of the board abroad and coverage rising in 2022), reported, not a target.

For each seed: simulate, ingest into a fresh store, fit the panel (``--model full``: the model of issue 18, with
search types and time abroad; ``simple``: the model before it) and compare 2022 emigration, returns, emigrants
who stayed at least 3 and 12 months, and the cohort's share back within 12 months with the truth
(truth/summary.json and truth/moves.parquet). The population figure is the true number of IT workers at the end
of 2021. Coverage's interval is Wilson's at 95%.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from talentflow.ingestion import ingest
from talentflow.migration.panel import PanelOptions, Population, fit_panel, load_panel
from talentflow.migration.panel._model import SIMPLE, Structure
from talentflow.simulate import load_scenario, simulate
from talentflow.simulate.scenario import Scenario, _merge
from talentflow.store import Store

WINDOW = ("2022-01", "2022-12")
EARLY = {"migration": {"return_early": {"weeks": 13, "factor": 4.0}}}
TYPES = {"search": {"types": [{"share": 0.5, "factor": 0.2}, {"share": 0.5, "factor": 1.0}]}}
INTENT = {"search": {"intent_factor": 2.0}}
CELLS: dict[str, tuple[str, dict]] = {
    "model": ("exodus-2022", {}),
    "return_early": ("exodus-2022", EARLY),
    "types": ("exodus-2022", TYPES),
    "intent": ("exodus-2022", INTENT),
    "all3": ("exodus-2022", _merge(_merge(EARLY, TYPES), INTENT)),
    "hard": ("exodus-2022-hard", {}),
}
MODELS = {"full": Structure(), "durations": Structure(types=1, durations=2, intent=False), "simple": SIMPLE}
QUANTITIES = ("emigration", "return", "emigration_3m", "emigration_12m", "return_share_12m")


def scenario_of(cell: str) -> Scenario:
    base, over = CELLS[cell]
    sc = load_scenario(base)
    return Scenario.model_validate(_merge(sc.model_dump(mode="json"), over)) if over else sc


def truth_of(sim: Path, scale: float) -> tuple[dict[str, float], Population]:
    """2022's moves from the simulator's record: every emigration with the date of the worker's next return."""
    summary = json.loads((sim / "truth" / "summary.json").read_text())
    ref = next(r for r in summary if r["month"] == "2021-12")
    pop = Population(ref["it_workers_home"] + ref["abroad"], "2021-12", "simulator truth at 2021-12")
    year = [r for r in summary if WINDOW[0] <= r["month"] <= WINDOW[1]]
    moves = pd.read_parquet(sim / "truth" / "moves.parquet")
    moves["date"] = pd.to_datetime(moves["date"])
    end = pd.Timestamp(summary[-1]["month"]) + pd.offsets.MonthEnd(0)
    moves = moves.sort_values(["worker", "date"])
    nxt = moves.groupby("worker")["date"].shift(-1)
    left = moves[(moves["kind"] == "emigrated") & moves["date"].between(WINDOW[0], f"{WINDOW[1]}-31")]
    back = nxt[left.index]  # a worker's moves alternate: the move after an emigration is a return
    days = (back.fillna(end) - left["date"]).dt.days
    returned_within_year = (back.notna() & (days < 365.25)).mean()
    truth = {
        "emigration": sum(r["emigrated"] for r in year),
        "return": sum(r["returned"] for r in year),
        "emigration_3m": (days >= 365.25 / 4).sum() / scale,
        "emigration_12m": (days >= 365.25).sum() / scale,
        "return_share_12m": float(returned_within_year),
    }
    return truth, pop


def one_seed(cell: str, seed: int, scale: float, model: str, n_boot: int, work: Path) -> list[dict[str, Any]]:
    sim = work / f"sim-{cell}-{seed}"
    simulate(scenario_of(cell), sim, seed=seed, scale=scale)
    with Store(work / f"{cell}-{seed}.duckdb") as store:
        ingest(sim, store=store)
        panel = load_panel(store, data="simulated")
    truth, pop = truth_of(sim, scale)
    fit = fit_panel(panel, pop, options=PanelOptions(n_boot=n_boot, seed=seed, structure=MODELS[model]))
    rows = fit.result(*WINDOW).rows
    period = f"{WINDOW[0]}/{WINDOW[1]}"
    out = []
    for q in QUANTITIES:
        if q == "return_share_12m":
            est, low, high = fit.return_share(*WINDOW, within=12)
        else:
            r = rows[(rows.flow == q) & (rows.destination == "abroad") & (rows.period == period)].iloc[0]
            est, low, high = r.estimate, r.low, r.high
        out.append(
            {
                "cell": cell,
                "model": model,
                "seed": seed,
                "quantity": q,
                "truth": truth[q],
                "estimate": est,
                "low": low,
                "high": high,
                "rel_error": est / truth[q] - 1,
                "covered": bool(low <= truth[q] <= high),
            }
        )
    return out


def wilson_low(k: int, n: int, z: float = 1.96) -> float:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    def one(g: pd.DataFrame) -> pd.Series:
        k, n = int(g.covered.sum()), len(g)
        return pd.Series(
            {
                "seeds": n,
                "bias": g.rel_error.mean(),
                "rmse": float(np.sqrt((g.rel_error**2).mean())),
                "covered": k,
                "coverage": k / n,
                "coverage_low95": wilson_low(k, n),
            }
        )

    return frame.groupby(["cell", "model", "quantity"], sort=False).apply(one, include_groups=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cells", default="model,return_early,types,intent,all3")
    ap.add_argument("--model", choices=sorted(MODELS), default="full")
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--scale", type=float, default=0.005)
    ap.add_argument("--n-boot", type=int, default=50)
    ap.add_argument(
        "--csv", type=Path, help="Append the per-seed rows here (a run can be resumed: seeds done are skipped)."
    )
    ap.add_argument("--add", type=Path, nargs="*", default=[], help="Also summarise the rows of these CSV files.")
    args = ap.parse_args(argv)
    done = pd.read_csv(args.csv) if args.csv and args.csv.exists() else pd.DataFrame()
    frames = [done] if len(done) else []
    cells = [c for c in args.cells.split(",") if c]
    if args.seeds:
        # Seed by seed across the cells, so that a run stopped early leaves every cell with as many seeds.
        with tempfile.TemporaryDirectory() as tmp:
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                for cell in cells:
                    if len(done) and ((done.cell == cell) & (done.seed == seed) & (done.model == args.model)).any():
                        continue
                    t = time.perf_counter()
                    rows = pd.DataFrame(one_seed(cell, seed, args.scale, args.model, args.n_boot, Path(tmp)))
                    if args.csv:
                        rows.to_csv(args.csv, mode="a", header=not args.csv.exists(), index=False)
                    frames.append(rows)
                    took = time.perf_counter() - t
                    print(f"{cell} seed {seed} ({args.model}) done in {took:.0f} s", file=sys.stderr, flush=True)
    frames += [pd.read_csv(f) for f in args.add]
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[frame.cell.isin(cells)]
    pd.set_option("display.width", 160)
    print(f"exodus-2022 cells, scale {args.scale}, {args.n_boot} bootstrap replicates, 90% intervals")
    print(summarise(frame).to_string(float_format=lambda v: f"{v:,.3f}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
