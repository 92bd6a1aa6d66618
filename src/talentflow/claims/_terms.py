"""The terms of the claims comparison: what an estimator hands over (an estimate with its interval and inputs,
or the reason it has none) and how a claim is judged. Light: the command line imports it for its defaults."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from talentflow.claims._margins import DEFAULT_TOLERANCE

__all__ = ["DEFAULT_TOLERANCE", "STATUSES", "Estimate", "Estimator", "NoEstimate"]

if TYPE_CHECKING:
    from talentflow.claims.ledger import Claim
    from talentflow.store import Store


class Estimate(NamedTuple):
    estimate: float
    low: float | None
    high: float | None
    #: What the estimate was computed from, in words.
    inputs: str
    #: The claims (ids, e.g. ``A4``) whose own figure scaled the estimate: no verdict on those (circular).
    scaled_by: tuple[str, ...] = ()


class NoEstimate(Exception):
    """Raised by an estimator that cannot estimate a claim; the message is shown as the reason."""


#: ``(store, claim) -> Estimate`` (or a plain ``(estimate, low, high, inputs)``); it may raise :class:`NoEstimate`,
#: and returning None gives a generic reason.
Estimator = Callable[["Store", "Claim"], Estimate | tuple[float, float | None, float | None, str] | None]
#: The note of a claim the estimate was scaled by (its status is inconclusive).
CIRCULAR = "circular: the estimate is scaled by this claim's figure"

#: A claim's verdict (docs/migration.md, "Claims ledger"): the estimate's interval inside the values the claim
#: allows (consistent), wholly outside them (contradicted), or across a bound (inconclusive); on a simulated market
#: calibrated to the claim, no verdict (calibration target); or no estimate at all.
CONSISTENT, CONTRADICTED, INCONCLUSIVE, CALIBRATION, NO_ESTIMATE = (
    "consistent",
    "contradicted",
    "inconclusive",
    "calibration target",
    "no estimate",
)
STATUSES = (CONSISTENT, CONTRADICTED, INCONCLUSIVE, CALIBRATION, NO_ESTIMATE)
#: Metrics counted on the job board: a board holds a sample of the market, so these levels are divided by the
#: ``coverage`` given to the comparison (1 by default: compared as they are, with a caveat in ``note``).
BOARD_LEVELS = frozenset({"it_vacancies", "it_resumes"})
