"""The series an impact method reads: an indicator computed by the indicators layer (an Ibis expression run on
the store), one value column, one row per period and group. Nothing here reads the store's rows itself."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from talentflow.errors import UsageError
from talentflow.indicators._compute import compute_on, indicator, request
from talentflow.indicators.engines import DuckDBEngine
from talentflow.store import Store

#: pandas' name of each period, for series published by day and averaged to a coarser period.
_FREQ = {"week": "W-SUN", "month": "MS", "quarter": "QS"}


def load(
    store: Store,
    name: str,
    *,
    value: str | None = None,
    by: Sequence[str] = (),
    options: Sequence[str] = (),
    period: str = "week",
    start: str | None = None,
    end: str | None = None,
    data: str = "real",
    min_cell: int = 0,
) -> tuple[pd.DataFrame, str, list[str]]:
    """The indicator ``name`` as long rows ``key, period, period_end, value`` (``key`` names the group, e.g.
    ``country=US``; ``all`` without groups), the value column used, and the indicator's notes."""
    ind = indicator(name)
    daily = ind.periods == ("day",)
    params = request(
        name,
        period="day" if daily else period,
        by=by,
        start=start,
        end=end,
        min_cell=min_cell,
        options=options,
        data=data,
    )
    result = compute_on(DuckDBEngine(store), name, params)
    frame = result.frame
    column = value or (name if name in ind.values else ind.values[0] if ind.values else "value")
    if column not in frame.columns:
        shown = ", ".join(c for c in frame.columns if frame[c].dtype.kind in "if")
        raise UsageError(f"{name} has no column {column!r}; its numeric columns are: {shown}", param="value")
    keys = [s.name for s in params.by if s.name in frame.columns]
    if daily and "segment" in frame.columns and frame["segment"].nunique() > 1:
        keys.append("segment")
    out = pd.DataFrame(
        {
            "key": _labels(frame, keys),
            "period": pd.to_datetime(frame["period"]),
            "value": pd.to_numeric(frame[column], errors="coerce"),
        }
    )
    out = out.dropna(subset=["value"])
    if daily:
        out = _average(out, period)
    else:
        ends = frame["period_end"] if "period_end" in frame.columns else frame["period"]
        out["period_end"] = pd.to_datetime(ends.loc[out.index])
    if out.empty:
        raise UsageError(f"{name} has no values for this request ({data} data)", param="indicator")
    return out.sort_values(["key", "period"], ignore_index=True), column, result.notes


def _labels(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    if not keys:
        return pd.Series("all", index=frame.index)
    parts = [k + "=" + frame[k].astype(str) for k in keys]
    label = parts[0]
    for part in parts[1:]:
        label = label + "; " + part
    return label


def _average(frame: pd.DataFrame, period: str) -> pd.DataFrame:
    """Daily values averaged over each period (a period with fewer than half its days is left out)."""
    rows = []
    for key, group in frame.groupby("key", sort=True):
        daily = group.set_index("period")["value"]
        grouped = daily.resample(_FREQ[period])
        means, counts = grouped.mean(), grouped.count()
        index = pd.DatetimeIndex(means.index)
        if period == "week":
            starts, ends = index - pd.Timedelta(days=6), index
        else:
            end_of = pd.offsets.MonthEnd(0) if period == "month" else pd.offsets.QuarterEnd(0)
            starts, ends = index, pd.DatetimeIndex([day + end_of for day in index])
        days = (ends - starts).days + 1
        keep = counts.to_numpy() >= np.asarray(days) / 2
        rows.append(
            pd.DataFrame(
                {"key": key, "period": starts[keep], "period_end": ends[keep], "value": means.to_numpy()[keep]}
            )
        )
    return pd.concat(rows, ignore_index=True) if rows else frame.assign(period_end=frame["period"])


def month_phase(ends: pd.Series) -> np.ndarray:
    """Where each period ends within its calendar month, from 0 (the first day) to 1 (the last)."""
    day = pd.DatetimeIndex(ends)
    return np.asarray((day.day - 1) / (day.days_in_month - 1), float)
