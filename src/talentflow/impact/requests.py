"""What each impact method is asked for: one frozen request per method, checked when it is made.

Every request shares ``level`` (the intervals' nominal coverage), ``seed`` and ``n_boot`` with the migration
requests (`talentflow.migration.requests.Request`). An error names the parameter at fault (``UsageError.param``),
so the command line, the web API and a Python caller each word it their own way. Light on purpose (no NumPy or
pandas): the command line imports it for its defaults.

    >>> from talentflow.impact import ChangepointRequest
    >>> ChangepointRequest(indicator="vacancies_active", events=("2022-03-05",)).all_events()
    ('2022-02-24', '2022-03-05', '2022-09-21')
    >>> ChangepointRequest(indicator="vacancies_active", events=("2022-13-01",))
    Traceback (most recent call last):
    talentflow.errors.UsageError: events: '2022-13-01': expected a date such as 2022-03-01
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from talentflow.errors import UsageError
from talentflow.indicators.params import DEFAULT_MIN_CELL, PERIODS, Segment, parse_date
from talentflow.indicators.provenance import DEFAULT_DATA, check_data
from talentflow.migration.requests import DESTINATIONS, Request, country, parse_quarter

METHODS = ("changepoints", "its", "synth")
#: The shocks every change-point result is set against: the invasion of Ukraine and Russia's mobilisation.
KNOWN_EVENTS: dict[str, str] = {"2022-02-24": "invasion", "2022-09-21": "mobilisation"}
#: The model of a break: ``line`` (kinks and shifts of the series itself), ``stock`` (breaks in the inflow of a
#: stock seen through its entries' survival, docs/impact.md), ``auto`` (stock for the stocks of `STOCK_INFLOWS`).
MODELS = ("auto", "line", "stock")
#: Stocks whose inflow is an indicator too: the stock model reads it for the stock's mean life.
STOCK_INFLOWS: dict[str, str] = {"vacancies_active": "vacancies_new"}
#: Nuisance terms of each segment beside its level and slope: none, or the position within the calendar month
#: (board stocks counted from month-end crawls rise through each month and drop at its start).
SEASONAL = ("auto", "none", "month-phase")
#: The trend of the structural series (statsmodels ``UnobservedComponents`` names): local level, local linear
#: trend, random walk with drift, deterministic trend.
TRENDS = ("llevel", "lltrend", "rwdrift", "dtrend")
#: How the synthetic control compares economies of different size.
TRANSFORMS = ("index", "log", "level")
#: Economies left out of every donor pool: the origin and its neighbours in the war, and every destination of
#: the 2022 emigration (docs/impact.md, "Synthetic control").
NOT_DONORS = ("RU", "UA", "BY", *DESTINATIONS, "AZ", "KG", "UZ", "TJ", "TM", "MN", "LV", "LT", "EE", "FI", "MD")


def _date(text: str, param: str) -> str:
    day = parse_date(str(text).strip(), param)
    assert day is not None
    return day.isoformat()


@dataclass(frozen=True, kw_only=True)
class _Series(Request):
    """One indicator's series: which value column, which period, which filter, which records."""

    indicator: str
    #: The column of the indicator's rows to analyse [default: the one named as the indicator, else its first value
    #: column, or ``value``].
    value: str | None = None
    by: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    period: str = "week"
    start: str | None = None
    end: str | None = None
    data: str = DEFAULT_DATA
    min_cell: int = DEFAULT_MIN_CELL

    def __post_init__(self) -> None:
        super().__post_init__()
        check_data(self.data)
        if self.period not in PERIODS or self.period == "day":
            raise UsageError(f"choose week, month or quarter, not {self.period!r}", param="period")
        for text in self.by:
            Segment.parse(text)
        self._set(start=self.start and _date(self.start, "start"), end=self.end and _date(self.end, "end"))
        if self.start and self.end and self.end <= self.start:
            raise UsageError(f"{self.end} is not after the first day {self.start}", param="end")


@dataclass(frozen=True, kw_only=True)
class ChangepointRequest(_Series):
    """Breaks in level and slope (kinks and shifts) under a BIC-type penalty, of the series or, for a stock, of
    its inflow; sequential sieve-bootstrap tests; intervals by a block bootstrap."""

    method: ClassVar[str] = "changepoints"
    #: Dates to set beside the breaks found, besides `KNOWN_EVENTS`.
    events: tuple[str, ...] = ()
    #: Multiplier on the penalty (1: the BIC-type rule of docs/impact.md).
    penalty: float = 1.0
    seasonal: str = "auto"
    #: Fewest periods in a segment.
    min_size: int = 4
    n_boot: int = 199
    #: ``auto``, ``line`` or ``stock`` (`MODELS`).
    model: str = "auto"

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set(events=tuple(_date(e, "events") for e in self.events))
        if not self.penalty > 0:
            raise UsageError(f"a penalty multiplier is positive, not {self.penalty}", param="penalty")
        if self.seasonal not in SEASONAL:
            raise UsageError(f"choose one of {', '.join(SEASONAL)}, not {self.seasonal!r}", param="seasonal")
        if self.model not in MODELS:
            raise UsageError(f"choose one of {', '.join(MODELS)}, not {self.model!r}", param="model")
        if self.model == "stock" and (self.indicator not in STOCK_INFLOWS or self.value):
            stocks = ", ".join(STOCK_INFLOWS)
            raise UsageError(f"the stock model is for a stock with a known inflow ({stocks})", param="model")
        if self.min_size < 3:
            raise UsageError(
                f"a segment needs at least 3 periods to fit its line, not {self.min_size}", param="min_size"
            )

    def all_events(self) -> tuple[str, ...]:
        return tuple(sorted({*KNOWN_EVENTS, *self.events}))

    def resolved_model(self) -> str:
        """``line`` or ``stock``: what ``auto`` means for this indicator (a stock's default value column)."""
        if self.model == "auto":
            return "stock" if self.indicator in STOCK_INFLOWS and not self.value else "line"
        return self.model


@dataclass(frozen=True, kw_only=True)
class ItsRequest(_Series):
    """A structural time series fitted before ``event``, forecast after it: the effect is actual − forecast."""

    method: ClassVar[str] = "its"
    event: str
    period: str = "month"
    trend: str = "llevel"
    #: Periods in a seasonal cycle (e.g. 12 for months), none when 0.
    season: int = 0
    #: Regressors: the same indicator under another filter, e.g. ``country=GB`` (a control series).
    controls: tuple[str, ...] = ()
    seasonal: str = "auto"
    #: Simulated forecast paths for the cumulated effect's interval.
    n_boot: int = 500

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set(event=_date(self.event, "event"))
        if self.start and self.event <= self.start:
            raise UsageError(f"the event {self.event} leaves no period before it (from {self.start})", param="event")
        if self.trend not in TRENDS:
            raise UsageError(f"choose one of {', '.join(TRENDS)}, not {self.trend!r}", param="trend")
        if self.season < 0 or self.season == 1:
            raise UsageError(f"a seasonal cycle has 2 periods or more (0: none), not {self.season}", param="season")
        if self.seasonal not in SEASONAL:
            raise UsageError(f"choose one of {', '.join(SEASONAL)}, not {self.seasonal!r}", param="seasonal")
        for text in self.controls:
            Segment.parse(text)
        if self.n_boot < 100:
            raise UsageError(f"at least 100 paths for a percentile interval, not {self.n_boot}", param="n_boot")


@dataclass(frozen=True, kw_only=True)
class SynthRequest(Request):
    """A treated economy against a weighted mix of donor economies (GitHub Innovation Graph or Indeed Hiring Lab),
    quarterly; placebos in space and in time; a conformal interval on the gap."""

    method: ClassVar[str] = "synth"
    metric: str = "developers"
    unit: str = "GE"
    #: The first quarter the shock acts in.
    event: str = "2022Q1"
    start: str = "2020Q1"
    end: str = "2023Q4"
    #: Donor economies [default: the `n_donors` economies whose series before the event is nearest the unit's,
    #: among those with a complete series, at least `min_share` of the unit's size, not in `NOT_DONORS`].
    donors: tuple[str, ...] = ()
    n_donors: int = 20
    min_share: float = 0.1
    transform: str = "index"
    #: Sub-series of a Hiring Lab metric, e.g. ``Software Development``.
    segment: str = ""
    #: Quarters before ``event`` that the in-time placebo moves the event back by.
    placebo_shift: int = 4
    n_boot: int = 0  # no resampling: the placebos and the permutations are exact

    def __post_init__(self) -> None:
        super().__post_init__()
        self._set(unit=country(self.unit, "unit"), donors=tuple(country(d, "donors") for d in self.donors))
        first, event, last = (parse_quarter(getattr(self, k), k) for k in ("start", "event", "end"))
        if not first + 3 <= event <= last:
            raise UsageError(f"{self.event} needs 3 quarters before it, within {self.start}-{self.end}", param="event")
        if self.transform not in TRANSFORMS:
            raise UsageError(f"choose one of {', '.join(TRANSFORMS)}, not {self.transform!r}", param="transform")
        if self.n_donors < 2:
            raise UsageError(f"a synthetic control needs 2 donors or more, not {self.n_donors}", param="n_donors")
        if self.unit in self.donors:
            raise UsageError(f"{self.unit} is the treated unit, it cannot be its own donor", param="donors")
        if not 1 <= self.placebo_shift <= event - first - 2:
            raise UsageError(
                f"the in-time placebo moves the event within the pre-period, not by {self.placebo_shift}",
                param="placebo_shift",
            )


def event_day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


#: The request type of each method, by its name.
REQUESTS: dict[str, type[Request]] = {
    "changepoints": ChangepointRequest,
    "its": ItsRequest,
    "synth": SynthRequest,
}
