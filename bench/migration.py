"""Benchmarks: demographic-accounting IPF on a 200 × 200 bilateral stock table, and the panel estimator on 10M
resume sightings, each against a straightforward NumPy/pandas baseline run in the same process.

IPF:

Generates seeded synthetic stocks (natives at home, a diaspora in every other region, t1 stocks with the same
birthplace totals) and an inverse-distance offset, then fits the 200 birthplace tables (200 × 200 each) with
``talentflow.migration.ipf_tables`` (all birthplaces scaled in one array operation) and with a baseline: a Python
loop over birthplaces, each fitted by the same IPF with NumPy on its own 2-D table. Both run in this process on the
same input to the same tolerance; the results are checked equal before the times are printed.

Panel: writes seeded synthetic sightings (people searching in spells, some moving abroad) into a store, then
times (1) building the person × month panel with talentflow's ``load_panel`` (one DuckDB aggregation) against
pandas (fetch the rows, sort, take each month's last sighting); (2) one EM iteration (forward-backward over all
people at once) against a per-person loop of the same forward-backward, the loop timed on a sample of people and
scaled to all of them. Both pairs are checked equal before the times are printed.

    .venv/bin/python bench/migration.py
    .venv/bin/python bench/migration.py --regions 100 --repeat 5 --sightings 2000000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
from _timing import best

from talentflow.migration import ipf_tables, load_panel

# The bench times the E-step itself, which is private to the panel package: it reaches into the modules that hold it.
from talentflow.migration.panel import _em, _model
from talentflow.store import Store

TOL = 1e-6


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


MONTHS = 36


def synthetic_sightings(target: int, seed: int) -> pa.Table:
    """About ``target`` month-end sightings: people search in spells, 12% move abroad once, 3% come back."""
    rng = np.random.default_rng(seed)
    people = int(target / (MONTHS * 0.33))
    seeking = rng.random(people) < 0.33
    moved = np.where(rng.random(people) < 0.12, rng.integers(12, 24, people), MONTHS)
    back = np.where(rng.random(people) < 0.25, moved + rng.integers(2, 12, people), MONTHS)
    ids, months, abroad = [], [], []
    for m in range(MONTHS):
        flip = rng.random(people) < np.where(seeking, 0.3, 0.15)
        seeking ^= flip
        who = np.flatnonzero(seeking)
        ids.append(who)
        months.append(np.full(len(who), m))
        abroad.append((moved[who] <= m) & (back[who] > m))
    who, month, out = np.concatenate(ids), np.concatenate(months), np.concatenate(abroad)
    dests = np.array(["GE", "AM", "KZ", "TR", "RS"])
    country = np.where(out, dests[who % len(dests)], "RU")
    first_day = (np.datetime64("2021-01", "M") + month).astype("datetime64[s]")
    day = first_day + np.timedelta64(20, "D") + (who % 3600).astype("timedelta64[s]")
    return pa.table(
        {
            "source": pa.array(["bench"] * len(who)),
            "resume_id": pa.array((50_000_000 + who).astype(str)),
            "observed_at": pa.array(day, pa.timestamp("s", tz="UTC")),
            "is_it": pa.array(np.ones(len(who), bool)),
            "country": pa.array(country),
            "created_at": pa.array(
                np.full(len(who), np.datetime64("2019-06-01T00:00:00", "s")), pa.timestamp("s", tz="UTC")
            ),
        }
    )


def pandas_panel(store: Store) -> np.ndarray:
    frame = store.con.execute(
        "SELECT resume_id, observed_at, country FROM resume_observation WHERE is_it AND country IS NOT NULL"
    ).df()
    frame["month"] = frame["observed_at"].dt.strftime("%Y-%m")
    frame = frame.sort_values(["resume_id", "observed_at"])
    last = frame.groupby(["resume_id", "month"], sort=True).tail(1)
    people = np.sort(last["resume_id"].unique())
    months = np.sort(last["month"].unique())
    obs = np.full((len(people), len(months)), -1, np.int8)
    obs[np.searchsorted(people, last["resume_id"]), np.searchsorted(months, last["month"])] = (
        last["country"] != "RU"
    ).to_numpy()
    return obs


def loop_e_step(obs_code: np.ndarray, start: np.ndarray, p: _model.Params) -> np.ndarray:
    """Forward-backward one person at a time: the expected transitions, summed."""
    t, e = p.transitions(), p.emissions()
    first = _model._start_vectors(p, start)
    m = obs_code.shape[1]
    xi = np.zeros((m - 1, _model.S, _model.S))
    for i in range(len(obs_code)):
        alpha = np.zeros((m, _model.S))
        scale = np.ones(m)
        for j in range(start[i], m):
            a = first[i] if j == start[i] else alpha[j - 1] @ t[j - 1]
            a = a * e[obs_code[i, j]]
            scale[j] = a.sum()
            alpha[j] = a / scale[j]
        beta = np.ones(_model.S)
        for j in range(m - 1, start[i], -1):
            eb = e[obs_code[i, j]] * beta / scale[j]
            xi[j - 1] += np.outer(alpha[j - 1], eb) * t[j - 1]
            beta = t[j - 1] @ eb
    return xi


def _one_e_step(obs_code: np.ndarray, start: np.ndarray, weight: np.ndarray, p: _model.Params) -> _em._Counts:
    """talentflow's E-step for one set of parameters, every person a pattern of their own, no unseen cohorts."""
    none = _em._Ghosts(np.zeros((0, obs_code.shape[1]), np.int8), np.zeros(0, np.int64), np.zeros((1, 0)))
    return _em._e_step(obs_code, start, weight[None, :], np.array([0]), none, _em._Tables.of([p]))[0]


def bench_panel(sightings: int = 10_000_000, sample: int = 2_000, seed: int = 1) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.duckdb") as store:
        table = synthetic_sightings(sightings, seed)
        store.con.register("bench_rows", table)
        store.con.execute("INSERT INTO resume_observation BY NAME SELECT * FROM bench_rows")
        rows = len(table)
        del table
        t0 = time.perf_counter()
        panel = load_panel(store)
        t_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        base_obs = pandas_panel(store)
        t_pandas = time.perf_counter() - t0
    assert np.array_equal(panel.obs, base_obs), "panel and pandas baseline disagree"
    obs_code = (panel.obs + 1).astype(np.int8)
    p = _model.Params.first_guess(len(panel.months))
    weight = np.ones(panel.people)
    t0 = time.perf_counter()
    _one_e_step(obs_code, panel.start, weight, p)
    t_em = time.perf_counter() - t0
    pick = np.random.default_rng(seed).choice(panel.people, min(sample, panel.people), replace=False)
    t0 = time.perf_counter()
    loop_xi = loop_e_step(obs_code[pick], panel.start[pick], p)
    t_loop = (time.perf_counter() - t0) * panel.people / len(pick)
    vec_xi = _one_e_step(obs_code[pick], panel.start[pick], np.ones(len(pick)), p).xi
    assert np.allclose(loop_xi, vec_xi), "vectorised and per-person forward-backward disagree"
    print(f"panel: {rows:,} resume sightings, {panel.people:,} people, {len(panel.months)} months")
    print(
        f"  panel build   talentflow (DuckDB) {t_load:7.2f} s   pandas {t_pandas:7.2f} s"
        f"   ratio {t_load / t_pandas:.2f}x"
    )
    print(
        f"  EM iteration  talentflow {t_em:7.2f} s   per-person loop {t_loop:9.1f} s (timed on {len(pick):,} people)"
        f"   ratio {t_em / t_loop:.4f}x ({t_loop / t_em:,.0f}x faster)"
    )
    return {"load": t_load, "pandas": t_pandas, "em": t_em, "loop": t_loop}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--regions", type=int, default=200, help="regions (and birthplaces) in the stock table")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sightings", type=int, default=10_000_000, help="resume sightings for the panel benchmark")
    args = ap.parse_args()
    bench_ipf(args.regions, args.repeat, args.seed)
    bench_panel(args.sightings, seed=args.seed)


if __name__ == "__main__":
    main()
