"""An indicator's description, and the context it is built in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis
import pandas as pd

from talentflow.errors import UsageError
from talentflow.indicators.calendar import Calendar
from talentflow.indicators.engines import Engine
from talentflow.indicators.params import PERIODS, SEGMENTS, Params


@dataclass(frozen=True)
class Indicator:
    name: str
    description: str
    #: Builds the Ibis expression; runs on any engine.
    build: Callable[[Context], Any]
    #: Columns blanked in a suppressed cell.
    values: tuple[str, ...]
    #: The count compared with the small-cell threshold; None: published aggregates, never suppressed.
    base: str | None
    segments: tuple[str, ...] = SEGMENTS
    periods: tuple[str, ...] = PERIODS
    default_period: str = "month"
    #: Options (``--set KEY=VALUE``) with their defaults and meaning.
    options: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: A step on the small aggregated frame after the engine has run (the postings index's seasonal adjustment).
    finish: Callable[[pd.DataFrame, Context], pd.DataFrame] | None = None
    #: Notes on the result for the user (what the numbers rest on), from the frame after suppression.
    notes: Callable[[pd.DataFrame, Context], list[str]] | None = None


@dataclass
class Context:
    engine: Engine
    params: Params
    indicator: Indicator
    _calendars: dict[tuple[str, ...], Calendar] = field(default_factory=dict, repr=False)
    #: The tables the indicator read, for the notes on which data it rests on.
    tables_read: set[str] = field(default_factory=set, repr=False)

    def table(self, name: str) -> Any:
        """The store's table ``name`` with only the kind of records asked for (``params.data``)."""
        self.tables_read.add(name)
        return self.engine.table_of(name, self.params.data)

    def option(self, name: str) -> str:
        return self.params.options.get(name, self.indicator.options[name][0])

    def int_option(self, name: str, minimum: int = 1) -> int:
        text = self.option(name)
        try:
            value = int(text)
        except ValueError:
            raise UsageError(f"{name}={text}: expected a whole number", param="options") from None
        if value < minimum:
            raise UsageError(f"{name}={text}: must be at least {minimum}", param="options")
        return value

    def date_option(self, name: str) -> date | None:
        text = self.option(name)
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise UsageError(f"{name}={text}: expected a date such as 2022-03-01", param="options") from None

    def in_range(self, table: Any, column: str) -> Any:
        """``table`` with ``column`` inside --from/--to (each bound only when given)."""
        if self.params.start:
            table = table.filter(table[column] >= self.params.start)
        if self.params.end:
            table = table.filter(table[column] <= self.params.end)
        return table

    def calendar(self, *tables: str) -> Calendar:
        """Periods from --from (or the first record) to --to (or the last sighting) in ``tables``."""
        if tables not in self._calendars:
            self._calendars[tables] = self._make_calendar(tables)
        return self._calendars[tables]

    def _make_calendar(self, tables: tuple[str, ...]) -> Calendar:
        first, last = self.params.start, self.params.end
        from_data = (first is None, last is None)
        if first is None or last is None:
            lo, hi = self._bounds(tables)
            if lo is None or hi is None:
                kind = self.params.data
                raise UsageError(f"no {kind} records in {' or '.join(tables)}: nothing to compute", param="data")
            first, last = first or lo, last or hi
        if first > last:
            raise UsageError(f"the range {first} → {last} is empty")
        return Calendar.between(first, last, self.params.period, from_data)

    def _bounds(self, tables: tuple[str, ...]) -> tuple[date | None, date | None]:
        los, his = [], []
        for name in tables:
            t = self.table(name)
            start = ibis.least(t.published_at, t.observed_at) if "published_at" in t.columns else t.observed_at
            row = self.engine.execute(t.aggregate(lo=start.min().date(), hi=t.observed_at.max().date()))
            lo, hi = row["lo"].iloc[0], row["hi"].iloc[0]
            if not pd.isna(lo):
                los.append(pd.Timestamp(lo).date())
                his.append(pd.Timestamp(hi).date())
        return (min(los) if los else None, max(his) if his else None)
