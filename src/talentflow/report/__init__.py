"""The HTML report: one self-contained file (plotly.js inline) with the indicators, migration estimates,
claims and external series of a store.

    >>> from talentflow.report import build_report
    >>> build_report("report.html", db="talentflow.duckdb", sim="sim")

`data.py` gathers what the report shows from the store through the indicators, migration and claims APIs;
`figures.py` turns it into plotly figures; `html.py` writes the page. docs/report.md describes each section.
"""

from talentflow.report.build import REPORT_N_BOOT, build_report
from talentflow.report.data import ReportData, ReportOptions, gather

__all__ = ["REPORT_N_BOOT", "ReportData", "ReportOptions", "build_report", "gather"]
