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

import math
from typing import Any

import pandas as pd

from talentflow.errors import UsageError
from talentflow.indicators import provenance
from talentflow.migration.excess import excess_growth
from talentflow.migration.nowcast import NowcastInput, combine
from talentflow.migration.panel import PanelFit, PanelOptions, Progress, fit_panel, load_panel
from talentflow.migration.requests import ExcessRequest, NowcastRequest, PanelRequest, Request, StocksRequest
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
        return panel_fit(store, request, progress).result(request.start, request.end)
    if isinstance(request, ExcessRequest):
        return excess(store, request)
    if isinstance(request, NowcastRequest):
        return nowcast(store, request, progress)
    raise UsageError(f"no migration method takes a {type(request).__name__}")


def panel_fit(store: Store, request: PanelRequest | NowcastRequest, progress: Progress | None = None) -> PanelFit:
    """The panel fitted over every month of the store's resume sightings of the kind asked for (real or
    simulated): a window is cut from it by ``PanelFit.result``."""
    panel = load_panel(store, origin=request.origin, data=request.data)
    from talentflow.migration.panel._model import MODELS

    structure = MODELS[request.model]
    options = PanelOptions(level=request.level, n_boot=request.n_boot, seed=request.seed, structure=structure)
    naive = isinstance(request, PanelRequest) and request.naive
    return fit_panel(panel, request.population, corrected=not naive, options=options, progress=progress)


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
            inputs += claim_inputs(store, metric, request.origin, start, end)
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
    return MigrationResult("nowcast", rows, request.level, used, notes, parts[0].interval)
