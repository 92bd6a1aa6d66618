"""Migration estimates with intervals: panel flows, flows from stocks, excess developer growth, a nowcast.

Each method takes a frozen request (`PanelRequest`, `StocksRequest`, `ExcessRequest`, `NowcastRequest`) and
`estimate` returns a `MigrationResult`: rows with intervals, the inputs used and the method's notes. Names load
on first use (the requests are light; the methods bring NumPy, pandas and Ibis).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from talentflow._lazy import exports

if TYPE_CHECKING:
    from talentflow.migration.excess import excess_growth
    from talentflow.migration.methods import estimate, panel_fit
    from talentflow.migration.panel import PanelFit, PanelOptions, fit_panel, load_panel, panel_flows
    from talentflow.migration.requests import (
        DEFAULT_POPULATION,
        ExcessRequest,
        NowcastRequest,
        PanelRequest,
        Population,
        Request,
        StocksRequest,
    )
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
    "DEFAULT_POPULATION",
    "ExcessRequest",
    "MigrationResult",
    "NowcastRequest",
    "PanelFit",
    "PanelOptions",
    "PanelRequest",
    "Population",
    "Request",
    "StockTable",
    "StocksRequest",
    "as_stock_table",
    "estimate",
    "excess_growth",
    "fit_panel",
    "flows_beine_parsons",
    "flows_demographic",
    "flows_dennett",
    "flows_stock_difference",
    "ipf_tables",
    "load_panel",
    "panel_fit",
    "panel_flows",
    "read_stock_csv",
]

__getattr__, __dir__ = exports(
    __name__,
    (
        "talentflow.migration.requests",
        "talentflow.migration.results",
        "talentflow.migration.methods",
        "talentflow.migration.panel",
        "talentflow.migration.stocks",
        "talentflow.migration.excess",
    ),
    __all__,
)
