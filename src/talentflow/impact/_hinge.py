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
a survival φ): the same selection then dates the inflow's breaks (docs/impact.md, "Stocks"). A stock's breaks
may also be ``pulse+shift``: entries removed (or added) at once with a step of the inflow of the same sign, as
when a hiring freeze withdraws open postings (docs/impact.md, "Withdrawals").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

#: Each shape of break and its number of coefficients.
SHAPES = {"kink": 1, "shift": 1, "kink+shift": 2}
#: The shape a stock's breaks may also take: entries removed (or added) at once with a lasting step of the inflow
#: of the same sign (a hiring freeze: open postings withdrawn and fewer new ones). No pulse alone: it fits spikes.
PULSES = {"pulse+shift": 2}
_TINY = 1e-12


def terms_of(shape: str) -> list[str]:
    """The terms of a shape, in the design's column order (the shift first)."""
    return sorted(shape.split("+"), key=lambda term: term != "shift")


@dataclass(frozen=True)
class Candidates:
    """Every candidate column over a series of ``n`` periods: ``hinge[:, τ]`` = (t − τ + 1)₊, ``step[:, τ]`` =
    1[t ≥ τ]: both leave period ``τ − 1`` on the old line and move period ``τ``, the first of the new segment.

    For a stock (``survival`` φ given) each column is the response of the stock to that break in its *inflow*,
    ``Σ_{s ≤ t} z(s)·φ^(t − s)`` (a posting opened in period ``s`` is still open at the end of period ``t`` with
    probability ``φ^(t − s)``), and ``scale`` = ``1/(1 − φ)``, the mean lifetime in periods, turns the inflow's
    change into the stock's eventual one; ``pulse[:, τ]`` is the response to one entry added at ``τ``."""

    hinge: np.ndarray
    step: np.ndarray
    scale: float = 1.0
    pulse: np.ndarray | None = None

    @cached_property
    def shapes(self) -> dict[str, int]:
        """Each shape of break these candidates offer and its number of coefficients (a stock's also pulses)."""
        return SHAPES if self.pulse is None else SHAPES | PULSES

    def term(self, name: str) -> np.ndarray:
        """The candidate columns of one term (``kink``, ``shift`` or ``pulse``), one per date."""
        out = {"kink": self.hinge, "shift": self.step, "pulse": self.pulse}[name]
        if out is None:
            raise ValueError(f"no {name} candidates for a series that is not a stock")
        return out

    @classmethod
    def of(cls, n: int, survival: float | None = None) -> Candidates:
        t = np.arange(n, dtype=float)
        hinge = np.maximum(t[:, None] - t[None, :] + 1, 0.0)
        step = (t[:, None] >= t[None, :]).astype(float)
        if survival is None:
            return cls(hinge, step)
        lag = t[:, None] - t[None, :]
        response = np.where(lag >= 0, survival ** np.maximum(lag, 0), 0.0)
        # A pulse of one entry, half in period τ and half in the next: a period's value is the mean of its days,
        # and entries taken down from a day within period τ (over about a period, as a freeze's withdrawals
        # were) lower that period by about half of them and the next by all.
        pulse = 0.5 * (np.eye(n) + np.eye(n, k=-1))
        return cls(response @ hinge, response @ step, 1 / (1 - survival), response @ pulse)

    def columns(self, tau: int, shape: str) -> np.ndarray:
        return np.column_stack([self.term(name)[:, tau] for name in terms_of(shape)])


def design(X: np.ndarray, terms: list[tuple[int, str]], cand: Candidates) -> np.ndarray:
    return np.column_stack([X, *(cand.columns(tau, shape) for tau, shape in terms)]) if terms else X


def gains(B: np.ndarray, Y: np.ndarray, cand: Candidates, taus: np.ndarray) -> dict[str, np.ndarray]:
    """For each shape, the drop in the residual sum of squares from adding its term at each of ``taus`` to the
    design ``B``: arrays (taus, replicates) for ``Y`` (n, replicates)."""
    # Residualised on B by a thin QR (an SVD-based solve with hundreds of right-hand sides costs fifty times more).
    Q = np.linalg.qr(B)[0]
    names = sorted({name for shape in cand.shapes for name in terms_of(shape)})
    R = {name: cand.term(name)[:, taus] - Q @ (Q.T @ cand.term(name)[:, taus]) for name in names}
    ry = {name: R[name].T @ Y for name in names}
    rr = {name: np.sum(R[name] * R[name], axis=0) for name in names}
    out = {}
    for shape in cand.shapes:
        match terms_of(shape):
            case [a]:
                out[shape] = ry[a] ** 2 / np.maximum(rr[a], _TINY)[:, None]
            case [a, b]:
                ab = np.sum(R[a] * R[b], axis=0)[:, None]
                det = np.maximum(rr[a] * rr[b] - ab[:, 0] ** 2, _TINY)[:, None]
                out[shape] = _pair_gain(rr[a][:, None], rr[b][:, None], ab, ry[a], ry[b], det)
                if shape in PULSES:
                    # A withdrawal with a lasting fall of the inflow (or additions with a rise): a pulse against
                    # the step's sign is noise fitted around a step, so that pair gains nothing.
                    ca = rr[b][:, None] * ry[a] - ab * ry[b]
                    cb = rr[a][:, None] * ry[b] - ab * ry[a]
                    out[shape] = np.where(ca * cb > 0, out[shape], 0.0)
    return out


def _pair_gain(
    aa: np.ndarray, bb: np.ndarray, ab: np.ndarray, ay: np.ndarray, by: np.ndarray, det: np.ndarray
) -> np.ndarray:
    """The drop in the residual sum of squares from two residualised columns a and b together, from their inner
    products (aa = a·a, ab = a·b, ay = a·y…) and ``det`` = aa·bb − ab² (broadcast)."""
    return (bb * ay**2 - 2 * ab * ay * by + aa * by**2) / det


def allowed(n: int, terms: list[tuple[int, str]], min_size: int, lo: int = 0, hi: int | None = None) -> np.ndarray:
    """The dates a new break may take: ``min_size`` periods from either end and from every break already in."""
    hi = n if hi is None else hi
    taus = np.arange(max(lo, min_size), min(hi, n - min_size + 1))
    for tau, _ in terms:
        taus = taus[np.abs(taus - tau) >= min_size]
    return taus


def select(X: np.ndarray, y: np.ndarray, penalty: float, min_size: int, cand: Candidates) -> list[tuple[int, str]]:
    """Breaks (date, shape) under ``penalty`` per coefficient-and-date (module docstring), in the order they were
    added (the sequential test follows it): forward selection, then a ``kink+shift`` split into a kink and a
    shift (or two of either) at two dates where that lowers the criterion (`_split`), then forward selection
    again, until neither changes the breaks."""
    terms: list[tuple[int, str]] = []
    while True:
        terms = _forward(X, y, penalty, min_size, cand, terms)
        split = _split(X, y, penalty, min_size, cand, terms)
        if split is None:
            return terms
        terms = split


def _forward(
    X: np.ndarray, y: np.ndarray, penalty: float, min_size: int, cand: Candidates, terms: list[tuple[int, str]]
) -> list[tuple[int, str]]:
    n = len(y)
    terms = list(terms)
    while True:
        taus = allowed(n, terms, min_size)
        if not len(taus):
            return terms
        found = gains(design(X, terms, cand), y[:, None], cand, taus)
        best = max(
            (
                (float(g[:, 0].max() - penalty * (cand.shapes[s] + 1)), s, int(taus[int(np.argmax(g[:, 0]))]))
                for s, g in found.items()
            ),
        )
        if best[0] <= 0:
            return terms
        terms.append((best[2], best[1]))


def _split(
    X: np.ndarray, y: np.ndarray, penalty: float, min_size: int, cand: Candidates, terms: list[tuple[int, str]]
) -> list[tuple[int, str]] | None:
    """The breaks with one ``kink+shift`` replaced by two one-term breaks within ``2·min_size`` periods of it, the
    pair that lowers the criterion most (one date more to pay for), or None when no pair lowers it.

    Forward selection adds one break at a time: a ramp that begins at one date and steps up at another is first
    taken as both at the step's date, and a break at the ramp's start then no longer pays its penalty on its own
    (the simulated resume stock after the invasion). Every pair's gain comes from one residualisation of the
    window's candidate columns on the other breaks' design and their Gram matrix."""
    n = len(y)
    singles = [shape for shape, k in cand.shapes.items() if k == 1]
    full = design(X, terms, cand)
    now = float(np.sum((y - full @ np.linalg.lstsq(full, y, rcond=None)[0]) ** 2))
    best: tuple[float, list[tuple[int, str]]] | None = None
    for i, (b, shape) in enumerate(terms):
        if shape != "kink+shift":
            continue
        others = terms[:i] + terms[i + 1 :]
        taus = allowed(n, others, min_size, b - 2 * min_size, b + 2 * min_size + 1)
        if len(taus) < 2:
            continue
        Q = np.linalg.qr(design(X, others, cand))[0]
        C = np.column_stack([cand.term(s)[:, taus] for s in singles])
        R = C - Q @ (Q.T @ C)
        G, r = R.T @ R, R.T @ y
        d = np.diag(G)
        det = np.outer(d, d) - G**2
        apart = np.abs(np.subtract.outer(np.tile(taus, len(singles)), np.tile(taus, len(singles)))) >= min_size
        ok = apart & (det > _TINY * np.maximum(np.outer(d, d), _TINY))
        pair = np.where(
            ok, _pair_gain(d[:, None], d[None, :], G, r[:, None], r[None, :], np.where(ok, det, 1.0)), -np.inf
        )
        j, k = np.unravel_index(int(np.argmax(pair)), pair.shape)
        base = float(y @ y - np.sum((Q.T @ y) ** 2))
        cost = base - float(pair[j, k]) + penalty
        if cost < now and (best is None or cost < best[0]):
            m = len(taus)
            two = sorted([(int(taus[j % m]), singles[j // m]), (int(taus[k % m]), singles[k // m])])
            best = (cost, terms[:i] + two + terms[i + 1 :])
    return None if best is None else best[1]


def fit(X: np.ndarray, y: np.ndarray, terms: list[tuple[int, str]], cand: Candidates) -> tuple[np.ndarray, np.ndarray]:
    """Fitted values, and each break's sizes (breaks × `SIZES`: jump, slope change and pulse; 0 where its shape
    has no such term). For a stock the jump and slope change are the stock's eventual ones (the inflow's times
    ``cand.scale``) and the pulse is the number of entries removed (−) or added at once."""
    D = design(X, terms, cand)
    coef = np.linalg.lstsq(D, y, rcond=None)[0]
    sizes = np.zeros((len(terms), len(SIZES)))
    k = X.shape[1]
    for i, (_, shape) in enumerate(terms):
        for name in terms_of(shape):
            sizes[i, SIZES.index(SIZE_OF[name])] = coef[k] * (1.0 if name == "pulse" else cand.scale)
            k += 1
    return D @ coef, sizes


#: The sizes `fit` measures at each break, as the result's ``change`` column names them.
SIZES = ("level", "slope", "pulse")
#: The size each term of a shape measures: a break has a size where its shape has the term.
SIZE_OF = {"shift": "level", "kink": "slope", "pulse": "pulse"}
TERM_OF = {size: term for term, size in SIZE_OF.items()}
