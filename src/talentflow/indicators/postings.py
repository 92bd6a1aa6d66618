"""A postings index in the manner of Indeed Hiring Lab, from the board's own vacancies.

The engine counts postings per day (active at the end of the day, or new that day). The small daily series is
then finished in pandas and statsmodels: 7-day trailing mean, seasonal adjustment with STL when the series
spans at least two years (annual cycle; the 7-day mean has already removed the weekly one), and both series
set to 100 on the base date.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from talentflow.errors import UsageError
from talentflow.indicators.base import Context
from talentflow.indicators.life import active_stock, flow
from talentflow.indicators.vacancies import VACANCIES, vacancy_lives

WINDOW = 7
SEASON = 365
#: STL needs two full cycles.
MIN_DAYS_FOR_ADJUSTMENT = 2 * SEASON


def daily_postings(ctx: Context) -> Any:
    basis = ctx.option("basis")
    life, keys = vacancy_lives(ctx)
    cal = ctx.calendar(VACANCIES)
    if basis == "active":
        return active_stock(life, keys, cal).rename(postings="active")
    if basis == "new":
        return flow(life, "opened", keys, cal).rename(postings="count")
    raise UsageError(f"basis={basis}: choose active or new", param="options")


def _adjust(avg: pd.Series) -> pd.Series:
    from statsmodels.tsa.seasonal import STL

    valid = avg.dropna()
    if len(valid) < MIN_DAYS_FOR_ADJUSTMENT:
        return pd.Series(np.nan, index=avg.index)
    fit = STL(valid.to_numpy(dtype=float), period=SEASON, robust=True).fit()
    return pd.Series(valid.to_numpy() - fit.seasonal, index=valid.index).reindex(avg.index)


def _rebase(values: pd.Series, dates: pd.Series, base: Any) -> pd.Series:
    at = values[dates == base]
    if at.empty or pd.isna(at.iloc[0]) or at.iloc[0] == 0:
        return pd.Series(np.nan, index=values.index)
    return 100 * values / at.iloc[0]


def finish(frame: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Trailing mean, seasonal adjustment and rebasing, per segment."""
    keys = ctx.params.segment_names
    frame = frame.sort_values([*keys, "period"], ignore_index=True)
    base = ctx.date_option("base") or (frame["period"].min() + pd.Timedelta(days=WINDOW - 1))
    base = pd.Timestamp(base).date()
    if not frame.empty and not (frame["period"] == base).any():
        raise UsageError(
            f"base={base}: not a day of the series ({frame['period'].min()} → {frame['period'].max()})",
            param="options",
        )
    parts = []
    for _, part in frame.groupby(keys, sort=False) if keys else [((), frame)]:
        part = part.copy()
        avg = part["postings"].rolling(WINDOW, min_periods=WINDOW).mean()
        adjusted = _adjust(avg)
        part["trailing_mean"] = avg
        part["index"] = _rebase(avg, part["period"], base)
        part["index_sa"] = _rebase(adjusted, part["period"], base)
        part["adjusted"] = adjusted.notna()
        parts.append(part)
    out = pd.concat(parts, ignore_index=True) if parts else frame.assign(trailing_mean=[], index=[], index_sa=[])
    out["base"] = base
    return out
