"""Piecewise linear regression: least-squares segment costs from prefix sums, PELT (Killick, Fearnhead and
Eckley 2012) for the segmentation that minimises the total cost plus a penalty per break, and the fits.

Every segment has its own coefficients on the same regressors ``X`` (a constant, the period index, and any
nuisance term): its cost is the residual sum of squares of its own least-squares fit, which is what a Gaussian
likelihood with a common variance gives up to constants. With prefix sums of ``X'X``, ``X'y`` and ``y'y`` a
segment's cost is one small solve, so a whole PELT pass is a few milliseconds for a few hundred periods.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

_RIDGE = 1e-9  # keeps a segment whose nuisance term is constant solvable; far below any real signal's scale


@dataclass(frozen=True)
class Sums:
    """Prefix sums of one series: row ``t`` sums periods ``0 … t-1``. ``xy`` and ``yy`` may carry a leading
    axis of replicates (the same ``X``, many ``y``)."""

    xx: np.ndarray  # (n+1, p, p)
    xy: np.ndarray  # (..., n+1, p)
    yy: np.ndarray  # (..., n+1)

    @classmethod
    def of(cls, X: np.ndarray, y: np.ndarray) -> Sums:
        zero_xx = np.zeros((1, X.shape[1], X.shape[1]))
        xx = np.concatenate([zero_xx, np.cumsum(X[:, :, None] * X[:, None, :], axis=0)])
        xy = np.cumsum(y[..., :, None] * X, axis=-2)
        xy = np.concatenate([np.zeros((*xy.shape[:-2], 1, X.shape[1])), xy], axis=-2)
        yy = np.concatenate([np.zeros((*y.shape[:-1], 1)), np.cumsum(y * y, axis=-1)], axis=-1)
        return cls(xx, xy, yy)

    @property
    def n(self) -> int:
        return self.xx.shape[0] - 1

    def cost(self, starts: np.ndarray, end: int) -> np.ndarray:
        """Residual sum of squares of the segments ``[s, end)`` for each ``s`` in ``starts`` (one series)."""
        a = self.xx[end] - self.xx[starts]
        b = self.xy[end] - self.xy[starts]
        beta = np.linalg.solve(a + _RIDGE * np.eye(a.shape[-1]), b[..., None])[..., 0]
        return np.asarray(self.yy[end] - self.yy[starts] - np.sum(b * beta, axis=-1))

    def split_gain(self, lo: int, hi: int, min_size: int) -> tuple[np.ndarray, np.ndarray]:
        """For every split ``τ`` of ``[lo, hi)`` leaving ``min_size`` periods each side, the cost of one
        segment less the cost of two: ``(taus, gains)``, gains with the replicates' leading axis if any."""
        taus = np.arange(lo + min_size, hi - min_size + 1)
        whole = self._cost_many(np.array([lo]), np.array([hi]))[..., 0]
        left = self._cost_many(np.full(len(taus), lo), taus)
        right = self._cost_many(taus, np.full(len(taus), hi))
        return taus, whole[..., None] - left - right

    def _cost_many(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        a = self.xx[ends] - self.xx[starts]
        inv = np.linalg.inv(a + _RIDGE * np.eye(a.shape[-1]))
        b = self.xy[..., ends, :] - self.xy[..., starts, :]
        quad = np.einsum("...kp,kpq,...kq->...k", b, inv, b)
        return np.asarray(self.yy[..., ends] - self.yy[..., starts] - quad)


def pelt(sums: Sums, penalty: float, min_size: int) -> list[int]:
    """The breaks (index of each new segment's first period) minimising Σ cost + ``penalty`` × breaks, by
    PELT: optimal partitioning with the candidates pruned that can no longer be a last break (K = 0, which
    holds for a residual sum of squares: splitting a segment never raises its cost)."""
    n = sums.n
    best = np.full(n + 1, np.inf)
    best[0] = -penalty
    previous = np.zeros(n + 1, dtype=np.int64)
    candidates = np.array([0], dtype=np.int64)
    for t in range(min_size, n + 1):
        ready = candidates[t - candidates >= min_size]
        if len(ready):
            total = best[ready] + sums.cost(ready, t) + penalty
            k = int(np.argmin(total))
            best[t], previous[t] = total[k], ready[k]
            keep = total - penalty <= best[t]
            waiting = candidates[t - candidates < min_size]
            candidates = np.concatenate([ready[keep], waiting])
        if t <= n - min_size and np.isfinite(best[t]):
            candidates = np.append(candidates, t)
    breaks = []
    t = n
    while t > 0:
        t = int(previous[t])
        if t > 0:
            breaks.append(t)
    return sorted(breaks)


def fit(X: np.ndarray, y: np.ndarray, breaks: list[int]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Fitted values and each segment's coefficients."""
    bounds = [0, *breaks, len(y)]
    fitted = np.empty_like(y, dtype=float)
    coefs = []
    for lo, hi in itertools.pairwise(bounds):
        beta = np.linalg.lstsq(X[lo:hi], y[lo:hi], rcond=None)[0]
        fitted[lo:hi] = X[lo:hi] @ beta
        coefs.append(beta)
    return fitted, coefs


def changes(coefs: list[np.ndarray], breaks: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """At each break: the jump of the trend line (new segment's line less the old one's, at the break) and the
    change of slope per period. Coefficients are (constant, period index, nuisance…)."""
    level = np.array(
        [(coefs[i + 1][0] - coefs[i][0]) + (coefs[i + 1][1] - coefs[i][1]) * b for i, b in enumerate(breaks)]
    )
    slope = np.array([coefs[i + 1][1] - coefs[i][1] for i in range(len(breaks))])
    return level, slope


def block_resample(residuals: np.ndarray, size: int, rng: np.random.Generator, block: int) -> np.ndarray:
    """``size`` series of the residuals' length by the moving-block bootstrap (Künsch 1989): blocks of
    ``block`` consecutive residuals, starts drawn uniformly, joined and cut to length."""
    n = len(residuals)
    block = max(1, min(block, n))
    per = -(-n // block)
    starts = rng.integers(0, n - block + 1, size=(size, per))
    index = (starts[:, :, None] + np.arange(block)).reshape(size, -1)[:, :n]
    return residuals[index]
