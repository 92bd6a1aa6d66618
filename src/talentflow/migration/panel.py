"""Emigration and return flows from resume sightings: a hidden Markov model of where each person lives.

A resume is seen only while its owner looks for a job, so most moves happen out of sight: someone seen at home in
March may next be seen abroad in November, or never again. Counting the changes one sees undercounts, by a factor
that depends on how often people search at home and abroad. The model here makes that factor explicit. Each
person's month-end state is one of five (home and searching, home and quiet, abroad and searching, abroad and
quiet, gone from the board); only searchers are seen, and a searcher abroad may still show the old city (a stale
resume). Baum-Welch (EM) fits monthly emigration and return probabilities, search start and stop rates by place,
the chance of searching right after a move, the staleness, and — through the people never seen at all — the size
of the board's population of profiles. The flows among profiles are scaled to the whole workforce by a population
figure the user gives (a census or an industry count at a reference month). Intervals come from a bootstrap over
people. The method, its assumptions and its validation on the simulator are in docs/migration.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from talentflow.errors import UsageError
from talentflow.migration.requests import Population
from talentflow.migration.results import MigrationResult

# Month-end states. A stale searcher shows the country they left: the resume kept its old city after the move,
# and keeps it until the next search spell begins (a new spell rewrites the resume).
H_SEEK, H_QUIET, A_SEEK, A_QUIET, H_STALE, A_STALE, GONE = range(7)
S = 7
LIVE = 6
HOME_STATES = [H_SEEK, H_QUIET, H_STALE]
ABROAD_STATES = [A_SEEK, A_QUIET, A_STALE]
SEEKING = {H_SEEK, A_SEEK, H_STALE, A_STALE}
_PRIOR = 1e-3  # pseudo person-months: keeps a month with nobody at risk at the pooled rate instead of 0/0


@dataclass(frozen=True)
class Panel:
    """Resume sightings arranged by person and month: where each resume was last seen in each month."""

    months: tuple[str, ...]  # "YYYY-MM", consecutive
    obs: np.ndarray  # (people, months) int8: -1 not seen, 0 at home, 1 abroad
    start: np.ndarray  # (people,) index of the month the resume was created (0 for older ones)
    origin: str
    destinations: pd.DataFrame = field(default_factory=pd.DataFrame)  # person, month index, destination country
    sightings: int = 0

    @property
    def people(self) -> int:
        return len(self.obs)

    def month_index(self, month: str, param: str | None = None) -> int:
        try:
            return self.months.index(month)
        except ValueError:
            raise UsageError(
                f"month {month} is outside the resume sightings ({self.months[0]} to {self.months[-1]})", param=param
            ) from None


@dataclass
class Params:
    """Monthly transition and observation probabilities of the model (index m: from month m to m + 1)."""

    emigrate: np.ndarray  # (M-1,)
    ret: np.ndarray  # (M-1,)
    start_home: np.ndarray  # (M-1,) quiet -> searching, at home
    stop_home: np.ndarray  # (M-1,) searching -> quiet, at home
    start_abroad: float
    stop_abroad: float
    seek_after_leaving: np.ndarray  # (2,) by whether one was searching before the move
    seek_after_return: np.ndarray  # (2,)
    stale: float  # a searcher's resume keeps the old country after a move
    gone: float
    miss: float  # a searcher not seen in a month
    initial: np.ndarray  # (6,) state of resumes older than the first month
    entry: np.ndarray  # (6,) state of resumes created later

    @classmethod
    def first_guess(cls, months: int) -> Params:
        k = months - 1
        return cls(
            emigrate=np.full(k, 0.005),
            ret=np.full(k, 0.02),
            start_home=np.full(k, 0.05),
            stop_home=np.full(k, 0.3),
            start_abroad=0.05,
            stop_abroad=0.3,
            seek_after_leaving=np.array([0.5, 0.2]),
            seek_after_return=np.array([0.6, 0.3]),
            stale=0.2,
            gone=0.005,
            miss=0.05,
            initial=np.array([0.4, 0.55, 0.02, 0.03, 0.0, 0.0]),
            entry=np.array([0.8, 0.15, 0.02, 0.03, 0.0, 0.0]),
        )

    def copy(self) -> Params:
        return Params(**{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self.__dict__.items()})

    def transitions(self) -> np.ndarray:
        """(M-1, 7, 7) transition matrices."""
        t = np.zeros((len(self.emigrate), S, S))
        stay = 1 - self.gone
        sides = (
            # seekers and quiet state here, move rate, stop and start rates, searching after a move, states there
            (
                (H_SEEK, H_STALE),
                H_QUIET,
                self.emigrate,
                self.stop_home,
                self.start_home,
                self.seek_after_leaving,
                (A_SEEK, A_STALE, A_QUIET),
            ),
            (
                (A_SEEK, A_STALE),
                A_QUIET,
                self.ret,
                self.stop_abroad,
                self.start_abroad,
                self.seek_after_return,
                (H_SEEK, H_STALE, H_QUIET),
            ),
        )
        for seekers, quiet, move, stop, begin, seek_after, (fresh, stale, there_quiet) in sides:
            for src in (*seekers, quiet):
                k = 0 if src in seekers else 1
                keep = (1 - stop) if k == 0 else begin
                # Searching on: a stale resume stays stale; a new spell rewrites it.
                t[:, src, src if k == 0 else seekers[0]] = stay * (1 - move) * keep
                t[:, src, quiet] = stay * (1 - move) * (1 - keep)
                t[:, src, fresh] = stay * move * seek_after[k] * (1 - self.stale)
                t[:, src, stale] = stay * move * seek_after[k] * self.stale
                t[:, src, there_quiet] = stay * move * (1 - seek_after[k])
        t[:, :LIVE, GONE] = self.gone
        t[:, GONE, GONE] = 1.0
        return t

    def emissions(self) -> np.ndarray:
        """(3, 7): probability of each observation code (-1, 0, 1 stored at 0, 1, 2) in each state."""
        e = np.zeros((3, S))
        e[0] = 1.0
        seen = 1 - self.miss
        for state, shows in ((H_SEEK, 1), (A_STALE, 1), (A_SEEK, 2), (H_STALE, 2)):
            e[0, state] = self.miss
            e[shows, state] = seen
        return e


@dataclass
class _Counts:
    xi: np.ndarray  # (M-1, 5, 5) expected transitions
    first_old: np.ndarray  # (5,) expected first states of older resumes
    first_new: np.ndarray  # (5,)
    seen: np.ndarray  # (3, 5) expected observation codes by state
    loglik: float
    occupancy: np.ndarray  # (M, 5) expected people in each state


def _start_vectors(p: Params, start: np.ndarray) -> np.ndarray:
    first = np.zeros((len(start), S))
    first[:, :LIVE] = np.where((start == 0)[:, None], p.initial, p.entry)
    return first


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
class _Fit:
    params: Params
    flows: np.ndarray  # (M-1, 2): expected emigrations and returns into months 1..M-1, among profiles
    profiles: np.ndarray  # (M,) expected profiles not gone, seen or not
    loglik: float
    iterations: int


def _unseen_cohorts(start: np.ndarray, months: int) -> tuple[np.ndarray, np.ndarray]:
    """One all-unseen pseudo person per creation month present in the data."""
    cohorts = np.unique(start)
    return np.full((len(cohorts), months), 0, np.int8), cohorts


def _fit(
    obs_code: np.ndarray,
    start: np.ndarray,
    weight: np.ndarray,
    p: Params,
    *,
    max_iter: int,
    tol: float,
) -> _Fit:
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
    return _Fit(p, flows, counts.occupancy[:, :LIVE].sum(axis=1), counts.loglik, it)


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


# -- public ---------------------------------------------------------------------------------------------


def load_panel(store: object, *, origin: str = "RU", it_only: bool = True, source: str | None = None) -> Panel:
    """Read resume sightings from a store (``talentflow.store.Store``) into a person × month panel."""
    import ibis

    t = store.table("resume_observation")  # type: ignore[attr-defined]
    if it_only:
        t = t.filter(t.is_it)
    if source is not None:
        t = t.filter(t.source == source)
    t = t.filter(t.country.notnull())
    # Months as integers (year * 12 + month - 1), so that nothing is formatted or parsed row by row.
    t = t.mutate(mon=t.observed_at.year() * 12 + t.observed_at.month() - 1)
    per_month = t.group_by(["resume_id", "mon"]).aggregate(
        abroad=t.country.argmax(t.observed_at) != origin,
        country=t.country.argmax(t.observed_at),
        created=(t.created_at.year() * 12 + t.created_at.month() - 1).min(),
        n=t.count(),
    )
    per_month = per_month.mutate(person=ibis.dense_rank().over(order_by=per_month.resume_id))
    frame = per_month.select("person", "mon", "abroad", "country", "created", "n").to_pyarrow()
    if frame.num_rows == 0:
        raise UsageError(
            "no resume sightings with a country in the store; ingest resumes first "
            "(e.g. `talentflow simulate exodus-2022 --out sim && talentflow ingest sim`)"
        )
    return _panel_from_columns(frame, origin)


def _panel_from_columns(frame: Any, origin: str) -> Panel:
    person = frame["person"].to_numpy().astype(np.int64)
    mon = frame["mon"].to_numpy().astype(np.int64)
    first, last = int(mon.min()), int(mon.max())
    months = tuple(f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(first, last + 1))
    col = mon - first
    people = int(person.max()) + 1
    obs = np.full((people, len(months)), -1, np.int8)
    obs[person, col] = frame["abroad"].to_numpy(zero_copy_only=False).astype(np.int8)
    # A resume starts in the month it was created (older ones in the first month); without a creation date, in
    # the month it was first seen.
    created = frame["created"].to_numpy(zero_copy_only=False)
    created = np.where(np.isnan(created.astype(float)), mon, created).astype(np.int64)
    start = np.full(people, len(months), np.int64)
    np.minimum.at(start, person, np.clip(np.minimum(created, mon) - first, 0, None))
    dest = pd.DataFrame({"person": person, "month": col, "country": frame["country"].to_pandas()})
    return Panel(months, obs, start, origin, dest, int(_column_sum(frame["n"])))


def _column_sum(column: Any) -> int:
    return int(np.asarray(column.to_numpy(zero_copy_only=False)).sum())


@dataclass
class PanelOptions:
    level: float = 0.9
    n_boot: int = 100
    seed: int = 0
    max_iter: int = 200
    tol: float = 1e-6  # relative change in log-likelihood; the flows then move by well under 0.5%
    boot_iter: int = 5  # bootstrap fits start from the full-sample fit; more steps do not move them


@dataclass(frozen=True)
class PanelFit:
    """Monthly flows of the whole workforce (point and bootstrap replicates); `result` cuts a window from them."""

    panel: Panel
    population: Population
    corrected: bool
    options: PanelOptions
    point: np.ndarray  # (M-1, 2): emigration and return into months 1..M-1
    boot: np.ndarray  # (B, M-1, 2)
    notes: tuple[str, ...]

    def _window(self, start: str, end: str) -> tuple[int, int]:
        panel = self.panel
        i0, i1 = panel.month_index(start, "start"), panel.month_index(end, "end")
        if i1 < i0:
            raise UsageError(f"{end} is before the first month {start}", param="end")
        if i0 == 0:
            raise UsageError(
                f"flows need a month of sightings before {start}; the first month is {panel.months[0]}", param="start"
            )
        return i0, i1

    def result(self, start: str, end: str) -> MigrationResult:
        """Flows by month from ``start`` to ``end`` (YYYY-MM), the window's totals and emigrants by destination."""
        panel, opt = self.panel, self.options
        i0, i1 = self._window(start, end)
        rng = np.random.default_rng([opt.seed, i0, i1])
        rows = _rows(panel, self.point, self.boot, i0, i1, opt.level)
        rows += _destination_rows(panel, self.point, self.boot, i0, i1, opt.level, rng)
        pop = self.population
        inputs = {
            "resume sightings": f"{panel.sightings:,} sightings of {panel.people:,} resumes, {panel.months[0]} to "
            f"{panel.months[-1]}",
            "population": f"{pop.count:,.0f} IT workers at the end of {pop.month} ({pop.source})",
            "origin": panel.origin,
        }
        interval = f"bootstrap over people ({opt.n_boot} replicates, seed {opt.seed})"
        if pop.cv:
            interval += f", population cv {pop.cv:.0%}"
        method = "panel" if self.corrected else "panel-naive"
        return MigrationResult(method, pd.DataFrame(rows), opt.level, inputs, self.notes, interval)

    def rescaled(self, population: Population, seed: int) -> PanelFit:
        """The same fit scaled to another population. The flows among profiles scale by count / profiles, so
        another population multiplies them by a factor; its cv widens the replicates as in `fit_panel`."""
        factor = population.count / self.population.count
        boot = _population_noise(self.boot * factor, population.cv, np.random.default_rng([seed, 1]))
        return replace(self, population=population, point=self.point * factor, boot=boot)

    def total(self, flow: str, start: str, end: str) -> tuple[float, float, float]:
        """(estimate, low, high) of ``emigration``, ``return`` or ``net`` summed from ``start`` to ``end``."""
        i0, i1 = self._window(start, end)
        est, boot = _flows(self.point, self.boot, i0, i1)[flow]
        low, high = _interval(est.sum(keepdims=True), boot.sum(axis=1)[:, None], self.options.level)
        return float(est.sum()), float(low[0]), float(high[0])


def fit_panel(
    panel: Panel, population: Population, *, corrected: bool = True, options: PanelOptions | None = None
) -> PanelFit:
    """Fit the model (or, with ``corrected=False``, count the changes seen) and bootstrap it over people.

    ``corrected=False`` gives the naive estimate: the country changes seen between consecutive monthly
    sightings, scaled by the population over the number of resumes on the board. It is there to show what the
    model corrects."""
    opt = options or PanelOptions()
    if not 0 < opt.level < 1:
        raise UsageError(f"level must be between 0 and 1, not {opt.level}")
    if opt.n_boot < 0:
        raise UsageError(f"n_boot must not be negative, not {opt.n_boot}")
    ref = panel.month_index(population.month, "population_month")
    rng = np.random.default_rng(opt.seed)
    obs_code = (panel.obs + 1).astype(np.int8)
    draws = []
    if corrected:
        fit = _fit(
            obs_code,
            panel.start,
            np.ones(panel.people),
            Params.first_guess(len(panel.months)),
            max_iter=opt.max_iter,
            tol=opt.tol,
        )
        profiles = fit.profiles[ref]
        point = fit.flows * population.count / profiles
        for _ in range(opt.n_boot):
            w = rng.poisson(1.0, panel.people).astype(float)
            b = _fit(obs_code, panel.start, w, fit.params.copy(), max_iter=opt.boot_iter, tol=opt.tol)
            draws.append(b.flows * population.count / b.profiles[ref])
        p = fit.params
        detail = (
            f"EM: {fit.iterations} iterations; searching right after leaving {p.seek_after_leaving[0]:.2f} "
            f"(searchers) and {p.seek_after_leaving[1]:.2f} (others); resume keeps the old country after a move "
            f"{p.stale:.2f}; month-end sighting missed {p.miss:.3f}; leaving the board {p.gone * 12:.3f} a year"
        )
    else:
        flows, seen = _naive(panel, np.ones(panel.people))
        profiles = seen[ref]
        point = flows * population.count / profiles
        for _ in range(opt.n_boot):
            w = rng.poisson(1.0, panel.people).astype(float)
            f, s = _naive(panel, w)
            draws.append(f * population.count / s[ref])
        detail = "naive: only the changes seen between consecutive monthly sightings, none out of sight"
    boot = _population_noise(np.array(draws) if draws else np.empty((0, *point.shape)), population.cv, rng)
    notes = (
        f"profiles on the board at the end of {population.month}: {profiles:,.0f} "
        f"({profiles / population.count:.1%} of the population)",
        detail,
    )
    return PanelFit(panel, population, corrected, opt, point, boot, notes)


def panel_flows(
    panel: Panel,
    population: Population,
    *,
    start: str,
    end: str,
    corrected: bool = True,
    options: PanelOptions | None = None,
) -> MigrationResult:
    """Emigration, return and net flows by month from ``start`` to ``end`` (YYYY-MM), the window's totals and
    emigrants by destination, scaled to ``population``; see :func:`fit_panel`."""
    return fit_panel(panel, population, corrected=corrected, options=options).result(start, end)


def _population_noise(boot: np.ndarray, cv: float, rng: np.random.Generator) -> np.ndarray:
    """Replicates times a mean-one lognormal draw each: the population count's own error."""
    if cv <= 0 or not len(boot):
        return boot
    return boot * rng.lognormal(-(cv**2) / 2, cv, len(boot))[:, None, None]


def _naive(panel: Panel, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Country changes between consecutive monthly sightings of a resume, dated at the later sighting."""
    obs = panel.obs
    m = obs.shape[1]
    flows = np.zeros((m - 1, 2))
    last = np.full(len(obs), -1, np.int8)
    for j in range(m):
        now = obs[:, j]
        seen = now >= 0
        if j:
            moved_out = seen & (last == 0) & (now == 1)
            moved_back = seen & (last == 1) & (now == 0)
            flows[j - 1] = [weight[moved_out].sum(), weight[moved_back].sum()]
        last = np.where(seen, now, last)
    # On the board in a month: created by then and seen then or later.
    months = np.arange(m)[None, :]
    last_seen = m - 1 - np.argmax(obs[:, ::-1] >= 0, axis=1)
    on_board = (panel.start[:, None] <= months) & (months <= last_seen[:, None])
    return flows, (on_board * weight[:, None]).sum(axis=0)


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
    window = f"{panel.months[i0]}/{panel.months[i1]}"
    rows = []
    for flow, (est, b) in _flows(point, boot, i0, i1).items():
        low, high = _interval(est, b, level)
        for k, month in enumerate(panel.months[i0 : i1 + 1]):
            rows.append(_row(flow, panel.origin, "abroad", month, est[k], low[k], high[k], level))
        tl, th = _interval(est.sum(keepdims=True), b.sum(axis=1)[:, None], level)
        rows.append(_row(flow, panel.origin, "abroad", window, est.sum(), tl[0], th[0], level))
    return rows


def _row(flow: str, origin: str, dest: str, period: str, est: float, low: float, high: float, level: float) -> dict:
    return {
        "flow": flow,
        "origin": origin,
        "destination": dest,
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
