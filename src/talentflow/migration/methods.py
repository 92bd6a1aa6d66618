"""The migration methods run for a request: what `talentflow migration`, the web API, the nowcast and the claims
comparison call.

    >>> from talentflow import Store
    >>> from talentflow.migration import ExcessRequest, estimate
    >>> with Store("talentflow.duckdb", read_only=True) as store:
    ...     result = estimate(ExcessRequest(start="2022Q2", end="2023Q1"), store)
    >>> result.level, list(result.rows.columns[-4:])
    (0.9, ['estimate', 'low', 'high', 'level'])
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from talentflow.errors import UsageError
from talentflow.indicators import provenance
from talentflow.migration._scaling import panel_result, rescale, sensitivity
from talentflow.migration.excess import excess_growth
from talentflow.migration.nowcast import NowcastInput, combine
from talentflow.migration.panel import Panel, PanelFit, PanelOptions, Progress, fit_panel, load_panel
from talentflow.migration.requests import (
    ExcessRequest,
    NowcastRequest,
    PanelRequest,
    Population,
    Request,
    StocksRequest,
)
from talentflow.migration.results import MigrationResult
from talentflow.migration.stocks import (
    flows_beine_parsons,
    flows_demographic,
    flows_dennett,
    flows_stock_difference,
    read_stock_csv,
)
from talentflow.store import Store

STOCK_FUNCTIONS = {
    "demographic": flows_demographic,
    "difference": flows_stock_difference,
    "beine-parsons": flows_beine_parsons,
    "dennett": flows_dennett,
}

#: Relative error added to each kind of nowcast input for what its own interval leaves out.
PANEL_EXTRA_CV = 0.05  # model error: mean errors of 1-2% in the simulator study, wider for one seed


def estimate(request: Request, store: Store | None = None, *, progress: Progress | None = None) -> MigrationResult:
    """The estimate ``request`` asks for; ``store`` holds the records (stock tables come from files instead).
    ``progress`` is told how a panel fit goes (`talentflow.migration.panel.Progress`)."""
    if isinstance(request, StocksRequest):
        return stocks(request)
    if store is None:
        raise UsageError(f"the {request.method} method reads a store; give one")
    if isinstance(request, PanelRequest):
        fit = panel_fit(store, request, progress)
        if request.sensitivity:
            return sensitivity(fit, request.start, request.end)
        return panel_result(fit, request.start, request.end)
    if isinstance(request, ExcessRequest):
        return excess(store, request)
    if isinstance(request, NowcastRequest):
        return nowcast(store, request, progress)
    raise UsageError(f"no migration method takes a {type(request).__name__}")


def panel_fit(store: Store, request: PanelRequest | NowcastRequest, progress: Progress | None = None) -> PanelFit:
    """The panel fitted over every month of the store's resume sightings of the kind asked for (real or
    simulated): a window is cut from it by ``PanelFit.result``."""
    panel = load_panel(store, origin=request.origin, data=request.data)
    naive = isinstance(request, PanelRequest) and request.naive
    return fit_for(
        panel,
        request.population,
        level=request.level,
        n_boot=request.n_boot,
        seed=request.seed,
        corrected=not naive,
        progress=progress,
        model=request.model,
    )


#: Months at either end of the panel with fewer resumes seen than this are left out (as the report's cells).
PANEL_MIN_PEOPLE = 50


def fit_for(
    panel: Panel,
    population: Population,
    *,
    level: float,
    n_boot: int,
    seed: int,
    corrected: bool = True,
    progress: Progress | None = None,
    model: str = PanelRequest.model,
) -> PanelFit:
    """The one path from a panel to a fit, for every caller (`talentflow migration`, the web API, the report, the
    claims): the same months kept, the same bootstrap and the same population noise, so that the same sightings,
    population and seed give the same interval wherever they are asked for.

    The population's error is drawn by `rescale` (from ``seed``), never inside the fit: a fit made for a census
    and rescaled to another population then carries the very draws a fit made for that population does."""
    panel, trimmed = trim_panel(panel, PANEL_MIN_PEOPLE)
    from talentflow.migration.panel._model import MODELS

    options = PanelOptions(level=level, n_boot=n_boot, seed=seed, structure=MODELS[model])
    exact = dataclasses.replace(population, cv=0.0)
    fit = fit_panel(panel, exact, corrected=corrected, options=options, progress=progress)
    fit = rescale(fit, population)
    return dataclasses.replace(fit, notes=(*fit.notes, trimmed)) if trimmed else fit


def trim_panel(panel: Panel, min_people: int) -> tuple[Panel, str | None]:
    """The panel cut to the months from the first to the last with at least ``min_people`` resumes seen.

    A handful of resumes seen years before the rest (e.g. API examples ingested beside a simulated market)
    would otherwise add empty months that the model must fit and the reader must scroll past."""
    seen = (panel.obs >= 0).sum(axis=0)
    dense = np.flatnonzero(seen >= min_people)
    if not len(dense) or (dense[0] == 0 and dense[-1] == len(panel.months) - 1):
        return panel, None
    a, b = int(dense[0]), int(dense[-1])
    obs = panel.obs[:, a : b + 1]
    # cast: numpy's stubs type any(axis=...) as a scalar or an array; on the 2-D obs it is always an array.
    keep = cast(npt.NDArray[np.bool_], (obs >= 0).any(axis=1))
    new_index = np.cumsum(keep) - 1
    dest = panel.destinations
    if not dest.empty:
        dest = dest[(dest.month >= a) & (dest.month <= b) & keep[dest.person.to_numpy()]].copy()
        dest["person"] = new_index[dest.person.to_numpy()]
        dest["month"] = dest.month - a
    cut = Panel(
        months=panel.months[a : b + 1],
        obs=obs[keep],
        start=np.clip(panel.start[keep] - a, 0, None),
        origin=panel.origin,
        destinations=dest.reset_index(drop=True),
        sightings=panel.sightings,
        data=panel.data,
        crawled=panel.crawl_mask[a : b + 1],
        left_out=panel.left_out,
    )
    dropped = panel.people - cut.people
    note = (
        f"months with fewer than {min_people} resumes seen are left out: the panel runs {cut.months[0]} to "
        f"{cut.months[-1]} ({dropped:,} resumes seen only outside it dropped)"
    )
    return cut, note


def excess(store: Store, request: ExcessRequest) -> MigrationResult:
    return excess_growth(
        store,
        economies=request.economies,
        origin=request.origin,
        window=(request.start, request.end),
        controls=request.controls,
        level=request.level,
        seed=request.seed,
        n_boot=request.n_boot,
    )


def stocks(request: StocksRequest) -> MigrationResult:
    t0, t1 = (read_stock_csv(p) for p in request.stocks)
    fn: Any = STOCK_FUNCTIONS[request.estimator]
    extra = {"stayers": request.stayers} if request.estimator == "demographic" else {}
    period = (str(request.stocks[0]), str(request.stocks[1]))
    result: MigrationResult = fn(
        t0, t1, level=request.level, seed=request.seed, n_boot=request.n_boot, period=period, **extra
    )
    result = dataclasses.replace(result, covers=stocks_covers(request.level, request.n_boot))
    if request.origin is None:
        return result
    rows = result.rows
    keep = (rows["origin"] == request.origin) | (rows["destination"] == request.origin)
    if not keep.any():
        regions = sorted(set(rows["origin"]) | set(rows["destination"]))
        raise UsageError(
            f"{request.origin!r} is not a region of the stock tables ({', '.join(regions)})", param="origin"
        )
    return MigrationResult(
        result.method,
        rows[keep],
        result.level,
        {**result.inputs, "origin": f"only flows out of or into {request.origin}"},
        result.notes,
        result.interval,
        result.covers,
    )


def stocks_covers(level: float, n_boot: int) -> str:
    """One plain sentence: what the stock methods' interval covers and what it leaves out."""
    if n_boot == 0:
        return "No interval: the bootstrap has no replicates (n_boot 0)."
    return (
        f"The {level:.0%} interval covers counting noise in the stock tables (every cell redrawn, {n_boot} "
        "replicates); it leaves out the census's coverage, definitions and timing and the estimator's own "
        "assumptions (the stayers above all), which move the flows far more."
    )


# -- the nowcast ----------------------------------------------------------------------------------------
def excess_people(store: Store, request: NowcastRequest) -> NowcastInput | None:
    """The origin's developer-account shortfall in people: accounts × the IT workers per account the request
    gives (none given: not pooled, accounts are not people)."""
    per_account = request.people_per_account
    if per_account is None:
        return None
    try:
        res = excess_growth(store, origin=request.origin, level=request.level, seed=request.seed)
    except UsageError:
        return None
    row = res.select(economy=request.origin)
    if row.empty:
        return None
    r = row.iloc[0]
    # A shortfall is negative; the people it stands for left.
    est, low, high = (-r.estimate * per_account, -r.high * per_account, -r.low * per_account)
    return NowcastInput(
        f"excess developer accounts ({r.period})",
        est,
        min(low, est),
        max(high, est),
        request.level,
        f"GitHub Innovation Graph shortfall of {request.origin} developer accounts, {-r.estimate:,.0f} accounts × "
        f"{per_account:g} IT workers per account (given, relative error {request.people_per_account_cv:g})",
        extra_cv=request.people_per_account_cv,
    )


def claim_inputs(store: Store, metric: str, origin: str, start: str, end: str) -> list[NowcastInput]:
    """Claims in the ledger about ``metric`` in ``origin`` that cover the window: from its first months to its
    last month."""
    from talentflow.claims._margins import MARGIN_LEVEL, claim_range
    from talentflow.claims.ledger import load_claims

    out = []
    for c in load_claims(store, metric):
        if c.geography != origin or c.period_start is None or c.period_end is None:
            continue
        c_start, c_end = c.period_start.strftime("%Y-%m"), c.period_end.strftime("%Y-%m")
        if c_end != end or not (start <= c_start <= _add_months(start, 2)):
            continue
        low, high = claim_range(c)
        if not (math.isfinite(low) and math.isfinite(high)):
            continue  # a bound alone ("more than X") is no measurement to pool
        # The margins the ledger judges the claim by are its 90% interval here: one reading of a claim.
        mid = c.value if c.value is not None else (low + high) / 2
        out.append(NowcastInput(f"claim {c.claim_id}", mid, low, high, MARGIN_LEVEL, f"{c.who}, {c.url}"))
    return out


def _add_months(month: str, k: int) -> str:
    y, m = int(month[:4]), int(month[5:7]) - 1 + k
    return f"{y + m // 12:04d}-{m % 12 + 1:02d}"


def nowcast(store: Store, request: NowcastRequest, progress: Progress | None = None) -> MigrationResult:
    """Net emigration (abroad, net of returns) and gross emigration over the window, each pooled from the panel,
    the developer-account shortfall (net only) and the claims in the ledger.

    One kind of data at a time: on real data (the default) the panel of real resume sightings is pooled with the
    shortfall and the claims, which are real too; on simulated data the panel of the simulator's resumes stands
    alone, since pooling it with figures about the real world would sum the two kinds."""
    start, end = request.start, request.end
    real = request.data == "real"
    has_resumes = provenance.count(store, "resume_observation", request.data) > 0
    fit = panel_fit(store, request, progress) if has_resumes else None
    if progress is not None:
        progress("pooling", 0, 1, "developer accounts and claims" if real else "the panel alone")
    parts = []
    left_out: list[str] = []
    for flow, metric in (("net", "it_abroad_net"), ("emigration", "it_emigrants")):
        inputs: list[NowcastInput] = []
        if fit is not None:
            est, low, high = fit.total(flow, start, end)
            inputs.append(
                NowcastInput(
                    f"panel {flow}",
                    est,
                    low,
                    high,
                    request.level,
                    f"{request.data} resume sightings in the store",
                    extra_cv=PANEL_EXTRA_CV,
                )
            )
        if real and flow == "net" and store.count("population") and request.people_per_account is not None:
            ex = excess_people(store, request)
            if ex is not None:
                inputs.append(ex)
        if real:
            claims = claim_inputs(store, metric, request.origin, start, end)
            # A claim whose figure scaled the panel would be pooled with an estimate made from it.
            circular = fit.population.claims if fit is not None else ()
            left_out += [c.name for c in claims if c.name.removeprefix("claim ").split("-")[0] in circular]
            inputs += [c for c in claims if c.name not in left_out]
        if inputs:
            labels = {"flow": flow, "origin": request.origin, "period": f"{start}/{end}"}
            parts.append(combine(inputs, level=request.level, labels=labels))
    if not parts:
        raise UsageError(
            "nothing to combine: the store has no real resume sightings, no Innovation Graph developers and no claims "
            f"about {request.origin} for {start}/{end} (try `talentflow claims import --builtin`)"
            if real
            else "nothing to combine: the store has no simulated resume sightings (the developer accounts and the "
            "claims are real data, never pooled with simulated data)",
            param=None if real else "data",
        )
    rows = pd.concat([p.rows for p in parts], ignore_index=True)
    used = {k: v for p in parts for k, v in p.inputs.items()}
    notes = tuple(f"{p.rows.flow.iloc[0]}: {n}" for p in parts for n in p.notes)
    if not real:
        notes += (
            "simulated data: the panel of the simulator's resumes only; the developer-account shortfall and the "
            "published claims are real data and are not pooled with it",
        )
    elif request.people_per_account is None and store.count("population"):
        notes += (
            "the developer-account shortfall is left out: accounts are not people; give --people-per-account (IT "
            "workers per developer account, with --people-per-account-cv) to pool it",
        )
    if real and fit is None:
        notes += ("no real resume sightings: the panel is missing; the other inputs are pooled without it",)
    if left_out:
        notes += (
            f"left out: {', '.join(left_out)}, whose figure is the population the panel is scaled to (circular); give "
            "--population to pool them",
        )
    covers = parts[0].covers if len(parts) == 1 else " ".join(f"{p.rows.flow.iloc[0]}: {p.covers}" for p in parts)
    return MigrationResult("nowcast", rows, request.level, used, notes, parts[0].interval, covers)
