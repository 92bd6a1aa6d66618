"""Baum-Welch (EM) for the panel model, with the people never seen counted in through pseudo people."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from talentflow.migration.panel._model import (
    A_QUIET,
    A_SEEK,
    A_STALE,
    ABROAD_STATES,
    GONE,
    H_QUIET,
    H_SEEK,
    H_STALE,
    HOME_STATES,
    LIVE,
    SEEKING,
    Params,
    S,
    _start_vectors,
)

_PRIOR = 1e-3  # pseudo person-months: keeps a month with nobody at risk at the pooled rate instead of 0/0


@dataclass
class _Counts:
    xi: np.ndarray  # (M-1, 5, 5) expected transitions
    first_old: np.ndarray  # (5,) expected first states of older resumes
    first_new: np.ndarray  # (5,)
    seen: np.ndarray  # (3, 5) expected observation codes by state
    loglik: float
    occupancy: np.ndarray  # (M, 5) expected people in each state


#: Bytes of forward messages held at once: months × replicates × patterns × states float64. A chunk of patterns
#: is as many as fit, so peak memory stays near this bound whatever the panel's size.
CHUNK_BYTES = 8 * 2**20


def _chunk_size(months: int, replicates: int) -> int:
    return max(1, CHUNK_BYTES // (months * replicates * S * 8))


@dataclass(frozen=True)
class _Tables:
    """Each replicate's parameters as arrays: transitions (R, M-1, S, S), emissions (R, 3, S), first states."""

    t: np.ndarray
    e: np.ndarray
    initial: np.ndarray  # (R, S)
    entry: np.ndarray  # (R, S)

    @classmethod
    def of(cls, params: list[Params]) -> _Tables:
        first = [_start_vectors(p, np.array([0, 1])) for p in params]
        return cls(
            np.stack([p.transitions() for p in params]),
            np.stack([p.emissions() for p in params]),
            np.stack([f[0] for f in first]),
            np.stack([f[1] for f in first]),
        )


@dataclass
class _Sums:
    """Expected counts of R replicates, summed over chunks of patterns (the fields of `_Counts`, one per replicate)."""

    xi: np.ndarray  # (R, M-1, S, S)
    first_old: np.ndarray  # (R, S)
    first_new: np.ndarray  # (R, S)
    seen: np.ndarray  # (R, 3, S)
    loglik: np.ndarray  # (R,)
    occupancy: np.ndarray  # (R, M, S)

    @classmethod
    def zeros(cls, r: int, m: int) -> _Sums:
        return cls(*(np.zeros(shape) for shape in ((r, m - 1, S, S), (r, S), (r, S), (r, 3, S), (r,), (r, m, S))))

    def replicate(self, k: int) -> _Counts:
        return _Counts(
            self.xi[k], self.first_old[k], self.first_new[k], self.seen[k], float(self.loglik[k]), self.occupancy[k]
        )


@dataclass(frozen=True)
class _Ghosts:
    codes: np.ndarray  # (cohorts, M): never seen
    start: np.ndarray  # (cohorts,)
    weight: np.ndarray  # (R, cohorts)


def _e_step(
    codes: np.ndarray, start: np.ndarray, weight: np.ndarray, rows: np.ndarray, ghosts: _Ghosts, tab: _Tables
) -> list[_Counts]:
    """Forward-backward over patterns × replicates, a chunk of patterns at a time, then the unseen cohorts.
    Replicate k weighs the patterns by ``weight[rows[k]]`` (people sharing a pattern, a bootstrap draw) and the
    cohorts by ``ghosts.weight[k]``."""
    r, m = len(rows), codes.shape[1]
    acc = _Sums.zeros(r, m)
    kernel = _compiled()
    if kernel is not None:
        first = np.zeros((r, 2, S))
        for c, s, w in ((codes, start, weight[rows]), (ghosts.codes, ghosts.start, ghosts.weight)):
            args = (np.ascontiguousarray(c, np.int8), np.ascontiguousarray(s, np.int64), np.asarray(w, np.float64))
            kernel(*args, tab.t, tab.e, tab.initial, tab.entry, acc.xi, first, acc.seen, acc.loglik, acc.occupancy)
        acc.first_old += first[:, 0]
        acc.first_new += first[:, 1]
        return [acc.replicate(k) for k in range(r)]
    step = _chunk_size(m, r)
    for lo in range(0, len(codes), step):
        hi = lo + step
        # Weights are copied a chunk at a time: a copy of all of them for a million people × 100 replicates would
        # double the peak.
        _chunk(codes[lo:hi], start[lo:hi], weight[rows, lo:hi].astype(np.float64), tab, acc)
    _chunk(ghosts.codes, ghosts.start, ghosts.weight, tab, acc)
    return [acc.replicate(k) for k in range(r)]


def _compiled() -> Callable[..., None] | None:
    """The compiled forward-backward (`_kernel`), or None where numba is missing: the NumPy one then runs."""
    try:
        from talentflow.migration.panel._kernel import forward_backward
    except ImportError:  # pragma: no cover - numba is a dependency; a platform without its wheels still works
        return None
    return forward_backward


def _chunk(codes: np.ndarray, start: np.ndarray, w: np.ndarray, tab: _Tables, acc: _Sums) -> None:
    """One chunk's scaled forward-backward (Rabiner 1989), its expected counts added into ``acc``. Months before
    the chunk's first start hold nothing (patterns come sorted by start), so they are skipped."""
    n, m = codes.shape
    if n == 0:
        return
    r, j0 = len(tab.t), int(start.min())
    t, tt = tab.t, np.swapaxes(tab.t, 2, 3)
    alpha = np.empty((m, r, n, S))
    scale = np.ones((m, r, n))
    a = np.zeros((r, n, S))
    for j in range(j0, m):
        if j > j0:
            a = a @ t[:, j - 1]
        begins = start == j
        if begins.any():
            a[:, begins] = (tab.initial if j == 0 else tab.entry)[:, None, :]
        a *= tab.e[:, codes[:, j]]
        c = a.sum(axis=2)
        c[:, start > j] = 1.0
        a /= c[:, :, None]
        alpha[j], scale[j] = a, c
    acc.loglik += (w * np.log(scale).sum(axis=0)).sum(axis=1)
    beta = np.ones((r, n, S))
    wcol = w[:, :, None]
    for j in range(m - 1, j0 - 1, -1):
        weighted = alpha[j] * beta * wcol
        acc.occupancy[:, j] += weighted.sum(axis=1)
        for code in range(3):
            acc.seen[:, code] += weighted[:, codes[:, j] == code].sum(axis=1)
        at = start == j
        if at.any():
            target = acc.first_old if j == 0 else acc.first_new
            target += weighted[:, at].sum(axis=1)
        if j > j0:
            eb = tab.e[:, codes[:, j]] * beta / scale[j][:, :, None]
            acc.xi[:, j - 1] += (np.swapaxes(alpha[j - 1] * wcol, 1, 2) @ eb) * t[:, j - 1]
            beta = eb @ tt[:, j - 1]


def _ratio(num: np.ndarray, den: np.ndarray, pooled: float | None = None) -> np.ndarray:
    if pooled is None:
        pooled = float(num.sum() / max(den.sum(), 1e-12))
    return (num + _PRIOR * pooled) / (den + _PRIOR)


def _m_step(c: _Counts) -> Params:
    xi = c.xi
    home, abroad = HOME_STATES, ABROAD_STATES
    out_home = xi[:, home][:, :, :LIVE].sum(axis=(1, 2))
    out_abroad = xi[:, abroad][:, :, :LIVE].sum(axis=(1, 2))
    leave = xi[:, home][:, :, abroad].sum(axis=(1, 2))
    back = xi[:, abroad][:, :, home].sum(axis=(1, 2))
    live_rows = xi[:, :LIVE, :].sum()

    def staying(srcs: list[int], dsts: list[int]) -> np.ndarray:
        return xi[:, srcs][:, :, dsts].sum(axis=(1, 2))

    def after_move(srcs: list[int], seek: list[int], there: list[int]) -> float:
        return float(_ratio(staying(srcs, seek).sum(), staying(srcs, there).sum()))

    h_seekers, a_seekers = [H_SEEK, H_STALE], [A_SEEK, A_STALE]
    fresh = staying(home, [A_SEEK]).sum() + staying(abroad, [H_SEEK]).sum()
    stale = staying(home, [A_STALE]).sum() + staying(abroad, [H_STALE]).sum()
    seen = c.seen
    searchers = seen[:, sorted(SEEKING)].sum(axis=1)
    first_old = c.first_old[:LIVE] / max(c.first_old[:LIVE].sum(), 1e-12)
    first_new = c.first_new[:LIVE] / c.first_new[:LIVE].sum() if c.first_new[:LIVE].sum() > 0 else first_old
    stop_h, cont_h = staying(h_seekers, [H_QUIET]), xi[:, H_SEEK, H_SEEK] + xi[:, H_STALE, H_STALE]
    stop_a, cont_a = staying(a_seekers, [A_QUIET]), xi[:, A_SEEK, A_SEEK] + xi[:, A_STALE, A_STALE]
    return Params(
        emigrate=_ratio(leave, out_home),
        ret=_ratio(back, out_abroad),
        start_home=_ratio(xi[:, H_QUIET, H_SEEK], xi[:, H_QUIET, H_SEEK] + xi[:, H_QUIET, H_QUIET]),
        stop_home=_ratio(stop_h, stop_h + cont_h),
        start_abroad=float(_ratio(xi[:, A_QUIET, A_SEEK].sum(), staying([A_QUIET], [A_SEEK, A_QUIET]).sum())),
        stop_abroad=float(_ratio(stop_a.sum(), (stop_a + cont_a).sum())),
        seek_after_leaving=np.array([after_move(src, [A_SEEK, A_STALE], abroad) for src in (h_seekers, [H_QUIET])]),
        seek_after_return=np.array([after_move(src, [H_SEEK, H_STALE], home) for src in (a_seekers, [A_QUIET])]),
        stale=float(stale / max(fresh + stale, 1e-12)),
        gone=float(xi[:, :LIVE, GONE].sum() / max(live_rows, 1e-12)),
        miss=float(searchers[0] / max(searchers.sum(), 1e-12)),
        initial=first_old,
        entry=first_new,
    )


@dataclass(frozen=True)
class _EMFit:
    params: Params
    flows: np.ndarray  # (M-1, 2): expected emigrations and returns into months 1..M-1, among profiles
    profiles: np.ndarray  # (M,) expected profiles not gone, seen or not
    loglik: float
    iterations: int


def _unseen_cohorts(start: np.ndarray, months: int) -> tuple[np.ndarray, np.ndarray]:
    """One all-unseen pseudo person per creation month present in the data."""
    cohorts = np.unique(start)
    return np.full((len(cohorts), months), 0, np.int8), cohorts


#: Called as ``progress(replicates, step, loglik)`` after each EM step: the replicates still stepping, the step
#: number and their log-likelihoods.
StepHook = Callable[[np.ndarray, int, np.ndarray], None]


def _run_em(
    codes: np.ndarray,
    start: np.ndarray,
    weight: np.ndarray,
    params: list[Params],
    *,
    max_iter: int,
    tol: float,
    on_step: StepHook | None = None,
) -> list[_EMFit]:
    """EM for R replicates at once (``weight`` (R, patterns), one starting ``params`` each), each stopping on its
    own test, with people never seen counted in: each creation cohort gets a pseudo person standing for its unseen
    members, weighted by seen × P(unseen) / P(seen) under the current parameters (EM for a truncated sample)."""
    m = codes.shape[1]
    ghost_codes, cohorts = _unseen_cohorts(start, m)
    seen_per_cohort = np.stack([np.bincount(start, weights=w, minlength=m)[cohorts] for w in weight])
    params = list(params)

    def counts(which: np.ndarray) -> list[_Counts]:
        ps = [params[k] for k in which]
        ghosts = np.stack([seen_per_cohort[k] * _odds_unseen(p, cohorts, m) for k, p in zip(which, ps, strict=True)])
        return _e_step(codes, start, weight, which, _Ghosts(ghost_codes, cohorts, ghosts), _Tables.of(ps))

    last = np.full(len(params), -np.inf)
    iterations = np.zeros(len(params), int)
    active = np.arange(len(params))
    while active.size:
        iterations[active] += 1
        got = counts(active)
        loglik = np.array([c.loglik for c in got])
        for k, c in zip(active, got, strict=True):
            params[k] = _m_step(c)
        if on_step is not None:
            on_step(active, int(iterations[active].max()), loglik)
        done = (np.abs(loglik - last[active]) <= tol * np.maximum(1.0, np.abs(loglik))) | (
            iterations[active] >= max_iter
        )
        last[active] = loglik
        active = active[~done]
    return [_flows_of(p, c, int(i)) for p, c, i in zip(params, counts(np.arange(len(params))), iterations, strict=True)]


def _odds_unseen(p: Params, cohorts: np.ndarray, months: int) -> np.ndarray:
    never = _never_seen(p, cohorts, months)
    return never / np.maximum(1 - never, 1e-12)


def _flows_of(p: Params, counts: _Counts, iterations: int) -> _EMFit:
    xi = counts.xi
    leave = xi[:, HOME_STATES][:, :, ABROAD_STATES].sum(axis=(1, 2))
    back = xi[:, ABROAD_STATES][:, :, HOME_STATES].sum(axis=(1, 2))
    # Month-end states cannot show a trip out and back within one month. Someone leaving at a uniform time in
    # the month and returning at the monthly rate ρ is back by its end with probability about ρ / 2: such
    # trips add to both flows.
    round_trips = leave * p.ret / 2
    flows = np.stack([leave + round_trips, back + round_trips], axis=1)
    return _EMFit(p, flows, counts.occupancy[:, :LIVE].sum(axis=1), counts.loglik, iterations)


def _never_seen(p: Params, cohorts: np.ndarray, months: int) -> np.ndarray:
    """P(a profile created in each cohort month is never seen up to the last month)."""
    t = p.transitions()
    e0 = p.emissions()[0]
    out = np.empty(len(cohorts))
    for i, c in enumerate(cohorts):
        a = np.zeros(S)
        a[:LIVE] = p.initial if c == 0 else p.entry
        a = a * e0
        for j in range(c + 1, months):
            a = (a @ t[j - 1]) * e0
        out[i] = a.sum()
    return np.clip(out, 0.0, 0.999)
