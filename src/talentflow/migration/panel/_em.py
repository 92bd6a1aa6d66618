"""Baum-Welch (EM) for the panel model, with the people never seen counted in through pseudo people."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from talentflow.migration.panel._model import ABROAD, CODES, HOME, NO_CRAWL, QUIET, UNSEEN, Params, Structure

_PRIOR = 1e-3  # pseudo person-months: keeps a month with nobody at risk at the pooled rate instead of 0/0
HORIZON = 36  # months after a move over which the chance of still being abroad is kept (migrant definitions)


@dataclass
class _Counts:
    xi: np.ndarray  # (M-1, arcs) expected transitions along each arc
    first_old: np.ndarray  # (S,) expected first states of older resumes
    first_new: np.ndarray  # (S,)
    seen: np.ndarray  # (4, S) expected observation codes by state
    loglik: float  # log-likelihood of the people seen (the pseudo people left out)
    occupancy: np.ndarray  # (M, S) expected people in each state


#: Bytes of forward messages held at once: months × replicates × patterns × states float64. A chunk of patterns
#: is as many as fit, so peak memory stays near this bound whatever the panel's size.
CHUNK_BYTES = 8 * 2**20


def _chunk_size(months: int, replicates: int, states: int) -> int:
    return max(1, CHUNK_BYTES // (months * replicates * states * 8))


@dataclass(frozen=True)
class _Tables:
    """Each replicate's parameters as arrays: transitions (R, M-1, S, S) and along each arc (R, M-1, arcs),
    emissions (R, 4, S), first states."""

    t: np.ndarray
    tv: np.ndarray
    e: np.ndarray
    initial: np.ndarray  # (R, S)
    entry: np.ndarray  # (R, S)
    structure: Structure

    @classmethod
    def of(cls, params: list[Params]) -> _Tables:
        first = [p.start_vectors() for p in params]
        return cls(
            np.stack([p.transitions() for p in params]),
            np.stack([p.arc_values() for p in params]),
            np.stack([p.emissions() for p in params]),
            np.stack([f[0] for f in first]),
            np.stack([f[1] for f in first]),
            params[0].structure,
        )


@dataclass
class _Sums:
    """Expected counts of R replicates, summed over chunks of patterns (the fields of `_Counts`, one per replicate)."""

    xi: np.ndarray  # (R, M-1, arcs)
    first: np.ndarray  # (R, 2, S)
    seen: np.ndarray  # (R, 4, S)
    loglik: np.ndarray  # (R,)
    occupancy: np.ndarray  # (R, M, S)

    @classmethod
    def zeros(cls, r: int, m: int, st: Structure) -> _Sums:
        a, s = len(st.arcs.src), st.size
        return cls(*(np.zeros(shape) for shape in ((r, m - 1, a), (r, 2, s), (r, CODES, s), (r,), (r, m, s))))

    def replicate(self, k: int) -> _Counts:
        return _Counts(
            self.xi[k], self.first[k, 0], self.first[k, 1], self.seen[k], float(self.loglik[k]), self.occupancy[k]
        )


@dataclass(frozen=True)
class _Ghosts:
    codes: np.ndarray  # (cohorts, M): never seen
    start: np.ndarray  # (cohorts,)
    weight: np.ndarray  # (R, cohorts)


def _e_step(
    codes: np.ndarray, start: np.ndarray, weight: np.ndarray, rows: np.ndarray, ghosts: _Ghosts, tab: _Tables
) -> list[_Counts]:
    """Forward-backward over patterns × replicates, then the unseen cohorts. Replicate k weighs the patterns by
    ``weight[rows[k]]`` (people sharing a pattern, a bootstrap draw) and the cohorts by ``ghosts.weight[k]``.
    The log-likelihood kept is the seen patterns' alone."""
    r, m = len(rows), codes.shape[1]
    acc = _Sums.zeros(r, m, tab.structure)
    kernel = _compiled()
    ghost_ll = np.zeros(r)
    for c, s, w, ll in (
        (codes, start, weight[rows], acc.loglik),
        (ghosts.codes, ghosts.start, ghosts.weight, ghost_ll),
    ):
        if kernel is not None:
            _kernel_pass(kernel, c, s, w, tab, acc, ll)
            continue
        step = _chunk_size(m, r, tab.structure.size)
        for lo in range(0, len(c), step):
            # Weights are copied a chunk at a time: a copy of all of them for a million people × 100 replicates
            # would double the peak.
            _chunk(c[lo : lo + step], s[lo : lo + step], w[:, lo : lo + step].astype(np.float64), tab, acc, ll)
    return [acc.replicate(k) for k in range(r)]


def _kernel_pass(
    kernel: Callable[..., None],
    codes: np.ndarray,
    start: np.ndarray,
    w: np.ndarray,
    tab: _Tables,
    acc: _Sums,
    ll: np.ndarray,
) -> None:
    """The compiled pass, with replicates as the innermost axis of its arrays (see `_kernel`)."""

    def last(x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.moveaxis(x, 0, -1), dtype=np.float64)

    r, m = w.shape[0], codes.shape[1]
    s_count, a_count = tab.structure.size, len(tab.structure.arcs.src)
    xi, first = np.zeros((m - 1, a_count, r)), np.zeros((2, s_count, r))
    seen, occ = np.zeros((4, s_count, r)), np.zeros((m, s_count, r))
    arcs = tab.structure.arcs
    kernel(
        np.ascontiguousarray(codes, np.int8),
        np.ascontiguousarray(start, np.int64),
        last(np.asarray(w)),
        last(tab.tv),
        arcs.src,
        arcs.dst,
        last(tab.e),
        last(tab.initial),
        last(tab.entry),
        xi,
        first,
        seen,
        ll,
        occ,
    )
    acc.xi += np.moveaxis(xi, -1, 0)
    acc.first += np.moveaxis(first, -1, 0)
    acc.seen += np.moveaxis(seen, -1, 0)
    acc.occupancy += np.moveaxis(occ, -1, 0)


def _compiled() -> Callable[..., None] | None:
    """The compiled forward-backward (`_kernel`), or None where numba is missing: the NumPy one then runs."""
    try:
        from talentflow.migration.panel._kernel import forward_backward
    except ImportError:  # pragma: no cover - numba is a dependency; a platform without its wheels still works
        return None
    return forward_backward


def _chunk(codes: np.ndarray, start: np.ndarray, w: np.ndarray, tab: _Tables, acc: _Sums, ll: np.ndarray) -> None:
    """One chunk's scaled forward-backward (Rabiner 1989), its expected counts added into ``acc`` and its
    log-likelihood into ``ll``. Months before the chunk's first start hold nothing (patterns come sorted by
    start), so they are skipped."""
    n, m = codes.shape
    if n == 0:
        return
    r, j0, s_count = len(tab.t), int(start.min()), tab.t.shape[-1]
    t, tt = tab.t, np.swapaxes(tab.t, 2, 3)
    src, dst = tab.structure.arcs.src, tab.structure.arcs.dst
    alpha = np.empty((m, r, n, s_count))
    scale = np.ones((m, r, n))
    a = np.zeros((r, n, s_count))
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
    ll += (w * np.log(scale).sum(axis=0)).sum(axis=1)
    beta = np.ones((r, n, s_count))
    wcol = w[:, :, None]
    for j in range(m - 1, j0 - 1, -1):
        weighted = alpha[j] * beta * wcol
        acc.occupancy[:, j] += weighted.sum(axis=1)
        for code in range(CODES):
            acc.seen[:, code] += weighted[:, codes[:, j] == code].sum(axis=1)
        at = start == j
        if at.any():
            acc.first[:, 0 if j == 0 else 1] += weighted[:, at].sum(axis=1)
        if j > j0:
            eb = tab.e[:, codes[:, j]] * beta / scale[j][:, :, None]
            xi = (np.swapaxes(alpha[j - 1] * wcol, 1, 2) @ eb) * t[:, j - 1]
            acc.xi[:, j - 1] += xi[:, src, dst]
            beta = eb @ tt[:, j - 1]


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    pooled = float(num.sum() / max(den.sum(), 1e-12))
    return (num + _PRIOR * pooled) / (den + _PRIOR)


def _m_step(c: _Counts, st: Structure) -> Params:
    """Each decision's rate: expected "yes" over expected decisions, by month or pooled over the panel."""
    yes_arcs, no_arcs = st.incidence
    yes, no = c.xi @ yes_arcs, c.xi @ no_arcs
    rates = np.empty_like(yes)
    for j, (_, monthly) in enumerate(st.slots):
        if monthly:
            rates[:, j] = _ratio(yes[:, j], yes[:, j] + no[:, j])
        else:
            rates[:, j] = yes[:, j].sum() / max((yes[:, j] + no[:, j]).sum(), 1e-12)
    searchers = [s for s, state in enumerate(st.states) if state[2] != QUIET]
    shown = c.seen[:NO_CRAWL][:, searchers].sum(axis=1)
    live = st.live
    first_old = c.first_old[:live] / max(c.first_old[:live].sum(), 1e-12)
    first_new = c.first_new[:live] / c.first_new[:live].sum() if c.first_new[:live].sum() > 0 else first_old
    return Params(st, rates, float(shown[UNSEEN] / max(shown.sum(), 1e-12)), first_old, first_new)


@dataclass(frozen=True)
class _EMFit:
    params: Params
    flows: np.ndarray  # (M-1, 2): expected emigrations and returns into months 1..M-1, among profiles
    profiles: np.ndarray  # (M,) expected profiles not gone, seen or not
    loglik: float  # the objective: the seen people's log-likelihood given that they were seen
    iterations: int
    #: (M-1, HORIZON + 1): emigrants into month j + 1 still abroad h month-ends later (h = 0: abroad at the end
    #: of the month they left; those back within it are in ``flows`` only), among profiles
    away: np.ndarray


def _unseen_cohorts(start: np.ndarray, crawled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One all-unseen pseudo person per creation month present in the data (months not crawled: no sighting)."""
    cohorts = np.unique(start)
    row = np.where(crawled, UNSEEN, NO_CRAWL).astype(np.int8)
    return np.tile(row, (len(cohorts), 1)), cohorts


#: Called as ``progress(replicates, step, objective)`` after each EM step: the replicates still stepping, the
#: step number and their objectives.
StepHook = Callable[[np.ndarray, int, np.ndarray], None]


@dataclass(frozen=True)
class _Map:
    """One EM step for R replicates at once (``weight`` (R, patterns)), with people never seen counted in: each
    creation cohort gets a pseudo person standing for its unseen members, weighted by seen × P(unseen) / P(seen)
    under the current parameters (EM for a truncated sample, Dempster, Laird and Rubin 1977, section 4.2)."""

    codes: np.ndarray
    start: np.ndarray
    weight: np.ndarray
    crawled: np.ndarray
    ghost_codes: np.ndarray
    cohorts: np.ndarray
    seen_per_cohort: np.ndarray  # (R, cohorts)

    @classmethod
    def of(cls, codes: np.ndarray, start: np.ndarray, weight: np.ndarray, crawled: np.ndarray | None) -> _Map:
        m = codes.shape[1]
        crawled = np.ones(m, bool) if crawled is None else crawled
        ghost_codes, cohorts = _unseen_cohorts(start, crawled)
        seen = np.stack([np.bincount(start, weights=w, minlength=m)[cohorts] for w in weight])
        return cls(codes, start, weight, crawled, ghost_codes, cohorts, seen)

    def __call__(self, which: np.ndarray, ps: list[Params]) -> tuple[list[Params], np.ndarray, list[_Counts]]:
        """The M-step after an E-step at ``ps`` (replicate ``which[k]`` at ``ps[k]``), the objective at ``ps`` (the
        seen people's log-likelihood given that they were seen) and the expected counts."""
        tables = _Tables.of(ps)
        never = _never_seen_all(tables, self.cohorts, self.crawled)
        seen = self.seen_per_cohort[which]
        ghosts = _Ghosts(self.ghost_codes, self.cohorts, seen * never / np.maximum(1 - never, 1e-12))
        got = _e_step(self.codes, self.start, self.weight, which, ghosts, tables)
        objective = np.array([c.loglik for c in got]) - (seen * np.log1p(-never)).sum(axis=1)
        st = ps[0].structure
        return [_m_step(c, st) for c in got], objective, got


def _run_em(
    codes: np.ndarray,
    start: np.ndarray,
    weight: np.ndarray,
    params: list[Params],
    *,
    max_iter: int,
    tol: float,
    crawled: np.ndarray | None = None,
    accelerate: bool = True,
    on_step: StepHook | None = None,
) -> list[_EMFit]:
    """EM for R replicates at once (``weight`` (R, patterns), one starting ``params`` each, see `_Map`), each
    stopping on its own test. The stopping rule watches what this EM increases: the seen people's log-likelihood
    conditional on being seen, Σ log P(history) − Σ_c n_c log(1 − P(never seen | c)). It is checked at the start
    of each cycle: a replicate whose objective moved by at most ``tol`` (relative) since the last cycle stops
    there, with the counts that check computed.

    ``accelerate`` runs SQUAREM (Varadhan and Roland 2008, scheme S3): two EM steps give the step r and its
    change v; the parameters jump to θ − 2αr + α²v with α = −‖r‖/‖v‖ (at most −1), then one EM step from
    there; a jump that lowers the objective falls back to the two plain steps. ``max_iter`` counts E-steps."""
    em = _Map.of(codes, start, weight, crawled)
    params = list(params)
    final: dict[int, tuple[_Counts, float]] = {}
    last = np.full(len(params), -np.inf)
    iterations = np.zeros(len(params), int)
    active = np.arange(len(params))
    while active.size:
        p0 = [params[k] for k in active]
        p1, objective, got = em(active, p0)
        iterations[active] += 1
        converged = np.abs(objective - last[active]) <= tol * np.maximum(1.0, np.abs(objective))
        for i in np.flatnonzero(converged):
            final[int(active[i])] = (got[i], float(objective[i]))
        last[active] = objective
        moving = ~converged
        active, p0, objective = active[moving], [p0[i] for i in np.flatnonzero(moving)], objective[moving]
        nxt = [p1[i] for i in np.flatnonzero(moving)]
        if not active.size:
            break
        if accelerate:
            p2, _, _ = em(active, nxt)
            jumped = [_squarem(a, b, c) for a, b, c in zip(p0, nxt, p2, strict=True)]
            p3, obj_jump, _ = em(active, jumped)
            iterations[active] += 2
            nxt = [c if oj >= o else b for b, c, oj, o in zip(p2, p3, obj_jump, objective, strict=True)]
        for k, p in zip(active, nxt, strict=True):
            params[k] = p
        if on_step is not None:
            on_step(active, int(iterations[active].max()), objective)
        active = active[iterations[active] < max_iter]
    rest = np.array([k for k in range(len(params)) if k not in final], int)
    if rest.size:
        _, objective, got = em(rest, [params[k] for k in rest])
        final.update({int(k): (c, float(o)) for k, c, o in zip(rest, got, objective, strict=True)})
    return [_flows_of(p, *final[k], int(iterations[k])) for k, p in enumerate(params)]


def _vector(p: Params) -> np.ndarray:
    return np.concatenate([p.rates.ravel(), [p.miss], p.initial, p.entry])


def _squarem(p0: Params, p1: Params, p2: Params) -> Params:
    """SQUAREM's jump from p0 after two EM steps p1, p2. A jump that leaves the parameter space, or takes a
    probability to less than a tenth of its value after the two steps (a history the data hold could become
    impossible), is shortened, α → (α − 1)/2, down to α = −1, which is p2 itself."""
    x0, x1, x2 = _vector(p0), _vector(p1), _vector(p2)
    r, v = x1 - x0, x2 - 2 * x1 + x0
    norm_v = np.linalg.norm(v)
    if norm_v == 0:
        return p2
    alpha = min(-float(np.linalg.norm(r)) / float(norm_v), -1.0)
    for _ in range(30):
        x = x0 - 2 * alpha * r + alpha**2 * v
        if np.all(x >= 0.1 * x2) and np.all(x[: p0.rates.size + 1] < 1):
            break
        alpha = (alpha - 1) / 2
    else:
        return p2
    k, live = p0.rates.size, len(p0.initial)
    initial, entry = (x[k + 1 + i * live : k + 1 + (i + 1) * live] for i in (0, 1))
    return Params(
        p0.structure, x[:k].reshape(p0.rates.shape), float(x[k]), initial / initial.sum(), entry / entry.sum()
    )


def _flows_of(p: Params, counts: _Counts, objective: float, iterations: int) -> _EMFit:
    st = p.structure
    home, abroad = st.where(HOME), st.where(ABROAD)
    src, dst = st.arcs.src, st.arcs.dst
    leave = counts.xi[:, home[src] & abroad[dst]].sum(axis=1)
    back = counts.xi[:, abroad[src] & home[dst]].sum(axis=1)
    # Month-end states cannot show a trip out and back within one month. Someone leaving at a uniform time in
    # the month and returning at the monthly rate ρ of the recently arrived is back by its end with probability
    # about ρ / 2: such trips add to both flows.
    round_trips = leave * p.rate("return", 0) / 2
    flows = np.stack([leave + round_trips, back + round_trips], axis=1)
    profiles = counts.occupancy[:, : st.live].sum(axis=1)
    away = leave[:, None] * _stay(p)
    return _EMFit(p, flows, profiles, objective, iterations, away)


def _stay(p: Params) -> np.ndarray:
    """P(no return within h = 0..HORIZON months of a move into each month): the fitted return rates by time
    abroad, followed forward; past the panel's last month at the mean of its last six."""
    st = p.structure
    ret = np.stack([p.rate("return", d) for d in range(st.durations)], axis=1)  # (M-1, D)
    k = len(ret)
    tail = ret[-6:].mean(axis=0)
    out = np.ones((k, HORIZON + 1))
    for j in range(k):
        v = np.zeros(st.durations)
        v[0] = 1.0
        for h in range(1, HORIZON + 1):
            month = j + h
            v = v * (1 - (ret[month] if month < k else tail))
            if st.durations > 1:
                moving = v[:-1] * st.settle
                v[:-1] -= moving
                v[1:] += moving
            out[j, h] = v.sum()
    return out


def _never_seen_all(tab: _Tables, cohorts: np.ndarray, crawled: np.ndarray) -> np.ndarray:
    """(R, cohorts): P(a profile created in each cohort month is never seen up to the last month), for every
    replicate's parameters at once: one pass over the months, each cohort joining in the month it starts."""
    rows = np.where(crawled, UNSEEN, NO_CRAWL)
    r, c, s = len(tab.t), len(cohorts), tab.t.shape[-1]
    a = np.zeros((r, c, s))
    for j in range(len(crawled)):
        if j:
            a = a @ tab.t[:, j - 1]
        begins = cohorts == j
        if begins.any():
            a[:, begins] = (tab.initial if j == 0 else tab.entry)[:, None, :]
        a *= tab.e[:, rows[j]][:, None, :]
    return np.clip(a.sum(axis=2), 0.0, 0.999)
