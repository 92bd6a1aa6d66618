"""The panel estimator's computation as it was before patterns and batched replicates (commit 7527729): one
E-step over every person with dense matrices, one replicate after another, plain EM. Kept for the equality test
(tests/test_migration.py) and the scaling benchmark (bench/scale_panel.py), which run it beside the new one on the
same panel; nothing else calls it. It fits the model of talentflow 0.1 (`SIMPLE`) unless given another."""

from __future__ import annotations

import numpy as np

from talentflow.migration.panel._data import Panel
from talentflow.migration.panel._em import _Counts, _EMFit, _flows_of, _m_step, _unseen_cohorts
from talentflow.migration.panel._fit import PanelOptions
from talentflow.migration.panel._model import CODES, NO_CRAWL, SIMPLE, UNSEEN, Params, Structure


def _e_step(obs_code: np.ndarray, start: np.ndarray, weight: np.ndarray, p: Params) -> _Counts:
    """Forward-backward over all people at once; weights count each person (bootstrap, unseen cohorts)."""
    n, m = obs_code.shape
    t = p.transitions()
    e = p.emissions()
    s = p.structure.size
    first = p.start_vectors()[np.where(start == 0, 0, 1)]
    alpha = np.zeros((m, n, s))
    scale = np.ones((m, n))
    a = np.zeros((n, s))
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

    xi = np.zeros((m - 1, s, s))
    occupancy = np.zeros((m, s))
    seen = np.zeros((CODES, s))
    gamma0 = np.zeros((n, s))
    beta = np.ones((n, s))
    wcol = weight[:, None]
    codes = np.eye(CODES)
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
    arcs = p.structure.arcs
    return _Counts(
        xi=xi[:, arcs.src, arcs.dst],
        first_old=(gamma0[old] * wcol[old]).sum(axis=0),
        first_new=(gamma0[~old] * wcol[~old]).sum(axis=0),
        seen=seen,
        loglik=loglik,
        occupancy=occupancy,
    )


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
    crawled = np.ones(m, bool)
    ghost_obs, cohorts = _unseen_cohorts(start, crawled)
    seen_per_cohort = np.bincount(start, weights=weight, minlength=m)[cohorts]

    def ghost_weights(p: Params) -> np.ndarray:
        never = _never_seen(p, cohorts, crawled)
        return seen_per_cohort * never / np.maximum(1 - never, 1e-12)

    all_obs = np.vstack([obs_code, ghost_obs])
    all_start = np.concatenate([start, cohorts])
    last = -np.inf
    it = 0
    while it < max_iter:
        it += 1
        counts = _e_step(all_obs, all_start, np.concatenate([weight, ghost_weights(p)]), p)
        p = _m_step(counts, p.structure)
        if abs(counts.loglik - last) <= tol * max(1.0, abs(counts.loglik)):
            break
        last = counts.loglik
    counts = _e_step(all_obs, all_start, np.concatenate([weight, ghost_weights(p)]), p)
    return _flows_of(p, counts, counts.loglik, it)


def reference_fit(panel: Panel, opt: PanelOptions, structure: Structure = SIMPLE) -> tuple[_EMFit, list[_EMFit]]:
    """The full-sample fit and the bootstrap fits as ``fit_panel`` ran them before (a Poisson(1) weight per
    person, one replicate after another)."""
    rng = np.random.default_rng(opt.seed)
    obs_code = (panel.obs + 1).astype(np.int8)
    first = Params.first_guess(len(panel.months), structure)
    fit = _run_em(obs_code, panel.start, np.ones(panel.people), first, max_iter=opt.max_iter, tol=opt.tol)
    boots = []
    for _ in range(opt.n_boot):
        w = rng.poisson(1.0, panel.people).astype(float)
        boots.append(_run_em(obs_code, panel.start, w, fit.params.copy(), max_iter=opt.boot_iter, tol=opt.tol))
    return fit, boots


def _never_seen(p: Params, cohorts: np.ndarray, crawled: np.ndarray) -> np.ndarray:
    """P(a profile created in each cohort month is never seen up to the last month)."""
    t = p.transitions()
    e = p.emissions()
    months = len(crawled)
    rows = np.where(crawled, UNSEEN, NO_CRAWL)
    first = p.start_vectors()
    out = np.empty(len(cohorts))
    for i, c in enumerate(cohorts):
        a = first[0 if c == 0 else 1] * e[rows[c]]
        for j in range(c + 1, months):
            a = (a @ t[j - 1]) * e[rows[j]]
        out[i] = a.sum()
    return np.clip(out, 0.0, 0.999)
