"""The migration methods run against a store: what `talentflow migration`, the nowcast and the claims ledger call."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from talentflow.errors import UsageError
from talentflow.migration.excess import CONTROLS, DESTINATIONS, excess_growth
from talentflow.migration.nowcast import NowcastInput, combine
from talentflow.migration.panel import PanelFit, PanelOptions, Population, fit_panel, load_panel
from talentflow.migration.results import MigrationResult
from talentflow.migration.stocks import (
    flows_beine_parsons,
    flows_demographic,
    flows_dennett,
    flows_stock_difference,
    read_stock_csv,
)
from talentflow.store import Store

METHODS = ("panel", "stocks", "excess", "nowcast")
STOCK_METHODS = {
    "demographic": flows_demographic,
    "difference": flows_stock_difference,
    "beine-parsons": flows_beine_parsons,
    "dennett": flows_dennett,
}

#: Used when the user gives no population: "an industry employing about 1 million" (claims A4 and A5), with a
#: 10% relative error because it is a round figure.
DEFAULT_POPULATION = Population(1_000_000, "2021-12", "about 1 million IT workers (claims A4, A5)", cv=0.1)

#: Relative error added to each kind of nowcast input for what its own interval leaves out.
PANEL_EXTRA_CV = 0.05  # model error: mean errors of 1-2% in the simulator study, wider for one seed
EXCESS_EXTRA_CV = 0.5  # developer accounts are not IT workers; IP location and VPNs
CLAIM_EXTRA_CV = 0.25  # a figure given as a single round number
CLAIM_RANGE_LEVEL = 0.9  # a stated range read as a 90% interval


@dataclass
class Request:
    """What `talentflow migration` was asked for."""

    method: str = "panel"
    origin: str = "RU"
    start: str | None = None  # YYYY-MM for panel and nowcast, YYYY-Qn for excess
    end: str | None = None
    level: float = 0.9
    seed: int = 0
    population: Population = DEFAULT_POPULATION
    n_boot: int = 100
    naive: bool = False
    economies: tuple[str, ...] = DESTINATIONS
    controls: tuple[str, ...] = CONTROLS
    stocks: tuple[Path, ...] = ()
    stock_method: str = "demographic"
    stock_options: dict[str, Any] = field(default_factory=dict)


def month_of(text: str | None, default: str, what: str) -> str:
    """YYYY-MM from YYYY-MM or YYYY-MM-DD."""
    if text is None:
        return default
    m = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text.strip())
    if not m:
        raise UsageError(f"{what}: expected YYYY-MM or YYYY-MM-DD, got {text!r}")
    try:
        dt.date(int(m[1]), int(m[2]), int(m[3] or 1))
    except ValueError:
        raise UsageError(f"{what}: {text!r} is not a date") from None
    return f"{m[1]}-{m[2]}"


def run(store: Store, req: Request) -> MigrationResult:
    if req.method not in METHODS:
        raise UsageError(f"unknown method {req.method!r}; choose one of: {', '.join(METHODS)}")
    if req.method == "panel":
        fit = panel_fit(store, req)
        return fit.result(month_of(req.start, "2022-01", "--from"), month_of(req.end, "2022-12", "--to"))
    if req.method == "excess":
        window = (req.start or "2022Q2", req.end or "2023Q1")
        return excess_growth(
            store,
            economies=req.economies,
            origin=req.origin,
            window=window,
            controls=req.controls,
            level=req.level,
            seed=req.seed,
        )
    if req.method == "stocks":
        return stocks(req)
    return nowcast(store, req)


def panel_fit(store: Store, req: Request) -> PanelFit:
    panel = load_panel(store, origin=req.origin)
    options = PanelOptions(level=req.level, n_boot=req.n_boot, seed=req.seed)
    return fit_panel(panel, req.population, corrected=not req.naive, options=options)


def stocks(req: Request) -> MigrationResult:
    if len(req.stocks) != 2:
        raise UsageError("--method stocks needs two stock tables: --stocks T0.csv --stocks T1.csv")
    if req.stock_method not in STOCK_METHODS:
        raise UsageError(f"unknown stock method {req.stock_method!r}; choose one of: {', '.join(STOCK_METHODS)}")
    t0, t1 = (read_stock_csv(p) for p in req.stocks)
    fn = STOCK_METHODS[req.stock_method]
    extra = req.stock_options if req.stock_method == "demographic" else {}
    return fn(t0, t1, level=req.level, seed=req.seed, period=(str(req.stocks[0]), str(req.stocks[1])), **extra)


def excess_people(store: Store, req: Request) -> NowcastInput | None:
    """The origin's developer-account shortfall in people: accounts × IT workers per account before the shock."""
    try:
        res = excess_growth(store, origin=req.origin, level=req.level, seed=req.seed)
    except UsageError:
        return None
    row = res.select(economy=req.origin)
    if row.empty:
        return None
    accounts = _developers_before(store, req.origin)
    if not accounts:
        return None
    per_account = req.population.count / accounts
    r = row.iloc[0]
    # A shortfall is negative; the people it stands for left.
    est, low, high = (-r.estimate * per_account, -r.high * per_account, -r.low * per_account)
    return NowcastInput(
        f"excess developer accounts ({r.period})",
        est,
        min(low, est),
        max(high, est),
        req.level,
        f"GitHub Innovation Graph shortfall of {req.origin} developer accounts, {-r.estimate:,.0f} accounts × "
        f"{per_account:.3f} IT workers per account (population / accounts at 2021Q4)",
        extra_cv=EXCESS_EXTRA_CV,
    )


def _developers_before(store: Store, economy: str) -> float | None:
    t = store.table("population")
    expr = t.filter((t.metric == "developers") & (t.economy == economy) & (t.period == "2021Q4")).value.max()
    value = expr.execute()
    return float(value) if value is not None and value == value else None


def claim_inputs(store: Store, metric: str, origin: str, start: str, end: str) -> list[NowcastInput]:
    """Claims in the ledger about ``metric`` in ``origin`` that cover the window: from its first months to its
    last month."""
    from talentflow.claims.ledger import load_claims

    out = []
    for c in load_claims(store, metric):
        if c.geography != origin or c.period_start is None or c.period_end is None:
            continue
        c_start, c_end = c.period_start.strftime("%Y-%m"), c.period_end.strftime("%Y-%m")
        if c_end != end or not (start <= c_start <= _add_months(start, 2)):
            continue
        if c.value_low is not None and c.value_high is not None:
            mid = c.value if c.value is not None else (c.value_low + c.value_high) / 2
            inp = NowcastInput(f"claim {c.claim_id}", mid, c.value_low, c.value_high, CLAIM_RANGE_LEVEL, _said(c))
        elif c.value is not None:
            inp = NowcastInput(
                f"claim {c.claim_id}", c.value, c.value, c.value, CLAIM_RANGE_LEVEL, _said(c), extra_cv=CLAIM_EXTRA_CV
            )
        else:
            continue
        out.append(inp)
    return out


def _said(c: Any) -> str:
    return f"{c.who}, {c.url}"


def _add_months(month: str, k: int) -> str:
    y, m = int(month[:4]), int(month[5:7]) - 1 + k
    return f"{y + m // 12:04d}-{m % 12 + 1:02d}"


def nowcast(store: Store, req: Request) -> MigrationResult:
    """Net emigration (abroad, net of returns) and gross emigration over the window, each pooled from the panel,
    the developer-account shortfall (net only) and the claims in the ledger."""
    start, end = month_of(req.start, "2022-01", "--from"), month_of(req.end, "2022-12", "--to")
    counts = store.counts()
    fit = panel_fit(store, req) if counts.get("resume_observation") else None
    parts = []
    for flow, metric in (("net", "it_abroad_net"), ("emigration", "it_emigrants")):
        inputs = []
        if fit is not None:
            est, low, high = fit.total(flow, start, end)
            inputs.append(
                NowcastInput(
                    f"panel {flow}", est, low, high, req.level, "resume sightings in the store", extra_cv=PANEL_EXTRA_CV
                )
            )
        if flow == "net" and counts.get("population"):
            ex = excess_people(store, req)
            if ex is not None:
                inputs.append(ex)
        inputs += claim_inputs(store, metric, req.origin, start, end)
        if inputs:
            parts.append(
                combine(
                    inputs, level=req.level, labels={"flow": flow, "origin": req.origin, "period": f"{start}/{end}"}
                )
            )
    if not parts:
        raise UsageError(
            "nothing to combine: the store has no resume sightings, no Innovation Graph developers and no claims "
            f"about {req.origin} for {start}/{end} (try `talentflow claims import --builtin`)"
        )
    rows = pd.concat([p.rows for p in parts], ignore_index=True)
    inputs = {k: v for p in parts for k, v in p.inputs.items()}
    notes = tuple(f"{p.rows.flow.iloc[0]}: {n}" for p in parts for n in p.notes)
    return MigrationResult("nowcast", rows, req.level, inputs, notes, parts[0].interval)
