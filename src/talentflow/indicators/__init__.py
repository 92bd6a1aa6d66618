"""Job-market indicators, each an Ibis expression over the canonical tables: one implementation for the
embedded DuckDB store and for Spark.

>>> from talentflow.indicators import Params, Segment, compute
>>> compute("tension", Params(period="month", by=(Segment("country"),)), db="talentflow.duckdb").frame
"""

from talentflow.indicators.compute import Result, compute, compute_on, indicator
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
