"""Slices of a search, each small enough to page through: how a search past hh.ru's 2,000-result cap is split.

hh.ru shows at most 2,000 results of a search (``page × per_page``; SCHEMA.md section 5). A slice is the search
narrowed to a publication window, a set of areas and a set of roles. A slice whose ``found`` is over the cap is
split, in this order:

1. its publication window in two halves (at a 5-minute mark), while the window is at least 10 minutes wide: each
   half is asked up to 5 minutes past its end, since hh.ru rounds ``date_from``/``date_to`` to the nearest
   5 minutes and adjacent windows must overlap to lose nothing. The whole query's window starts in 2000; its
   first cut is 32 days before its end, where hh.ru's active vacancies are (they are republished monthly);
2. its areas: several into one slice each, one into the areas below it (as hh.ru's clusters list them, else as
   the store's area tree has them);
3. its roles: several into one slice each; none (every role) into the roles hh.ru's clusters list.

A slice none of these can split is ``truncated``: its first 2,000 results are read and it is reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

#: hh.ru's depth cap: results past it cannot be paged.
CAP = 2000
#: Results per page (hh.ru's maximum for vacancy search).
PER_PAGE = 100
#: hh.ru rounds publication bounds to this; windows overlap by it.
STEP = timedelta(minutes=5)
#: Start of the whole query's window: before any vacancy active today was published.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
#: The first cut of an open window: hh.ru's active vacancies were mostly (re)published within a month.
RECENT = timedelta(days=32)


@dataclass(frozen=True)
class Slice:
    """One search of a run. ``areas``/``roles`` empty: the query's own. ``date_to`` is the window's end; the
    request asks up to `STEP` past it."""

    slice_id: int
    parent_id: int | None
    date_from: datetime
    date_to: datetime
    areas: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    state: str = "pending"
    split_by: str | None = None
    found: int | None = None
    pages: int | None = None
    pages_read: int = 0
    retrieved: int = 0
    tail: bool = False
    #: Times the slice's pages were read: a second pass when a page shift may have hidden results.
    passes: int = 1
    #: The whole query's counts by area and role (JSON), from its count; None for other slices.
    clusters: str | None = None

    @property
    def width(self) -> timedelta:
        return self.date_to - self.date_from

    def search(self, base: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The search parameters of this slice, over the query's ``base`` (text, roles, areas, others)."""
        params = [
            (k, v)
            for k, v in base
            if not (k == "area" and self.areas) and not (k == "professional_role" and self.roles)
        ]
        params += [("area", a) for a in self.areas] + [("professional_role", r) for r in self.roles]
        params += [("date_from", stamp(self.date_from)), ("date_to", stamp(self.date_to + STEP))]
        return [*params, ("order_by", "publication_time")]


def stamp(t: datetime) -> str:
    """hh.ru's time format, ``YYYY-MM-DDThh:mm:ss±hhmm``."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def ceil_step(t: datetime) -> datetime:
    """``t`` rounded up to a 5-minute mark."""
    t = t.astimezone(UTC)
    base = t.replace(minute=t.minute - t.minute % 5, second=0, microsecond=0)
    return base if base == t else base + STEP


def page_count(found: int) -> int:
    """Pages to read for ``found`` results, never past the cap."""
    return min(math.ceil(found / PER_PAGE), CAP // PER_PAGE)


def can_split_time(s: Slice) -> bool:
    return s.width >= 2 * STEP


def halves(s: Slice) -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]]:
    if s.date_from <= EPOCH and s.width > 2 * RECENT:
        cut = s.date_to - RECENT
    else:
        cut = s.date_from + (s.width // 2) // STEP * STEP
    return (s.date_from, cut), (cut, s.date_to)


def tighten(s: Slice, items: Sequence[Any]) -> Slice:
    """``s`` with its window ending at its newest result (rounded up to 5 minutes): the answer's first page is
    ordered newest first, so nothing was published in the window after it, and halving the rest wastes no
    request on an empty half (an open window starting in 2000 would otherwise be halved a year at a time)."""
    newest = None
    for item in items:
        try:
            t = datetime.strptime(str(item.get("published_at")), "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            return s  # an unreadable time: keep the window as it is
        newest = t if newest is None or t > newest else newest
    if newest is None:
        return s
    end = ceil_step(newest)
    return replace(s, date_to=end) if s.date_from < end < s.date_to else s


#: Children of an area in the tree (empty for a leaf).
Children = Callable[[str], Sequence[str]]


def split(
    s: Slice,
    query_areas: Sequence[str],
    query_roles: Sequence[str],
    children: Children,
    roots: Sequence[str],
    clusters: dict[str, dict[str, int]],
    next_id: int,
) -> tuple[str | None, list[Slice]]:
    """How ``s`` (over the cap) splits, and its children with ids from ``next_id``; (None, []) when it cannot.

    ``clusters`` are the counts hh.ru gave with the slice's own answer (``{"area": {id: n}, ...}``, or empty):
    a child they show empty is left out; roles without a role in the query come from them."""
    kids: list[dict[str, Any]] = []
    how: str | None = None
    if can_split_time(s):
        how, kids = "time", [{"date_from": a, "date_to": b} for a, b in halves(s)]
    else:
        areas = list(s.areas or query_areas or roots)
        if len(areas) > 1:
            how, kids = "area", [{"areas": (a,)} for a in areas]
        elif len(areas) == 1 and (below := _below(areas[0], clusters, children)):
            how, kids = "area", [{"areas": (a,)} for a in below]
        else:
            roles = list(s.roles or query_roles) or sorted(clusters.get("professional_role", {}), key=_num)
            if len(roles) > 1:
                how, kids = "role", [{"roles": (r,)} for r in roles]
    if how in ("area", "role"):
        shown = clusters.get("area" if how == "area" else "professional_role")
        if shown:
            key = "areas" if how == "area" else "roles"
            kids = [k for k in kids if shown.get(k[key][0], 0) > 0]
    if how is None or not kids:
        return None, []
    made = [
        replace(
            s,
            **k,
            slice_id=next_id + i,
            parent_id=s.slice_id,
            state="pending",
            split_by=None,
            found=None,
            pages=None,
            pages_read=0,
            retrieved=0,
            passes=1,
        )
        for i, k in enumerate(kids)
    ]
    return how, made


def _below(area: str, clusters: dict[str, dict[str, int]], children: Children) -> list[str]:
    """The areas one level below ``area``: those hh.ru's clusters list (its own tree, current), else the store's
    area tree (which may lack regions: `talentflow reference areas` loads the whole tree)."""
    listed = [a for a in clusters.get("area", {}) if a != area]
    return listed or list(children(area))


def _num(text: str) -> tuple[int, str]:
    return (int(text), text) if text.isdigit() else (10**9, text)


def cluster_counts(body: Any) -> dict[str, dict[str, int]]:
    """``{cluster id: {item id: count}}`` from an answer's ``clusters`` (item ids read from their ``url``'s
    parameter of the cluster's name, as hh.ru gives them)."""
    from urllib.parse import parse_qsl, urlsplit

    out: dict[str, dict[str, int]] = {}
    clusters = body.get("clusters") if isinstance(body, dict) else None
    for cluster in clusters or []:
        if not isinstance(cluster, dict) or cluster.get("id") not in ("area", "professional_role"):
            continue
        name = str(cluster["id"])
        counts: dict[str, int] = {}
        for item in cluster.get("items") or []:
            if not isinstance(item, dict):
                continue
            ids = [v for k, v in parse_qsl(urlsplit(str(item.get("url") or "")).query) if k == name]
            if ids and isinstance(item.get("count"), int):
                counts[ids[-1]] = counts.get(ids[-1], 0) + int(item["count"])
        out[name] = counts
    return out
