"""The HTML report: one self-contained file (plotly.js inline) with the indicators, migration estimates,
claims and external series of a store.

    >>> from pathlib import Path
    >>> from talentflow.report import ReportOptions, build_report
    >>> data = build_report("report.html", db="talentflow.duckdb", options=ReportOptions(sim=Path("sim"), n_boot=5))
    >>> Path("report.html").stat().st_size > 1_000_000, data.parts["simulated-panel"].absent
    (True, None)
    >>> data.parts["real-panel"].absent
    'the store holds no real vacancy or resume sightings (only the simulated market, drawn in its own section)'

The board sections are drawn once for each kind of data the store holds — real records, and the simulated
market — each from its own records, never summed (``data.kinds``; parts keyed ``real-board``,
``simulated-board``, …).

`data.py` gathers what the report shows from the store through the indicators, migration and claims APIs;
`figures.py` turns it into plotly figures; `html.py` writes the page; `run.py` is `talentflow run`, the whole
chain. docs/report.md describes each section.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from talentflow._lazy import exports

if TYPE_CHECKING:
    from talentflow.report.build import build_report
    from talentflow.report.data import ReportData, gather
    from talentflow.report.options import REPORT_N_BOOT, Progress, ReportOptions
    from talentflow.report.run import RunResult

# `run` (talentflow run) is imported from talentflow.report.run: a lazy name may not be a module's name.
__all__ = ["REPORT_N_BOOT", "Progress", "ReportData", "ReportOptions", "RunResult", "build_report", "gather"]

__getattr__, __dir__ = exports(
    __name__,
    ("talentflow.report.options", "talentflow.report.build", "talentflow.report.data", "talentflow.report.run"),
    __all__,
)
