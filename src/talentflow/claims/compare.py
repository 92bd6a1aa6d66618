"""Each claim beside talentflow's estimate of the same metric, place and period.

``ESTIMATORS`` maps a metric to a function ``(store, claim) -> (estimate, low, high, inputs) | None``; other
modules add their own (the migration estimators register ``it_emigrants`` and the like). A function may raise
:class:`NoEstimate` to say why it has nothing for this claim; returning None gives a generic reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, NamedTuple

import pandas as pd

from talentflow.claims.ledger import Claim, load_claims
from talentflow.errors import TalentflowError, UsageError
from talentflow.indicators.compute import compute_on
from talentflow.indicators.engines import DuckDBEngine
from talentflow.indicators.params import DEFAULT_MIN_CELL, Params, Segment
from talentflow.store import Store


class Estimate(NamedTuple):
    estimate: float
    low: float | None
    high: float | None
    #: What the estimate was computed from, in words.
    inputs: str


class NoEstimate(Exception):
    """Raised by an estimator that cannot estimate a claim; the message is shown as the reason."""


Estimator = Callable[[Store, Claim], Estimate | tuple[float, float | None, float | None, str] | None]

#: metric → estimator. Register more with ``ESTIMATORS["metric"] = fn``.
ESTIMATORS: dict[str, Estimator] = {}

#: Metrics counted on the job board: a board holds a sample of the market, so these levels are divided by the
#: ``coverage`` given to :func:`compare` (1 by default: compared as they are, with a caveat in ``note``).
BOARD_LEVELS = {"it_vacancies", "it_resumes"}

#: Relative half-width given to a claim stated as a single value ("about 114,000" covers 102,600–125,400).
DEFAULT_TOLERANCE = 0.10
#: Nominal coverage of the sampling interval put on board shares.
SHARE_LEVEL = 0.90
_Z = 1.6448536269514722  # standard normal quantile for a two-sided 90% interval

STATUSES = ("within", "outside", "no estimate")
COLUMNS = (
    "claim_id",
    "metric",
    "geography",
    "period_start",
    "period_end",
    "claim",
    "estimate",
    "low",
    "high",
    "status",
    "note",
    "inputs",
)


# -- board indicators at the claim's period end ---------------------------------------------------------
def _indicator_row(store: Store, claim: Claim, name: str, tables: Iterable[str]) -> pd.Series:
    """The indicator ``name`` for IT records in the claim's country, on the claim's last day."""
    day = claim.period_end
    for table in tables:
        lo, hi = store.con.execute(f"SELECT min(observed_at)::DATE, max(observed_at)::DATE FROM {table}").fetchone()  # type: ignore[misc]
        if lo is None:
            raise NoEstimate(f"no {table} records in the store")
        if not lo <= day <= hi:
            raise NoEstimate(f"{day} lies outside the {table} records ({lo} to {hi})")
    params = Params(
        period="day",
        by=(Segment("is_it", ("true",)), Segment("country", (claim.geography,))),
        start=day,
        end=day,
        min_cell=DEFAULT_MIN_CELL,
    )
    frame = compute_on(DuckDBEngine(store), name, params).frame
    if frame.empty:
        raise NoEstimate(f"no IT records in {claim.geography} on {day}")
    row = frame.iloc[-1]
    if row.get("suppressed"):
        raise NoEstimate(f"{name} on {day} is suppressed: fewer than {DEFAULT_MIN_CELL} records")
    return row


def _where(claim: Claim) -> str:
    return f"is_it=true, country={claim.geography}, at the end of {claim.period_end}"


def it_vacancies(store: Store, claim: Claim) -> Estimate:
    row = _indicator_row(store, claim, "vacancies_active", ["vacancy_observation"])
    return Estimate(float(row["vacancies"]), None, None, f"indicator vacancies_active ({_where(claim)})")


def it_resumes(store: Store, claim: Claim) -> Estimate:
    row = _indicator_row(store, claim, "resumes_active", ["resume_observation"])
    return Estimate(float(row["resumes"]), None, None, f"indicator resumes_active ({_where(claim)})")


def tension(store: Store, claim: Claim) -> Estimate:
    row = _indicator_row(store, claim, "tension", ["vacancy_observation", "resume_observation"])
    inputs = f"indicator tension: {row['resumes']:,.0f} resumes / {row['vacancies']:,.0f} vacancies ({_where(claim)})"
    return Estimate(float(row["tension"]), None, None, inputs)


def relocation_abroad_share(store: Store, claim: Claim) -> Estimate:
    row = _indicator_row(store, claim, "relocation_share", ["resume_observation"])
    abroad, resumes = float(row["abroad"]), float(row["resumes"])
    low, high = wilson(abroad, resumes)
    inputs = (
        f"indicator relocation_share, abroad split: {abroad:,.0f} of {resumes:,.0f} resumes stating a relocation "
        f"type ({_where(claim)}); {SHARE_LEVEL:.0%} Wilson interval"
    )
    return Estimate(float(row["abroad_share"]), low, high, inputs)


def wilson(successes: float, n: float, z: float = _Z) -> tuple[float, float]:
    """Wilson score interval of a proportion: stays inside 0–1 and behaves near the edges."""
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


ESTIMATORS.update(
    it_vacancies=it_vacancies,
    it_resumes=it_resumes,
    tension=tension,
    relocation_abroad_share=relocation_abroad_share,
)


# -- the comparison ---------------------------------------------------------------------------------------
def claim_range(claim: Claim, tolerance: float = DEFAULT_TOLERANCE) -> tuple[float, float]:
    """The values a claim allows: its range, a one-sided bound, or its point value ± ``tolerance``."""
    if claim.value_low is not None or claim.value_high is not None:
        low = claim.value_low if claim.value_low is not None else -math.inf
        high = claim.value_high if claim.value_high is not None else math.inf
        return low, high
    assert claim.value is not None
    half = abs(claim.value) * tolerance
    return claim.value - half, claim.value + half


def compare(
    store: Store,
    claims: Iterable[Claim] | None = None,
    *,
    coverage: float = 1.0,
    tolerance: float = DEFAULT_TOLERANCE,
) -> pd.DataFrame:
    """One row per claim (none dropped): the claim, talentflow's estimate and a status.

    ``status`` is ``within`` when the estimate (or its interval) meets the values the claim allows,
    ``outside`` when it does not, and ``no estimate`` when no estimator gave one (``note`` says why).
    ``coverage`` is the share of the market the store's board records hold; board levels are divided by it.
    """
    if not 0 < coverage <= 1:
        raise UsageError(f"coverage must be in (0, 1], not {coverage}")
    if tolerance < 0:
        raise UsageError(f"tolerance must be 0 or more, not {tolerance}")
    import talentflow.migration.claim_estimators  # noqa: F401  (registers the migration metrics; imports this module)

    chosen = load_claims(store) if claims is None else list(claims)
    rows = [_compare_one(store, c, coverage, tolerance) for c in chosen]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in ("estimate", "low", "high"):
        frame[column] = frame[column].astype("float64")
    return frame


def _compare_one(store: Store, claim: Claim, coverage: float, tolerance: float) -> dict[str, Any]:
    row: dict[str, Any] = {
        "claim_id": claim.claim_id,
        "metric": claim.metric,
        "geography": claim.geography,
        "period_start": claim.period_start,
        "period_end": claim.period_end,
        "claim": claim.stated,
        "estimate": None,
        "low": None,
        "high": None,
        "status": "no estimate",
        "note": "",
        "inputs": "",
    }
    estimator = ESTIMATORS.get(claim.metric)
    if estimator is None:
        row["note"] = f"no estimator registered for {claim.metric}"
        return row
    try:
        got = estimator(store, claim)
    except NoEstimate as exc:
        row["note"] = str(exc)
        return row
    except TalentflowError as exc:
        row["note"] = f"the estimator failed: {exc}"
        return row
    if got is None:
        row["note"] = f"the {claim.metric} estimator has no estimate for {claim.geography} {claim.period_end}"
        return row
    estimate, low, high, inputs = got
    notes = []
    if claim.metric in BOARD_LEVELS:
        if coverage == 1:
            notes.append("board level compared as counted: the board holds a sample of the market")
        else:
            estimate, low, high = (None if v is None else v / coverage for v in (estimate, low, high))
            notes.append(f"board level divided by coverage {coverage:g}")
    lo, hi = claim_range(claim, tolerance)
    e_lo = estimate if low is None else low
    e_hi = estimate if high is None else high
    inside = e_hi >= lo and e_lo <= hi
    if claim.value is not None and claim.value_low is None and claim.value_high is None and tolerance:
        notes.append(f"claim taken as {_fmt(lo)}–{_fmt(hi)} (±{tolerance:.0%})")
    row.update(estimate=estimate, low=low, high=high, inputs=inputs, status="within" if inside else "outside")
    row["note"] = "; ".join(notes)
    return row


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def summary(frame: pd.DataFrame) -> dict[str, int]:
    """Claims per status, every status listed."""
    counts = frame["status"].value_counts()
    return {s: int(counts.get(s, 0)) for s in STATUSES}


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: dates as ISO text, missing numbers as None."""
    out = []
    for row in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        out.append({k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()})
    return out
