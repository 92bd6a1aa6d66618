"""Vacancy stocks and flows: active at period end, new in period, closed in period."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import pandas as pd

from talentflow.indicators.base import Context
from talentflow.indicators.life import active_stock, flow, lives
from talentflow.indicators.segments import UNKNOWN, label, ratio, with_segments

VACANCIES = "vacancy_observation"


def vacancy_lives(ctx: Context, extra: dict[str, Callable[[Any], Any]] | None = None) -> tuple[Any, list[str]]:
    """Vacancy lives keyed by the segments asked for plus ``extra`` columns computed on the raw sightings.

    A vacancy opens at publication (or its first sighting, where publication is unknown).
    """
    v = board = ctx.table(VACANCIES)
    extra = extra or {}
    if extra:
        v = v.mutate(**{name: label(fn(v)) for name, fn in extra.items()})
    v = with_segments(v, "vacancy", ctx.params)
    keys = [*ctx.params.segment_names, *extra]
    opened = ibis.least(v.published_at, v.observed_at)
    return lives(v, ("source", "vacancy_id"), keys, opened=opened, archived=True, board=board), keys


def active(ctx: Context) -> Any:
    life, keys = vacancy_lives(ctx)
    stock = active_stock(life, keys, ctx.calendar(VACANCIES))
    return stock.rename(vacancies="active")


def new(ctx: Context) -> Any:
    life, keys = vacancy_lives(ctx)
    return flow(life, "opened", keys, ctx.calendar(VACANCIES)).rename(vacancies="count")


def closed(ctx: Context) -> Any:
    life, keys = vacancy_lives(ctx)
    return flow(life, "closed", keys, ctx.calendar(VACANCIES)).rename(vacancies="count")


def remote_share(ctx: Context) -> Any:
    """Share of active vacancies that are remote, among those whose schedule is known."""
    life, keys = vacancy_lives(ctx, {"_remote": lambda v: v.is_remote})
    stock = active_stock(life, keys, ctx.calendar(VACANCIES))
    seg = keys[:-1]
    out = stock.group_by(["period", "period_end", *seg]).agg(
        vacancies=stock.active.sum(where=stock._remote != UNKNOWN).fill_null(0),
        remote=stock.active.sum(where=stock._remote == "true").fill_null(0),
    )
    return out.mutate(remote_share=ratio(out.remote, out.vacancies))


def single_sighting_notes(frame: pd.DataFrame, ctx: Context) -> list[str]:
    """A note when every vacancy in the data was seen once (a flat file of one row per vacancy, or one crawl):
    a life is then cut at the day after its one sighting, so stocks at period ends are undercounts, not zeros
    to trust, and closings are sightings rather than archivals."""
    v = ctx.table(VACANCIES)
    per = v.group_by(["source", "vacancy_id"]).agg(n=v.count())
    counts = per.aggregate(vacancies=per.count(), most=per.n.max())
    row = ctx.engine.execute(counts)
    if row.empty or not int(row["vacancies"].iloc[0] or 0) or int(row["most"].iloc[0] or 0) > 1:
        return []
    return [
        f"every one of the {int(row['vacancies'].iloc[0]):,} vacancies in the data was seen once (no repeated "
        "crawls, e.g. a flat file of one row per vacancy): a vacancy counts as active from its publication to the "
        "day after that sighting, so the stock at a period's end holds only those seen on or after it, and a "
        "closing is the day after the sighting; ingest repeated sightings (or archive dates) for active stocks"
    ]
