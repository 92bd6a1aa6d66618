"""The claims ledger: published figures kept in the store and set beside talentflow's estimates.

>>> from talentflow import Store
>>> from talentflow.claims import builtin_claims, compare, store_claims
>>> with Store("talentflow.duckdb") as store:
...     store_claims(store, builtin_claims())
...     compare(store)[["claim_id", "claim", "estimate", "status"]]
"""

from talentflow.claims.compare import ESTIMATORS, Estimate, NoEstimate, claim_range, compare
from talentflow.claims.ledger import (
    METRICS,
    Claim,
    ClaimFile,
    ImportReport,
    builtin_claims,
    load_claims,
    read_claims,
    store_claims,
    validate,
)

__all__ = [
    "ESTIMATORS",
    "METRICS",
    "Claim",
    "ClaimFile",
    "Estimate",
    "ImportReport",
    "NoEstimate",
    "builtin_claims",
    "claim_range",
    "compare",
    "load_claims",
    "read_claims",
    "store_claims",
    "validate",
]
