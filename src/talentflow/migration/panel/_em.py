"""Baum-Welch (EM) for the panel model, with the people never seen counted in through pseudo people."""

from __future__ import annotations

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


def _e_step(obs_code: np.ndarray, start: np.ndarray, weight: np.ndarray, p: Params) -> _Counts:
    """Forward-backward over all people at once; weights count each person (bootstrap, unseen cohorts)."""
    n, m = obs_code.shape
    t = p.transitions()
    e = p.emissions()
    first = _start_vectors(p, start)
    alpha = np.zeros((m, n, S))
    scale = np.ones((m, n))
    a = np.zeros((n, S))
    for j in range(m):
        if j:
            a = a @ t[j - 1]
        begins = start == j
        a[begins] = first[begins]
        a = a * e[obs_code[:, j]]
        c = a.sum(axis=1)
        live = start <= j
        c = np.where(live, c, 1.0)
        a = a / c[:, None]
        alpha[j], scale[j] = a, c
    loglik = float(np.sum(weight * np.log(scale).sum(axis=0)))

    xi = np.zeros((m - 1, S, S))
    occupancy = np.zeros((m, S))
    seen = np.zeros((3, S))
    gamma0 = np.zeros((n, S))
    beta = np.ones((n, S))
    wcol = weight[:, None]
    codes = np.eye(3)
    for j in range(m - 1, -1, -1):
        gamma = alpha[j] * beta
        weighted = gamma * wcol
        occupancy[j] = weighted.sum(axis=0)
        seen += codes[obs_code[:, j]].T @ weighted
        at = start == j
        gamma0[at] = gamma[at]
        if j:
            eb = e[obs_code[:, j]] * beta / scale[j][:, None]
            xi[j - 1] = ((alpha[j - 1] * wcol).T @ eb) * t[j - 1]
            beta = eb @ t[j - 1].T
    old = start == 0
    return _Counts(
        xi=xi,
        first_old=(gamma0[old] * wcol[old]).sum(axis=0),
        first_new=(gamma0[~old] * wcol[~old]).sum(axis=0),
        seen=seen,
        loglik=loglik,
        occupancy=occupancy,
    )


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


def _run_em(
    obs_code: np.ndarray,
    start: np.ndarray,
    weight: np.ndarray,
    p: Params,
    *,
    max_iter: int,
    tol: float,
) -> _EMFit:
    """EM with people never seen counted in: each creation cohort gets a pseudo person standing for its unseen
    members, weighted by seen × P(unseen) / P(seen) under the current parameters (EM for a truncated sample)."""
    m = obs_code.shape[1]
    ghost_obs, cohorts = _unseen_cohorts(start, m)
    seen_per_cohort = np.bincount(start, weights=weight, minlength=m)[cohorts]

    def ghost_weights(p: Params) -> np.ndarray:
        never = _never_seen(p, cohorts, m)
        return seen_per_cohort * never / np.maximum(1 - never, 1e-12)

    all_obs = np.vstack([obs_code, ghost_obs])
    all_start = np.concatenate([start, cohorts])
    last = -np.inf
    it = 0
    while it < max_iter:
        it += 1
        counts = _e_step(all_obs, all_start, np.concatenate([weight, ghost_weights(p)]), p)
        p = _m_step(counts)
        if abs(counts.loglik - last) <= tol * max(1.0, abs(counts.loglik)):
            break
        last = counts.loglik
    counts = _e_step(all_obs, all_start, np.concatenate([weight, ghost_weights(p)]), p)
    xi = counts.xi
    leave = xi[:, HOME_STATES][:, :, ABROAD_STATES].sum(axis=(1, 2))
    back = xi[:, ABROAD_STATES][:, :, HOME_STATES].sum(axis=(1, 2))
    # Month-end states cannot show a trip out and back within one month. Someone leaving at a uniform time in
    # the month and returning at the monthly rate ρ is back by its end with probability about ρ / 2: such
    # trips add to both flows.
    round_trips = leave * p.ret / 2
    flows = np.stack([leave + round_trips, back + round_trips], axis=1)
    return _EMFit(p, flows, counts.occupancy[:, :LIVE].sum(axis=1), counts.loglik, it)


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
