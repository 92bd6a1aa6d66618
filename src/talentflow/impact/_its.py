"""Interrupted time series with a structural-series counterfactual (Brodersen et al. 2015, without the Bayesian
spike-and-slab: maximum likelihood, Kalman filter).

The series before the event is fitted by a structural time-series model (statsmodels ``UnobservedComponents``):

    y_t = μ_t + γ_t + β' x_t + ε_t,   μ_t a local level (or local linear trend, …), γ_t a seasonal cycle,

where ``x_t`` are regressors that the event does not move: another country's series (``controls``) and, for
weekly board stocks, the position within the month. Forecast after the event, it is the counterfactual; the
effect is ``actual − counterfactual`` per period and cumulated. Intervals come from ``n_boot`` paths simulated
from the fitted model after the last pre-event period (state and observation noise; the parameters are taken as
known, so the bands are somewhat too narrow for a short pre-period). docs/impact.md has the assumptions.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np
import pandas as pd

from talentflow.errors import UsageError
from talentflow.impact._series import month_phase
from talentflow.impact.requests import ItsRequest
from talentflow.impact.results import ImpactResult


def _exog(frame: pd.DataFrame, controls: dict[str, pd.Series], seasonal: bool) -> pd.DataFrame | None:
    columns: dict[str, np.ndarray | pd.Series] = {}
    if seasonal:
        columns["month_phase"] = month_phase(frame["period_end"])
    for name, series in controls.items():
        columns[name] = frame["period"].map(series).to_numpy(float)
    return pd.DataFrame(columns, index=frame.index) if columns else None


def its(
    frame: pd.DataFrame, request: ItsRequest, controls: dict[str, pd.Series] | None = None, column: str = "value"
) -> ImpactResult:
    """The effect of ``request.event`` on the one series in ``frame`` (rows ``period, period_end, value``).
    ``controls`` maps a name to a series indexed by period: regressors the event leaves alone."""
    frame = frame.sort_values("period", ignore_index=True)
    seasonal = request.seasonal == "month-phase" or (request.seasonal == "auto" and request.period == "week")
    exog = _exog(frame, controls or {}, seasonal)
    if exog is not None:
        keep = exog.notna().all(axis=1).to_numpy()
        frame, exog = frame[keep].reset_index(drop=True), exog[keep].reset_index(drop=True)
    event = pd.Timestamp(request.event)
    pre = (frame["period_end"] < event).to_numpy()
    n_pre, n_post = int(pre.sum()), int((~pre).sum())
    if n_pre < 8 or n_post < 1:
        raise UsageError(f"{n_pre} periods before the event and {n_post} after: need 8 and 1", param="event")
    y = frame["value"].to_numpy(float)
    res = _fit(y[pre], exog[pre] if exog is not None else None, request)
    post_exog = exog[~pre] if exog is not None else None
    forecast = res.get_forecast(n_post, exog=post_exog)
    mean = np.asarray(forecast.predicted_mean, float)
    rng = np.random.default_rng(request.seed)
    paths = _paths(res, n_post, request.n_boot, post_exog, rng)
    effects = y[~pre][:, None] - paths
    rows = _rows(frame[~pre], y[~pre], mean, effects, request)
    fit = _fit_table(frame, pre, y, res, mean, paths, request.level)
    total = effects.sum(axis=0)
    return ImpactResult(
        method="its",
        rows=rows,
        level=request.level,
        inputs={
            "series": f"{request.indicator} ({column}) by {request.period}, {request.data} data",
            "model": _describe(request, exog),
            "pre-period": f"{frame['period'].iloc[0].date()} to {frame['period'][pre].iloc[-1].date()} ({n_pre})",
        },
        notes=(
            "counterfactual: the structural model fitted before the event and forecast after it",
            "intervals from paths simulated with the fitted parameters taken as known",
        ),
        interval=f"simulated forecast paths ({request.n_boot})",
        stats={
            "event": request.event,
            "periods_after": float(n_post),
            "mean_effect": float(np.mean(y[~pre] - mean)),
            "cumulative_effect": float(np.sum(y[~pre] - mean)),
            "cumulative_p": float(2 * min(np.mean(total <= 0), np.mean(total >= 0))),
        },
        tables={"fit": fit},
    )


def _fit(y: np.ndarray, exog: pd.DataFrame | None, request: ItsRequest) -> Any:
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    model = UnobservedComponents(
        y,
        level=request.trend,
        seasonal=request.season or None,
        exog=None if exog is None else exog.to_numpy(float),
    )
    with warnings.catch_warnings():
        # Convergence chatter on short series: the fit is still the best the optimiser found, and the notes
        # say the intervals take its parameters as known.
        warnings.simplefilter("ignore")
        return model.fit(disp=False, maxiter=500)


def _paths(res: Any, steps: int, n: int, exog: pd.DataFrame | None, rng: np.random.Generator) -> np.ndarray:
    """``n`` forecast paths from the end of the fitted sample, shape (steps, n)."""
    simulate = res.simulate
    # statsmodels 0.15 renamed random_state to rng (the old name warns, then fails beside the new one).
    seed = {"rng": rng} if "rng" in inspect.signature(simulate).parameters else {"random_state": rng}
    draws = simulate(steps, anchor="end", repetitions=n, exog=exog, **seed)
    return np.asarray(draws, float).reshape(steps, n)


def _describe(request: ItsRequest, exog: pd.DataFrame | None) -> str:
    parts = [f"UnobservedComponents({request.trend}"]
    if request.season:
        parts.append(f", seasonal={request.season}")
    if exog is not None:
        parts.append(f", regressors: {', '.join(exog.columns)}")
    return "".join(parts) + ")"


def _rows(
    post: pd.DataFrame, actual: np.ndarray, mean: np.ndarray, effects: np.ndarray, request: ItsRequest
) -> pd.DataFrame:
    q = ((1 - request.level) / 2, (1 + request.level) / 2)
    cumulative = np.cumsum(effects, axis=0)
    rows = []
    for kind, point, draws in (
        ("effect", actual - mean, effects),
        ("cumulative", np.cumsum(actual - mean), cumulative),
    ):
        low, high = np.quantile(draws, q, axis=1)
        for i, period in enumerate(post["period"]):
            rows.append(
                {
                    "kind": kind,
                    "period": period.date(),
                    "actual": float(actual[i]) if kind == "effect" else float(actual[: i + 1].sum()),
                    "counterfactual": float(mean[i]) if kind == "effect" else float(mean[: i + 1].sum()),
                    "estimate": float(point[i]),
                    "low": float(low[i]),
                    "high": float(high[i]),
                    "level": request.level,
                }
            )
    return pd.DataFrame(rows)


def _fit_table(
    frame: pd.DataFrame, pre: np.ndarray, y: np.ndarray, res: Any, mean: np.ndarray, paths: np.ndarray, level: float
) -> pd.DataFrame:
    """The series, the model's one-step predictions before the event and its forecast after, with the band."""
    q = ((1 - level) / 2, (1 + level) / 2)
    predicted = np.concatenate([np.asarray(res.fittedvalues, dtype=float), mean])
    low = np.concatenate([np.full(int(pre.sum()), np.nan), np.quantile(paths, q[0], axis=1)])
    high = np.concatenate([np.full(int(pre.sum()), np.nan), np.quantile(paths, q[1], axis=1)])
    return pd.DataFrame({"period": frame["period"], "actual": y, "counterfactual": predicted, "low": low, "high": high})
