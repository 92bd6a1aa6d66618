"""What the panel's models cost: one E-step per model, compiled kernel against the NumPy E-step, alone and batched.

    python bench/panel_models.py --scale 0.01 --seed 1

Simulates exodus-2022 (cached under --work), builds the panel's patterns and times one E-step of each model
(`simple`, `durations`, `full`: docs/migration.md, "The model") for 1 and for 20 replicates, with the compiled
forward-backward (`panel/_kernel.py`) and with the NumPy one it replaces where numba is missing (the baseline, run
in the same process on the same tables). The two are checked equal before the times are printed. Prints seconds
per call and per replicate, and the ratio compiled / NumPy.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from talentflow.ingestion import ingest
from talentflow.migration.panel import Params, _em, load_panel
from talentflow.migration.panel._data import _patterns
from talentflow.migration.panel._model import MODELS
from talentflow.simulate import load_scenario, simulate
from talentflow.store import Store


def store_for(work: Path, scale: float, seed: int) -> Path:
    db = work / f"exodus-{scale}-{seed}.duckdb"
    if not db.exists():
        sim = work / f"sim-{scale}-{seed}"
        simulate(load_scenario("exodus-2022"), sim, seed=seed, scale=scale)
        ingest([sim], db=db)
    return db


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    fn()  # the first call compiles or loads the kernel
    t = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t) / repeat


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path("/tmp/talentflow-panel-models"))
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    with Store(store_for(args.work, args.scale, args.seed), read_only=True) as store:
        panel = load_panel(store, data="simulated")
    pat = _patterns(panel)
    m = pat.codes.shape[1]
    print(f"{len(pat.count):,} patterns ({panel.people:,} resumes) × {m} months")
    head = ("model", "states", "arcs", "R", "compiled s", "per rep.", "NumPy s", "ratio")
    print("{:<10} {:>6} {:>5} {:>3} {:>11} {:>9} {:>9} {:>6}".format(*head))
    for name, structure in MODELS.items():
        p = Params.first_guess(m, structure)
        for r in (1, 20):
            none = _em._Ghosts(np.zeros((0, m), np.int8), np.zeros(0, np.int64), np.zeros((r, 0)))
            tab = _em._Tables.of([p] * r)
            w = np.tile(pat.count, (r, 1))

            def run(pat=pat, w=w, r=r, none=none, tab=tab):  # type: ignore[no-untyped-def]
                return _em._e_step(pat.codes, pat.start, w, np.arange(r), none, tab)

            compiled = timed(run, args.repeat)
            fast = run()[0]
            kernel = _em._compiled
            _em._compiled = lambda: None  # type: ignore[assignment]
            try:
                numpy_time = timed(run, 1)
                slow = run()[0]
            finally:
                _em._compiled = kernel  # type: ignore[assignment]
            np.testing.assert_allclose(fast.xi, slow.xi, rtol=1e-9, atol=1e-9)
            states, arcs = structure.size, len(structure.arcs.src)
            print(
                f"{name:<10} {states:>6} {arcs:>5} {r:>3} {compiled:>11.3f} {compiled / r:>9.4f} {numpy_time:>9.3f} "
                f"{compiled / numpy_time:>6.2f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
