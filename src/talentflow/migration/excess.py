"""Excess developer growth after a shock: accounts added beyond a counterfactual from the pre-shock level and controls.

The Innovation Graph ``developers`` metric is a cumulative stock of accounts (inactive ones included), so a move
shows up as faster additions where people arrive and slower additions where they left, never as a fall. For each
economy the estimate is

    excess = observed additions in the window − B × Σ_window s_k × R

where ``s_k`` are quarter-of-year factors (the controls' additions in quarter-of-year k over their baseline mean,
averaged, mean 1 over the baseline's quarters), ``B`` the economy's baseline additions over the baseline's summed
factors (its level per unit of season) and ``R`` the control economies' common post/pre growth ratio (the
geometric mean of their window-over-counterfactual ratios). The interval is a seeded bootstrap over controls and
seasonally adjusted quarters that also adds one economy's own deviation from the common ratio, drawn from the
controls' spread.
docs/migration.md gives the reasoning and the results on the real data.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import ibis
import numpy as np
import pandas as pd

from talentflow.errors import UsageError
from talentflow.migration.requests import CONTROLS, DESTINATIONS, parse_quarter, quarter_label
from talentflow.migration.results import MigrationResult
from talentflow.store import Store

SOURCE = "github-innovation-graph"
METRIC = "developers"


def _span(bounds: Sequence[str], what: str) -> tuple[int, int]:
    if len(bounds) != 2:
        raise UsageError(f"{what} takes two quarters (first, last), got {list(bounds)}")
    first, last = (parse_quarter(b) for b in bounds)
    if last < first:
        raise UsageError(f"{what} ends ({bounds[1]}) before it starts ({bounds[0]})")
    return first, last


@dataclass(frozen=True)
class _Series:
    """Quarterly net additions, one row per economy: baseline quarters and window quarters, and each quarter's
    quarter of the year (0-3)."""

    economies: list[str]
    baseline: np.ndarray  # (economies, baseline quarters)
    window: np.ndarray  # (economies, window quarters)
    base_season: np.ndarray  # (baseline quarters,) quarter of the year
    win_season: np.ndarray  # (window quarters,)


def _backend(source: Store | duckdb.DuckDBPyConnection | str | os.PathLike[str]) -> tuple[Any, Store | None]:
    if isinstance(source, Store):
        return source.ibis, None
    if isinstance(source, duckdb.DuckDBPyConnection):
        return ibis.duckdb.from_connection(source), None
    store = Store(source, read_only=True)
    return store.ibis, store


def _additions(backend: Any, economies: list[str], first: int, last: int) -> pd.DataFrame:
    """Net additions D_t − D_{t−1} per economy and quarter in [first, last], computed in the database."""
    p = backend.table("population")
    p = p.filter(p.source == SOURCE, p.metric == METRIC, p.partner.isnull())
    if p.count().to_pandas() == 0:
        raise UsageError(
            "the population table holds no Innovation Graph developers: run `talentflow ingest "
            "../shared/data/innovationgraph` first"
        )
    present = p.filter(p.economy.isin(economies)).select("economy").distinct().to_pandas()["economy"]
    unknown = sorted(set(economies) - set(present))
    if unknown:
        raise UsageError(f"no developers series for {', '.join(unknown)} in the population table")
    p = p.filter(p.economy.isin(economies)).mutate(
        q=p.period_start.year() * 4 + (p.period_start.month() - 1) // 3,
    )
    # A self-join on the quarter index rather than lag(): a quarter missing from the source (privacy threshold)
    # must leave a gap, not pair two quarters that are not adjacent.
    before = p.select("economy", q=p.q + 1, previous=p.value)
    joined = p.join(before, ["economy", "q"])
    joined = joined.filter(joined.q.between(first, last))
    return joined.select("economy", "q", added=joined.value - joined.previous).to_pandas()


def _load(backend: Any, economies: list[str], baseline: tuple[int, int], window: tuple[int, int]) -> _Series:
    frame = _additions(backend, economies, baseline[0], window[1])
    grid = frame.pivot(index="economy", columns="q", values="added").reindex(
        index=economies, columns=range(baseline[0], window[1] + 1)
    )
    base_q = list(range(baseline[0], baseline[1] + 1))
    win_q = list(range(window[0], window[1] + 1))
    needed = grid[base_q + win_q]
    gaps = needed.isna().to_numpy()
    if gaps.any():
        where = zip(*np.nonzero(gaps), strict=True)  # economy by economy, quarters in order
        missing = [f"{needed.index[e]} {quarter_label(needed.columns[q])}" for e, q in where]
        raise UsageError(
            "net additions need each quarter and the one before it; missing for: " + ", ".join(missing[:12])
        )
    return _Series(
        economies,
        grid[base_q].to_numpy(float),
        grid[win_q].to_numpy(float),
        np.array(base_q) % 4,
        np.array(win_q) % 4,
    )


def excess_growth(
    store_or_connection: Store | duckdb.DuckDBPyConnection | str | os.PathLike[str],
    economies: Sequence[str] = DESTINATIONS,
    origin: str | None = "RU",
    window: Sequence[str] = ("2022Q2", "2023Q1"),
    controls: Sequence[str] = CONTROLS,
    level: float = 0.9,
    seed: int = 0,
    baseline: Sequence[str] = ("2021Q1", "2021Q4"),
    n_boot: int = 2000,
    placebo: bool = True,
) -> MigrationResult:
    """Developer accounts added in ``window`` beyond the counterfactual, per economy, with a bootstrap interval.

    ``economies`` are the destinations, ``origin`` the economy people left (its estimate is a shortfall, i.e.
    negative), ``controls`` the economies whose growth stands for "no shock". Each control also gets a row,
    estimated against the other controls: a placebo that shows how far an unaffected economy strays.
    ``baseline`` is the pre-shock span whose mean quarterly additions are the economy's own level; whole years
    keep seasonality out of the comparison with a whole-year window. ``n_boot`` is the number of bootstrap
    replicates behind the interval (at least 100). With ``placebo``, each row also carries the same estimate in
    time when there was no shock (``placebo_spans``): how far an economy strays on its own.
    """
    if not 0 < level < 1:
        raise UsageError(f"level is the interval's coverage, between 0 and 1; got {level}")
    if n_boot < 100:
        raise UsageError(f"n_boot must be at least 100 for a percentile interval; got {n_boot}")
    win, base = _spans(window, baseline)
    roles, ctrls = _roles(economies, origin, controls)
    everyone = list(roles)
    series = _read(store_or_connection, everyone, base, win)
    levels = _levels(series, np.array([everyone.index(c) for c in ctrls]))
    sims = _bootstrap(levels, series, np.random.default_rng(seed), n_boot)
    rows = _rows(roles, levels, sims, f"{quarter_label(win[0])}-{quarter_label(win[1])}", level)
    spread = ", ".join(f"{c} {r:.2f}" for c, r in zip(ctrls, np.exp(levels.log_ratio), strict=True))
    said = _with_placebo(rows, store_or_connection, roles, ctrls, (win, base), (level, seed, n_boot)) if placebo else ()
    return MigrationResult(
        method="excess developer growth (Innovation Graph, baseline level × control ratio)",
        rows=pd.DataFrame(rows),
        level=level,
        inputs={
            "population": f"{SOURCE} metric {METRIC}, net additions {quarter_label(base[0])}–{quarter_label(win[1])}",
            "baseline": f"mean quarterly additions {quarter_label(base[0])}–{quarter_label(base[1])}",
            "controls": f"window/baseline ratios: {spread}",
            "seasons": "quarter-of-year factors from the controls' baseline: "
            + ", ".join(f"Q{k + 1} {levels.factors[k]:.3f}" for k in sorted(set(series.base_season.tolist()))),
        },
        notes=(
            "developers is a cumulative stock of accounts: the excess counts accounts, not people",
            "location is the IP-based mode of the quarter; VPN use shifts accounts between economies",
            "a control that itself received movers raises the counterfactual and lowers every excess",
            *said,
        ),
        interval=f"percentile bootstrap, {n_boot} replicates, seed {seed}: controls, quarters, own-ratio deviation",
        covers=covers(level, n_boot),
    )


def covers(level: float, n_boot: int) -> str:
    """One plain sentence: what the excess's interval covers and what it leaves out."""
    return (
        f"The {level:.0%} interval covers quarter-to-quarter noise around the quarter-of-year effects, the choice of "
        f"control economies and an economy's own departure from their common growth (bootstrap, {n_boot} "
        "replicates); it leaves out the seasonal factors' own error, accounts located by VPN, movers into the "
        "controls, and that accounts are not people."
    )


def placebo_spans(window: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """The placebo in time of ``window`` (quarter indices): the window a year earlier, cut to end two quarters
    before the window starts (the quarter just before it holds the shock), and as its baseline the same quarters
    one more year back, so that the seasons match (2022Q2-2023Q1 gives 2021Q2-2021Q4 against 2020Q2-2020Q4)."""
    first, last = window[0] - 4, min(window[1] - 4, window[0] - 2)
    return (first, last), (first - 4, last - 4)


def _with_placebo(
    rows: list[dict[str, Any]],
    source: Store | duckdb.DuckDBPyConnection | str | os.PathLike[str],
    roles: dict[str, str],
    ctrls: list[str],
    spans: tuple[tuple[int, int], tuple[int, int]],
    settings: tuple[float, int, int],
) -> tuple[str, ...]:
    """Each row's placebo-in-time columns; the notes that say what they show."""
    level, seed, n_boot = settings
    win, base = placebo_spans(spans[0])
    period = f"{quarter_label(win[0])}-{quarter_label(win[1])}"
    try:
        series = _read(source, list(roles), base, win)
        levels = _levels(series, np.array([list(roles).index(c) for c in ctrls]))
    except UsageError as exc:
        for row in rows:
            row.update(placebo_period=period, placebo_estimate=None, placebo_low=None, placebo_high=None)
            row["placebo_relative"] = None
        return (f"no placebo in time ({period} against {quarter_label(base[0])}-{quarter_label(base[1])}): {exc}",)
    sims = _bootstrap(levels, series, np.random.default_rng(seed + 1), n_boot)
    fake = {r["economy"]: r for r in _rows(roles, levels, sims, period, level)}
    strays = []
    for row in rows:
        f = fake[row["economy"]]
        row.update(placebo_period=period, placebo_estimate=f["estimate"], placebo_low=f["low"], placebo_high=f["high"])
        row["placebo_relative"] = f["relative"]
        if f["low"] > 0 or f["high"] < 0:
            strays.append(f"{row['economy']} {f['relative']:+.0%}")
    note = (
        f"placebo in time: the same estimate for {period} against {quarter_label(base[0])}-{quarter_label(base[1])}, "
        "before any shock; "
    )
    if strays:
        note += (
            f"its {level:.0%} interval excludes zero for {', '.join(strays)}: excesses of that size arise without a "
            "shock, so an estimate no larger than its economy's placebo is no evidence of a move"
        )
    else:
        note += f"every {level:.0%} interval holds zero"
    return (note,)


def _spans(window: Sequence[str], baseline: Sequence[str]) -> tuple[tuple[int, int], tuple[int, int]]:
    """The window and the baseline as quarter indices; the baseline ends before the window starts."""
    win = _span(window, "window")
    base = _span(baseline, "baseline")
    if base[1] >= win[0]:
        raise UsageError(f"the baseline ({baseline[0]}-{baseline[1]}) must end before the window starts ({window[0]})")
    return win, base


def _roles(economies: Sequence[str], origin: str | None, controls: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """Each economy's role (destination, origin or control) in the order of the rows, and the controls."""
    dests = [e.strip().upper() for e in economies]
    ctrls = list(dict.fromkeys(c.strip().upper() for c in controls))
    orig = origin.strip().upper() if origin else None
    if len(ctrls) < 3:
        raise UsageError(f"at least three control economies are needed for a ratio and its spread; got {ctrls}")
    if orig in dests:
        raise UsageError(f"{orig} cannot be both the origin and a destination")
    treated = [*dests, *([orig] if orig else [])]
    if both := sorted(set(treated) & set(ctrls)):
        raise UsageError(f"{', '.join(both)} cannot be both treated and a control")
    roles = {
        **dict.fromkeys(dests, "destination"),
        **({orig: "origin"} if orig else {}),
        **dict.fromkeys(ctrls, "control"),
    }
    return roles, ctrls


def _read(
    source: Store | duckdb.DuckDBPyConnection | str | os.PathLike[str],
    economies: list[str],
    baseline: tuple[int, int],
    window: tuple[int, int],
) -> _Series:
    backend, opened = _backend(source)
    try:
        return _load(backend, economies, baseline, window)
    finally:
        if opened is not None:
            opened.close()


@dataclass(frozen=True)
class _Levels:
    """What the estimate compares, per economy: additions in the window against the economy's own baseline level
    over the window's seasons, the controls' window/baseline ratios (in logs), and the quarter-of-year factors."""

    observed: np.ndarray  # (economies,)
    baseline: np.ndarray  # (economies,) seasonally adjusted mean baseline quarter × the window's seasonal factors
    ctrl_idx: np.ndarray  # where the controls are among the economies
    log_ratio: np.ndarray  # (controls,)
    factors: np.ndarray  # (4,) quarter-of-year factors, mean 1 over the baseline's quarters


def seasonal_factors(baseline: np.ndarray, season: np.ndarray) -> np.ndarray:
    """Quarter-of-year factors s_k common to ``baseline``'s economies (rows): the mean over economies and quarters
    of quarter k of the additions over the economy's baseline mean, scaled to mean 1 over the baseline's quarters.
    A quarter of the year the baseline lacks gets 1."""
    means = baseline.mean(axis=1, keepdims=True)
    ratio = baseline[(means[:, 0] > 0)] / means[(means[:, 0] > 0)]
    factors = np.ones(4)
    for k in np.unique(season):
        factors[k] = ratio[:, season == k].mean()
    return factors / factors[season].mean()


def _levels(series: _Series, ctrl_idx: np.ndarray) -> _Levels:
    # Seasons from the controls, the economies that stand for "no shock": the same factors whichever destinations
    # are asked for.
    factors = seasonal_factors(series.baseline[ctrl_idx], series.base_season)
    # The economy's own pre-shock level per unit of season (additions over the baseline's seasonal factors),
    # carried over the window's seasons. With whole years on both sides the factors sum to as many quarters and
    # the level is the plain baseline mean.
    level = series.baseline.sum(axis=1) / factors[series.base_season].sum()
    baseline_total = level * factors[series.win_season].sum()
    observed = series.window.sum(axis=1)
    # The ratio is taken in logs, so a control needs positive additions in both spans; a treated economy needs a
    # positive baseline for the counterfactual to mean anything.
    positive = baseline_total > 0
    positive[ctrl_idx] &= observed[ctrl_idx] > 0
    if not positive.all():
        bad = [e for e, ok in zip(series.economies, positive, strict=True) if not ok]
        raise UsageError(f"non-positive net additions for {', '.join(bad)}: no growth ratio to scale by")
    log_ratio = np.log(observed[ctrl_idx] / baseline_total[ctrl_idx])
    return _Levels(observed, baseline_total, ctrl_idx, log_ratio, factors)


def _rows(roles: dict[str, str], levels: _Levels, sims: np.ndarray, period: str, level: float) -> list[dict[str, Any]]:
    """One row per economy: the excess over the counterfactual and its interval from the bootstrap's ``sims``."""
    alpha = (1 - level) / 2
    rows = []
    for i, economy in enumerate(roles):
        pool = levels.ctrl_idx != i  # a control is judged against the others only
        ratio = float(np.exp(levels.log_ratio[pool].mean()))
        counterfactual = levels.baseline[i] * ratio
        estimate = levels.observed[i] - counterfactual
        low, high = np.quantile(levels.observed[i] - sims[i], [alpha, 1 - alpha])
        rows.append(
            {
                "economy": economy,
                "role": roles[economy],
                "period": period,
                "observed": levels.observed[i],
                "baseline": levels.baseline[i],
                "control_ratio": ratio,
                "counterfactual": counterfactual,
                "relative": estimate / counterfactual,
                "estimate": estimate,
                "low": float(low),
                "high": float(high),
                "level": level,
            }
        )
    return rows


def _bootstrap(levels: _Levels, series: _Series, rng: np.random.Generator, n_boot: int) -> np.ndarray:
    """Counterfactual window additions per economy and replicate, shape (economies, n_boot).

    Each replicate resamples (1) every economy's baseline quarters and the controls' window quarters, each with
    its quarter-of-year factor, for quarter-to-quarter noise once the season is accounted for; (2) the controls,
    for the uncertainty of the common ratio; and (3) one control's deviation from that ratio, added to the
    economy's own: an unaffected economy does not grow exactly like the average control, and leaving this out
    would give intervals that hold only under exactly parallel growth.
    """
    ctrl_idx = levels.ctrl_idx
    n_econ = series.baseline.shape[0]
    seasons = levels.factors[series.win_season].sum()

    def resampled(values: np.ndarray, season: np.ndarray) -> np.ndarray:
        """Additions per unit of season over quarters drawn with their quarter of the year: a draw of two
        third quarters is two low quarters, not a slump."""
        n = values.shape[1]
        pick = rng.integers(0, n, size=(n_boot, n_econ, n))
        drawn = np.take_along_axis(np.broadcast_to(values, (n_boot, n_econ, n)), pick, 2).sum(2)
        return drawn / levels.factors[season][pick].sum(2)

    base_total = resampled(series.baseline, series.base_season) * seasons
    win_sum = resampled(series.window, series.win_season) * seasons
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(win_sum[:, ctrl_idx] / base_total[:, ctrl_idx])  # (n_boot, controls)

    out = np.empty((n_econ, n_boot))
    for i in range(n_econ):
        pool = np.flatnonzero(ctrl_idx != i)
        chosen = log_ratio[:, pool][np.arange(n_boot)[:, None], rng.integers(0, len(pool), size=(n_boot, len(pool)))]
        centre = chosen.mean(axis=1)
        # A residual from the drawn controls, widened by sqrt(m/(m-1)) because residuals around a sample mean
        # are smaller than an unseen economy's deviation from the true common ratio.
        m = len(pool)
        deviation = (chosen[np.arange(n_boot), rng.integers(0, m, size=n_boot)] - centre) * np.sqrt(m / (m - 1))
        out[i] = base_total[:, i] * np.exp(centre + deviation)
    return out
