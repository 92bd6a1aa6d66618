"""Running an indicator: check the request, build its expression, execute it, suppress small cells."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from talentflow.errors import UsageError
from talentflow.indicators.base import Context, Indicator
from talentflow.indicators.engines import DEFAULT_SPARK_MASTER, Engine, open_engine
from talentflow.indicators.params import DEFAULT_MIN_CELL, Params, Segment, parse_date, parse_options
from talentflow.indicators.provenance import DEFAULT_DATA, MARKED, PUBLISHED
from talentflow.indicators.registry import REGISTRY


@dataclass
class Result:
    indicator: str
    engine: str
    params: Params
    frame: pd.DataFrame
    #: Cells whose base count fell below ``params.min_cell`` and whose values were blanked.
    suppressed: int = 0
    notes: list[str] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        """Rows as JSON-ready dicts: dates as ISO text, missing values as None."""
        frame = self.frame.astype(object).where(self.frame.notna(), None)
        return [
            {str(k): (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")
        ]


def indicator(name: str) -> Indicator:
    try:
        return REGISTRY[name]
    except KeyError:
        raise UsageError(
            f"unknown indicator {name!r}; the indicators are: {', '.join(REGISTRY)}", param="name"
        ) from None


def check(ind: Indicator, params: Params) -> None:
    if params.period not in ind.periods:
        raise UsageError(
            f"{ind.name} is computed by {' or '.join(ind.periods)}, not by {params.period}", param="period"
        )
    bad = [s.name for s in params.by if s.name not in ind.segments]
    if bad:
        allowed = ", ".join(ind.segments) or "none"
        raise UsageError(f"{ind.name} cannot be split by {', '.join(bad)}; its segments are: {allowed}", param="by")
    unknown = [k for k in params.options if k not in ind.options]
    if unknown:
        known = ", ".join(ind.options) or "none"
        raise UsageError(f"{ind.name} has no option {', '.join(unknown)}; its options are: {known}", param="options")


def request(
    name: str,
    *,
    period: str | None = None,
    by: Sequence[str] = (),
    start: str | None = None,
    end: str | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    options: Sequence[str] = (),
    data: str = DEFAULT_DATA,
) -> Params:
    """The parameters of indicator ``name`` from text, as the command line and the web API take them, checked
    against what the indicator offers; every error names its parameter."""
    ind = indicator(name)
    params = Params(
        period=period or ind.default_period,
        by=tuple(Segment.parse(b) for b in by),
        start=parse_date(start, "start"),
        end=parse_date(end, "end"),
        min_cell=min_cell,
        options=parse_options(options),
        data=data,
    )
    check(ind, params)
    return params


def suppress(frame: pd.DataFrame, ind: Indicator, min_cell: int) -> tuple[pd.DataFrame, int]:
    """Blank the values of cells whose base count is below ``min_cell``; flag them in ``suppressed``."""
    if ind.base is None:
        return frame, 0
    small = frame[ind.base].fillna(0) < min_cell
    frame = frame.copy()
    for column in dict.fromkeys((*ind.values, ind.base)):
        if column in frame.columns and small.any():
            frame[column] = frame[column].astype(object).where(~small, None)
    frame["suppressed"] = small
    return frame, int(small.sum())


def _order(frame: pd.DataFrame, params: Params) -> pd.DataFrame:
    keys = [c for c in ("period", *params.segment_names, "country", "destination") if c in frame.columns]
    return frame.sort_values(list(dict.fromkeys(keys)), ignore_index=True, kind="stable")


def compute_on(engine: Engine, name: str, params: Params | None = None) -> Result:
    """Compute indicator ``name`` on an open engine."""
    ind = indicator(name)
    params = params or Params(period=ind.default_period)
    check(ind, params)
    ctx = Context(engine, params, ind)
    frame = engine.execute(ind.build(ctx))
    for column in ("period", "period_end"):
        if column in frame.columns:
            frame[column] = pd.to_datetime(frame[column]).dt.date
    if ind.finish is not None:
        frame = ind.finish(frame, ctx)
    frame = _order(frame, params)
    frame, suppressed = suppress(frame, ind, params.min_cell)
    notes = ind.notes(frame, ctx) if ind.notes is not None else []
    if ind.base is not None:
        notes.append(f"{suppressed:,} of {len(frame):,} cells suppressed (base {ind.base} < {params.min_cell})")
    notes += _data_notes(ctx)
    return Result(name, engine.name, params, frame, suppressed, notes)


def _data_notes(ctx: Context) -> list[str]:
    """Which records the result rests on; for simulated data, the published tables that had nothing to give."""
    board = [name for name in MARKED if name in ctx.tables_read]
    notes = []
    if board and ctx.params.data == "real":
        notes.append("real data: records observed on a board (simulated records are read only when asked for)")
    elif board:
        notes.append("simulated data: the simulator's records only (real records are left out)")
    if ctx.params.data != "real":
        notes += [
            f"{name} holds published figures, real data only: asked for simulated data, it is empty"
            for name in PUBLISHED
            if name in ctx.tables_read
        ]
    return notes


def compute(
    name: str,
    params: Params | None = None,
    *,
    db: str | os.PathLike[str] | None = None,
    engine: str = "duckdb",
    spark_master: str = DEFAULT_SPARK_MASTER,
) -> Result:
    """Compute indicator ``name`` from the store ``db`` on ``engine``.

    >>> result = compute("vacancies_active", Params(period="month", data="simulated"), db="talentflow.duckdb")
    >>> list(result.frame.columns), result.engine
    (['period', 'period_end', 'vacancies', 'suppressed'], 'duckdb')
    """
    ind = indicator(name)
    if params is None:
        params = Params(period=ind.default_period)
    check(ind, params)
    with open_engine(engine, db, spark_master=spark_master) as eng:
        return compute_on(eng, name, params)
