"""The results object every impact method returns: rows with an interval, the tables behind the charts, the
statistics, the method's inputs and notes (the migration results' manner, `talentflow.migration.results`)."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from talentflow.migration.results import VALUE_COLUMNS


@dataclass(frozen=True)
class ImpactResult:
    """Estimates with intervals, in the manner of a statsmodels results object.

    ``rows`` holds one row per estimate: the identifying columns (``series``, ``period``, ``change``, … as the
    method has them), then ``estimate``, ``low``, ``high`` and ``level``. ``tables`` holds what the charts draw
    (``fit``: the series with the model's line and band; ``placebos``, ``weights``, ``events``…); ``stats`` the
    method's single figures (a p-value, the pre-period fit). ``inputs`` says where every input came from and
    ``notes`` what the method assumed and any caveat met on this data.
    """

    method: str
    rows: pd.DataFrame
    level: float
    inputs: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    interval: str = ""
    stats: dict[str, float | str | None] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [c for c in VALUE_COLUMNS if c not in self.rows.columns]
        if missing:
            raise ValueError(f"{self.method}: rows lack {', '.join(missing)}")
        ids = [c for c in self.rows.columns if c not in VALUE_COLUMNS]
        object.__setattr__(self, "rows", self.rows[[*ids, *VALUE_COLUMNS]].reset_index(drop=True))

    @property
    def id_columns(self) -> list[str]:
        return [c for c in self.rows.columns if c not in VALUE_COLUMNS]

    def to_frame(self) -> pd.DataFrame:
        return self.rows.copy()

    def conf_int(self) -> pd.DataFrame:
        """The interval bounds, one row per estimate, indexed by the identifying columns."""
        ids = self.id_columns
        frame = self.rows.set_index(ids) if ids else self.rows
        return frame[["low", "high"]]

    def select(self, **match: Any) -> pd.DataFrame:
        """Rows whose identifying columns equal the given values, e.g. ``select(kind="cumulative")``."""
        keep = pd.Series(True, index=self.rows.index)
        for col, value in match.items():
            keep &= self.rows[col] == value
        return self.rows[keep]

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

    def to_json(self) -> str:
        return json.dumps(self.records(), ensure_ascii=False)

    def summary(self) -> str:
        lines = [f"Impact: {self.method}", f"Interval: {self.level:.0%} {self.interval}".rstrip()]
        if self.inputs:
            lines.append("Inputs:")
            lines += [f"  {name}: {what}" for name, what in self.inputs.items()]
        if self.stats:
            lines.append("Statistics:")
            lines += [f"  {name}: {_shown(value)}" for name, value in self.stats.items()]
        if self.notes:
            lines.append("Notes:")
            lines += [f"  - {note}" for note in self.notes]
        lines.append("")
        lines.append(self.rows.to_string(index=False, float_format=lambda v: f"{v:,.4g}"))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


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
