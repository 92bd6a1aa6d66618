"""Migration estimates with intervals: panel flows, flows from stocks, excess developer growth, a nowcast."""

from talentflow.migration.excess import excess_growth
from talentflow.migration.results import MigrationResult

__all__ = ["MigrationResult", "excess_growth"]
