"""The default estimators of the claims comparison, one per metric: the board indicators and the migration panel.

Each set reads one kind of data, real (the default) or simulated, never both: ``default_estimators(data=...)``.

This module is where the two sides meet: it imports the indicators and the migration estimates, and the
comparison imports it; neither side imports the other. ``default_estimators()`` builds a fresh set for each
comparison. The migration metrics share one panel fit per country within that set, made on first use (or the
fit passed in), and nothing is kept between comparisons, so the same call gives the same answer whatever ran
before it in the process.
"""

from __future__ import annotations

import math
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from talentflow.claims._terms import Estimate, Estimator, NoEstimate
from talentflow.claims.ledger import Claim
from talentflow.errors import UsageError
from talentflow.indicators import provenance
from talentflow.indicators.provenance import DEFAULT_DATA
from talentflow.migration.requests import DEFAULT_N_BOOT, PanelRequest
from talentflow.store import Store

if TYPE_CHECKING:
    import pandas as pd

    from talentflow.migration.panel import PanelFit

#: Bootstrap replicates of the panel fitted for the migration claims: the number `talentflow migration panel` uses,
#: so that a claim is judged on the interval the command shows.
CLAIM_N_BOOT = DEFAULT_N_BOOT
#: The panel model of those fits: the command's default, for the same reason.
CLAIM_MODEL = PanelRequest.model
#: Nominal coverage of the sampling interval put on board shares.
SHARE_LEVEL = 0.90
_Z = 1.6448536269514722  # standard normal quantile for a two-sided 90% interval


def default_estimators(
    *, panel_fit: PanelFit | None = None, n_boot: int | None = None, seed: int = 0, data: str = DEFAULT_DATA
) -> dict[str, Estimator]:
    """metric → estimator, each reading the records of kind ``data`` only (real or simulated). The migration
    metrics use ``panel_fit`` (which must be of the same kind) for claims about its origin, and otherwise a panel
    fitted on first use with ``n_boot`` replicates (default `CLAIM_N_BOOT`) and ``seed``, at the default population."""
    provenance.check_data(data)
    if panel_fit is not None and panel_fit.panel.data != data:
        raise UsageError(
            f"the fit is of {panel_fit.panel.data} data and the comparison of {data} data: one kind at a time",
            param="panel_fit",
        )
    panel = _PanelFits(panel_fit, CLAIM_N_BOOT if n_boot is None else n_boot, seed, data)
    return {
        "it_vacancies": partial(it_vacancies, data=data),
        "it_resumes": partial(it_resumes, data=data),
        "tension": partial(tension, data=data),
        "relocation_abroad_share": partial(relocation_abroad_share, data=data),
        "relocation_europe_share": partial(relocation_europe_share, data=data),
        "it_emigrants": panel.it_emigrants,
        "it_abroad_net": panel.it_abroad_net,
        "return_share": panel.return_share,
        "leaver_share": panel.leaver_share,
    }


# -- board indicators at the claim's period end ---------------------------------------------------------
def _indicator_row(store: Store, claim: Claim, name: str, tables: tuple[str, ...], data: str) -> pd.Series:
    """The indicator ``name`` for IT records of kind ``data`` in the claim's country, on the claim's last day."""
    from talentflow.indicators._compute import compute_on
    from talentflow.indicators.engines import DuckDBEngine
    from talentflow.indicators.params import DEFAULT_MIN_CELL, Params, Segment

    day = claim.period_end
    for table in tables:
        lo, hi = provenance.day_range(store, table, data)
        if lo is None or hi is None:
            raise NoEstimate(f"no {data} {table} records in the store")
        if not lo <= day <= hi:
            raise NoEstimate(f"{day} lies outside the {data} {table} records ({lo} to {hi})")
    params = Params(
        period="day",
        by=(Segment("is_it", ("true",)), Segment("country", (claim.geography,))),
        start=day,
        end=day,
        min_cell=DEFAULT_MIN_CELL,
        data=data,
    )
    frame = compute_on(DuckDBEngine(store), name, params).frame
    if frame.empty:
        raise NoEstimate(f"no {data} IT records in {claim.geography} on {day}")
    row = frame.iloc[-1]
    if row.get("suppressed"):
        raise NoEstimate(f"{name} on {day} is suppressed: fewer than {DEFAULT_MIN_CELL} records")
    return row


def _where(claim: Claim, data: str) -> str:
    return f"{data} data, is_it=true, country={claim.geography}, at the end of {claim.period_end}"


def it_vacancies(store: Store, claim: Claim, data: str = DEFAULT_DATA) -> Estimate:
    row = _indicator_row(store, claim, "vacancies_active", ("vacancy_observation",), data)
    return Estimate(float(row["vacancies"]), None, None, f"indicator vacancies_active ({_where(claim, data)})")


def it_resumes(store: Store, claim: Claim, data: str = DEFAULT_DATA) -> Estimate:
    row = _indicator_row(store, claim, "resumes_active", ("resume_observation",), data)
    return Estimate(float(row["resumes"]), None, None, f"indicator resumes_active ({_where(claim, data)})")


def tension(store: Store, claim: Claim, data: str = DEFAULT_DATA) -> Estimate:
    row = _indicator_row(store, claim, "tension", ("vacancy_observation", "resume_observation"), data)
    inputs = (
        f"indicator tension: {row['resumes']:,.0f} resumes / {row['vacancies']:,.0f} vacancies ({_where(claim, data)})"
    )
    return Estimate(float(row["tension"]), None, None, inputs)


def relocation_abroad_share(store: Store, claim: Claim, data: str = DEFAULT_DATA) -> Estimate:
    row = _indicator_row(store, claim, "relocation_share", ("resume_observation",), data)
    abroad, resumes = float(row["abroad"]), float(row["resumes"])
    low, high = wilson(abroad, resumes)
    inputs = (
        f"indicator relocation_share, abroad split: {abroad:,.0f} of {resumes:,.0f} resumes stating a relocation "
        f"type ({_where(claim, data)}); {SHARE_LEVEL:.0%} Wilson interval"
    )
    return Estimate(float(row["abroad_share"]), low, high, inputs)


def relocation_europe_share(store: Store, claim: Claim, data: str = DEFAULT_DATA) -> Estimate:
    """Of the active IT resumes ready to move abroad, the share naming a European country (claim S4):
    destination_share by group europe over relocation_share's abroad count, with a Wilson interval. The cell
    is suppressed when fewer than the small-cell threshold are ready to move abroad."""
    from talentflow.indicators._compute import compute_on
    from talentflow.indicators.engines import DuckDBEngine
    from talentflow.indicators.params import DEFAULT_MIN_CELL, Params, Segment

    abroad = float(_indicator_row(store, claim, "relocation_share", ("resume_observation",), data)["abroad"])
    if abroad < DEFAULT_MIN_CELL:
        raise NoEstimate(
            f"{abroad:,.0f} resumes ready to move abroad on {claim.period_end}: fewer than {DEFAULT_MIN_CELL}"
        )
    by = (Segment("is_it", ("true",)), Segment("country", (claim.geography,)), Segment("group", ("europe",)))
    day = claim.period_end
    params = Params(period="day", by=by, start=day, end=day, min_cell=0, data=data)
    frame = compute_on(DuckDBEngine(store), "destination_share", params).frame
    europe = float(frame["resumes"].iloc[-1]) if len(frame) else 0.0  # no row: nobody names Europe
    low, high = wilson(europe, abroad)
    inputs = (
        f"indicator destination_share by group europe: {europe:,.0f} of {abroad:,.0f} resumes ready to move "
        f"abroad name a European country ({_where(claim, data)}); {SHARE_LEVEL:.0%} Wilson interval"
    )
    return Estimate(europe / abroad, low, high, inputs)


def _whole_months(claim: Claim) -> bool:
    """Whether the claim's period starts on a first and ends on a last day of a month."""
    start, end = claim.period_start, claim.period_end
    if start is None or end is None:
        return True
    return start.day == 1 and (end + timedelta(days=1)).day == 1


def wilson(successes: float, n: float, z: float = _Z) -> tuple[float, float]:
    """Wilson score interval of a proportion: stays inside 0–1 and behaves near the edges."""
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


# -- migration metrics from the panel -------------------------------------------------------------------
class _PanelFits:
    """The panel fits of one comparison, by country: the one given, or one made on first use.

    The fit covers every month of the store; each claim cuts its own window. The population is the default
    one (about 1 million IT workers at the end of 2021, claims A4 and A5): a claim gives no other to go on."""

    def __init__(self, given: PanelFit | None, n_boot: int, seed: int, data: str) -> None:
        self.fits: dict[str, PanelFit] = {given.panel.origin: given} if given is not None else {}
        self.n_boot = n_boot
        self.seed = seed
        self.data = data

    def fit(self, store: Store, claim: Claim) -> PanelFit:
        from talentflow.migration.methods import panel_fit

        origin = claim.geography
        if origin not in self.fits:
            if not provenance.count(store, "resume_observation", self.data):
                raise NoEstimate(f"no {self.data} resume sightings in the store")
            try:
                request = PanelRequest(
                    origin=origin, n_boot=self.n_boot, seed=self.seed, data=self.data, model=CLAIM_MODEL
                )
                self.fits[origin] = panel_fit(store, request)
            except UsageError as exc:
                raise NoEstimate(str(exc)) from None
        return self.fits[origin]

    def window(self, store: Store, claim: Claim) -> tuple[PanelFit, str, str]:
        fit = self.fit(store, claim)
        start, end = claim.period_start.strftime("%Y-%m"), claim.period_end.strftime("%Y-%m")
        months = fit.panel.months
        if start <= months[0] or end > months[-1]:
            raise NoEstimate(
                f"{start} to {end} is not inside the {fit.panel.data} resume sightings after their first month "
                f"({months[0]} to {months[-1]})"
            )
        return fit, start, end

    @staticmethod
    def inputs(fit: PanelFit, start: str, end: str, what: str, claim: Claim | None = None) -> str:
        said = (
            f"panel {what}, {start} to {end} in whole months, {fit.panel.people:,} {fit.panel.data} resumes, scaled to "
            f"{fit.population.count:,.0f} IT workers ({fit.population.source})"
        )
        if claim is not None and not _whole_months(claim):
            said += (
                f"; the claim's {claim.period_start} to {claim.period_end} is finer than the panel's months: "
                "compared over the whole months that hold it"
            )
        return said

    def it_emigrants(self, store: Store, claim: Claim) -> Estimate:
        fit, start, end = self.window(store, claim)
        return Estimate(
            *fit.total("emigration", start, end),
            self.inputs(fit, start, end, "emigration", claim),
            fit.population.claims,
        )

    def it_abroad_net(self, store: Store, claim: Claim) -> Estimate:
        fit, start, end = self.window(store, claim)
        return Estimate(
            *fit.total("net", start, end),
            self.inputs(fit, start, end, "emigration net of returns", claim),
            fit.population.claims,
        )

    def return_share(self, store: Store, claim: Claim) -> Estimate:
        """The cohort's return share: of those who left in the claim's window, the share back by its end (not
        returns over emigrations, which counts the returns of earlier leavers too)."""
        fit, start, end = self.window(store, claim)
        if fit.total("emigration", start, end)[0] <= 0:
            raise NoEstimate(f"no emigration estimated in {start} to {end}")
        what = "cohort return share (of those who left in the window, the share back by its end)"
        return Estimate(*fit.return_share(start, end), self.inputs(fit, start, end, what, claim))

    def leaver_share(self, store: Store, claim: Claim) -> Estimate:
        fit, start, end = self.window(store, claim)
        est, low, high = fit.total("emigration", start, end)
        n = fit.population.count
        return Estimate(est / n, low / n, high / n, self.inputs(fit, start, end, "emigration / population", claim))
