"""Migration estimates with intervals: panel flows, flows from stocks, excess developer growth, a nowcast."""

from talentflow.migration.results import MigrationResult
from talentflow.migration.stocks import (
    StockTable,
    as_stock_table,
    flows_beine_parsons,
    flows_demographic,
    flows_dennett,
    flows_stock_difference,
    ipf_tables,
    read_stock_csv,
)

__all__ = [
    "MigrationResult",
    "StockTable",
    "as_stock_table",
    "flows_beine_parsons",
    "flows_demographic",
    "flows_dennett",
    "flows_stock_difference",
    "ipf_tables",
    "read_stock_csv",
]
