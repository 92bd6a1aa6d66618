"""Breaks as terms added to one regression: a continuous kink (the slope changes, the level does not jump), a
level shift, or both at once, chosen one at a time by a BIC-type penalty.

A shock that *ramps* (demand falling over two months) is a kink where the ramp begins: a model of separate lines
per segment (`_pelt`) has to place a jump somewhere along the ramp, typically weeks after it began, whereas a
kink term ``(t − τ + 1)₊`` is zero up to ``τ − 1`` and fits the ramp from its first period ``τ`` (the break's
date is the first period off the old line, for a kink as for a shift). The model is

    y_t = X_t·β + Σ_k c_k·z_k(t),   z(t) ∈ {(t − τ + 1)₊ (kink), 1[t ≥ τ] (shift), both},

with ``X`` the base regressors (constant, trend, nuisance terms). Forward selection adds at each step the term
and date ``τ`` whose drop in the residual sum of squares beats its penalty by most, and stops when none does;
the penalty of a term with ``k`` coefficients is ``β·(k + 1)·log n·σ²`` (its coefficients and its date). The
drop of every candidate is computed at once from the candidates' columns residualised on the current design
(Frisch–Waugh–Lovell), so a pass costs a few products of n × n matrices.

For a stock the candidates are the responses of the stock to a kink or step in its inflow (`Candidates.of` with
a survival φ): the same selection then dates the inflow's breaks (docs/impact.md, "Stocks").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Each shape of break and its number of coefficients.
SHAPES = {"kink": 1, "shift": 1, "kink+shift": 2}
_TINY = 1e-12


@dataclass(frozen=True)
class Candidates:
    """Every candidate column over a series of ``n`` periods: ``hinge[:, τ]`` = (t − τ + 1)₊, ``step[:, τ]`` =
    1[t ≥ τ]: both leave period ``τ − 1`` on the old line and move period ``τ``, the first of the new segment.

    For a stock (``survival`` φ given) each column is the response of the stock to that break in its *inflow*,
    ``Σ_{s ≤ t} z(s)·φ^(t − s)`` (a posting opened in period ``s`` is still open at the end of period ``t`` with
    probability ``φ^(t − s)``), and ``scale`` = ``1/(1 − φ)``, the mean lifetime in periods, turns the inflow's
    change into the stock's eventual one."""

    hinge: np.ndarray
    step: np.ndarray
    scale: float = 1.0

    @classmethod
    def of(cls, n: int, survival: float | None = None) -> Candidates:
        t = np.arange(n, dtype=float)
        hinge = np.maximum(t[:, None] - t[None, :] + 1, 0.0)
        step = (t[:, None] >= t[None, :]).astype(float)
        if survival is None:
            return cls(hinge, step)
        lag = t[:, None] - t[None, :]
        response = np.where(lag >= 0, survival ** np.maximum(lag, 0), 0.0)
        return cls(response @ hinge, response @ step, 1 / (1 - survival))

    def columns(self, tau: int, shape: str) -> np.ndarray:
        out = []
        if "shift" in shape:
            out.append(self.step[:, tau])
        if "kink" in shape:
            out.append(self.hinge[:, tau])
        return np.column_stack(out)


def design(X: np.ndarray, terms: list[tuple[int, str]], cand: Candidates) -> np.ndarray:
    return np.column_stack([X, *(cand.columns(tau, shape) for tau, shape in terms)]) if terms else X


def _residualise(B: np.ndarray, M: np.ndarray) -> np.ndarray:
    """``M`` less its projection on the columns of ``B`` (by a thin QR: an SVD-based solve with hundreds of
    right-hand sides costs fifty times more)."""
    Q = np.linalg.qr(B)[0]
    return M - Q @ (Q.T @ M)


def gains(B: np.ndarray, Y: np.ndarray, cand: Candidates, taus: np.ndarray) -> dict[str, np.ndarray]:
    """For each shape, the drop in the residual sum of squares from adding its term at each of ``taus`` to the
    design ``B``: arrays (taus, replicates) for ``Y`` (n, replicates)."""
    H = _residualise(B, cand.hinge[:, taus])
    S = _residualise(B, cand.step[:, taus])
    hy, sy = H.T @ Y, S.T @ Y
    hh, ss, hs = np.sum(H * H, axis=0), np.sum(S * S, axis=0), np.sum(H * S, axis=0)
    out = {
        "kink": hy**2 / np.maximum(hh, _TINY)[:, None],
        "shift": sy**2 / np.maximum(ss, _TINY)[:, None],
    }
    det = np.maximum(hh * ss - hs**2, _TINY)[:, None]
    out["kink+shift"] = (ss[:, None] * hy**2 - 2 * hs[:, None] * hy * sy + hh[:, None] * sy**2) / det
    return out


def allowed(n: int, terms: list[tuple[int, str]], min_size: int, lo: int = 0, hi: int | None = None) -> np.ndarray:
    """The dates a new break may take: ``min_size`` periods from either end and from every break already in."""
    hi = n if hi is None else hi
    taus = np.arange(max(lo, min_size), min(hi, n - min_size + 1))
    for tau, _ in terms:
        taus = taus[np.abs(taus - tau) >= min_size]
    return taus


def select(X: np.ndarray, y: np.ndarray, penalty: float, min_size: int, cand: Candidates) -> list[tuple[int, str]]:
    """Forward selection of breaks (date, shape) under ``penalty`` per coefficient-and-date (module docstring),
    in the order they were added (the sequential test follows it)."""
    n = len(y)
    terms: list[tuple[int, str]] = []
    while True:
        taus = allowed(n, terms, min_size)
        if not len(taus):
            break
        found = gains(design(X, terms, cand), y[:, None], cand, taus)
        best = max(
            (
                (float(g[:, 0].max() - penalty * (SHAPES[s] + 1)), s, int(taus[int(np.argmax(g[:, 0]))]))
                for s, g in found.items()
            ),
        )
        if best[0] <= 0:
            break
        terms.append((best[2], best[1]))
    return terms


def fit(
    X: np.ndarray, y: np.ndarray, terms: list[tuple[int, str]], cand: Candidates
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fitted values, and each break's jump and slope change (0 where its shape has none; for a stock, the
    stock's eventual change: the inflow's times ``cand.scale``)."""
    D = design(X, terms, cand)
    coef = np.linalg.lstsq(D, y, rcond=None)[0]
    jumps, slopes = np.zeros(len(terms)), np.zeros(len(terms))
    k = X.shape[1]
    for i, (_, shape) in enumerate(terms):
        if "shift" in shape:
            jumps[i] = coef[k]
            k += 1
        if "kink" in shape:
            slopes[i] = coef[k]
            k += 1
    return D @ coef, jumps * cand.scale, slopes * cand.scale
