"""Change points with uncertainty: where a series' level or slope broke, with an interval on every date and size.

For each series (one per group of ``by``):

1. **Model.** A line plus nuisance terms (``x_t``: where period ``t`` ends within its month, for the board's
   month-end crawls; none for monthly data) plus one term per break at ``τ``: a continuous kink
   ``(t − τ + 1)₊`` (the slope changes, the level does not jump), a level shift ``1[t ≥ τ]``, or both (`_hinge`).
   For a stock (the request's model ``stock``) each break is its *inflow's*, entering the stock through the
   survival of its entries, ``Σ_{s ≤ t} z(s)·φ^(t−s)`` with ``φ = 1 − 1/L`` and ``L`` the mean life by Little's
   law (`mean_life`): the date is the inflow's, the size the stock's eventual change. A stock's break may also
   remove (or add) entries at once with a step of the same sign (``pulse+shift``: a hiring freeze's withdrawn
   postings), its ``pulse`` row the entries removed.
2. **Penalty (BIC-type).** A break of ``k`` coefficients costs ``β (k + 1) log n σ²``, with ``σ²`` the long-run
   variance of the residuals: their variance times ``(1 + ρ)/(1 − ρ)`` for their lag-one autocorrelation ``ρ``
   (clipped to [0, 0.95]); the residuals come from a first pass whose ``σ`` is the first differences' MAD.
   ``β`` is the request's ``penalty`` (1 by default).
3. **Detection.** Forward selection: the break (shape and date) whose drop in the residual sum of squares beats
   its penalty by most is added, until none does; breaks at least ``min_size`` periods apart. Then each
   ``kink+shift`` is tried as two one-term breaks at two nearby dates (a ramp, then a step), and forward
   selection resumes while that lowers the criterion (`_hinge.select`).
4. **Sequential tests.** Each break, in the order added, against the model with the breaks added before it (the
   null): the null's own residuals are resampled (a lag-one autoregression driven by block-resampled
   innovations, blocks of ``√n`` periods for weeks, ``n^(1/3)`` otherwise) around the null's fit, and the
   selection's statistic (the best penalised gain over every shape and date) compared with the observed one;
   p-values are made monotone in that order. A break is reported at the request's level when p ≤ 1 − level.
5. **Intervals.** The fit plus block-bootstrapped residuals is selected again ``n_boot`` times; each break is
   matched with the nearest replicate break within half the distance to its neighbours; the percentile
   interval of the matched dates, and of the jump and slope change measured there, are the intervals.

docs/impact.md has the reasoning, the assumptions and where this fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from talentflow.errors import UsageError
from talentflow.impact import _hinge, _pelt
from talentflow.impact._series import month_phase
from talentflow.impact.requests import KNOWN_EVENTS, ChangepointRequest
from talentflow.impact.results import ImpactResult

_RHO_MAX = 0.95
_AR_MAX = 0.98
_TINY = 1e-300


@dataclass(frozen=True)
class Segmentation:
    """One series' breaks with their tests and bootstrap draws."""

    breaks: list[int]
    shapes: list[str]  # each break's shape: kink, shift, kink+shift (`_hinge.SHAPES`), a stock's pulses too
    penalty: float
    sigma2: float
    fitted: np.ndarray
    sizes: np.ndarray  # (breaks, 3): jump, slope change per period, pulse (`_hinge.SIZES`)
    p_values: np.ndarray
    draws: np.ndarray  # (n_boot, breaks, 4): matched index, then the sizes (NaN when unmatched)


def design(ends: pd.Series, seasonal: bool) -> np.ndarray:
    n = len(ends)
    columns = [np.ones(n), np.arange(n, dtype=float)]
    if seasonal:
        columns.append(month_phase(ends))
    return np.column_stack(columns)


def _long_run_variance(residuals: np.ndarray) -> float:
    e = residuals - residuals.mean()
    var = float(np.mean(e * e))
    if var == 0:
        return 0.0
    rho = float(np.clip(np.sum(e[1:] * e[:-1]) / np.sum(e * e), 0.0, _RHO_MAX))
    return var * (1 + rho) / (1 - rho)


def penalty_rule(
    X: np.ndarray, y: np.ndarray, beta: float, min_size: int, cand: _hinge.Candidates
) -> tuple[float, float]:
    """The penalty per coefficient-and-date of a break and the noise variance it rests on (module docstring,
    step 2): a break of ``k`` coefficients costs ``(k + 1)`` times it."""
    per = beta * np.log(len(y))
    diffs = np.diff(y)
    sigma0 = float(np.median(np.abs(diffs - np.median(diffs)))) / 0.6745 / np.sqrt(2)
    first = _hinge.select(X, y, per * max(sigma0**2, 1e-12), min_size, cand)
    fitted, _ = _hinge.fit(X, y, first, cand)
    sigma2 = max(_long_run_variance(y - fitted), 1e-12 * max(1.0, float(np.var(y))))
    return per * sigma2, sigma2


def block_length(n: int, period: str) -> int:
    """Blocks of the residual bootstrap: ``n^(1/3)`` periods, and ``√n`` for weeks, whose board stocks wander
    for months (their residuals' dependence outlasts a few weeks)."""
    return max(2, round(n**0.5 if period == "week" else n ** (1 / 3)))


#: Told of the bootstrap's progress: (replicates done, replicates in all).
Tick = Callable[[], None]


def segment(
    X: np.ndarray,
    y: np.ndarray,
    request: ChangepointRequest,
    rng: np.random.Generator,
    tick: Tick | None = None,
    survival: float | None = None,
) -> Segmentation:
    """Detection, tests and bootstrap for one series; ``tick()`` after each bootstrap re-segmentation. With
    ``survival`` (a stock's weekly survival φ) the breaks are its inflow's, seen through φ (`_hinge.Candidates`)."""
    min_size = request.min_size
    cand = _hinge.Candidates.of(len(y), survival)
    pen, sigma2 = penalty_rule(X, y, request.penalty, min_size, cand)
    added = _hinge.select(X, y, pen, min_size, cand)
    terms = sorted(added)
    fitted, sizes = _hinge.fit(X, y, terms, cand)
    block = block_length(len(y), request.period)
    # Sequential tests in the order the breaks were added, each against the model with the breaks before it;
    # a break is no more significant than any added before it (p-values made monotone).
    sequential = np.maximum.accumulate(
        [_test(X, y, added[:k], pen, request, rng, block, cand) for k in range(len(added))] or [1.0]
    )[: len(added)]
    p_values = np.array([sequential[added.index(term)] for term in terms])
    draws = _bootstrap(X, fitted, y - fitted, terms, pen, request, rng, block, cand, tick)
    breaks = [tau for tau, _ in terms]
    return Segmentation(breaks, [s for _, s in terms], pen, sigma2, fitted, sizes, p_values, draws)


def _test(
    X: np.ndarray,
    y: np.ndarray,
    before: list[tuple[int, str]],
    pen: float,
    request: ChangepointRequest,
    rng: np.random.Generator,
    block: int,
    cand: _hinge.Candidates,
) -> float:
    """p-value of the next break against the model with the breaks added ``before`` it (the null): *its*
    residuals are resampled around its fit (`_ar_resample`) and the selection's statistic, the best penalised
    gain of a break of any shape anywhere the null leaves room for one, compared with the observed one (module
    docstring, step 4)."""
    taus = _hinge.allowed(len(y), before, request.min_size)
    B = _hinge.design(X, before, cand)
    null = B @ np.linalg.lstsq(B, y, rcond=None)[0]
    replicas = null[:, None] + _ar_resample(y - null, request.n_boot, rng, block).T
    observed = _statistic(_hinge.gains(B, y[:, None], cand, taus), pen, cand)[0]
    drawn = _statistic(_hinge.gains(B, replicas, cand, taus), pen, cand)
    return float((1 + np.sum(drawn >= observed)) / (1 + request.n_boot))


def _statistic(gains: dict[str, np.ndarray], pen: float, cand: _hinge.Candidates) -> np.ndarray:
    """The selection's own criterion: the best penalised gain over every shape and date (per replicate), so the
    test accounts for the choice of shape as well as of date."""
    return np.max([g.max(axis=0) - pen * (cand.shapes[s] + 1) for s, g in gains.items()], axis=0)


def _ar_resample(residuals: np.ndarray, size: int, rng: np.random.Generator, block: int) -> np.ndarray:
    """``size`` series like ``residuals`` by a sieve bootstrap: their lag-one autoregression (ρ clipped to
    [0, 0.98]) driven by block-resampled innovations. A wandering stock's residuals keep their persistence,
    which blocks a few weeks long cut short (the test would then take wander for a break). (An autoregression
    of the order AIC picks, tried, took the resume stock's shock in the null's residuals for wander and lost the
    test's power, without fewer false breaks in the vacancy stock: docs/impact.md, validation.)"""
    e = residuals - residuals.mean()
    rho = float(np.clip(np.sum(e[1:] * e[:-1]) / max(float(np.sum(e * e)), _TINY), 0.0, _AR_MAX))
    shocks = _pelt.block_resample(e[1:] - rho * e[:-1], size, rng, block)
    out = np.empty((size, len(e)))
    out[:, 0] = e[rng.integers(0, len(e), size)]
    for t in range(1, len(e)):
        out[:, t] = rho * out[:, t - 1] + shocks[:, (t - 1) % shocks.shape[1]]
    return out


def _bootstrap(
    X: np.ndarray,
    fitted: np.ndarray,
    residuals: np.ndarray,
    terms: list[tuple[int, str]],
    pen: float,
    request: ChangepointRequest,
    rng: np.random.Generator,
    block: int,
    cand: _hinge.Candidates,
    tick: Tick | None = None,
) -> np.ndarray:
    """Each break's matched index and sizes (`_hinge.fit`) in ``n_boot`` re-segmented replicates."""
    draws = np.full((request.n_boot, len(terms), 1 + len(_hinge.SIZES)), np.nan)
    if not terms:
        if tick:
            for _ in range(request.n_boot):
                tick()
        return draws
    breaks = [tau for tau, _ in terms]
    bounds = [0, *breaks, len(fitted)]
    windows = [((bounds[i] + b) / 2, (b + bounds[i + 2]) / 2) for i, b in enumerate(breaks)]
    for r, noise in enumerate(_pelt.block_resample(residuals, request.n_boot, rng, block)):
        if tick:
            tick()
        ys = fitted + noise
        found = _hinge.select(X, ys, pen, request.min_size, cand)
        if not found:
            continue
        _, sizes = _hinge.fit(X, ys, found, cand)
        at = np.array([tau for tau, _ in found])
        for i, (b, (lo, hi)) in enumerate(zip(breaks, windows, strict=True)):
            inside = np.flatnonzero((at >= lo) & (at <= hi))
            if len(inside):
                k = inside[np.argmin(np.abs(at[inside] - b))]
                draws[r, i] = (at[k], *sizes[k])
    return draws


def changepoints(
    frame: pd.DataFrame,
    request: ChangepointRequest,
    column: str = "value",
    progress: Callable[[int, int], None] | None = None,
) -> ImpactResult:
    """Breaks of every series in ``frame`` (long rows ``key, period, period_end, value``, as `_series.load`
    gives them), with their intervals, beside the known and the requested events. ``progress(done, total)`` is
    told of the bootstrap re-segmentations over all series."""
    rng = np.random.default_rng(request.seed)
    total = int(frame["key"].nunique()) * request.n_boot
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    seasonal = request.seasonal == "month-phase" or (request.seasonal == "auto" and request.period == "week")
    model = request.resolved_model()
    if model == "stock" and "inflow" not in frame.columns:
        raise UsageError(f"the stock model needs the inflow of {request.indicator} beside it", param="model")
    rows, fits = [], []
    for key, group in frame.groupby("key", sort=True):
        group = group.sort_values("period", ignore_index=True)
        if len(group) < 2 * request.min_size + 2:
            raise UsageError(f"{key}: {len(group)} periods, too few to look for a break", param="min_size")
        X = design(group["period_end"], seasonal)
        y = group["value"].to_numpy(float)
        life = mean_life(group) if model == "stock" else None
        seg = segment(X, y, request, rng, tick, life and 1 - 1 / life)
        rows += _rows(str(key), group, seg, request, life)
        fits.append(group.assign(fitted=seg.fitted, series=str(key))[["series", "period", "value", "fitted"]])
    table = pd.DataFrame(rows, columns=_COLUMNS)
    events = _events(table, request)
    found = table[table["change"] == "level"]
    reported = int(found["significant"].sum()) if len(found) else 0
    return ImpactResult(
        method="changepoints",
        rows=table,
        level=request.level,
        inputs={"series": f"{request.indicator} ({column}) by {request.period}, {request.data} data"},
        notes=(
            _MODELS[model].format(name=request.indicator, period=request.period),
            f"{len(found)} breaks found, {reported} significant at the {request.level:.0%} level (sieve-bootstrap "
            "test of each break against the model with the breaks found before it)",
            "a break's date is the first period off the old line",
        ),
        interval=f"block-bootstrap percentile ({request.n_boot} re-segmentations)",
        stats={"model": model, "breaks": float(len(found)), "significant": float(reported)},
        tables={"fit": pd.concat(fits, ignore_index=True), "events": events},
    )


#: What each model is, as the result's first note says it.
_MODELS = {
    "line": "model: line — kinks and level shifts of {name} itself",
    "stock": "model: stock — breaks in the inflow of {name} (kinks, shifts; pulses: entries removed or added at "
    "once, with a shift of the same sign), seen through the survival of its "
    "entries: stock(t) = Σ inflow(s)·φ^(t−s), φ = 1 − 1/L, L = mean stock / mean inflow (the mean life in "
    "{period}s, column mean_life); dates are the inflow's, sizes the stock's eventual change",
}
_LIFE_MAX = 50.0


def mean_life(group: pd.DataFrame) -> float:
    """A stock's mean life in periods by Little's law, its mean over its mean inflow (at least 1, at most 50:
    a stock that barely turns over is a line)."""
    inflow = float(group["inflow"].mean())
    life = float(group["value"].mean()) / inflow if inflow > 0 else _LIFE_MAX
    return float(np.clip(life, 1.0, _LIFE_MAX))


_COLUMNS = [
    "model",
    "mean_life",
    "series",
    "break",
    "date",
    "date_low",
    "date_high",
    "found_share",
    "p_value",
    "significant",
    "event",
    "days_from_event",
    "shape",
    "change",
    "estimate",
    "low",
    "high",
    "level",
]


def _rows(
    key: str, group: pd.DataFrame, seg: Segmentation, request: ChangepointRequest, life: float | None
) -> list[dict[str, object]]:
    q = ((1 - request.level) / 2 * 100, (1 + request.level) / 2 * 100)
    periods = group["period"].to_numpy()
    events = [pd.Timestamp(e) for e in request.all_events()]
    rows = []
    for i, b in enumerate(seg.breaks):
        matched = seg.draws[:, i, :]
        ok = ~np.isnan(matched[:, 0])
        date = pd.Timestamp(periods[b])
        if ok.any():
            lo_i, hi_i = np.percentile(matched[ok, 0], q, method="nearest").astype(int)
            date_lo, date_hi = pd.Timestamp(periods[lo_i]), pd.Timestamp(periods[hi_i])
        else:
            date_lo = date_hi = date
        nearest = min(events, key=lambda e: abs((e - date).days))
        common = {
            "model": "line" if life is None else "stock",
            "mean_life": life,
            "series": key,
            "break": i + 1,
            "date": date.date(),
            "date_low": date_lo.date(),
            "date_high": date_hi.date(),
            "found_share": float(ok.mean()),
            "p_value": float(seg.p_values[i]),
            "significant": bool(seg.p_values[i] <= 1 - request.level),
            "event": KNOWN_EVENTS.get(nearest.date().isoformat(), nearest.date().isoformat()),
            "days_from_event": int((date - nearest).days),
            "shape": seg.shapes[i],
        }
        # A line's breaks have no pulse: its row is left out rather than shown as 0.
        for j, change in enumerate(_hinge.SIZES if life is not None else _hinge.SIZES[:2]):
            value = seg.sizes[i, j]
            values = matched[ok, j + 1]
            low, high = np.percentile(values, q) if len(values) else (np.nan, np.nan)
            rows.append({**common, "change": change, "estimate": float(value), "low": low, "high": high})
    for row in rows:
        row["level"] = request.level
    return rows


def _events(table: pd.DataFrame, request: ChangepointRequest) -> pd.DataFrame:
    """Each event with the nearest break of each series (none when the series has no break)."""
    out = []
    breaks = table[table["change"] == "level"]
    for text in request.all_events():
        day = pd.Timestamp(text)
        for key, group in breaks.groupby("series", sort=True):
            gaps = (pd.to_datetime(group["date"]) - day).dt.days
            k = int(np.argmin(np.abs(gaps.to_numpy())))
            out.append(
                {
                    "event": text,
                    "label": KNOWN_EVENTS.get(text, "given"),
                    "series": key,
                    "nearest_break": group["date"].iloc[k],
                    "days": int(gaps.iloc[k]),
                    "significant": bool(group["significant"].iloc[k]),
                }
            )
        if breaks.empty:
            out.append(
                {
                    "event": text,
                    "label": KNOWN_EVENTS.get(text, "given"),
                    "series": None,
                    "nearest_break": None,
                    "days": None,
                    "significant": None,
                }
            )
    return pd.DataFrame(out, columns=["event", "label", "series", "nearest_break", "days", "significant"])
