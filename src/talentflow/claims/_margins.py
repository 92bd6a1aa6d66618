"""How a claim's figure is read, in the ledger and in the nowcast alike: the values it allows (its margins),
which are also its 90% interval when it is pooled. Light and low in the layers: the estimates read it too."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from talentflow.claims.ledger import Claim

#: Relative half-width given to a claim stated as a single value ("about 114,000" covers 102,600–125,400).
DEFAULT_TOLERANCE = 0.10
#: The confidence a claim's margins are read at when it is pooled with estimates (the nowcast).
MARGIN_LEVEL = 0.9


def claim_range(claim: Claim, tolerance: float = DEFAULT_TOLERANCE) -> tuple[float, float]:
    """The values a claim allows: its range, a one-sided bound, or its point value ± ``tolerance``."""
    if claim.value_low is not None or claim.value_high is not None:
        low = claim.value_low if claim.value_low is not None else -math.inf
        high = claim.value_high if claim.value_high is not None else math.inf
        return low, high
    assert claim.value is not None
    half = abs(claim.value) * tolerance
    return claim.value - half, claim.value + half
