"""What each migration method is asked for: one frozen request per method.

Every request has ``level`` (the intervals' nominal coverage), ``seed`` (the bootstrap's) and ``n_boot`` (its
replicates), and names the country people leave in ``origin``. A request checks itself when it is made, and an
error names the parameter at fault (``UsageError.param``), so the command line, the web API and a Python caller
each say it in their own terms. Light on purpose (no NumPy or pandas): the command line imports it for its
defaults.

    >>> from talentflow.migration import PanelRequest
    >>> PanelRequest(start="2022-03-15", end="2022-12", n_boot=100).start
    '2022-03'
    >>> PanelRequest(start="2022-13")
    Traceback (most recent call last):
    talentflow.errors.UsageError: start: '2022-13' is not a date
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from talentflow.errors import UsageError
from talentflow.indicators.provenance import DEFAULT_DATA, check_data

METHODS = ("panel", "stocks", "excess", "nowcast")
#: The panel's models, simplest first (talentflow.migration.panel._model.MODELS; docs/migration.md).
PANEL_MODELS = ("simple", "durations", "full")
#: The estimators of flows from two stock tables (docs/migration.md, "Flows from stocks").
STOCK_ESTIMATORS = ("demographic", "difference", "beine-parsons", "dennett")
#: Bootstrap replicates of the panel (and the nowcast's panel) wherever it is fitted: `talentflow migration panel`,
#: the web API, the report and the claims comparison all default to this one number, so that one store, window and
#: seed give one interval everywhere (issue #18, "One answer per question"). Fifty, not more: each replicate is
#: fitted to convergence (docs/migration.md, "Interval"), and the demo's report must stay a few minutes long.
DEFAULT_N_BOOT = 50
#: The destinations and the control economies of excess developer growth (docs/migration.md).
DESTINATIONS = ("GE", "AM", "KZ", "CY", "AE", "ME", "RS", "TR", "IL")
CONTROLS = ("DE", "US", "GB", "FR", "PL", "NL", "IN", "BR")


def check_model(name: str) -> str:
    """``name`` if it is one of the panel's models, else a `UsageError` naming them."""
    if name not in PANEL_MODELS:
        raise UsageError(f"expected one of {', '.join(PANEL_MODELS)}, not {name!r}", param="model")
    return name


_QUARTER = re.compile(r"(\d{4})Q([1-4])")
_MONTH = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")
_COUNTRY = re.compile(r"[A-Z]{2}")


def month_of(text: str, param: str) -> str:
    """YYYY-MM from YYYY-MM or YYYY-MM-DD."""
    m = _MONTH.fullmatch(str(text).strip())
    if not m:
        raise UsageError(f"expected YYYY-MM or YYYY-MM-DD, got {text!r}", param=param)
    try:
        dt.date(int(m[1]), int(m[2]), int(m[3] or 1))
    except ValueError:
        raise UsageError(f"{text!r} is not a date", param=param) from None
    return f"{m[1]}-{m[2]}"


def parse_quarter(label: str, param: str | None = None) -> int:
    """``2022Q2`` as a quarter index (year × 4 + quarter − 1), so consecutive quarters differ by one."""
    match = _QUARTER.fullmatch(str(label).strip())
    if not match:
        raise UsageError(f"{label!r} is not a quarter label: write it like 2022Q2", param=param)
    return int(match[1]) * 4 + int(match[2]) - 1


def quarter_label(index: int) -> str:
    return f"{index // 4}Q{index % 4 + 1}"


def country(code: str, param: str) -> str:
    """An ISO 3166-1 alpha-2 code, upper case."""
    text = str(code).strip().upper()
    if not _COUNTRY.fullmatch(text):
        raise UsageError(f"expected an ISO 3166-1 alpha-2 country code such as RU, got {code!r}", param=param)
    return text


@dataclass(frozen=True)
class Population:
    """The workforce the board's profiles stand for: ``count`` people at the end of ``month``, from ``source``."""

    count: float
    month: str
    source: str
    cv: float = 0.0  # relative standard error of the count, carried into the interval
    #: The claims (ids in the ledger, e.g. ``A4``) the count was taken from: a flow scaled by it is no evidence
    #: about those claims (the comparison calls it circular).
    claims: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.count > 0:
            raise UsageError(f"a count of people is positive, not {self.count}", param="population")
        month_of(self.month, "population_month")
        if self.cv < 0:
            raise UsageError(f"a relative error is not negative, not {self.cv}", param="population_cv")


#: Used when the user gives no population: "an industry employing about 1 million" (claims A4 and A5), with a
#: 10% relative error because it is a round figure. Assumed: no count independent of the claims was found among the
#: shared data sources (docs/migration.md, "Scaling"), and flows scaled by it are no evidence about A4 or A5.
DEFAULT_POPULATION = Population(
    1_000_000, "2021-12", "assumed: about 1 million IT workers (claims A4, A5)", cv=0.1, claims=("A4", "A5")
)
#: The sensitivity table of the panel: the population as a multiple of the one given, and the board's coverage of
#: the workforce in the window relative to the reference month.
POPULATION_FACTORS = (0.8, 0.9, 1.0, 1.1, 1.2)
COVERAGE_CHANGES = (0.85, 1.0, 1.15)


@dataclass(frozen=True, kw_only=True)
class Request:
    """What every method shares."""

    method: ClassVar[str]
    level: float = 0.9
    seed: int = 0
    n_boot: int = DEFAULT_N_BOOT

    def __post_init__(self) -> None:
        if not 0 < self.level < 1:
            raise UsageError(f"the intervals' coverage lies between 0 and 1, not {self.level}", param="level")
        if self.n_boot < 0:
            raise UsageError(f"a number of replicates is 0 or more, not {self.n_boot}", param="n_boot")

    def _set(self, **values: object) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)


@dataclass(frozen=True, kw_only=True)
class _Monthly(Request):
    """A window of months, the population the board's profiles are scaled to, and which resume sightings: real
    (observed) or simulated, never both."""

    origin: str = "RU"
    start: str = "2022-01"  # YYYY-MM (a day is cut to its month)
    end: str = "2022-12"
    population: Population = DEFAULT_POPULATION
    data: str = DEFAULT_DATA
    #: The panel's model: "simple" (talentflow 0.1's), "durations" (returns by time abroad) or "full" (also two
    #: search types and searchers' own emigration rate; slower).
    model: str = "durations"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_data(self.data)
        check_model(self.model)
        self._set(origin=country(self.origin, "origin"), start=month_of(self.start, "start"))
        self._set(end=month_of(self.end, "end"))
        if self.end < self.start:
            raise UsageError(f"{self.end} is before the first month {self.start}", param="end")


@dataclass(frozen=True, kw_only=True)
class PanelRequest(_Monthly):
    """Flows from resume sightings: a hidden Markov model fitted by EM, a bootstrap over people."""

    method: ClassVar[str] = "panel"
    #: Count only the moves seen between consecutive sightings, without the model (to show what it corrects).
    naive: bool = False
    #: Instead of the flows, the window's totals over a grid of populations and board coverage changes
    #: (``POPULATION_FACTORS`` × ``COVERAGE_CHANGES``): how much the answer rests on the population figure.
    sensitivity: bool = False


@dataclass(frozen=True, kw_only=True)
class NowcastRequest(_Monthly):
    """The panel, the developer-account shortfall and the claims in the ledger pooled into one estimate.

    Developer accounts are not people: the shortfall is pooled only when ``people_per_account`` (IT workers per
    developer account) is given, with ``people_per_account_cv``, the relative standard error of that ratio."""

    method: ClassVar[str] = "nowcast"
    people_per_account: float | None = None
    people_per_account_cv: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.people_per_account is not None and not self.people_per_account > 0:
            raise UsageError(f"a ratio above 0, not {self.people_per_account}", param="people_per_account")
        if not self.people_per_account_cv >= 0:
            raise UsageError(f"0 or more, not {self.people_per_account_cv}", param="people_per_account_cv")


@dataclass(frozen=True, kw_only=True)
class ExcessRequest(Request):
    """Developer accounts added beyond the counterfactual in destination economies (GitHub Innovation Graph: real,
    published data only, so it takes no ``data``)."""

    method: ClassVar[str] = "excess"
    origin: str = "RU"
    start: str = "2022Q2"
    end: str = "2023Q1"
    economies: tuple[str, ...] = DESTINATIONS
    controls: tuple[str, ...] = CONTROLS
    n_boot: int = 2000

    def __post_init__(self) -> None:
        super().__post_init__()
        if parse_quarter(self.end, "end") < parse_quarter(self.start, "start"):
            raise UsageError(f"{self.end} is before the first quarter {self.start}", param="end")
        if self.n_boot < 100:
            raise UsageError(f"at least 100 for a percentile interval, not {self.n_boot}", param="n_boot")
        self._set(
            origin=country(self.origin, "origin"),
            economies=_countries(self.economies, "economies"),
            controls=_countries(self.controls, "controls"),
        )


@dataclass(frozen=True, kw_only=True)
class StocksRequest(Request):
    """Flows from two bilateral stock tables (people by birthplace and residence at t0 and at t1)."""

    method: ClassVar[str] = "stocks"
    stocks: tuple[Path, ...]
    estimator: str = "demographic"
    #: For ``demographic``: ``max`` (stayers maximised), ``none``, or a weight in [0, 1] between the two.
    stayers: str | float = "max"
    #: Keep only the flows out of or into this region (None: every flow).
    origin: str | None = None
    n_boot: int = 200

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.stocks) != 2:
            raise UsageError(f"give two stock tables, t0 then t1; got {len(self.stocks)}", param="stocks")
        self._set(stocks=(Path(self.stocks[0]), Path(self.stocks[1])))
        if self.estimator not in STOCK_ESTIMATORS:
            raise UsageError(
                f"unknown estimator {self.estimator!r}; choose one of: {', '.join(STOCK_ESTIMATORS)}",
                param="estimator",
            )
        self._set(stayers=stayers(self.stayers))
        if self.origin is not None:
            self._set(origin=str(self.origin).strip())


def stayers(value: str | float) -> str | float:
    """``max``, ``none`` or a weight in [0, 1]."""
    if value in ("max", "none"):
        return value
    try:
        weight = float(value)
    except ValueError:
        raise UsageError(f"expected max, none or a weight in [0, 1], got {value!r}", param="stayers") from None
    if not 0 <= weight <= 1:
        raise UsageError(f"a weight lies in [0, 1], not {weight}", param="stayers")
    return weight


def _countries(codes: Sequence[str], param: str) -> tuple[str, ...]:
    return tuple(country(c, param) for c in codes)


#: The request type of each method, by its name.
REQUESTS: dict[str, type[Request]] = {
    "panel": PanelRequest,
    "stocks": StocksRequest,
    "excess": ExcessRequest,
    "nowcast": NowcastRequest,
}
