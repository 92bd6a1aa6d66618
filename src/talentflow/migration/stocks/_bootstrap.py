"""The parametric bootstrap of the stock tables and the result every stock estimator returns."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from talentflow.errors import UsageError
from talentflow.migration.results import MigrationResult
from talentflow.migration.stocks._ipf import _ratio
from talentflow.migration.stocks._tables import StockTable

BOOTSTRAP_NOTE = (
    "Interval: parametric bootstrap of the stock tables (each cell Poisson with variance = dispersion × count, "
    "seeded). It reflects counting noise in the stocks only, not census coverage, definitions or timing, so it is "
    "a lower bound on the real uncertainty."
)


def _draw(values: np.ndarray, rng: np.random.Generator, dispersion: float, keep_row_totals: bool) -> np.ndarray:
    # Poisson(count / φ) · φ has mean count and variance φ · count: φ > 1 widens for surveys noisier than a count.
    drawn = rng.poisson(values / dispersion) * dispersion
    if keep_row_totals:
        # Accounting needs each birthplace's total to stay as published; the noise moves people between residences.
        total, now = values.sum(1), drawn.sum(1)
        drawn = np.where((now > 0)[:, None], drawn * _ratio(total, now)[:, None], values)
    return drawn


def _result(
    method: str,
    t0: StockTable,
    t1: StockTable,
    period: tuple[str, str] | None,
    estimate: Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]],
    level: float,
    draws: int,
    seed: int,
    dispersion: float,
    *,
    inputs: dict[str, str] | None = None,
    notes: tuple[str, ...] = (),
    birthplace: bool = False,
    keep_row_totals: bool = False,
) -> MigrationResult:
    if not 0 < level < 1:
        raise UsageError(f"level={level!r}: expected a coverage between 0 and 1, e.g. 0.9")
    if draws < 0 or dispersion <= 0:
        raise UsageError(f"draws={draws!r}, dispersion={dispersion!r}: expected draws >= 0 and dispersion > 0")
    labels = np.array(t0.labels, dtype=object)
    rng = np.random.default_rng(seed)
    frames = []
    points = estimate(t0.values, t1.values)
    samples: dict[str, list[np.ndarray]] = {kind: [] for kind in points}
    for _ in range(draws):
        a = _draw(t0.values, rng, dispersion, keep_row_totals)
        b = _draw(t1.values, rng, dispersion, keep_row_totals)
        for kind, value in estimate(a, b).items():
            samples[kind].append(value)
    tail = (1 - level) / 2
    for kind, point in points.items():
        if draws:
            low, high = np.quantile(np.stack(samples[kind]), [tail, 1 - tail], axis=0)
        else:
            low = high = np.full(point.shape, np.nan)
        grid = np.indices(point.shape).reshape(point.ndim, -1)
        keep = grid[-2] != grid[-1]  # stayers are not flows
        cols: dict[str, object] = {}
        if birthplace:
            cols["birthplace"] = labels[grid[0][keep]]
        cols |= {"origin": labels[grid[-2][keep]], "destination": labels[grid[-1][keep]]}
        cols |= {
            "estimate": point.reshape(-1)[keep],
            "low": low.reshape(-1)[keep],
            "high": high.reshape(-1)[keep],
            "level": level,
        }
        frame = pd.DataFrame(cols)
        if len(points) > 1:
            frame.insert(0, "flow", kind)
        if birthplace:
            # Only the cells that can hold this kind of flow: the rest are zero by definition, not by estimate.
            b_idx = grid[0][keep]
            o_idx, d_idx = grid[-2][keep], grid[-1][keep]
            fits = {"emigration": o_idx == b_idx, "return": d_idx == b_idx}
            frame = frame[fits.get(kind, (o_idx != b_idx) & (d_idx != b_idx))]
        frames.append(frame)
    rows = pd.concat(frames, ignore_index=True)
    described = {"stocks_t0": _source(t0, period, 0), "stocks_t1": _source(t1, period, 1)}
    described |= inputs or {}
    all_notes = list(notes)
    if t0.filled or t1.filled:
        all_notes.append(
            f"Birthplace-residence pairs absent from the input taken as zero people: {t0.filled} at t0, "
            f"{t1.filled} at t1."
        )
    all_notes.append(BOOTSTRAP_NOTE if draws else "No interval: draws=0.")
    interval = f"percentile bootstrap, {draws} Poisson draws of the stocks, seed {seed}" if draws else "none"
    return MigrationResult(method, rows, level, described, tuple(all_notes), interval)


def _source(table: StockTable, period: tuple[str, str] | None, which: int) -> str:
    when = f" at {period[which]}" if period else ""
    return f"{table.source}{when}: {len(table.labels)} regions, {table.values.sum():,.6g} people"
