"""What a report is asked for, its sections and how it tells about its progress: light enough for the command
line to import for its option defaults."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from talentflow.indicators.params import DEFAULT_MIN_CELL

#: Bootstrap replicates of the panel fit in the report: fewer than `talentflow migration panel` (100), to keep
#: `talentflow run` short; the report says so.
REPORT_N_BOOT = 30

#: The sections, in the order of the report: key → what gathering it is called in the progress display.
STEPS = {
    "board": "vacancies and resumes",
    "tension": "tension",
    "relocation": "relocation",
    "salary": "salary",
    "panel": "migration panel (EM + bootstrap)",
    "excess": "excess developer growth",
    "claims": "claims comparison",
    "series": "external series",
}

Step = Callable[[str], None]


@dataclass(frozen=True)
class ReportOptions:
    sim: Path | None = None  # the simulator's output directory (truth/summary.json, scenario.json)
    origin: str = "RU"
    n_boot: int = REPORT_N_BOOT
    seed: int = 0
    level: float = 0.9
    min_cell: int = DEFAULT_MIN_CELL


class Progress:
    """What `run` tells about its work; the command line draws it with rich, the Python API ignores it."""

    def stage(self, name: str, total: float | None = None) -> None:
        """A new stage begins; ``total`` when its progress can be counted."""

    def update(self, completed: float, total: float | None = None) -> None:
        """Progress within the current stage."""
