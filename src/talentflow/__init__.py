"""talentflow: measure, explain and forecast tech-talent flight from job-board records.

    >>> import talentflow
    >>> report = talentflow.ingest(["vacancies.ndjson.gz"], db="talentflow.duckdb")
    >>> report.accepted + report.duplicates + report.quarantined == report.read
    True

The names below are the public API; each loads on first use, so that ``import talentflow`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from talentflow._lazy import exports
from talentflow._version import __version__
from talentflow.errors import InputError, StoreError, TalentflowError, UsageError

if TYPE_CHECKING:
    from talentflow.ingestion import IngestReport, InputReport, ingest
    from talentflow.store import Store

__all__ = [
    "IngestReport",
    "InputError",
    "InputReport",
    "Store",
    "StoreError",
    "TalentflowError",
    "UsageError",
    "__version__",
    "ingest",
]

__getattr__, __dir__ = exports(__name__, ("talentflow.store", "talentflow.ingestion"), __all__)
