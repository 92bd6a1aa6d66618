"""Migration flows from two bilateral stock tables (people by birthplace and residence at t0 and t1).

Four estimators, written from the papers cited in docs/migration.md ("Flows from stocks"):

- ``flows_stock_difference``: growth of each birthplace-by-residence stock, negatives set to zero
  (Bertoli & Fernández-Huertas Moraga 2015).
- ``flows_beine_parsons``: the same, with falls booked as return flows to the birthplace (Beine & Parsons 2015).
- ``flows_dennett``: a total number of movers shared out in proportion to the bilateral stocks at t0 (Dennett 2016).
- ``flows_demographic``: for each birthplace, a residence-at-t0 × residence-at-t1 table whose margins are the stocks
  after births and deaths, fitted by iterative proportional fitting to an offset, stayers maximised (Abel 2013;
  Abel & Sander 2014) or not (Azose & Raftery 2019).

Stock tables are ``birthplace × residence`` with the same labels in the same order on both axes. Intervals come from a
seeded parametric bootstrap of the stock counts: they show counting noise only, never coverage or definition error.
"""

from talentflow.migration.stocks._estimators import (
    flows_beine_parsons,
    flows_demographic,
    flows_dennett,
    flows_stock_difference,
)
from talentflow.migration.stocks._ipf import ipf_tables
from talentflow.migration.stocks._tables import StockTable, as_stock_table, read_stock_csv

__all__ = [
    "StockTable",
    "as_stock_table",
    "flows_beine_parsons",
    "flows_demographic",
    "flows_dennett",
    "flows_stock_difference",
    "ipf_tables",
    "read_stock_csv",
]
