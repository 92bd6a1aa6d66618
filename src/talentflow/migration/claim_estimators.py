"""The migration metrics of the claims ledger, estimated by the panel: registered into the ledger's comparison.

One panel fit per store serves every claim (the fit covers all months; a claim cuts its own window). The
population is the default one (about 1 million IT workers at the end of 2021, claims A4 and A5), since a claim
comparison has no other to go on.
"""

from __future__ import annotations

from talentflow.claims.compare import ESTIMATORS, Estimate, NoEstimate
from talentflow.claims.ledger import Claim
from talentflow.errors import UsageError
from talentflow.migration.panel import PanelFit
from talentflow.migration.run import Request, panel_fit
from talentflow.store import Store

_FITS: dict[tuple[str, str, int], PanelFit] = {}
CLAIM_BOOTSTRAP = 50


def _key(store: Store, origin: str) -> tuple[str, str, int]:
    # The store may have grown since the last fit in this process (tests ingest more between comparisons).
    (resumes,) = store.con.execute("SELECT count(*) FROM resume_observation").fetchone()  # type: ignore[misc]
    return (str(store.path), origin, resumes)


def use_fit(store: Store, origin: str, fit: PanelFit) -> None:
    """Have the claims of ``origin`` in ``store`` estimated from ``fit`` (one already made, e.g. by the report)."""
    _FITS[_key(store, origin)] = fit


def _fit(store: Store, claim: Claim) -> PanelFit:
    key = _key(store, claim.geography)
    if not key[2]:
        raise NoEstimate("no resume sightings in the store")
    if key not in _FITS:
        try:
            _FITS[key] = panel_fit(store, Request(origin=claim.geography, n_boot=CLAIM_BOOTSTRAP))
        except UsageError as exc:
            raise NoEstimate(str(exc)) from None
    return _FITS[key]


def _window(fit: PanelFit, claim: Claim) -> tuple[str, str]:
    start, end = claim.period_start.strftime("%Y-%m"), claim.period_end.strftime("%Y-%m")
    months = fit.panel.months
    if start <= months[0] or end > months[-1]:
        raise NoEstimate(
            f"{start} to {end} is not inside the resume sightings after their first month ({months[0]} to {months[-1]})"
        )
    return start, end


def _inputs(fit: PanelFit, start: str, end: str, what: str) -> str:
    return (
        f"panel {what}, {start} to {end} in whole months, {fit.panel.people:,} resumes, scaled to "
        f"{fit.population.count:,.0f} IT workers ({fit.population.source})"
    )


def it_emigrants(store: Store, claim: Claim) -> Estimate:
    fit = _fit(store, claim)
    start, end = _window(fit, claim)
    return Estimate(*fit.total("emigration", start, end), _inputs(fit, start, end, "emigration"))


def it_abroad_net(store: Store, claim: Claim) -> Estimate:
    fit = _fit(store, claim)
    start, end = _window(fit, claim)
    return Estimate(*fit.total("net", start, end), _inputs(fit, start, end, "emigration net of returns"))


def return_share(store: Store, claim: Claim) -> Estimate:
    """Returns over emigrations in the claim's window (a share of leavers back by its end)."""
    fit = _fit(store, claim)
    start, end = _window(fit, claim)
    out, back = fit.total("emigration", start, end)[0], fit.total("return", start, end)[0]
    if out <= 0:
        raise NoEstimate(f"no emigration estimated in {start} to {end}")
    return Estimate(back / out, None, None, _inputs(fit, start, end, "returns / emigrations"))


def leaver_share(store: Store, claim: Claim) -> Estimate:
    fit = _fit(store, claim)
    start, end = _window(fit, claim)
    est, low, high = fit.total("emigration", start, end)
    n = fit.population.count
    return Estimate(est / n, low / n, high / n, _inputs(fit, start, end, "emigration / population"))


ESTIMATORS.update(
    {
        "it_emigrants": it_emigrants,
        "it_abroad_net": it_abroad_net,
        "return_share": return_share,
        "leaver_share": leaver_share,
    }
)
