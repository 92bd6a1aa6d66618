"""Lives of vacancies and resumes from their sightings, and the stocks and flows counted from them.

A record is active from the day it opened (published, or first seen) to the day it closed (archived, or the
day after its last sighting). A record still seen on its source's last observed day is not closed: the
board has not been watched past that day.

Active stock at a period's end = records opened up to then − records closed up to then, both cumulated over
the calendar (``../shared/STACK.md``: ~8× faster than a range join with the same result).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis

from talentflow.indicators.calendar import Calendar


def lives(
    obs: Any,
    ids: Sequence[str],
    keys: Sequence[str],
    *,
    opened: Any,
    archived: bool,
    gap_days: int | None = None,
    board: Any = None,
) -> Any:
    """One row per record and key values: ``opened`` and ``closed`` dates (``closed`` NULL: still open).

    ``opened`` is a per-sighting timestamp whose minimum opens the life. Keys (segments) are part of the
    record's identity, so a record whose segment changes between sightings has a life in each. With
    ``gap_days``, sightings further apart than that start a new life: a resume stays on the board between
    search spells, but is shown (and crawled) only while its owner looks for a job.

    ``board`` is the table of all sightings, whose last day per source says how long the board was watched
    (default ``obs``). Pass the stored table itself: DuckDB materialises a derived table that a query reads
    twice, and copying every sighting cost more than a second scan (2.7× the time of the whole query).
    """
    board = obs if board is None else board
    last_day = board.group_by("source").agg(_source_last=board.observed_at.max().date())
    if gap_days is not None:
        order = [*ids, *keys]
        prev = obs.observed_at.lag().over(ibis.window(group_by=order, order_by=obs.observed_at))
        gap = obs.observed_at.epoch_seconds() - prev.epoch_seconds()
        obs = obs.mutate(_new=ibis.cases((prev.isnull(), 1), (gap > gap_days * 86_400, 1), else_=0))
        spell = obs._new.sum().over(ibis.cumulative_window(group_by=order, order_by=obs.observed_at))
        obs = obs.mutate(_spell=spell)
        ids = (*ids, "_spell")
    aggs: dict[str, Any] = {"opened": opened.min().date(), "_last": obs.observed_at.max().date()}
    if archived:
        aggs["_archived_at"] = obs.archived_at.min().date()
        aggs["_archived_seen"] = obs.observed_at.min(where=obs.archived).date()
    g = obs.group_by([*ids, *keys]).agg(**aggs).join(last_day, "source")
    after_last = (g._last + ibis.interval(days=1)).cast("date")
    ends = []
    if archived:
        ends = [(g._archived_at.notnull(), g._archived_at), (g._archived_seen.notnull(), g._archived_seen)]
    closed = ibis.cases(
        *ends,
        (g._last >= g._source_last, ibis.null("date")),
        else_=after_last,
    )
    # An archive date before publication would close a life before it opened.
    closed = ibis.cases((closed.isnull(), ibis.null("date")), else_=ibis.greatest(closed, g.opened))
    return g.select(*[i for i in ids if i != "_spell"], *keys, "opened", closed=closed)


def grid(calendar: Any, table: Any, keys: Sequence[str]) -> Any:
    """Every period × every combination of key values present in ``table``."""
    if not keys:
        return calendar
    return calendar.cross_join(table.select(*keys).distinct())


def _events(lives: Any, column: str, keys: Sequence[str], cal: Calendar, clamp: bool) -> Any:
    day = lives[column]
    if column == "opened":  # never NULL, and inside the data's dates
        t = cal.opening_in_range(lives, day, keep_earlier=clamp)
        earlier = clamp and not cal.from_data[0]
    else:
        t = lives.filter(day.notnull(), day <= cal.last)
        t = t if clamp else t.filter(day >= cal.first)
        earlier = clamp
    p = cal.bucket(day)
    if earlier:
        # Everything before the first period counts in the first period's cumulative sum.
        p = ibis.greatest(p, ibis.date(cal.first))
    t = t.mutate(period=p)
    return t.group_by([*keys, "period"]).agg(n=t.count())


def active_stock(lives: Any, keys: Sequence[str], cal: Calendar) -> Any:
    """``period, period_end, *keys, active``: records active at the end of each period."""
    opened = _events(lives, "opened", keys, cal, clamp=True)
    closed = _events(lives, "closed", keys, cal, clamp=True)
    deltas = (
        opened.mutate(delta=opened.n)
        .select(*keys, "period", "delta")
        .union(closed.mutate(delta=-closed.n).select(*keys, "period", "delta"))
    )
    deltas = deltas.group_by([*keys, "period"]).agg(delta=deltas.delta.sum())
    g = grid(cal.table, lives, keys).left_join(deltas, [*keys, "period"])
    g = g.select(*[c for c in g.columns if not c.endswith("_right")])
    window = ibis.cumulative_window(group_by=list(keys), order_by="period")
    return g.select("period", "period_end", *keys, active=g.delta.fill_null(0).sum().over(window).cast("int64"))


def flow(lives: Any, column: str, keys: Sequence[str], cal: Calendar) -> Any:
    """``period, period_end, *keys, count``: records whose ``column`` date falls in each period."""
    events = _events(lives, column, keys, cal, clamp=False)
    g = grid(cal.table, lives, keys).left_join(events, [*keys, "period"])
    g = g.select(*[c for c in g.columns if not c.endswith("_right")])
    return g.select("period", "period_end", *keys, count=g.n.fill_null(0).cast("int64"))
