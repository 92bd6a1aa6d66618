"""Employers leaving the market, and employers moving their vacancies abroad, from active-vacancy stocks."""

from __future__ import annotations

from typing import Any

import ibis

from talentflow.indicators.base import Context
from talentflow.indicators.life import active_stock
from talentflow.indicators.segments import UNKNOWN, ratio
from talentflow.indicators.vacancies import VACANCIES, vacancy_lives

EMPLOYER = "_employer"


def _employer_stock(ctx: Context, extra: dict[str, Any]) -> tuple[Any, list[str]]:
    life, keys = vacancy_lives(ctx, {EMPLOYER: lambda v: v.employer_id, **extra})
    seg = ctx.params.segment_names
    stock = active_stock(life, keys, ctx.calendar(VACANCIES))
    # Anonymous vacancies have no employer to follow.
    return stock.filter(stock[EMPLOYER] != UNKNOWN), seg


def employer_exits(ctx: Context) -> Any:
    """Employers with active vacancies at the end of the previous period and none for the next N periods."""
    n = ctx.int_option("periods")
    stock, seg = _employer_stock(ctx, {})
    by = [*seg, EMPLOYER]
    prev = stock.active.lag().over(ibis.window(group_by=by, order_by="period"))
    ahead = ibis.window(group_by=by, order_by="period", preceding=0, following=n - 1)
    s = stock.mutate(
        _prev=prev,
        _ahead_max=stock.active.max().over(ahead),
        _ahead_n=stock.active.count().over(ahead),
    )
    was_active = s._prev > 0
    # Only periods followed by N observed periods can show an exit.
    exited = was_active & (s._ahead_max == 0) & (s._ahead_n == n)
    out = s.group_by(["period", "period_end", *seg]).agg(
        employers=s.active.count(where=was_active),
        exits=s.active.count(where=exited),
        complete=(s._ahead_n == n).any(),
    )
    out = out.filter(out.complete)
    return out.select("period", "period_end", *seg, "employers", "exits", exit_share=ratio(out.exits, out.employers))


def employer_relocations(ctx: Context) -> Any:
    """Employers whose active vacancies were mostly at home in the previous period and mostly abroad now."""
    home = ctx.option("home").upper()
    stock, seg = _employer_stock(
        ctx, {"_abroad": lambda v: ibis.ifelse(v.country.isnull(), ibis.null("boolean"), v.country != home)}
    )
    by = [*seg, EMPLOYER]
    e = stock.group_by(["period", "period_end", *by]).agg(
        _home=stock.active.sum(where=stock._abroad == "false").fill_null(0),
        _abroad_n=stock.active.sum(where=stock._abroad == "true").fill_null(0),
    )
    share = ratio(e._abroad_n, e._home + e._abroad_n)
    e = e.mutate(_share=share)
    e = e.mutate(_prev_share=e._share.lag().over(ibis.window(group_by=by, order_by="period")))
    both = e._prev_share.notnull() & e._share.notnull()
    moved = both & (e._prev_share <= 0.5) & (e._share > 0.5)
    out = e.group_by(["period", "period_end", *seg]).agg(
        employers=e._share.count(where=both),
        relocations=e._share.count(where=moved),
    )
    return out.mutate(relocation_share=ratio(out.relocations, out.employers), home=ibis.literal(home))
