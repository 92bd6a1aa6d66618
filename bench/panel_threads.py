"""The panel's compiled E-step pass on one core against the same pass on every core, by size, on an idle machine
and beside other processes running the same parallel pass (as when two test processes, or a server's fits and
another program, share the cores). A pass chooses by its size (``_kernel.PARALLEL_FROM``): this prints where
each way wins and by how much, so that the threshold can be checked on the machine at hand.

Synthetic observation codes (people × 36 months, each starting in a random month) and the model's first-guess
parameters; both passes run in this process on the same input and are checked equal before the times are
printed.

    .venv/bin/python bench/panel_threads.py
    .venv/bin/python bench/panel_threads.py --busy 2 --replicates 1,20
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
from functools import partial

import numpy as np
from _timing import best

# The bench times the two compiled passes themselves, which are private to the panel package.
from talentflow.migration.panel import _em, _kernel, _model

MONTHS = 36


def _spin(stop: mp.synchronize.Event) -> None:
    """Another process fitting a panel on every core, as a second test process or a server's fit would."""
    tab = _em._Tables.of([_model.Params.first_guess(MONTHS, _model.Structure())])
    codes, start = inputs(2_000, 0)
    weight = np.ones((1, len(codes)))
    while not stop.is_set():
        one_pass(_kernel._parallel, codes, start, weight, tab)


def inputs(people: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    codes = rng.choice(4, size=(people, MONTHS), p=[0.6, 0.3, 0.07, 0.03]).astype(np.int8)
    start = np.sort(rng.integers(0, MONTHS - 1, people))
    return codes, start


def one_pass(kernel, codes: np.ndarray, start: np.ndarray, weight: np.ndarray, tab: _em._Tables) -> _em._Sums:  # type: ignore[no-untyped-def]
    acc = _em._Sums.zeros(weight.shape[0], codes.shape[1], tab.structure)
    _em._kernel_pass(kernel, codes, start, weight, tab, acc, np.zeros(weight.shape[0]))
    return acc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", default="250,1000,4000,16000,64000", help="patterns per pass, comma-separated")
    ap.add_argument("--replicates", default="1,20", help="replicates per pass, comma-separated")
    ap.add_argument("--busy", type=int, default=0, help="other processes fitting meanwhile, each on every core")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    structure = _model.Structure()
    stop = mp.Event()
    spinners = [mp.Process(target=_spin, args=(stop,), daemon=True) for _ in range(args.busy)]
    for proc in spinners:
        proc.start()
    try:
        print(f"E-step pass, {structure.size} states, {MONTHS} months, {args.busy} busy processes beside it")
        print(f"  {'patterns':>8} {'reps':>4} {'cells':>10} {'one core':>10} {'all cores':>10} {'ratio':>6}  chosen")
        for r in (int(x) for x in args.replicates.split(",")):
            tab = _em._Tables.of([_model.Params.first_guess(MONTHS, structure)] * r)
            for n in (int(x) for x in args.people.split(",")):
                codes, start = inputs(n, args.seed)
                weight = np.random.default_rng(args.seed).poisson(1.0, (r, n)).astype(np.float64)
                one_pass(_kernel._serial, codes, start, weight, tab)  # compile, or load the cache
                one_pass(_kernel._parallel, codes, start, weight, tab)
                t_one, a = best(partial(one_pass, _kernel._serial, codes, start, weight, tab), args.repeat)
                t_all, b = best(partial(one_pass, _kernel._parallel, codes, start, weight, tab), args.repeat)
                np.testing.assert_allclose(a.xi, b.xi, rtol=1e-10)
                np.testing.assert_allclose(a.loglik, b.loglik, rtol=1e-10)
                cells = n * MONTHS * r
                chosen = "all cores" if cells >= _kernel.PARALLEL_FROM else "one core"
                print(
                    f"  {n:8,} {r:4} {cells:10,} {t_one * 1e3:8.2f}ms {t_all * 1e3:8.2f}ms"
                    f" {t_all / t_one:6.2f}  {chosen}"
                )
    finally:
        stop.set()
        for proc in spinners:
            proc.join()


if __name__ == "__main__":
    main()
