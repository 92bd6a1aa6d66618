"""Impact analysis: when a series broke, by how much, and what it would have been without the shock.

Three methods, each taking a frozen request and returning an `ImpactResult` (rows with intervals, the tables
behind the charts, the statistics): change points with bootstrap intervals (`ChangepointRequest`), an
interrupted time series against a structural-series counterfactual (`ItsRequest`), and a synthetic control
across economies with placebos and a conformal interval (`SynthRequest`). `estimate(request, store)` runs any of
them on the store's indicators. docs/impact.md has the methods, their assumptions and their validation. Names
load on first use (the requests are light; the methods bring NumPy, pandas, SciPy and statsmodels).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from talentflow._lazy import exports

if TYPE_CHECKING:
    from talentflow.impact._changepoints import changepoints
    from talentflow.impact._its import its
    from talentflow.impact._synth import synth
    from talentflow.impact.methods import estimate
    from talentflow.impact.requests import KNOWN_EVENTS, ChangepointRequest, ItsRequest, SynthRequest
    from talentflow.impact.results import ImpactResult

__all__ = [
    "KNOWN_EVENTS",
    "ChangepointRequest",
    "ImpactResult",
    "ItsRequest",
    "SynthRequest",
    "changepoints",
    "estimate",
    "its",
    "synth",
]

__getattr__, __dir__ = exports(
    __name__,
    (
        "talentflow.impact.requests",
        "talentflow.impact.results",
        "talentflow.impact.methods",
        "talentflow.impact._changepoints",
        "talentflow.impact._its",
        "talentflow.impact._synth",
    ),
    __all__,
)
