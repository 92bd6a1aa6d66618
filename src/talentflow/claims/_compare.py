"""Each claim beside talentflow's estimate of the same metric, place and period, from one kind of data: real
records (the default) or the simulator's, never the two summed; each row says which (``data``).

The estimators are passed in (``compare(store, estimators=...)``); without them, the default ones from
:mod:`talentflow.claims.estimators` are made afresh for the call, so the answer never depends on what ran
before it in the process.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from talentflow._format import number
from talentflow.claims._margins import claim_range
from talentflow.claims._terms import (
    BOARD_LEVELS,
    CALIBRATION,
    CIRCULAR,
    CONSISTENT,
    CONTRADICTED,
    DEFAULT_TOLERANCE,
    INCONCLUSIVE,
    NO_ESTIMATE,
    STATUSES,
    Estimator,
    NoEstimate,
)
from talentflow.claims.estimators import default_estimators
from talentflow.claims.ledger import Claim, load_claims
from talentflow.errors import TalentflowError, UsageError
from talentflow.indicators.provenance import DEFAULT_DATA, check_data
from talentflow.store import Store

if TYPE_CHECKING:
    from talentflow.migration.panel import PanelFit

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
    "data",
    "note",
    "inputs",
)
#: ``data`` of a row without an estimate.
NO_DATA = "none"


def compare(
    store: Store,
    claims: Iterable[Claim] | None = None,
    *,
    data: str = DEFAULT_DATA,
    estimators: Mapping[str, Estimator] | None = None,
    panel_fit: PanelFit | None = None,
    coverage: float = 1.0,
    tolerance: float = DEFAULT_TOLERANCE,
) -> pd.DataFrame:
    """One row per claim (none dropped; the store's claims when ``claims`` is None): the claim, talentflow's
    estimate and a status.

    ``data`` is the kind of records the estimates come from: ``real`` (observed; the default) or ``simulated``;
    each row's ``data`` says which kind its estimate came from, or ``none`` when there is none.
    ``status`` is the verdict of :func:`verdict` on the estimate's interval and the values the claim allows
    (``consistent``, ``contradicted`` or ``inconclusive``); ``calibration target`` on simulated data whose
    scenario was calibrated to the claim (the estimate is shown, but it is no evidence); ``no estimate`` when no
    estimator gave one (``note`` says why).
    ``estimators`` maps a metric to its estimator; by default :func:`~talentflow.claims.estimators.default_estimators`
    for ``data``, made for this call, whose migration metrics use ``panel_fit`` (of the same kind) when it is for
    the claim's country (a fit already made, e.g. by the report) and otherwise fit the panel once per country for
    this call. Estimators passed in are taken to read ``data``.
    ``coverage`` is the share of the market the store's board records hold; board levels are divided by it.
    """
    if not 0 < coverage <= 1:
        raise UsageError(f"must be in (0, 1], not {coverage}", param="coverage")
    if tolerance < 0:
        raise UsageError(f"must be 0 or more, not {tolerance}", param="tolerance")
    check_data(data)
    if estimators is None:
        estimators = default_estimators(panel_fit=panel_fit, data=data)
    elif panel_fit is not None:
        raise UsageError("panel_fit is for the default estimators; with your own estimators, bind it in them")
    chosen = load_claims(store) if claims is None else list(claims)
    targets = calibration_targets(store) if data == "simulated" else {}
    rows = [_compare_one(store, c, estimators, coverage, tolerance, data) for c in chosen]
    for row in rows:
        scenario = _calibrated_by(row["claim_id"], targets)
        if scenario is not None and row["status"] != NO_ESTIMATE:
            row["status"] = CALIBRATION
            said = f"the simulated market (scenario {scenario}) was calibrated to this claim: no evidence either way"
            row["note"] = "; ".join(x for x in (said, row["note"]) if x)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in ("estimate", "low", "high"):
        frame[column] = frame[column].astype("float64")
    return frame


def _compare_one(
    store: Store, claim: Claim, estimators: Mapping[str, Estimator], coverage: float, tolerance: float, data: str
) -> dict[str, Any]:
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
        "status": NO_ESTIMATE,
        "data": NO_DATA,
        "note": "",
        "inputs": "",
    }
    estimator = estimators.get(claim.metric)
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
    estimate, low, high, inputs = got[:4]
    scaled_by = got[4] if len(got) > 4 else ()
    notes = []
    if claim.metric in BOARD_LEVELS:
        if coverage == 1:
            notes.append("board level compared as counted: the board holds a sample of the market")
        else:
            estimate = estimate / coverage
            low, high = (None if v is None else v / coverage for v in (low, high))
            notes.append(f"board level divided by coverage {coverage:g}")
    lo, hi = claim_range(claim, tolerance)
    status = verdict(lo, hi, estimate, low, high)
    if _calibrated_by(claim.claim_id, dict.fromkeys(scaled_by, "")) is not None:
        status = INCONCLUSIVE
        notes.append(f"{CIRCULAR} (the population figure the flows are scaled to; give another to judge it)")
    if claim.value is not None and claim.value_low is None and claim.value_high is None and tolerance:
        notes.append(f"claim taken as {number(lo)}–{number(hi)} (±{tolerance:.0%})")
    if low is None or high is None:
        notes.append("the estimate has no interval: judged as a point")
    row.update(estimate=estimate, low=low, high=high, inputs=inputs, status=status, data=data)
    row["note"] = "; ".join(notes)
    return row


def verdict(lo: float, hi: float, estimate: float, low: float | None, high: float | None) -> str:
    """The claim's verdict: ``consistent`` when the estimate's interval lies inside the values the claim allows
    (``lo``–``hi``: its range, its bound, or its figure ± the tolerance), ``contradicted`` when it lies wholly
    outside them, ``inconclusive`` when it crosses a bound.

    With a 90% interval this is the two one-sided tests of equivalence (Schuirmann 1987) against the claim's
    margins, each at 5%: a claim is called consistent only when the data rule out values beyond its margins, so
    a wide interval makes a verdict inconclusive, never consistent. An estimate without an interval is judged as
    a point.
    """
    e_lo = estimate if low is None else min(low, estimate)
    e_hi = estimate if high is None else max(high, estimate)
    if lo <= e_lo and e_hi <= hi:
        return CONSISTENT
    if e_hi < lo or e_lo > hi:
        return CONTRADICTED
    return INCONCLUSIVE


def calibration_targets(store: Store) -> dict[str, str]:
    """Claim ids (or their prefixes before ``-``) the scenarios of the store's simulated records were calibrated
    to, each with its scenario's name (the ``calibrated_to`` of the built-in scenarios; a scenario not built in
    declares none the store can read)."""
    from talentflow.indicators.provenance import runs
    from talentflow.simulate import builtin_names, load_scenario

    targets: dict[str, str] = {}
    builtin = set(builtin_names())
    for name, _, _ in runs(store):
        if name in builtin:
            for claim_id in load_scenario(name).calibrated_to:
                targets.setdefault(claim_id, name)
    return targets


def _calibrated_by(claim_id: str, targets: Mapping[str, str]) -> str | None:
    """The entry of ``targets`` for the claim or its prefix before ``-`` (``A5`` for ``A5-abroad``)."""
    for key in (claim_id, claim_id.split("-", 1)[0]):
        if key in targets:
            return targets[key]
    return None


def summary(frame: pd.DataFrame) -> dict[str, int]:
    """Claims per status, every status listed."""
    counts = frame["status"].value_counts()
    return {s: int(counts.get(s, 0)) for s in STATUSES}


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: dates as ISO text, missing numbers as None."""
    out = []
    for row in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        out.append({str(k): (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()})
    return out
