"""Salaries of vacancies published in each period: one currency, one tax basis, median and quartiles.

Conversion goes through the dated rate table shipped in ``talentflow/reference/fx_rates.csv`` (units of each
currency per rouble; sources in its ``source`` column and in docs/indicators.md), joined by the Bank of Russia's
official rates when the store holds them (``talentflow fetch fx``: series ``cbr`` / ``official_rate``). A month
uses the rate in force on its first day. A salary whose conversion would use a rate more than a month old (a gap
in the table) is left out of the quartiles and counted in ``n_stale``: a stale rate was off by up to a third in
2022-2023.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

from talentflow.errors import UsageError
from talentflow.indicators.base import Context
from talentflow.indicators.calendar import bucket
from talentflow.indicators.segments import ratio, with_segments
from talentflow.indicators.vacancies import VACANCIES

BASES = ("gross", "net", "published")

#: Flat personal income tax on wages in 2022, the rate that separates a net from a gross salary
#: (RU: Tax Code art. 224, 13% up to 5M RUB a year; BY: Tax Code art. 214, 13%; KZ: Tax Code art. 320, 10%;
#: UZ: Tax Code art. 381, 12%; GE: Tax Code art. 81, 20%; AM: Tax Code art. 150, 21% in 2022;
#: KG: Tax Code art. 188, 10%). Countries not listed keep the salary as published.
INCOME_TAX = {"RU": 0.13, "BY": 0.13, "KZ": 0.10, "UZ": 0.12, "GE": 0.20, "AM": 0.21, "KG": 0.10}

# The months a rate table covers; rates are fixed before the first and after the last dated row.
_FIRST_MONTH, _LAST_MONTH = "2000-01-01", "2040-12-01"


@functools.cache
def rate_table() -> pd.DataFrame:
    """The shipped table: valid_from, currency, per_rub (units of the currency per rouble), source."""
    with resources.files("talentflow.reference").joinpath("fx_rates.csv").open(encoding="utf-8") as f:
        table = pd.read_csv(f, parse_dates=["valid_from"])
    return table.sort_values(["currency", "valid_from"], ignore_index=True)


#: A rate older than this on a month's first day is carried over a gap in the table, not a current rate.
STALE_AFTER = pd.Timedelta(days=31)


#: Where ``talentflow fetch fx`` stores the Bank of Russia's rates (roubles per unit) in the series table.
CBR_SOURCE, CBR_METRIC = "cbr", "official_rate"


def stored_rates(ctx: Context) -> tuple[tuple[str, str, float], ...]:
    """The store's official rates as (valid_from, currency, units per rouble), for ``monthly_factors``.

    Reference data read whole, as the shipped table is: a few thousand rows at most, not records to aggregate.
    """
    series = ctx.engine.table("series")
    rates = series.filter((series.source == CBR_SOURCE) & (series.metric == CBR_METRIC) & (series.value > 0)).select(
        day=series.date.cast("string"), currency=series.segment, rub=series.value
    )
    frame = ctx.engine.execute(rates.order_by(["day", "currency"]))
    days, currencies, rubs = frame["day"].astype(str), frame["currency"].astype(str), frame["rub"].astype(float)
    return tuple(zip(days, currencies, (1.0 / rubs).tolist(), strict=True))


def _with_stored(rates: pd.DataFrame, stored: tuple[tuple[str, str, float], ...]) -> pd.DataFrame:
    if not stored:
        return rates
    extra = pd.DataFrame(stored, columns=["valid_from", "currency", "per_rub"])
    extra["valid_from"] = pd.to_datetime(extra["valid_from"])
    extra["source"] = "Bank of Russia official rates (talentflow fetch fx)"
    both = pd.concat([extra, rates], ignore_index=True)
    # The Bank's rate of a day stands over the shipped table's for the same day.
    return both.drop_duplicates(["valid_from", "currency"], keep="first").sort_values(["currency", "valid_from"])


@functools.cache
def monthly_factors(target: str, stored: tuple[tuple[str, str, float], ...] = ()) -> pa.Table:
    """month, currency, factor, stale: multiply an amount in ``currency`` by ``factor`` to get ``target``.

    ``stored`` adds dated rates (valid_from, currency, units per rouble) to the shipped table. ``stale`` marks
    months where either rate is carried over a gap: dated more than ``STALE_AFTER`` before the month, or taken
    from a later date because the table starts after the month. The rouble's own rate (1) is never stale.
    """
    rates = _with_stored(rate_table(), stored)
    months = pd.date_range(_FIRST_MONTH, _LAST_MONTH, freq="MS")
    wide = rates.pivot(index="valid_from", columns="currency", values="per_rub")
    if target not in wide.columns:
        raise UsageError(
            f"currency={target}: no rates for it; the table has {', '.join(wide.columns)}", param="options"
        )
    index = wide.index.union(months)
    # When each currency's rate in force on a month's first day was dated (NaT: before its first rate).
    dated = pd.DataFrame({c: wide.index.where(wide[c].notna()) for c in wide.columns}, index=wide.index)
    dated = dated.reindex(index).sort_index().ffill().loc[months]
    # Rate in force on each month's first day; the earliest rate stands for the months before it.
    wide = wide.reindex(index).sort_index().ffill().bfill().loc[months]
    age = dated.rsub(pd.Series(months, index=months), axis=0)
    stale = dated.isna() | (age > STALE_AFTER)
    if "RUB" in stale.columns:
        stale["RUB"] = False
    factors = wide.rdiv(wide[target], axis=0)
    stale = stale.apply(lambda column: column | stale[target])
    stale[target] = False  # an amount already in the target currency needs no rate
    long = factors.rename_axis("month").reset_index().melt(id_vars="month", var_name="currency", value_name="factor")
    long["stale"] = stale.to_numpy().ravel(order="F")
    long = long.dropna(subset=["factor"])
    return pa.table(
        {
            "month": pa.array(long["month"].dt.date, pa.date32()),
            "currency": pa.array(long["currency"], pa.string()),
            "factor": pa.array(long["factor"], pa.float64()),
            "stale": pa.array(long["stale"], pa.bool_()),
        }
    )


def _tax_rate(country: Any) -> Any:
    return country.cases(*INCOME_TAX.items(), else_=0.0)


def salary(ctx: Context) -> Any:
    basis = ctx.option("basis")
    if basis not in BASES:
        raise UsageError(f"basis={basis}: choose one of {', '.join(BASES)}", param="options")
    target = ctx.option("currency").upper()
    factors = ibis.memtable(monthly_factors(target, stored_rates(ctx)))
    cal = ctx.calendar(VACANCIES)

    v = ctx.table(VACANCIES)
    amount = ibis.cases(
        (v.salary_from.notnull() & v.salary_to.notnull(), (v.salary_from + v.salary_to) / 2),
        else_=v.salary_from.fill_null(v.salary_to),
    )
    tax = _tax_rate(v.country)
    if basis == "gross":
        amount = ibis.ifelse(v.salary_gross == False, amount / (1 - tax), amount)  # noqa: E712 (NULL: as published)
    elif basis == "net":
        amount = ibis.ifelse(v.salary_gross == True, amount * (1 - tax), amount)  # noqa: E712
    v = with_segments(v.mutate(_amount=amount), "vacancy", ctx.params)
    keys = ctx.params.segment_names
    # One salary per vacancy: the one on its last sighting.
    per = v.group_by(["source", "vacancy_id", *keys]).agg(
        opened=ibis.least(v.published_at, v.observed_at).min().date(),
        amount=ctx.engine.last_by(v._amount, v.observed_at),
        currency=ctx.engine.last_by(v.currency, v.observed_at),
    )
    per = cal.opening_in_range(per, per.opened)
    per = per.mutate(period=bucket(per.opened, cal.period), month=per.opened.truncate("M").cast("date"))
    per = per.left_join(factors, ["month", "currency"])
    # A salary converted at a stale rate is suppressed (counted, not shown): such a rate was off by a third.
    per = per.mutate(value=ibis.ifelse(per.stale, ibis.null("float64"), per.amount * per.factor))
    out = per.group_by(["period", *keys]).agg(
        vacancies=per.count(),
        n=per.value.count(),
        n_stale=(per.amount * per.factor).count(where=per.stale),
        # One aggregate for the three: DuckDB then sorts each group's values once, not three times.
        _q=per.value.quantile([0.25, 0.5, 0.75]),
    )
    out = out.join(cal.table, "period")
    return out.select(
        "period",
        "period_end",
        *keys,
        "vacancies",
        "n",
        "n_stale",
        salary_share=ratio(out.n + out.n_stale, out.vacancies),
        q1=out._q[0],
        median=out._q[1],
        q3=out._q[2],
        currency=ibis.literal(target),
        basis=ibis.literal(basis),
    )


def stale_note(frame: pd.DataFrame) -> str | None:
    """How many salaries in ``frame`` were left out for want of a current rate."""
    stale = int(frame["n_stale"].fillna(0).sum())
    if not stale:
        return None
    total = stale + int(frame["n"].fillna(0).sum())
    return (
        f"{stale:,} of {total:,} salaries were left out: their conversion needs a rate more than a month old (the "
        "shipped rate table has no rouble rates from 2022-03 to 2024-11; `talentflow fetch fx` adds the Bank of "
        "Russia's; see docs/indicators.md, 'Conversion table')"
    )


def notes(frame: pd.DataFrame, ctx: Context) -> list[str]:
    note = stale_note(frame)
    return [note] if note else []
