"""Benchmark: demographic-accounting IPF on a 200 × 200 bilateral stock table, talentflow against a plain loop.

Generates seeded synthetic stocks (natives at home, a diaspora in every other region, t1 stocks with the same
birthplace totals) and an inverse-distance offset, then fits the 200 birthplace tables (200 × 200 each) with
``talentflow.migration.ipf_tables`` (all birthplaces scaled in one array operation) and with a baseline: a Python
loop over birthplaces, each fitted by the same IPF with NumPy on its own 2-D table. Both run in this process on the
same input to the same tolerance; the results are checked equal before the times are printed.

    .venv/bin/python bench/migration.py
    .venv/bin/python bench/migration.py --regions 100 --repeat 5
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from talentflow.migration import ipf_tables

TOL = 1e-6


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def synthetic(regions: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    s0 = rng.gamma(0.5, 2_000, (regions, regions))
    s0[np.diag_indices(regions)] = rng.uniform(1e5, 5e6, regions)
    s1 = s0 * rng.lognormal(0.0, 0.3, (regions, regions))
    s1 *= (s0.sum(1) / s1.sum(1))[:, None]  # a closed account: no births or deaths
    xy = rng.uniform(0, 100, (regions, 2))
    distance = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) + 1.0
    return s0, s1, 1.0 / distance


def loop_ipf(s0: np.ndarray, s1: np.ndarray, offset: np.ndarray, stayers: str) -> np.ndarray:
    """The straightforward way: one birthplace at a time, each a 2-D IPF in NumPy."""
    k, n = s0.shape
    out = np.empty((k, n, n))
    for b in range(k):
        rows, cols, seed = s0[b].copy(), s1[b].copy(), offset.copy()
        stay = np.minimum(rows, cols) if stayers == "max" else np.zeros(n)
        if stayers == "max":
            rows -= stay
            cols -= stay
            np.fill_diagonal(seed, 0.0)
        mu = seed
        for _ in range(1000):
            rs = mu.sum(1)
            mu *= np.divide(rows, rs, out=np.zeros(n), where=rs > 0)[:, None]
            cs = mu.sum(0)
            mu *= np.divide(cols, cs, out=np.zeros(n), where=cs > 0)[None, :]
            if max(np.abs(mu.sum(1) - rows).max(), np.abs(mu.sum(0) - cols).max()) <= TOL:
                break
        else:
            raise RuntimeError(f"baseline IPF did not converge for birthplace {b}")
        mu[np.diag_indices(n)] += stay
        out[b] = mu
    return out


def bench_ipf(regions: int = 200, repeat: int = 3, seed: int = 1) -> dict[str, float]:
    """Time talentflow's vectorised IPF and the per-birthplace loop on one seeded table; print and return times."""
    s0, s1, offset = synthetic(regions, seed)
    print(f"IPF: {regions} birthplaces × {regions} × {regions} regions, {s0.sum():,.0f} people, tol {TOL:g}")
    times: dict[str, float] = {}
    for stayers in ("max", "none"):
        t_tf, tf = best(lambda s=stayers: ipf_tables(s0, s1, offset, stayers=s, tol=TOL), repeat)
        t_loop, loop = best(lambda s=stayers: loop_ipf(s0, s1, offset, s), repeat)
        np.testing.assert_allclose(tf, loop, rtol=1e-6, atol=1e-3)
        times[f"talentflow_{stayers}"], times[f"loop_{stayers}"] = t_tf, t_loop
        print(
            f"  stayers={stayers:<4}  talentflow ipf_tables: {t_tf:.3f} s   Python loop over birthplaces: "
            f"{t_loop:.3f} s   talentflow is {t_loop / t_tf:.1f}x faster"
        )
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--regions", type=int, default=200, help="regions (and birthplaces) in the stock table")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    bench_ipf(args.regions, args.repeat, args.seed)


if __name__ == "__main__":
    main()
