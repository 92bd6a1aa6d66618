"""What an indicator is asked for: period, date range, segments, suppression threshold, its own options, and
the engine to run on. Light on purpose: the command line imports it for its option defaults."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from talentflow.errors import UsageError
from talentflow.indicators.provenance import DEFAULT_DATA, check_data

PERIODS = ("day", "week", "month", "quarter")
SEGMENTS = ("country", "region", "role", "is_it", "ai", "experience", "remote", "employer", "group")
#: Segments holding booleans: their filter values are read as true/false.
BOOLEAN_SEGMENTS = ("is_it", "ai", "remote")
DEFAULT_MIN_CELL = 50
ENGINES = ("duckdb", "spark")
DEFAULT_SPARK_MASTER = "local[2]"


@dataclass(frozen=True)
class Segment:
    """Group by ``name``; with ``values``, keep only those values (``country=RU,KZ``)."""

    name: str
    values: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Segment:
        name, sep, rest = text.partition("=")
        name = name.strip()
        if name not in SEGMENTS:
            raise UsageError(f"unknown segment {name!r}; the segments are: {', '.join(SEGMENTS)}", param="by")
        values = tuple(v.strip() for v in rest.split(",") if v.strip()) if sep else ()
        if sep and not values:
            raise UsageError(f"{text!r}: expected SEGMENT or SEGMENT=VALUE[,VALUE…]", param="by")
        if name in BOOLEAN_SEGMENTS:
            bad = [v for v in values if v.lower() not in ("true", "false")]
            if bad:
                raise UsageError(f"{name}: values are true or false, not {', '.join(map(repr, bad))}", param="by")
            values = tuple(v.lower() for v in values)
        return cls(name, values)


@dataclass(frozen=True)
class Params:
    period: str = "month"
    by: tuple[Segment, ...] = ()
    start: date | None = None
    end: date | None = None
    min_cell: int = DEFAULT_MIN_CELL
    #: Indicator-specific options (``KEY=VALUE``), e.g. ``metric`` for population_growth.
    options: Mapping[str, str] = field(default_factory=dict)
    #: Which records: ``real`` (observed) or ``simulated``, never both (``talentflow.indicators.provenance``).
    data: str = DEFAULT_DATA

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise UsageError(f"unknown period {self.period!r}; choose one of: {', '.join(PERIODS)}", param="period")
        if self.start and self.end and self.start > self.end:
            raise UsageError(f"{self.end} is before the first day {self.start}", param="end")
        if self.min_cell < 0:
            raise UsageError(f"must be 0 or more, not {self.min_cell}", param="min_cell")
        names = [s.name for s in self.by]
        if len(set(names)) != len(names):
            raise UsageError(f"a segment is given twice: {', '.join(names)}", param="by")
        check_data(self.data)

    @property
    def segment_names(self) -> list[str]:
        return [s.name for s in self.by]


def parse_date(value: str | None, param: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{value!r}: expected a date such as 2022-03-01", param=param) from None


def parse_options(items: Sequence[str]) -> dict[str, str]:
    options = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{item!r}: expected KEY=VALUE, e.g. metric=developers", param="options")
        options[key.strip()] = value.strip()
    return options
