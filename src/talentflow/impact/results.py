"""The results object every impact method returns: rows with an interval, the tables behind the charts, the
statistics, the method's inputs and notes (the migration results' manner, `talentflow.migration.results`)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from talentflow.impact._hinge import TERM_OF, terms_of
from talentflow.migration.results import MigrationResult


def has_size(shape: str, change: str) -> bool:
    """Whether a change-point break of ``shape`` (``kink+shift``…) measures the size ``change`` (a row's
    ``change``: ``level`` for a shift's jump, ``slope`` for a kink's, ``pulse`` for a stock's withdrawal)."""
    return TERM_OF[change] in terms_of(shape)


@dataclass(frozen=True)
class ImpactResult(MigrationResult):
    """Estimates with intervals, in the manner of a statsmodels results object: a `MigrationResult` (rows,
    ``conf_int``, ``select``, ``to_frame``) with what the charts and tests of an impact method need besides.

    ``rows`` holds one row per estimate: the identifying columns (``series``, ``period``, ``change``, … as the
    method has them), then ``estimate``, ``low``, ``high`` and ``level``. ``tables`` holds what the charts draw
    (``fit``: the series with the model's line and band; ``placebos``, ``weights``, ``events``…); ``stats`` the
    method's single figures (a p-value, the pre-period fit).
    """

    stats: dict[str, float | str | None] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    heading: ClassVar[str] = "Impact"

    def records(self) -> list[dict[str, Any]]:
        """Rows as JSON-ready dicts (NaN becomes None, dates ISO text)."""
        return _records(self.rows)

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready: what a web API answers with."""
        return {
            "method": self.method,
            "level": self.level,
            "interval": self.interval,
            "rows": self.records(),
            "stats": {k: _plain(v) for k, v in self.stats.items()},
            "tables": {name: _records(frame) for name, frame in self.tables.items()},
            "inputs": self.inputs,
            "notes": list(self.notes),
        }

    def _sections(self) -> list[str]:
        if not self.stats:
            return []
        return ["Statistics:", *(f"  {name}: {_shown(value)}" for name, value in self.stats.items())]


def _shown(value: Any) -> str:
    return f"{value:,.4g}" if isinstance(value, float) else str(value)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, pd.Timestamp):  # a NumPy scalar
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
