"""The parametric bootstrap of the stock tables and the result every stock estimator returns."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

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

#: Flows by kind ("emigration", "return", …), each a table of origin × destination (or birthplace × origin ×
#: destination), from the stock tables at t0 and t1.
Estimate = Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]]


class StockOptions(TypedDict, total=False):
    """The keywords every stock estimator takes alike (defaults in :class:`Bootstrap`): ``labels`` of an array's
    regions, the ``period`` the two tables are for, and how the interval is drawn — ``level`` (0.9), ``n_boot``
    replicates (200), ``seed`` (0) and ``dispersion`` (1: Poisson counting noise; more for noisier surveys)."""

    labels: Sequence[str] | None
    period: tuple[str, str] | None
    level: float
    n_boot: int
    seed: int
    dispersion: float


@dataclass(frozen=True)
class Bootstrap:
    """The dates of the two tables and how the interval is drawn."""

    period: tuple[str, str] | None = None
    level: float = 0.9
    n_boot: int = 200
    seed: int = 0
    dispersion: float = 1.0

    @classmethod
    def of(cls, options: StockOptions) -> Bootstrap:
        return cls(**{k: v for k, v in options.items() if k != "labels"})  # type: ignore[arg-type]

    def check(self) -> None:
        if not 0 < self.level < 1:
            raise UsageError(f"level={self.level!r}: expected a coverage between 0 and 1, e.g. 0.9")
        if self.n_boot < 0 or self.dispersion <= 0:
            raise UsageError(
                f"n_boot={self.n_boot!r}, dispersion={self.dispersion!r}: expected n_boot >= 0 and dispersion > 0"
            )


@dataclass(frozen=True)
class Method:
    """What is one estimator's own: its name, its estimate and what it says about its inputs and assumptions."""

    name: str
    estimate: Estimate
    notes: tuple[str, ...] = ()
    inputs: Mapping[str, str] = field(default_factory=dict)
    birthplace: bool = False  # the estimate is by birthplace: (birthplace, origin, destination) tables
    keep_row_totals: bool = False  # each drawn table keeps its birthplaces' published totals


def _draw(values: np.ndarray, rng: np.random.Generator, dispersion: float, keep_row_totals: bool) -> np.ndarray:
    # Poisson(count / φ) · φ has mean count and variance φ · count: φ > 1 widens for surveys noisier than a count.
    drawn = rng.poisson(values / dispersion) * dispersion
    if keep_row_totals:
        # Accounting needs each birthplace's total to stay as published; the noise moves people between residences.
        total, now = values.sum(1), drawn.sum(1)
        drawn = np.where((now > 0)[:, None], drawn * _ratio(total, now)[:, None], values)
    return drawn


def _result(t0: StockTable, t1: StockTable, method: Method, options: StockOptions) -> MigrationResult:
    """The estimate on the published tables, with percentile intervals from ``n_boot`` redrawn pairs."""
    boot = Bootstrap.of(options)
    boot.check()
    labels = np.array(t0.labels, dtype=object)
    points = method.estimate(t0.values, t1.values)
    samples = _replicates(t0, t1, method, boot)
    frames = [
        _frame(kind, point, samples[kind], labels, method.birthplace, boot.level, named=len(points) > 1)
        for kind, point in points.items()
    ]
    rows = pd.concat(frames, ignore_index=True)
    described = {"stocks_t0": _source(t0, boot.period, 0), "stocks_t1": _source(t1, boot.period, 1)}
    described |= method.inputs
    notes = list(method.notes)
    if t0.filled or t1.filled:
        notes.append(
            f"Birthplace-residence pairs absent from the input taken as zero people: {t0.filled} at t0, "
            f"{t1.filled} at t1."
        )
    notes.append(BOOTSTRAP_NOTE if boot.n_boot else "No interval: n_boot=0.")
    interval = "none"
    if boot.n_boot:
        interval = f"percentile bootstrap, {boot.n_boot} replicates (Poisson draws of the stocks), seed {boot.seed}"
    return MigrationResult(method.name, rows, boot.level, described, tuple(notes), interval)


def _replicates(t0: StockTable, t1: StockTable, method: Method, boot: Bootstrap) -> dict[str, list[np.ndarray]]:
    """The estimate on each redrawn pair of tables, by kind of flow."""
    rng = np.random.default_rng(boot.seed)
    samples: dict[str, list[np.ndarray]] = defaultdict(list)
    for _ in range(boot.n_boot):
        a = _draw(t0.values, rng, boot.dispersion, method.keep_row_totals)
        b = _draw(t1.values, rng, boot.dispersion, method.keep_row_totals)
        for kind, value in method.estimate(a, b).items():
            samples[kind].append(value)
    return samples


def _frame(
    kind: str,
    point: np.ndarray,
    samples: list[np.ndarray],
    labels: np.ndarray,
    birthplace: bool,
    level: float,
    *,
    named: bool,
) -> pd.DataFrame:
    """One kind of flow as rows, a row per cell off the diagonal, with its interval; ``named`` adds a ``flow``
    column, for estimators that give more than one kind."""
    tail = (1 - level) / 2
    if samples:
        low, high = np.quantile(np.stack(samples), [tail, 1 - tail], axis=0)
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
    if named:
        frame.insert(0, "flow", kind)
    if birthplace:
        # Only the cells that can hold this kind of flow: the rest are zero by definition, not by estimate.
        b_idx = grid[0][keep]
        o_idx, d_idx = grid[-2][keep], grid[-1][keep]
        fits = {"emigration": o_idx == b_idx, "return": d_idx == b_idx}
        frame = frame[fits.get(kind, (o_idx != b_idx) & (d_idx != b_idx))]
    return frame


def _source(table: StockTable, period: tuple[str, str] | None, which: int) -> str:
    when = f" at {period[which]}" if period else ""
    return f"{table.source}{when}: {len(table.labels)} regions, {table.values.sum():,.6g} people"
