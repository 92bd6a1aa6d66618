"""Job-market indicators, each an Ibis expression over the canonical tables: one implementation for the
embedded DuckDB store and for Spark.

    >>> from talentflow.indicators import Params, Segment, compute
    >>> params = Params(period="month", by=(Segment("country"),), data="simulated")
    >>> result = compute("tension", params, db="talentflow.duckdb")
    >>> list(result.frame.columns)
    ['period', 'period_end', 'country', 'resumes', 'vacancies', 'tension', 'band', 'n', 'suppressed']

An indicator reads one kind of data: real records (the default) or, with ``data="simulated"``, the simulator's
(``talentflow.indicators.provenance``). Names load on first use: `params` (what an indicator is asked for) is
cheap, the rest brings Ibis and pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from talentflow._lazy import exports

if TYPE_CHECKING:
    from talentflow.indicators._compute import Result, compute, compute_on, indicator
    from talentflow.indicators.engines import ENGINES, DuckDBEngine, SparkEngine, export_parquet, open_engine
    from talentflow.indicators.params import PERIODS, SEGMENTS, Params, Segment
    from talentflow.indicators.registry import INDICATORS, REGISTRY

__all__ = [
    "ENGINES",
    "INDICATORS",
    "PERIODS",
    "REGISTRY",
    "SEGMENTS",
    "DuckDBEngine",
    "Params",
    "Result",
    "Segment",
    "SparkEngine",
    "compute",
    "compute_on",
    "export_parquet",
    "indicator",
    "open_engine",
]

__getattr__, __dir__ = exports(
    __name__,
    (
        "talentflow.indicators.params",
        "talentflow.indicators._compute",
        "talentflow.indicators.engines",
        "talentflow.indicators.registry",
    ),
    __all__,
)
