"""Vacancy stocks and flows: active at period end, new in period, closed in period."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis

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
