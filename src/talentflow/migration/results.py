"""The results object every migration estimator returns: rows with an interval, the method and its inputs."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

#: Columns that end every row, after the columns that identify it (flow, origin, destination, economy, period…).
VALUE_COLUMNS = ("estimate", "low", "high", "level")


@dataclass(frozen=True)
class MigrationResult:
    """Estimates with intervals, in the manner of a statsmodels results object.

    ``rows`` holds one row per estimate: the identifying columns (``flow``, ``origin``, ``destination``,
    ``economy``, ``period``, … as the method has them), then ``estimate``, ``low``, ``high`` and ``level`` (the
    interval's nominal coverage, e.g. 0.9). ``inputs`` names every input the estimate used and where it came from;
    ``notes`` says what the method assumed and any caveat met on this data. ``covers`` says in one plain sentence
    what the interval covers and what it leaves out (e.g. the sampling of people, but not the model's error).

    Rows with a ``scale`` column say what they count: ``workforce`` (scaled to a population figure: they move
    one for one with it) or ``board-visible`` (movers among the board's own profiles: no population figure).
    """

    method: str
    rows: pd.DataFrame
    level: float
    inputs: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    interval: str = ""  # how the interval was made, in a few words
    covers: str = ""  # one plain sentence: what the interval covers and what it leaves out

    #: The first line of ``summary``.
    heading: ClassVar[str] = "Migration estimate"

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
        """Rows whose identifying columns equal the given values, e.g. ``select(flow="emigration")``."""
        keep = pd.Series(True, index=self.rows.index)
        for col, value in match.items():
            keep &= self.rows[col] == value
        return self.rows[keep]

    def records(self) -> list[dict[str, Any]]:
        """Rows as JSON-ready dicts (NaN becomes None)."""
        return [{str(k): _plain(v) for k, v in row.items()} for row in self.rows.to_dict("records")]

    def to_json(self) -> str:
        """The rows as JSON (what `talentflow migration METHOD --format json` prints)."""
        return json.dumps(self.records(), ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        """Everything the result says, JSON-ready: the method, the interval and what it covers, the inputs, the
        notes and the rows."""
        return {
            "method": self.method,
            "level": self.level,
            "interval": self.interval,
            "covers": self.covers,
            "inputs": dict(self.inputs),
            "notes": list(self.notes),
            "rows": self.records(),
        }

    def summary(self) -> str:
        lines = [f"{self.heading}: {self.method}", f"Interval: {self.level:.0%} {self.interval}".rstrip()]
        if self.covers:
            lines.append(f"Covers: {self.covers}")
        if self.inputs:
            lines.append("Inputs:")
            lines += [f"  {name}: {what}" for name, what in self.inputs.items()]
        lines += self._sections()
        if self.notes:
            lines.append("Notes:")
            lines += [f"  - {note}" for note in self.notes]
        lines.append("")
        lines.append(self.rows.to_string(index=False, float_format=lambda v: f"{v:,.4g}"))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _sections(self) -> list[str]:
        """Lines a kind of result adds to its summary after the inputs."""
        return []


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value
