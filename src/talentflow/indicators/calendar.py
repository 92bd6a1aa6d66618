"""The calendar table: one row per period between two dates.

Built in Python and handed to the engine as a small in-memory table, because ``ibis.range`` over dates fails
on both DuckDB and Spark (``../shared/STACK.md``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

#: pandas frequency of each period's starts; weeks start on Monday, as DuckDB's and Spark's date_trunc do.
_FREQ = {"day": "D", "week": "W-MON", "month": "MS", "quarter": "QS"}
#: Ibis truncate units.
UNIT = {"day": "D", "week": "W", "month": "M", "quarter": "Q"}


def period_start(day: date, period: str) -> date:
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)


def periods(first: date, last: date, period: str) -> pd.DataFrame:
    """Periods whose start lies in [period of ``first``, ``last``], with their last day."""
    starts = pd.date_range(period_start(first, period), last, freq=_FREQ[period])
    ends = (starts + pd.tseries.frequencies.to_offset(_FREQ[period])) - pd.Timedelta(days=1)
    return pd.DataFrame({"period": starts.date, "period_end": ends.date})


@dataclass(frozen=True)
class Calendar:
    """The periods an indicator reports, as a frame and as an Ibis table."""

    period: str
    frame: pd.DataFrame
    #: Whether the first and the last day were read from the data (its first record, its last sighting) rather
    #: than given: then every opening day lies inside, and the filter that keeps it there can be left out.
    from_data: tuple[bool, bool] = (False, False)

    @classmethod
    def between(cls, first: date, last: date, period: str, from_data: tuple[bool, bool] = (False, False)) -> Calendar:
        return cls(period, periods(first, last, period), from_data)

    @property
    def first(self) -> date:
        return self.frame["period"].iloc[0]

    @property
    def last(self) -> date:
        """The last day of the last period."""
        return self.frame["period_end"].iloc[-1]

    @functools.cached_property
    def table(self) -> Any:
        return ibis.memtable(
            pa.table(
                {
                    "period": pa.array(self.frame["period"], pa.date32()),
                    "period_end": pa.array(self.frame["period_end"], pa.date32()),
                }
            )
        )

    def bucket(self, day: Any) -> Any:
        return bucket(day, self.period)

    def opening_in_range(self, table: Any, day: Any, *, keep_earlier: bool = False) -> Any:
        """``table`` with ``day``, a record's opening day (never NULL), inside the calendar (or before it).

        A bound the data set needs no filter: DuckDB evaluates a filter on an aggregate's date cast a second
        time, which cost a fifth of the new-vacancies query on 10M sightings.
        """
        if not (self.from_data[0] or keep_earlier):
            table = table.filter(day >= self.first)
        if not self.from_data[1]:
            table = table.filter(day <= self.last)
        return table


def bucket(day: Any, period: str) -> Any:
    """The start of the period holding ``day`` (an Ibis date)."""
    if period == "day":
        return day
    return day.truncate(UNIT[period]).cast("date")
