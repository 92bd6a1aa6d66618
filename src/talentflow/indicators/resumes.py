"""Resume stocks and flows, tension (resumes per vacancy) and relocation.

A resume is active from the first to the last sighting of a search spell (resumes carry no archive date);
sightings more than ``gap_days`` apart (default 45: monthly crawls, some days late, one missed now and then)
belong to different spells.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import ibis

from talentflow.indicators.base import Context
from talentflow.indicators.life import active_stock, flow, lives
from talentflow.indicators.segments import UNKNOWN, label, ratio, with_segments
from talentflow.indicators.vacancies import VACANCIES, vacancy_lives

RESUMES = "resume_observation"
WILLING = ("relocation_possible", "relocation_desirable")
GAP_DAYS = 45
GAP_OPTION = {"gap_days": (str(GAP_DAYS), "days between sightings that end a resume's search spell")}

#: hh.index bands (hh.ru's labour-market tension index): upper bound (exclusive) → band.
TENSION_BANDS = (
    (2.0, "acute shortage"),
    (4.0, "shortage"),
    (8.0, "balanced"),
    (12.0, "high competition"),
)
TENSION_TOP_BAND = "extreme competition"


def resume_lives(
    ctx: Context, extra: dict[str, Callable[[Any], Any]] | None = None, table: Any = None
) -> tuple[Any, list[str]]:
    board = ctx.table(RESUMES)
    r = board if table is None else table
    extra = extra or {}
    if extra:
        r = r.mutate(**{name: label(fn(r)) for name, fn in extra.items()})
    r = with_segments(r, "resume", ctx.params)
    keys = [*ctx.params.segment_names, *extra]
    gap = ctx.int_option("gap_days")  # every resume indicator takes GAP_OPTION
    return lives(
        r, ("source", "resume_id"), keys, opened=r.observed_at, archived=False, gap_days=gap, board=board
    ), keys


def active(ctx: Context) -> Any:
    life, keys = resume_lives(ctx)
    return active_stock(life, keys, ctx.calendar(RESUMES)).rename(resumes="active")


def new(ctx: Context) -> Any:
    life, keys = resume_lives(ctx)
    return flow(life, "opened", keys, ctx.calendar(RESUMES)).rename(resumes="count")


def tension(ctx: Context) -> Any:
    """Active resumes ÷ active vacancies at period end, with its hh.index band."""
    cal = ctx.calendar(VACANCIES, RESUMES)
    v_life, keys = vacancy_lives(ctx)
    r_life, _ = resume_lives(ctx)
    v = active_stock(v_life, keys, cal).rename(vacancies="active")
    r = active_stock(r_life, keys, cal).rename(resumes="active")
    t = r.join(v, ["period", "period_end", *keys])
    value = ratio(t.resumes, t.vacancies)
    band = ibis.cases(
        *((value < bound, name) for bound, name in TENSION_BANDS),
        (value.notnull(), TENSION_TOP_BAND),
        else_=ibis.null("string"),
    )
    return t.mutate(tension=value, band=band, n=ibis.least(t.resumes, t.vacancies))


def relocation_category(r: Any) -> Any:
    """none, abroad (any destination outside the country of residence), domestic (only home destinations),
    unspecified (willing, no destination listed); NULL when the resume does not say."""
    countries = r.relocation_countries
    home = r.country
    abroad = countries.filter(lambda c: c != home).length() > 0
    willing = r.relocation_type.isin(list(WILLING))
    return ibis.cases(
        (r.relocation_type == "no_relocation", "none"),
        (willing & abroad, "abroad"),
        (willing & (countries.length() > 0), "domestic"),
        (willing, "unspecified"),
        else_=ibis.null("string"),
    )


def _relocation_stock(ctx: Context) -> tuple[Any, list[str]]:
    life, keys = resume_lives(ctx, {"_relocation": relocation_category})
    return active_stock(life, keys, ctx.calendar(RESUMES)), keys[:-1]


def relocation_share(ctx: Context) -> Any:
    """Shares of active resumes (with a stated relocation type) willing to relocate, abroad and domestic only."""
    stock, seg = _relocation_stock(ctx)
    cat = stock._relocation
    out = stock.group_by(["period", "period_end", *seg]).agg(
        resumes=stock.active.sum(where=cat != UNKNOWN).fill_null(0),
        willing=stock.active.sum(where=cat.isin(["abroad", "domestic", "unspecified"])).fill_null(0),
        abroad=stock.active.sum(where=cat == "abroad").fill_null(0),
        domestic_only=stock.active.sum(where=cat == "domestic").fill_null(0),
    )
    return out.mutate(
        relocation_share=ratio(out.willing, out.resumes),
        abroad_share=ratio(out.abroad, out.resumes),
        domestic_only_share=ratio(out.domestic_only, out.resumes),
    )


def destination_share(ctx: Context) -> Any:
    """Per destination country: active resumes naming it ÷ active resumes willing to move abroad.

    A resume naming several countries counts in each, so the shares of a period can add up to more than 1.
    With the ``group`` segment, per destination group instead (``reference.groups``): a resume counts once in
    a group however many of its countries it names, and in ``europe`` and ``eu`` for an EU country.
    """
    grouped = "group" in ctx.params.segment_names
    r = ctx.table(RESUMES)
    r = r.mutate(destination=r.relocation_countries.unnest())
    r = r.filter(r.relocation_type.isin(list(WILLING)), r.destination != r.country)
    extra: dict[str, Callable[[Any], Any]] = {} if grouped else {"destination": lambda t: t.destination}
    life, keys = resume_lives(ctx, extra, table=r)
    dest = active_stock(life, keys, ctx.calendar(RESUMES)).rename(resumes="active")
    dest = dest.filter(dest.resumes > 0)
    # The denominator has every segment but the group (its records have no destination to group).
    by = tuple(s for s in ctx.params.by if s.name != "group")
    stock, seg = _relocation_stock(replace(ctx, params=replace(ctx.params, by=by)))
    abroad = stock.filter(stock._relocation == "abroad").select("period", "period_end", *seg, abroad="active")
    out = dest.join(abroad, ["period", "period_end", *seg])
    return out.mutate(share=ratio(out.resumes, out.abroad))
