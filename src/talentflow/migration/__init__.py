"""Migration estimates with intervals: panel flows, flows from stocks, excess developer growth, a nowcast."""

from talentflow.migration.excess import excess_growth
from talentflow.migration.panel import PanelFit, PanelOptions, Population, fit_panel, load_panel, panel_flows
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
    "PanelFit",
    "PanelOptions",
    "Population",
    "StockTable",
    "as_stock_table",
    "excess_growth",
    "fit_panel",
    "flows_beine_parsons",
    "flows_demographic",
    "flows_dennett",
    "flows_stock_difference",
    "ipf_tables",
    "load_panel",
    "panel_flows",
    "read_stock_csv",
]
