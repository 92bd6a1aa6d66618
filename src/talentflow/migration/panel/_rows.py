"""Result rows from the fitted flows: percentile intervals, flows by month and emigrants by destination.

Every row has a ``group``: the destination's region (``talentflow.reference.groups``: europe, caucasus,
central_asia, middle_east, americas, asia, other) on the rows by destination country, None on the rows of all
destinations together (``abroad``) and for a destination with no country (``ZZ``).
"""

from __future__ import annotations

import numpy as np

from talentflow.migration.panel._data import Panel
from talentflow.reference.groups import region_of


def _interval(est: np.ndarray, boot: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The bootstrap's percentile spread around its median, placed around the estimate.

    Replicate fits take a few EM steps from the full-sample fit, and a ratio of weighted sums under Poisson
    weights sits slightly below the full-sample ratio; centring on the estimate keeps that drift out of the
    interval while keeping its width and skew."""
    if not len(boot):
        return np.full(np.shape(est), np.nan), np.full(np.shape(est), np.nan)
    a = (1 - level) / 2
    mid = np.median(boot, axis=0)
    return est + np.quantile(boot, a, axis=0) - mid, est + np.quantile(boot, 1 - a, axis=0) - mid


def _flows(point: np.ndarray, boot: np.ndarray, i0: int, i1: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Point and replicates of each flow into months ``i0``..``i1`` (``point[j - 1]`` are the moves into month j)."""
    sel = slice(i0 - 1, i1)
    return {
        "emigration": (point[sel, 0], boot[:, sel, 0]),
        "return": (point[sel, 1], boot[:, sel, 1]),
        "net": (point[sel, 0] - point[sel, 1], boot[:, sel, 0] - boot[:, sel, 1]),
    }


def _rows(panel: Panel, point: np.ndarray, boot: np.ndarray, i0: int, i1: int, level: float) -> list[dict]:
    rows = []
    for flow, (est, b) in _flows(point, boot, i0, i1).items():
        rows += _series_rows(panel, flow, est, b, i0, i1, level)
    return rows


def _series_rows(
    panel: Panel, flow: str, est: np.ndarray, boot: np.ndarray, i0: int, i1: int, level: float
) -> list[dict]:
    """One flow's rows: each month from ``i0`` to ``i1``, then the window's total, each with its interval."""
    low, high = _interval(est, boot, level)
    rows = [
        _row(flow, panel.origin, "abroad", month, est[k], low[k], high[k], level)
        for k, month in enumerate(panel.months[i0 : i1 + 1])
    ]
    tl, th = _interval(est.sum(keepdims=True), boot.sum(axis=1)[:, None], level)
    rows.append(
        _row(flow, panel.origin, "abroad", f"{panel.months[i0]}/{panel.months[i1]}", est.sum(), tl[0], th[0], level)
    )
    return rows


def _row(flow: str, origin: str, dest: str, period: str, est: float, low: float, high: float, level: float) -> dict:
    return {
        "flow": flow,
        "origin": origin,
        "destination": dest,
        "group": None if dest == "abroad" else region_of(dest),
        "period": period,
        "estimate": float(est),
        "low": float(low),
        "high": float(high),
        "level": level,
    }


def _destination_rows(
    panel: Panel, point: np.ndarray, boot: np.ndarray, i0: int, i1: int, level: float, rng: np.random.Generator
) -> list[dict]:
    """Emigrants in the window by destination: the total shared out as the first foreign country seen after a
    home sighting (the destination is only visible for moves the board caught)."""
    d = panel.destinations.sort_values(["person", "month"])
    prev_home = (d["person"].shift() == d["person"]) & (d["country"].shift() == panel.origin)
    caught = d[prev_home & (d["country"] != panel.origin) & d["month"].between(i0, i1)]
    if caught.empty:
        return []
    counts = caught["country"].value_counts()
    shares = counts.to_numpy() / counts.sum()
    total = point[i0 - 1 : i1, 0].sum()
    totals_b = boot[:, i0 - 1 : i1, 0].sum(axis=1)
    share_b = rng.dirichlet(counts.to_numpy() + 0.5, len(totals_b))
    window = f"{panel.months[i0]}/{panel.months[i1]}"
    low, high = _interval(total * shares, share_b * totals_b[:, None], level)
    return [
        _row("emigration", panel.origin, str(c), window, total * shares[k], low[k], high[k], level)
        for k, c in enumerate(counts.index)
    ]


#: Emigrants counted by the time they stay abroad (the UN's long-term migrant stays 12 months or more).
STAYS = {"emigration_3m": 3, "emigration_12m": 12}


def _still_abroad(away: np.ndarray, months: int) -> np.ndarray:
    """Emigrants still abroad ``months`` after leaving (..., M-1, H + 1) -> (..., M-1). A move is seen at the
    first month's end, on average half a month after it, so h month-ends later it is h + 1/2 months old: the
    value at ``months`` is the mean of h = months - 1 and h = months. (Trips back within the month of leaving
    are not in ``away``: they are none of these.)"""
    return (away[..., months - 1] + away[..., months]) / 2


def _stay_rows(panel: Panel, away: np.ndarray, away_boot: np.ndarray, i0: int, i1: int, level: float) -> list[dict]:
    """Emigrants by month who stayed abroad at least 3 and at least 12 months, and the window's totals."""
    if not away.size:
        return []
    rows = []
    for flow, months in STAYS.items():
        est = _still_abroad(away, months)[i0 - 1 : i1]
        boot = _still_abroad(away_boot, months)[:, i0 - 1 : i1]
        rows += _series_rows(panel, flow, est, boot, i0, i1, level)
    return rows
