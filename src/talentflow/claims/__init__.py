"""The claims ledger: published figures kept in the store and set beside talentflow's estimates.

    >>> from talentflow import Store
    >>> from talentflow.claims import builtin_claims, compare, store_claims
    >>> with Store("talentflow.duckdb") as store:
    ...     report = store_claims(store, builtin_claims())
    ...     frame = compare(store)
    >>> list(frame.columns[:6])
    ['claim_id', 'metric', 'geography', 'period_start', 'period_end', 'claim']

`ledger` keeps the claims, `estimators` holds the default estimator of each metric, and `compare` sets each
claim beside its estimate; the estimators are passed to `compare` (by default a fresh set for each call).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from talentflow._lazy import exports

if TYPE_CHECKING:
    from talentflow.claims._compare import compare, records, summary
    from talentflow.claims._margins import claim_range
    from talentflow.claims._terms import DEFAULT_TOLERANCE, STATUSES, Estimate, Estimator, NoEstimate
    from talentflow.claims.estimators import default_estimators
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
    "DEFAULT_TOLERANCE",
    "METRICS",
    "STATUSES",
    "Claim",
    "ClaimFile",
    "Estimate",
    "Estimator",
    "ImportReport",
    "NoEstimate",
    "builtin_claims",
    "claim_range",
    "compare",
    "default_estimators",
    "load_claims",
    "read_claims",
    "records",
    "store_claims",
    "summary",
    "validate",
]

__getattr__, __dir__ = exports(
    __name__,
    (
        "talentflow.claims._terms",
        "talentflow.claims.ledger",
        "talentflow.claims.estimators",
        "talentflow.claims._compare",
    ),
    __all__,
)
