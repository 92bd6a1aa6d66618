"""talentflow: measure, explain and forecast tech-talent flight from job-board records.

>>> import talentflow
>>> report = talentflow.ingest(["vacancies.ndjson.gz"], db="talentflow.duckdb")
>>> report.accepted + report.duplicates + report.quarantined == report.read
True
"""

from talentflow._version import __version__
from talentflow.errors import InputError, StoreError, TalentflowError, UsageError
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
