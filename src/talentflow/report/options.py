"""What a report is asked for, its sections and how it tells about its progress: light enough for the command
line to import for its option defaults."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from talentflow.indicators.params import DEFAULT_MIN_CELL
from talentflow.indicators.provenance import DATA
from talentflow.migration.requests import DEFAULT_N_BOOT, PanelRequest, check_model

#: Bootstrap replicates of the panel fit in the report: the number `talentflow migration panel` uses, so that the
#: report and the command give the same interval for the same store, window and seed.
REPORT_N_BOOT = DEFAULT_N_BOOT

#: The sections drawn once for each kind of data the store holds (real, simulated), never summed: the section →
#: what gathering it is called in the progress display. Their parts are keyed ``KIND-SECTION`` (``real-board``).
KIND_SECTIONS = {
    "board": "vacancies and resumes",
    "tension": "tension",
    "relocation": "relocation",
    "salary": "salary",
    "ai": "AI work",
    "panel": "migration panel (EM + bootstrap)",
    "impact": "did the market break (change points, interrupted time series)",
}
#: The sections drawn once: published (real) series, and the claims beside the estimates of each kind.
SHARED_SECTIONS = {
    "excess": "excess developer growth",
    "series": "external series",
    "synth": "synthetic control of developer counts",
    "claims": "claims comparison",
}


def part_key(data: str, section: str) -> str:
    """The key of a section's part for one kind of data: ``real-board``, ``simulated-panel``."""
    return f"{data}-{section}"


#: Every part a report may gather, in the order of the report: key → what it is called in the progress display.
STEPS = {
    **{part_key(d, k): f"{label} ({d} data)" for d in DATA for k, label in KIND_SECTIONS.items()},
    **SHARED_SECTIONS,
}

Step = Callable[[str], None]


@dataclass(frozen=True)
class ReportOptions:
    sim: Path | None = None  # the simulator's output directory (truth/summary.json, scenario.json)
    origin: str = "RU"
    n_boot: int = REPORT_N_BOOT
    #: The panel's model (`talentflow migration panel --model`; docs/migration.md, "The model").
    model: str = PanelRequest.model
    seed: int = 0
    level: float = 0.9
    min_cell: int = DEFAULT_MIN_CELL
    #: Re-segmentations behind each change point's interval (fewer than `talentflow impact changepoints`'s 199).
    impact_n_boot: int = 99

    def __post_init__(self) -> None:
        check_model(self.model)


class Progress:
    """What `run` tells about its work; the command line draws it with rich, the Python API ignores it."""

    def stage(self, name: str, total: float | None = None) -> None:
        """A new stage begins; ``total`` when its progress can be counted."""

    def update(self, completed: float, total: float | None = None) -> None:
        """Progress within the current stage."""
