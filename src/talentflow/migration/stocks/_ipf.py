"""Iterative proportional fitting of one residence-at-t0 × residence-at-t1 table per birthplace."""

from __future__ import annotations

from typing import Literal

import numpy as np

from talentflow.errors import UsageError

Stayers = Literal["max", "none"] | float


def ipf_tables(
    rows: np.ndarray,
    cols: np.ndarray,
    offset: np.ndarray | None = None,
    *,
    stayers: Stayers = "max",
    tol: float = 1e-6,
    maxit: int = 1000,
) -> np.ndarray:
    """Fit one residence-at-t0 × residence-at-t1 table per birthplace, all at once.

    ``rows`` and ``cols`` are (birthplaces, regions) margins: row k of each is birthplace k's stock by residence at
    t0 and at t1. ``offset`` is (regions, regions) or (birthplaces, regions, regions). Returns (birthplaces, regions,
    regions). The fit is the log-linear model log μ_kod = α_ko + β_kd + log m_od, with, for ``stayers="max"``, a
    saturated diagonal fixed at min(row, col) (Abel 2013's quasi-independence with stayers maximised)."""
    rows = np.asarray(rows, dtype=float)
    cols = np.asarray(cols, dtype=float)
    k, n = rows.shape
    if cols.shape != (k, n):
        raise UsageError(f"IPF margins: rows have shape {rows.shape}, columns {cols.shape}")
    gap = np.abs(rows.sum(1) - cols.sum(1))
    bad = np.flatnonzero(gap > 1e-9 * np.maximum(1.0, rows.sum(1)))
    if bad.size:
        raise UsageError(
            f"IPF margins: totals differ for {bad.size} birthplace(s), first index {bad[0]} "
            f"({rows[bad[0]].sum():.6g} at t0, {cols[bad[0]].sum():.6g} at t1)"
        )
    if isinstance(stayers, str):
        if stayers == "none":
            return _ipf(rows, cols, _seed(offset, k, n, zero_diagonal=False), tol, maxit)
        stay = np.minimum(rows, cols)
        # Stayers first: what is left of each margin moves, and a birthplace's table cannot send and receive in the
        # same region, so zeroing the diagonal of the seed loses nothing and keeps the stayers where they were put.
        mu = _ipf(rows - stay, cols - stay, _seed(offset, k, n, zero_diagonal=True), tol, maxit)
        idx = np.arange(n)
        mu[:, idx, idx] += stay
        return mu
    weight = float(stayers)
    if not 0.0 <= weight <= 1.0:
        raise UsageError(f"stayers={stayers!r}: expected 'max', 'none' or a weight between 0 and 1")
    high = ipf_tables(rows, cols, offset, stayers="max", tol=tol, maxit=maxit)
    low = ipf_tables(rows, cols, offset, stayers="none", tol=tol, maxit=maxit)
    # Both tables meet the same margins, so any mixture of them does too.
    return weight * high + (1.0 - weight) * low


def _seed(offset: np.ndarray | None, k: int, n: int, *, zero_diagonal: bool) -> np.ndarray:
    seed = np.ones((k, n, n))
    if offset is not None:
        # Assign rather than astype the broadcast view: that copy keeps the view's odd strides, and the IPF's
        # matrix-vector products run ten times slower on a table that is not C-contiguous.
        seed[...] = offset
    if zero_diagonal:
        idx = np.arange(n)
        seed[:, idx, idx] = 0.0
    return seed


#: Birthplace tables fitted together. A chunk stays in cache while it iterates (5 MB with 200 regions) and stops as
#: soon as its own tables have converged; all 200 tables at once measured 2-4x slower (bench/migration.py), chunks of
#: 1-32 tables about the same.
IPF_CHUNK_CELLS = 640_000


def _ipf(rows: np.ndarray, cols: np.ndarray, seed: np.ndarray, tol: float, maxit: int) -> np.ndarray:
    k, n, _ = seed.shape
    step = max(1, IPF_CHUNK_CELLS // max(1, n * n))
    for start in range(0, k, step):
        part = slice(start, start + step)
        _ipf_chunk(rows[part], cols[part], seed[part], tol, maxit, start)
    return seed


def _ipf_chunk(rows: np.ndarray, cols: np.ndarray, seed: np.ndarray, tol: float, maxit: int, first: int) -> None:
    """Fit in place. IPF's table is always seed · a_o · b_d, so only the factors a and b are updated: each half-step
    is one batched matrix-vector product that reads the seed, instead of rescaling and re-summing the whole table."""
    b = np.ones_like(cols)
    seed_b = np.matmul(seed, b[:, :, None])[:, :, 0]
    for _ in range(maxit):
        a = _ratio(rows, seed_b)
        b = _ratio(cols, np.matmul(a[:, None, :], seed)[:, 0, :])
        # Columns now match wherever they can; rows are what is left to check, and seed·b feeds the next step.
        seed_b = np.matmul(seed, b[:, :, None])[:, :, 0]
        if np.abs(a * seed_b - rows).max(initial=0.0) <= tol:
            seed *= a[:, :, None]
            seed *= b[:, None, :]
            if np.abs(seed.sum(1) - cols).max(initial=0.0) <= tol:
                return
            break  # a column with no cell the offset allows: no number of iterations will fill it
    else:
        seed *= a[:, :, None]
        seed *= b[:, None, :]
    gaps = np.abs(seed.sum(2) - rows).max(1) + np.abs(seed.sum(1) - cols).max(1)
    worst = int(np.argmax(gaps))
    raise UsageError(
        f"IPF did not converge in {maxit} iterations (largest margin gap {gaps[worst]:.3g} > tol {tol:g}, "
        f"birthplace index {first + worst}); zeros in the offset may make the margins impossible, or raise maxit"
    )


def _ratio(target: np.ndarray, current: np.ndarray) -> np.ndarray:
    return np.divide(target, current, out=np.zeros_like(target), where=current > 0)
