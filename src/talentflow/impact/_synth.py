"""Synthetic control across economies (Abadie, Diamond and Hainmueller 2010, 2015), with placebo tests and a
conformal interval on the gap (Chernozhukov, Wüthrich and Zhu 2021).

The treated economy's quarterly series ``Y1`` (after `transform`: an index = 100 in the last quarter before the
event, by default) is matched before the event by a convex mix of donor economies ``Y0``:

    w = argmin ‖Y1_pre − Y0_pre w‖²  subject to  w ≥ 0, Σ w = 1,

solved as non-negative least squares with the sum constraint as a heavily weighted extra row. The gap
``Y1 − Y0 w`` after the event is the effect. Inference:

- **In space**: every donor in turn is treated as if it were the shocked economy (the others its donors); the
  p-value is the rank of the treated economy's post/pre RMSPE ratio among all of them, ``(1 + #{r_j ≥ r_1}) /
  (1 + J)``.
- **In time**: the event is moved ``placebo_shift`` quarters back, inside the pre-period; its gap should be small.
- **Intervals** on each quarter's gap and on the mean gap invert the in-space placebo test (Firpo and Possebom
  2018): θ is kept when ``gap − θ`` lies within the central ``level`` range of the donors' placebo gaps.
- **Conformal test** (CWZ 2021): for a constant effect θ the treated series less θ after the event is fitted
  over all quarters, and the mean absolute post-event residual is compared with its values under every cyclic
  shift of the residuals in time (moving-block permutations). The p-value of θ = 0 and the set of constant
  effects kept are in the statistics; the set is empty when no constant effect fits (a gap that grows). A
  per-quarter version permutes only ``T0 + 1`` quarters and cannot reject at 10% with the 8 quarters that the
  Innovation Graph has before 2022, which is why the rows use the placebo inversion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from talentflow.errors import UsageError
from talentflow.impact.requests import NOT_DONORS, SynthRequest
from talentflow.impact.results import ImpactResult
from talentflow.migration.requests import parse_quarter, quarter_label

_SUM_WEIGHT = 1e3  # the extra row's weight: Σ w = 1 to about 1e-6 for series of order 100
_GRID = 401


def weights(y1: np.ndarray, y0: np.ndarray) -> np.ndarray:
    """Non-negative donor weights summing to one that best match ``y1`` (T,) by ``y0`` (T, J)."""
    scale = max(1.0, float(np.abs(y0).max()))
    a = np.vstack([y0 / scale, np.full((1, y0.shape[1]), _SUM_WEIGHT)])
    b = np.concatenate([y1 / scale, [_SUM_WEIGHT]])
    w, _ = nnls(a, b, maxiter=50 * y0.shape[1])
    return np.asarray(w / w.sum())


def _rmspe(gap: np.ndarray) -> float:
    return float(np.sqrt(np.mean(gap * gap)))


def panel(frame: pd.DataFrame, request: SynthRequest) -> tuple[pd.DataFrame, dict[str, float]]:
    """Units × quarters of the transformed series, complete over the request's window, and each unit's value in
    the last quarter before the event (to turn an index back into the metric's units)."""
    first, event, last = (parse_quarter(getattr(request, k)) for k in ("start", "event", "end"))
    q = pd.to_datetime(frame["period"])
    frame = frame.assign(q=q.dt.year * 4 + (q.dt.month - 1) // 3)
    wide = frame.pivot_table(index="key", columns="q", values="value", aggfunc="mean")
    wide = wide.reindex(columns=range(first, last + 1)).dropna()
    wide = wide[(wide > 0).all(axis=1)] if request.transform != "level" else wide
    if request.unit not in wide.index:
        raise UsageError(
            f"no complete {request.metric} series for {request.unit} over {request.start}-{request.end}", param="unit"
        )
    base = wide[event - 1]
    if request.transform == "index":
        wide = wide.div(base, axis=0) * 100
    elif request.transform == "log":
        wide = pd.DataFrame(np.log(wide.to_numpy(float)), index=wide.index, columns=wide.columns)
    wide.columns = pd.Index([quarter_label(int(c)) for c in wide.columns])
    return wide, {str(k): float(v) for k, v in base.items()}


def donor_pool(wide: pd.DataFrame, base: dict[str, float], request: SynthRequest) -> list[str]:
    """The donors asked for, or the `n_donors` eligible economies nearest the unit before the event (RMS
    distance of the transformed series): a pool of similar units (Abadie et al. 2015), and one small enough that
    the weights cannot fit the pre-period exactly, which would leave the placebo ratios without meaning."""
    if request.donors:
        missing = [d for d in request.donors if d not in wide.index]
        if missing:
            raise UsageError(f"no complete series for {', '.join(missing)}", param="donors")
        return list(request.donors)
    n_pre = list(wide.columns).index(request.event)
    size = base[request.unit] * request.min_share
    eligible = [c for c in wide.index if c not in NOT_DONORS and c != request.unit and base[c] >= size]
    pre = wide.iloc[:, :n_pre]
    distance = ((pre.loc[eligible] - pre.loc[request.unit]) ** 2).mean(axis=1)
    return list(distance.sort_values(kind="stable").index[: request.n_donors])


def _gaps(y1: np.ndarray, y0: np.ndarray, n_pre: int) -> tuple[np.ndarray, np.ndarray]:
    w = weights(y1[:n_pre], y0[:n_pre])
    return w, y1 - y0 @ w


def _ratio(gap: np.ndarray, n_pre: int) -> float:
    return _rmspe(gap[n_pre:]) / max(_rmspe(gap[:n_pre]), 1e-12)


def placebos_in_space(wide: pd.DataFrame, unit: str, donors: list[str], n_pre: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The unit and each donor treated in turn (the other donors its pool): their fit statistics, and the
    donors' gap series (donors × quarters)."""
    rows, gaps = [], []
    for j in [unit, *donors]:
        others = [d for d in donors if d != j]
        _, gap = _gaps(wide.loc[j].to_numpy(float), wide.loc[others].to_numpy(float).T, n_pre)
        rows.append(
            {
                "unit": j,
                "treated": j == unit,
                "pre_rmspe": _rmspe(gap[:n_pre]),
                "post_rmspe": _rmspe(gap[n_pre:]),
                "ratio": _ratio(gap, n_pre),
                "post_mean_gap": float(gap[n_pre:].mean()),
            }
        )
        gaps.append(gap)
    return pd.DataFrame(rows), np.array(gaps[1:])


def placebo_band(gap: np.ndarray, placebo: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Intervals by inverting the in-space placebo test (Firpo and Possebom 2018): the effects θ for which
    ``gap − θ`` lies within the placebos' central ``level`` range, per column."""
    q = ((1 - level) / 2, (1 + level) / 2)
    lo, hi = np.quantile(placebo, q, axis=0)
    return gap - hi, gap - lo


def _statistic(u: np.ndarray, n_post: int) -> np.ndarray:
    """Mean absolute residual of the last ``n_post`` positions under every cyclic shift of ``u`` (T,)."""
    shifted = np.stack([np.roll(u, k) for k in range(len(u))])
    return np.abs(shifted[:, -n_post:]).mean(axis=1)


def conformal_p(y1: np.ndarray, y0: np.ndarray, n_pre: int, theta: float) -> float:
    """p-value of "the effect is θ in every post-event period" (CWZ 2021, moving-block permutations)."""
    null = y1.copy()
    null[n_pre:] -= theta
    w = weights(null, y0)
    stats = _statistic(null - y0 @ w, len(y1) - n_pre)
    return float(np.mean(stats >= stats[0]))


def conformal_set(
    y1: np.ndarray, y0: np.ndarray, n_pre: int, center: float, spread: float, level: float
) -> tuple[float, float]:
    """The constant effects θ kept at ``level`` on a grid around ``center`` (NaN, NaN when none is: the effect
    is not constant; NaN for a bound the grid's edge reaches)."""
    grid = np.linspace(center - spread, center + spread, _GRID)
    kept = np.array([conformal_p(y1, y0, n_pre, t) > 1 - level for t in grid])
    if not kept.any():
        return np.nan, np.nan
    lo, hi = grid[kept].min(), grid[kept].max()
    return (np.nan if kept[0] else float(lo)), (np.nan if kept[-1] else float(hi))


def synth(frame: pd.DataFrame, request: SynthRequest) -> ImpactResult:
    """The synthetic control of ``request.unit`` from ``frame`` (rows ``key`` = economy, ``period``, ``value``)."""
    wide, base = panel(frame, request)
    donors = donor_pool(wide, base, request)
    if len(donors) < 2:
        raise UsageError(f"{len(donors)} donors with a complete series: need 2 or more", param="donors")
    quarters = list(wide.columns)
    n_pre = quarters.index(request.event)
    y1, y0 = wide.loc[request.unit].to_numpy(float), wide.loc[donors].to_numpy(float).T
    w, gap = _gaps(y1, y0, n_pre)
    space, placebo_gaps = placebos_in_space(wide, request.unit, donors, n_pre)
    post = placebo_gaps[:, n_pre:]
    mean_gap = float(gap[n_pre:].mean())
    band = placebo_band(np.append(gap[n_pre:], mean_gap), np.column_stack([post, post.mean(axis=1)]), request.level)
    stats = _stats(y1, y0, gap, n_pre, space, request, quarters)
    return ImpactResult(
        method="synth",
        rows=_rows(request, quarters[n_pre:], y1[n_pre:], gap[n_pre:], band, base),
        level=request.level,
        inputs={
            "series": f"{request.metric} by quarter, {request.transform}, {request.start}-{request.end}",
            "donors": f"{len(donors)} economies" + (" (given)" if request.donors else " nearest before the event"),
        },
        notes=(
            f"in-space placebo p-value {stats['p_value']:.3f} over {len(donors)} donors (rank of the post/pre "
            "RMSPE ratio)",
            "the gap is in the transformed series' units; in_units turns an index back into the metric's units",
        ),
        interval="in-space placebo inversion (Firpo and Possebom 2018)",
        stats=stats,
        tables={
            "fit": pd.DataFrame({"period": quarters, "actual": y1, "synthetic": y1 - gap, "gap": gap}),
            "weights": pd.DataFrame({"donor": donors, "weight": w})
            .query("weight > 1e-4")
            .sort_values("weight", ascending=False, ignore_index=True),
            "placebos": space,
            # Each donor's gap when treated as if shocked (the others its pool): the in-space placebos' paths.
            "placebo_gaps": pd.DataFrame(
                {
                    "unit": np.repeat(donors, len(quarters)),
                    "period": quarters * len(donors),
                    "gap": placebo_gaps.reshape(-1),
                }
            ),
        },
    )


def _stats(
    y1: np.ndarray,
    y0: np.ndarray,
    gap: np.ndarray,
    n_pre: int,
    space: pd.DataFrame,
    request: SynthRequest,
    quarters: list[str],
) -> dict[str, float | str | None]:
    ratios = space["ratio"].to_numpy()
    shifted = n_pre - request.placebo_shift
    _, gap_time = _gaps(y1[:n_pre], y0[:n_pre], shifted)
    pre_rmspe = _rmspe(gap[:n_pre])
    mean_gap = float(gap[n_pre:].mean())
    spread = 4 * max(float(np.abs(gap[n_pre:]).max()), 3 * pre_rmspe, 1e-9)
    lo, hi = conformal_set(y1, y0, n_pre, mean_gap, spread, request.level)
    return {
        "pre_rmspe": pre_rmspe,
        "post_rmspe": _rmspe(gap[n_pre:]),
        "ratio": _ratio(gap, n_pre),
        "p_value": float(np.mean(ratios >= ratios[0])),
        "placebos": float(len(ratios) - 1),
        "in_time_event": quarters[shifted],
        "in_time_mean_gap": float(gap_time[shifted:].mean()),
        "in_time_ratio": _ratio(gap_time, shifted),
        "mean_gap": mean_gap,
        "conformal_p_no_effect": conformal_p(y1, y0, n_pre, 0.0),
        "conformal_constant_low": lo,
        "conformal_constant_high": hi,
    }


def _rows(
    request: SynthRequest,
    quarters: list[str],
    actual: np.ndarray,
    gap: np.ndarray,
    band: tuple[np.ndarray, np.ndarray],
    base: dict[str, float],
) -> pd.DataFrame:
    per_unit = base[request.unit] / 100 if request.transform == "index" else np.nan
    periods = [*quarters, f"{quarters[0]}-{quarters[-1]}"]
    kinds = ["gap"] * len(quarters) + ["mean gap"]
    actuals = np.append(actual, actual.mean())
    gaps = np.append(gap, gap.mean())
    return pd.DataFrame(
        {
            "unit": request.unit,
            "period": periods,
            "kind": kinds,
            "actual": actuals,
            "synthetic": actuals - gaps,
            "in_units": gaps * per_unit,
            "estimate": gaps,
            "low": band[0],
            "high": band[1],
            "level": request.level,
        }
    )
