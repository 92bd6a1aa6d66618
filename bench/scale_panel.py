"""Benchmark: the panel estimator at scale, against the estimator it replaced, in the same process.

For each scale of the simulated exodus (``exodus-2022``, seed 1; 0.02 is 20,000 workers, 1 is a million) the
store is simulated and ingested once and cached under ``--work``. Each measurement then runs in its own
subprocess, so that its peak memory (VmHWM, `_timing.peak_rss_mb`) is its own: it reads the panel, fits it
(EM to convergence) and bootstraps it, timing each part in wall-clock and CPU seconds (CPU seconds are the
steadier figure on a shared machine). "new" is ``fit_panel`` (people collapsed into patterns, replicates
batched); "reference" is the estimator as it was before (``talentflow.migration.panel._reference``: one E-step
over every person, one replicate after another), run on the same panel. The reference runs with fewer
replicates where asked (``--reference-replicates``) and its time is extrapolated to the full count from its
measured time per replicate; above ``--reference-up-to`` it is not run and its time is extrapolated from the
smaller scales by the fitted growth exponent (both are marked in the output). Since issue #18 the two no longer
fit the same thing (the new one: the default model, accelerated EM, replicates to convergence; the reference: the
simple model, plain EM), so the output gives the largest relative difference of their total flows rather than
checking them equal; tests/test_migration.py checks the two equal to 1e-9, step by step, on the same model.

    python bench/scale_panel.py --scales 0.02 0.1 --replicates 100
    python bench/scale_panel.py --scales 0.02 0.1 0.3 1 --replicates 100 --reference-up-to 0.1
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _timing import peak_rss_mb

WORK = Path("/tmp/talentflow-scale")
WINDOW = ("2022-01", "2022-12")


def store_for(scale: float, work: Path = WORK, seed: int = 1) -> Path:
    """The store of the simulated exodus at ``scale``, simulated and ingested once and then reused."""
    from talentflow.ingestion import ingest
    from talentflow.simulate import load_scenario, simulate

    folder = work / f"scale-{scale:g}"
    db = folder / "store.duckdb"
    if (folder / "ready").exists():
        return db
    folder.mkdir(parents=True, exist_ok=True)
    simulate(load_scenario("exodus-2022"), folder / "sim", scale=scale, seed=seed)
    ingest([folder / "sim"], db=db)
    (folder / "ready").write_text("simulated and ingested\n")
    return db


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(t: tuple[float, float]) -> tuple[float, float]:
    return time.perf_counter() - t[0], time.process_time() - t[1]


def measure(db: Path, which: str, replicates: int) -> dict:
    """One measurement in this process: read the panel, fit it and bootstrap it with ``replicates``."""
    from talentflow.migration.panel import PanelOptions, Population, fit_panel, load_panel
    from talentflow.migration.panel._data import _patterns
    from talentflow.migration.panel._reference import reference_fit
    from talentflow.store import Store

    t = _clock()
    with Store(db, read_only=True) as store:
        panel = load_panel(store, data="simulated")
    load = _since(t)
    pop = Population(1_000_000, "2021-12", "round figure")
    ref = panel.month_index(pop.month)
    t = _clock()
    if which == "new":
        point = fit_panel(panel, pop, options=PanelOptions(n_boot=0, seed=1)).point
        fit = _since(t)
        t = _clock()
        fit_panel(panel, pop, options=PanelOptions(n_boot=replicates, seed=1))
        both = _since(t)
        boot = (both[0] - fit[0], both[1] - fit[1])
    else:
        full, _ = reference_fit(panel, PanelOptions(n_boot=0, seed=1))
        point = full.flows * pop.count / full.profiles[ref]
        fit = _since(t)
        t = _clock()
        reference_fit(panel, PanelOptions(n_boot=replicates, seed=1))
        both = _since(t)
        boot = (both[0] - fit[0], both[1] - fit[1])
    return {
        "which": which,
        "people": panel.people,
        "patterns": len(_patterns(panel).count),
        "replicates": replicates,
        "load_s": load[0],
        "fit_s": fit[0],
        "fit_cpu_s": fit[1],
        "boot_s": boot[0],
        "boot_cpu_s": boot[1],
        "peak_gb": peak_rss_mb() / 1024,
        "point": point.tolist(),
    }


def _in_subprocess(db: Path, which: str, replicates: int) -> dict:
    cmd = [sys.executable, __file__, "--one", str(db), "--which", which, "--replicates", str(replicates)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent.parent / "src"), *sys.path])}
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(
    scales: list[float],
    replicates: int = 100,
    *,
    work: Path = WORK,
    reference_up_to: float = 0.1,
    reference_replicates: int = 10,
) -> list[dict]:
    """Time the new and the reference estimator at each scale; return one row per scale (times for
    ``replicates`` bootstrap replicates, the reference's extrapolated where marked)."""
    rows = []
    for scale in scales:
        db = store_for(scale, work)
        new = _in_subprocess(db, "new", replicates)
        row = {"scale": scale, "people": new["people"], "patterns": new["patterns"], "load_s": new["load_s"]}
        row |= {f"new_{k}": new[k] for k in ("fit_s", "fit_cpu_s", "boot_s", "boot_cpu_s", "peak_gb")}
        row["new_s"], row["new_cpu_s"] = new["fit_s"] + new["boot_s"], new["fit_cpu_s"] + new["boot_cpu_s"]
        if scale <= reference_up_to:
            old = _in_subprocess(db, "reference", min(reference_replicates, replicates))
            per = replicates / max(old["replicates"], 1)
            row["ref_s"] = old["fit_s"] + old["boot_s"] * per
            row["ref_cpu_s"] = old["fit_cpu_s"] + old["boot_cpu_s"] * per
            row["ref_peak_gb"] = old["peak_gb"]
            scaled = f"{old['replicates']} replicates measured, scaled to {replicates}"
            row["ref_how"] = "measured" if per == 1 else scaled
            # Totals per flow (a month with a handful of moves makes any per-month ratio huge); not an equality
            # check, the two being different models since #18 (module docstring).
            a, b = np.asarray(new["point"]).sum(axis=0), np.asarray(old["point"]).sum(axis=0)
            row["total_max_rel_diff"] = float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    _extrapolate(rows)
    return rows


def _exponent(rows: list[dict], key: str) -> tuple[float, float] | None:
    """Slope and intercept of log time against log people, over the rows that measured ``key``."""
    have = [r for r in rows if key in r and r.get("ref_how", "measured") != "extrapolated"]
    if len(have) < 2:
        return None
    slope, icpt = np.polyfit(np.log([r["people"] for r in have]), np.log([r[key] for r in have]), 1)
    return float(slope), float(icpt)


def _extrapolate(rows: list[dict]) -> None:
    fit = _exponent(rows, "ref_cpu_s")
    wall = _exponent(rows, "ref_s")
    for r in rows:
        if "ref_s" not in r and fit is not None and wall is not None:
            r["ref_cpu_s"] = float(np.exp(fit[1]) * r["people"] ** fit[0])
            r["ref_s"] = float(np.exp(wall[1]) * r["people"] ** wall[0])
            r["ref_how"] = "extrapolated"
        if "ref_s" in r:
            r["ratio_wall"] = r["ref_s"] / r["new_s"]
            r["ratio_cpu"] = r["ref_cpu_s"] / r["new_cpu_s"]


def report(rows: list[dict], replicates: int) -> None:
    print(f"panel estimator, exodus-2022 seed 1, {replicates} bootstrap replicates ({os.cpu_count()} cores)")
    head = f"{'scale':>6} {'people':>9} {'patterns':>9} {'new s':>8} {'new cpu':>8} {'new GB':>7}"
    print(head + f" {'ref s':>9} {'ref cpu':>9} {'ref GB':>7} {'ratio cpu':>9}  reference")
    for r in rows:
        line = f"{r['scale']:>6g} {r['people']:>9,} {r['patterns']:>9,} {r['new_s']:>8.1f} {r['new_cpu_s']:>8.1f}"
        line += f" {r['new_peak_gb']:>7.2f}"
        if "ref_s" in r:
            gb = f"{r['ref_peak_gb']:>7.2f}" if "ref_peak_gb" in r else f"{'':>7}"
            line += f" {r['ref_s']:>9.1f} {r['ref_cpu_s']:>9.1f} {gb} {r['ratio_cpu']:>9.2f}  {r['ref_how']}"
            if "total_max_rel_diff" in r:
                line += f"; total flows differ by {r['total_max_rel_diff']:.1%} at most (not the same model)"
        print(line)
    for key, name in (("new_cpu_s", "new"), ("ref_cpu_s", "reference")):
        got = _exponent(rows, key)
        if got is not None:
            print(f"growth exponent ({name}, CPU seconds against people): {got[0]:.2f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", type=float, nargs="+", default=[0.02, 0.1, 0.3, 1.0])
    ap.add_argument("--replicates", type=int, default=100)
    ap.add_argument("--work", type=Path, default=WORK, help="Where the simulated stores are cached.")
    ap.add_argument("--reference-up-to", type=float, default=0.1, help="Largest scale the reference runs at.")
    ap.add_argument("--reference-replicates", type=int, default=10, help="Replicates the reference really runs.")
    ap.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--which", default="new", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one is not None:
        print(json.dumps(measure(args.one, args.which, args.replicates)))
        return 0
    rows = run(
        args.scales,
        args.replicates,
        work=args.work,
        reference_up_to=args.reference_up_to,
        reference_replicates=args.reference_replicates,
    )
    report(rows, args.replicates)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
