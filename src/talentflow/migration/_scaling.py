"""Honest scaling of the panel's flows: what is counted on the board, what is scaled to the workforce, and how
much the answer rests on the population figure (docs/migration.md, "Scaling").

The panel's flows are movers among the board's profiles, scaled to the workforce by a population figure N for a
reference month: workforce = board-visible × N / profiles. This module works on a fitted `PanelFit` through its
public attributes only (``point``, ``boot``, ``population``, ``options``, ``notes``, ``result``):

- the population's error is drawn from the seed alone (`population_noise`, the fit's own draws), so that a fit
  made for one population and rescaled to another (`rescale`) carries the draws a fit made for that population
  does, and the replicates without it (`sampling_boot`) can always be had back;
- `panel_result` labels every row ``workforce`` and adds the window's ``board-visible`` totals, and says what
  the interval covers (`panel_covers`);
- `sensitivity` gives the window's totals over a grid of populations and board coverage changes.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from talentflow.migration.panel import PanelFit
from talentflow.migration.panel._fit import population_noise
from talentflow.migration.requests import COVERAGE_CHANGES, POPULATION_FACTORS, Population
from talentflow.migration.results import MigrationResult

WORKFORCE, BOARD = "workforce", "board-visible"
FLOWS = ("emigration", "return", "net")


def _per_replicate(values: np.ndarray, boot: np.ndarray) -> np.ndarray:
    return values.reshape(-1, *([1] * (boot.ndim - 1)))


def sampling_boot(fit: PanelFit, boot: np.ndarray | None = None) -> np.ndarray:
    """The fit's replicates (``boot``, or its flows') without the population's error: the bootstrap over people
    alone."""
    boot = fit.boot if boot is None else boot
    if not len(boot):
        return boot
    noise = population_noise(len(boot), fit.population.cv, fit.options.seed)
    return boot / _per_replicate(noise, boot)


def rescale(fit: PanelFit, population: Population) -> PanelFit:
    """``fit`` scaled to ``population``: the flows among profiles scale by count / profiles, so another population
    multiplies them by a factor, and its error replaces the fit's own in the replicates (of the flows and of the
    emigrants by time abroad alike)."""
    factor = population.count / fit.population.count
    noise = population_noise(len(fit.boot), population.cv, fit.options.seed)

    def scaled(boot: np.ndarray) -> np.ndarray:
        return sampling_boot(fit, boot) * factor * _per_replicate(noise, boot) if len(boot) else boot

    return dataclasses.replace(
        fit,
        population=population,
        point=fit.point * factor,
        boot=scaled(fit.boot),
        away=fit.away * factor,
        away_boot=scaled(fit.away_boot),
    )


def profiles(fit: PanelFit) -> float | None:
    """The board's profiles at the population's reference month."""
    return None if np.isnan(fit.profiles) else float(fit.profiles)


def _window(fit: PanelFit, start: str, end: str) -> slice:
    months = list(fit.panel.months)
    return slice(months.index(start) - 1, months.index(end))


def _totals(fit: PanelFit, boot: np.ndarray, start: str, end: str) -> dict[str, tuple[float, np.ndarray]]:
    """Each flow's window total: the point and its replicates (``boot``: the fit's, or without the population's
    error)."""
    sel = _window(fit, start, end)
    emi, ret = fit.point[sel, 0].sum(), fit.point[sel, 1].sum()
    b_emi, b_ret = boot[:, sel, 0].sum(axis=1), boot[:, sel, 1].sum(axis=1)
    return {"emigration": (emi, b_emi), "return": (ret, b_ret), "net": (emi - ret, b_emi - b_ret)}


def _interval(est: float, boot: np.ndarray, level: float) -> tuple[float, float]:
    """The replicates' percentile spread around their median, placed around the estimate (as the panel's rows)."""
    if not len(boot):
        return float("nan"), float("nan")
    a = (1 - level) / 2
    mid = float(np.median(boot))
    return est + float(np.quantile(boot, a)) - mid, est + float(np.quantile(boot, 1 - a)) - mid


def panel_covers(fit: PanelFit) -> str:
    """One plain sentence: what the panel's interval covers and what it leaves out."""
    opt, pop = fit.options, fit.population
    if not len(fit.boot):
        return "No interval: the bootstrap has no replicates (n_boot 0)."
    sampling = f"the sampling of people on the board (bootstrap over resumes, {len(fit.boot)} replicates)"
    if pop.cv > 0:
        covered = f"{sampling} and the population figure's error (±{pop.cv:.0%})"
        exact = ""
    else:
        covered = sampling
        exact = f"the population figure's error ({pop.count:,.0f} is taken as exact), "
    model = (
        "the naive count's bias (it misses every move made out of sight)"
        if not fit.corrected
        else "the model's error (how people really search, move and update their resumes)"
    )
    return (
        f"The {opt.level:.0%} interval covers {covered}; it leaves out {exact}{model} and the scenario's error. "
        "Board-visible rows carry the sampling alone: no population figure."
    )


def panel_result(fit: PanelFit, start: str, end: str) -> MigrationResult:
    """``fit.result`` with every row labelled ``scale`` = ``workforce``, the window's ``board-visible`` totals
    (movers among the board's profiles, no population figure) after them, and what the interval covers."""
    result = fit.result(start, end)
    rows = result.rows.assign(scale=WORKFORCE)
    board = board_rows(fit, start, end)
    if board:
        rows = pd.concat([rows, pd.DataFrame(board)], ignore_index=True)
    return dataclasses.replace(result, rows=rows, covers=panel_covers(fit))


def board_rows(fit: PanelFit, start: str, end: str) -> list[dict]:
    """The window's totals as movers among the board's profiles: workforce × profiles / N, with the interval of
    the bootstrap over people alone (the profiles at the reference month taken as fitted)."""
    n_profiles = profiles(fit)
    if n_profiles is None:
        return []
    share = n_profiles / fit.population.count
    level = fit.options.level
    out = []
    for flow, (est, boot) in _totals(fit, sampling_boot(fit), start, end).items():
        low, high = _interval(est, boot, level)
        out.append(
            {
                "flow": flow,
                "origin": fit.panel.origin,
                "destination": "abroad",
                "group": None,
                "period": f"{start}/{end}",
                "scale": BOARD,
                "estimate": float(est * share),
                "low": low * share,
                "high": high * share,
                "level": level,
            }
        )
    return out


def sensitivity(
    fit: PanelFit,
    start: str,
    end: str,
    factors: tuple[float, ...] = POPULATION_FACTORS,
    coverage: tuple[float, ...] = COVERAGE_CHANGES,
) -> MigrationResult:
    """The window's workforce totals for populations ``factors`` × N and board coverage changes ``coverage``.

    A coverage change c is the board's coverage of the workforce in the window over its coverage at the reference
    month: with c > 1 the board holds more of the workforce than the scaling assumes, so the workforce flows are
    the estimate / c. Each row's interval is the bootstrap over people alone: the population is fixed in each row."""
    pop, level = fit.population, fit.options.level
    inputs = {**fit.result(start, end).inputs, "grid": f"population × {factors}, coverage change {coverage}"}
    totals = _totals(fit, sampling_boot(fit), start, end)
    rows = []
    for flow, (est, boot) in totals.items():
        low, high = _interval(est, boot, level)
        for f in factors:
            for c in coverage:
                rows.append(
                    {
                        "flow": flow,
                        "period": f"{start}/{end}",
                        "population": pop.count * f,
                        "population_factor": f,
                        "coverage_change": c,
                        "estimate": est * f / c,
                        "low": low * f / c,
                        "high": high * f / c,
                        "level": level,
                    }
                )
    covers = (
        f"The {level:.0%} interval of each row covers the sampling of people on the board (bootstrap over resumes, "
        f"{len(fit.boot)} replicates) at that row's population and coverage; it leaves out the population figure's "
        "error (the rows show its effect instead), the model's error and the scenario's error."
    )
    notes = (
        f"workforce flows = board-visible movers × N / profiles at {pop.month}: they move one for one with N "
        f"({pop.count:,.0f}, {pop.source}) and inversely with the board's coverage in the window relative to "
        f"{pop.month}",
        *fit.notes,
    )
    return MigrationResult(
        "panel sensitivity to the population and the board's coverage",
        pd.DataFrame(rows),
        level,
        inputs,
        notes,
        f"bootstrap over people ({len(fit.boot)} replicates, seed {fit.options.seed}), population fixed per row",
        covers,
    )
