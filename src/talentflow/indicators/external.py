"""Series that come from outside the boards: Innovation Graph populations and published indicator series."""

from __future__ import annotations

from typing import Any

import ibis

from talentflow.errors import UsageError
from talentflow.indicators.base import Context
from talentflow.indicators.segments import ratio


def _countries(ctx: Context) -> tuple[str, ...]:
    return next((s.values for s in ctx.params.by if s.name == "country"), ())


def _quarter_index(day: Any) -> Any:
    return day.year() * 4 + (day.month() - 1) // 3


def population_growth(ctx: Context) -> Any:
    """Level of a population metric per economy and quarter, and its growth over ``lag`` quarters."""
    lag = ctx.int_option("lag")
    metric = ctx.option("metric")
    p = ctx.table("population")
    p = p.filter(p.metric == metric, p.partner.isnull())
    if countries := _countries(ctx):
        p = p.filter(p.economy.isin(list(countries)))
    p = p.mutate(_q=_quarter_index(p.period_start))
    before = p.select("source", "economy", _q=p._q + lag, previous="value")
    out = p.left_join(before, ["source", "economy", "_q"])
    out = ctx.in_range(out, "period_start")
    return out.select(
        period=out.period_start,
        label=out.period,
        country=out.economy,
        metric=out.metric,
        value=out.value,
        previous=out.previous,
        growth=ratio(out.value - out.previous, out.previous),
        lag=ibis.literal(lag),
        source=out.source,
    )


def series(ctx: Context) -> Any:
    """External series as stored (e.g. Indeed Hiring Lab), filtered by metric, segment and country."""
    s = ctx.table("series")
    if metric := ctx.option("metric"):
        s = s.filter(s.metric == metric)
    if segment := ctx.option("segment"):
        s = s.filter(s.segment == segment)
    if source := ctx.option("source"):
        s = s.filter(s.source == source)
    if countries := _countries(ctx):
        s = s.filter(s.geography.isin(list(countries)))
    s = ctx.in_range(s, "date")
    if ctx.params.period != "day":
        raise UsageError("series are passed through as published: by day", param="period")
    return s.select(
        period=s.date,
        country=s.geography,
        metric=s.metric,
        segment=s.segment,
        value=s.value,
        value_sa=s.value_sa,
        source=s.source,
        vintage=s.vintage,
    )
