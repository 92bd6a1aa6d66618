"""Resume sightings as a person × month panel: where each resume was last seen in each month."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from talentflow.errors import UsageError
from talentflow.indicators.provenance import DEFAULT_DATA, of_kind
from talentflow.migration.panel._model import NO_CRAWL


@dataclass(frozen=True)
class Panel:
    """Resume sightings arranged by person and month: where each resume was last seen in each month."""

    months: tuple[str, ...]  # "YYYY-MM", consecutive
    obs: np.ndarray  # (people, months) int8: -1 not seen, 0 at home, 1 abroad
    start: np.ndarray  # (people,) index of the month the resume was created (0 for older ones)
    origin: str
    destinations: pd.DataFrame = field(default_factory=pd.DataFrame)  # person, month index, destination country
    sightings: int = 0
    data: str = DEFAULT_DATA  # the kind of resume sightings: real or simulated
    crawled: np.ndarray | None = None  # (months,) bool: the board was crawled that month (None: every month)
    left_out: int = 0  # sightings in months before or after the crawled span, not in the panel

    @property
    def crawl_mask(self) -> np.ndarray:
        return np.ones(len(self.months), bool) if self.crawled is None else self.crawled

    @property
    def people(self) -> int:
        return len(self.obs)

    def month_index(self, month: str, param: str | None = None) -> int:
        try:
            return self.months.index(month)
        except ValueError:
            raise UsageError(
                f"month {month} is outside the resume sightings ({self.months[0]} to {self.months[-1]})", param=param
            ) from None


def load_panel(
    store: object,
    *,
    origin: str = "RU",
    it_only: bool = True,
    source: str | None = None,
    data: str = DEFAULT_DATA,
) -> Panel:
    """Read the resume sightings of kind ``data`` (``real``: observed, or ``simulated``; never both) from a store
    (``talentflow.store.Store``) into a person × month panel."""
    import ibis

    t = of_kind(store.table("resume_observation"), "resume_observation", data)  # type: ignore[attr-defined]
    if it_only:
        t = t.filter(t.is_it)
    if source is not None:
        t = t.filter(t.source == source)
    t = t.filter(t.country.notnull())
    # Months as integers (year * 12 + month - 1), so that nothing is formatted or parsed row by row.
    t = t.mutate(mon=t.observed_at.year() * 12 + t.observed_at.month() - 1)
    per_month = t.group_by(["resume_id", "mon"]).aggregate(
        abroad=t.country.argmax(t.observed_at) != origin,
        country=t.country.argmax(t.observed_at),
        created=(t.created_at.year() * 12 + t.created_at.month() - 1).min(),
        n=t.count(),
    )
    per_month = per_month.mutate(person=ibis.dense_rank().over(order_by=per_month.resume_id))
    frame = per_month.select("person", "mon", "abroad", "country", "created", "n").to_pyarrow()
    if frame.num_rows == 0:
        hint = (
            "ingest a board's resumes first (simulated ones are read only when simulated data is asked for)"
            if data == "real"
            else "simulate and ingest first (e.g. `talentflow simulate exodus-2022 --out sim && talentflow ingest sim`)"
        )
        raise UsageError(f"no {data} resume sightings with a country in the store; {hint}")
    return _panel_from_columns(frame, origin, data)


#: A month is crawled when it holds at least this share of the median month's resume sightings. Months before
#: the first and after the last crawled month are cut from the panel (a stray record from 2013 would otherwise
#: stretch it over a decade of months fitted as "nobody searching"); a gap inside is a month without data.
CRAWLED_SHARE = 0.1


def _panel_from_columns(frame: Any, origin: str, data: str = DEFAULT_DATA) -> Panel:
    person = frame["person"].to_numpy().astype(np.int64)
    mon = frame["mon"].to_numpy().astype(np.int64)
    n = frame["n"].to_numpy(zero_copy_only=False).astype(np.int64)
    per_month = np.bincount(mon - mon.min())
    crawled_at = np.flatnonzero(per_month >= CRAWLED_SHARE * np.median(per_month[per_month > 0]))
    first, last = int(mon.min() + crawled_at[0]), int(mon.min() + crawled_at[-1])
    inside = (mon >= first) & (mon <= last)
    left_out = int(n[~inside].sum())
    # People seen only outside the crawled span leave the panel; the rest are numbered again in resume order.
    kept_people, person = np.unique(person[inside], return_inverse=True)
    mon, n = mon[inside], n[inside]
    months = tuple(f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(first, last + 1))
    col = mon - first
    people = len(kept_people)
    obs = np.full((people, len(months)), -1, np.int8)
    obs[person, col] = frame["abroad"].to_numpy(zero_copy_only=False)[inside].astype(np.int8)
    # A resume starts in the month it was created (older ones in the first month); without a creation date, in
    # the month it was first seen.
    created = frame["created"].to_numpy(zero_copy_only=False).astype(float)[inside]
    created = np.where(np.isnan(created), mon, created).astype(np.int64)
    start = np.full(people, len(months), np.int64)
    np.minimum.at(start, person, np.clip(np.minimum(created, mon) - first, 0, None))
    dest = pd.DataFrame({"person": person, "month": col, "country": frame["country"].to_pandas()[inside]})
    crawled = np.zeros(len(months), bool)
    crawled[crawled_at - crawled_at[0]] = True
    return Panel(months, obs, start, origin, dest.reset_index(drop=True), int(n.sum()), data, crawled, left_out)


def _column_sum(column: Any) -> int:
    return int(np.asarray(column.to_numpy(zero_copy_only=False)).sum())


@dataclass(frozen=True)
class Patterns:
    """People with the same observation history and start month, collapsed: one row per distinct history."""

    codes: np.ndarray  # (patterns, months) int8 observation codes: 0 not seen, 1 at home, 2 abroad, 3 no crawl
    start: np.ndarray  # (patterns,) int64
    count: np.ndarray  # (patterns,) float64: people with this history


def _patterns(panel: Panel) -> Patterns:
    """Distinct (history, start) rows and how many people have each, in an order set by the data alone (by
    start month, then history), not by the store's."""
    m = panel.obs.shape[1]
    key = np.empty((panel.people, m + 8), np.int8)
    key[:, :m] = panel.obs + 1
    key[:, :m][:, ~panel.crawl_mask] = NO_CRAWL
    key[:, m:] = panel.start.astype("<i8").view(np.int8).reshape(-1, 8)
    rows = np.ascontiguousarray(key).view(np.dtype((np.void, m + 8))).ravel()
    uniq, count = np.unique(rows, return_counts=True)
    table = uniq.view(np.int8).reshape(-1, m + 8)
    start = np.ascontiguousarray(table[:, m:]).view("<i8").ravel().astype(np.int64)
    # By start month, so that a chunk of patterns holds few starts and skips the months before its first.
    order = np.argsort(start, kind="stable")
    return Patterns(np.ascontiguousarray(table[order, :m]), start[order], count[order].astype(np.float64))
