"""Fitting the panel to a population, the naive count beside it, and the bootstrap over people."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from talentflow.errors import UsageError
from talentflow.migration.panel._data import Panel, Patterns, _patterns
from talentflow.migration.panel._em import _EMFit, _run_em
from talentflow.migration.panel._model import MODELS, Params, Structure
from talentflow.migration.panel._rows import _destination_rows, _flows, _interval, _rows, _stay_rows, _still_abroad
from talentflow.migration.requests import PanelRequest, Population
from talentflow.migration.results import MigrationResult

#: ``progress(stage, done, total, text)``: called as a fit goes, with ``stage`` "EM" (done: iterations of at most
#: ``total``) or "bootstrap" (done: replicates of ``total``, fractional within a group) and a line to show.
Progress = Callable[[str, float, float, str], None]

#: Bootstrap replicates fitted together: a group shares each pass over the patterns.
BOOT_GROUP = 20


@dataclass
class PanelOptions:
    level: float = 0.9
    n_boot: int = 100
    seed: int = 0
    max_iter: int = 500
    tol: float = 1e-7  # relative change in the objective (see `_em._run_em`)
    boot_iter: int = 500  # each replicate runs to convergence from the full-sample fit
    boot_tol: float = 1e-6  # its stopping rule (see docs/migration.md for what a looser one changes)
    #: The model (docs/migration.md): search types, classes of time abroad, searchers' own emigration rate.
    structure: Structure = MODELS[PanelRequest.model]
    accelerate: bool = True  # SQUAREM (see `_em._run_em`)


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
    #: (M-1, H + 1) emigrants of each month still abroad h = 0..H months later (h = 0: all of them), and the
    #: replicates (B, M-1, H + 1); empty for the naive count.
    away: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    away_boot: np.ndarray = field(default_factory=lambda: np.empty((0, 0, 0)))
    profiles: float = float("nan")  # profiles on the board at the population's month (the scale's divisor)

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
        rows += _stay_rows(panel, self.away, self.away_boot, i0, i1, opt.level)
        pop = self.population
        inputs = {
            "resume sightings": f"{panel.sightings:,} sightings of {panel.people:,} resumes ({panel.data} data), "
            f"{panel.months[0]} to {panel.months[-1]}",
            "population": f"{pop.count:,.0f} IT workers at the end of {pop.month} ({pop.source})",
            "origin": panel.origin,
        }
        interval = f"bootstrap over people ({opt.n_boot} replicates, seed {opt.seed})"
        if pop.cv:
            interval += f", population cv {pop.cv:.0%}"
        method = "panel" if self.corrected else "panel-naive"
        return MigrationResult(method, pd.DataFrame(rows), opt.level, inputs, self.notes, interval)

    def total(self, flow: str, start: str, end: str) -> tuple[float, float, float]:
        """(estimate, low, high) of ``emigration``, ``return`` or ``net`` summed from ``start`` to ``end``."""
        i0, i1 = self._window(start, end)
        est, boot = _flows(self.point, self.boot, i0, i1)[flow]
        low, high = _interval(est.sum(keepdims=True), boot.sum(axis=1)[:, None], self.options.level)
        return float(est.sum()), float(low[0]), float(high[0])

    def return_share(self, start: str, end: str, within: int | None = None) -> tuple[float, float, float]:
        """(estimate, low, high): the share of the emigrants of ``start`` to ``end`` (YYYY-MM) back within
        ``within`` months of leaving, or, without ``within``, back by the end of ``end`` (a cohort's return
        share; those back within the month they left count as back)."""
        if not self.away.size:
            raise UsageError("a cohort's return share needs the model's fit, not the naive count")
        horizon = self.away.shape[-1] - 1
        if within is not None and not 1 <= within <= horizon:
            raise UsageError(f"must be between 1 and {horizon} months, not {within}", param="within")
        i0, i1 = self._window(start, end)
        months = np.arange(i0 - 1, i1)
        later = np.minimum(i1 - 1 - months, horizon)  # month-ends from the first one abroad to the window's end

        def share(point: np.ndarray, away: np.ndarray) -> np.ndarray:
            left = point[..., months, 0].sum(axis=-1)
            if within is None:
                still = away[..., months, later].sum(axis=-1)
            else:
                still = _still_abroad(away[..., months, :], within).sum(axis=-1)
            return 1 - still / left

        est = share(self.point, self.away)
        low, high = _interval(np.atleast_1d(est), share(self.boot, self.away_boot)[:, None], self.options.level)
        return float(est), float(low[0]), float(high[0])


def fit_panel(
    panel: Panel,
    population: Population,
    *,
    corrected: bool = True,
    options: PanelOptions | None = None,
    progress: Progress | None = None,
) -> PanelFit:
    """Fit the model (or, with ``corrected=False``, count the changes seen) and bootstrap it over people.

    ``corrected=False`` gives the naive estimate: the country changes seen between consecutive monthly
    sightings, scaled by the population over the number of resumes on the board. It is there to show what the
    model corrects. ``progress``, if given, is called as the work goes (see `Progress`)."""
    opt = options or PanelOptions()
    if not 0 < opt.level < 1:
        raise UsageError(f"level must be between 0 and 1, not {opt.level}")
    if opt.n_boot < 0:
        raise UsageError(f"n_boot must not be negative, not {opt.n_boot}")
    ref = panel.month_index(population.month, "population_month")
    rng = np.random.default_rng(opt.seed)
    if corrected:
        fit, boots = _fit_em(_patterns(panel), panel.crawl_mask, opt, rng, progress)
        profiles = fit.profiles[ref]
        point, away = (x * population.count / profiles for x in (fit.flows, fit.away))
        replicates = np.array([b.flows * population.count / b.profiles[ref] for b in boots])
        away_boot = np.array([b.away * population.count / b.profiles[ref] for b in boots])
        detail = _describe(fit)
    else:
        flows, seen = _naive(panel, np.ones(panel.people))
        profiles = seen[ref]
        point, away = flows * population.count / profiles, np.empty((0, 0))
        reps = []
        for k in range(opt.n_boot):
            w = rng.poisson(1.0, panel.people).astype(float)
            f, s = _naive(panel, w)
            reps.append(f * population.count / s[ref])
            if progress is not None:
                progress("bootstrap", k + 1, opt.n_boot, "naive count")
        replicates = np.array(reps) if reps else np.empty((0, *point.shape))
        away_boot = np.empty((len(replicates), 0, 0))
        detail = "naive: only the changes seen between consecutive monthly sightings, none out of sight"
    if not len(replicates):
        replicates, away_boot = np.empty((0, *point.shape)), np.empty((0, *away.shape))
    boot, away_boot = _population_noise((replicates, away_boot), population.cv, opt.seed)
    notes = [
        f"profiles on the board at the end of {population.month}: {profiles:,.0f} "
        f"({profiles / population.count:.1%} of the population)",
        detail,
    ]
    if panel.left_out:
        notes.append(
            f"{panel.left_out:,} sightings outside the crawled months {panel.months[0]} to {panel.months[-1]} "
            "left out (a month is crawled when it holds at least 10% of the median month's sightings)"
        )
    gaps = [m for m, c in zip(panel.months, panel.crawl_mask, strict=True) if not c]
    if gaps:
        notes.append(f"months without a crawl, fitted as missing data: {', '.join(gaps)}")
    return PanelFit(panel, population, corrected, opt, point, boot, tuple(notes), away, away_boot, float(profiles))


def _describe(fit: _EMFit) -> str:
    p = fit.params
    st = p.structure
    after = [float(p.rate("after", 0, c)[0]) for c in (0, 1)]
    text = (
        f"EM: {fit.iterations} iterations; searching right after leaving {after[0]:.2f} (searchers) and "
        f"{after[1]:.2f} (others); resume keeps the old country after a move {p.rate('stale')[0]:.2f}; "
        f"month-end sighting missed {p.miss:.3f}; leaving the board {p.rate('gone')[0] * 12:.3f} a year"
    )
    if st.durations > 1:
        ret = [float(np.mean(p.rate("return", d))) for d in range(st.durations)]
        text += f"; returns a month, recently arrived {ret[0]:.3f}, settled {ret[-1]:.3f}"
    if st.types > 1:
        live = p.initial.reshape(st.types, -1).sum(axis=1)
        text += f"; search types' shares {', '.join(f'{x:.2f}' for x in live)}"
    return text


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


def _fit_em(
    pat: Patterns, crawled: np.ndarray, opt: PanelOptions, rng: np.random.Generator, progress: Progress | None
) -> tuple[_EMFit, list[_EMFit]]:
    """The full-sample fit, then the bootstrap: a Poisson(1) weight per person is, summed over the people of a
    pattern, one Poisson(count) draw per pattern. Replicates run ``BOOT_GROUP`` at a time, each group one
    batched EM warm-started from the full-sample fit and run to convergence like it, so that every parameter's
    uncertainty (the stale share's too) reaches the interval."""

    def em_step(_: np.ndarray, it: int, objective: np.ndarray) -> None:
        if progress is not None:
            progress("EM", it, opt.max_iter, f"iteration {it}, log-likelihood {objective[0]:,.1f}")

    def em(weight: np.ndarray, start: list[Params], **kw: object) -> list[_EMFit]:
        return _run_em(pat.codes, pat.start, weight, start, crawled=crawled, accelerate=opt.accelerate, **kw)  # type: ignore[arg-type]

    first = [Params.first_guess(pat.codes.shape[1], opt.structure)]
    (fit,) = em(pat.count[None, :], first, max_iter=opt.max_iter, tol=opt.tol, on_step=em_step)
    if progress is not None:
        progress("EM", fit.iterations, fit.iterations, f"fitted in {fit.iterations} iterations")
    # Integers are exact in float32 up to 2^24: half the memory of float64 for a million patterns × 100 draws.
    draws = rng.poisson(pat.count, (opt.n_boot, len(pat.count))).astype(np.float32)
    boots: list[_EMFit] = []
    for lo in range(0, opt.n_boot, BOOT_GROUP):
        group = draws[lo : lo + BOOT_GROUP]

        def boot_step(active: np.ndarray, it: int, _: np.ndarray, done: int = lo, size: int = len(group)) -> None:
            if progress is not None:
                text = f"replicates {done + 1}-{done + size}, EM step {it}, {len(active)} still moving"
                progress("bootstrap", done + size * (1 - len(active) / size), opt.n_boot, text)

        start = [fit.params.copy() for _ in group]
        boots += em(group, start, max_iter=opt.boot_iter, tol=opt.boot_tol, on_step=boot_step)
        if progress is not None:
            progress("bootstrap", len(boots), opt.n_boot, f"replicate {len(boots)} of {opt.n_boot}")
    return fit, boots


def population_noise(n: int, cv: float, seed: int) -> np.ndarray:
    """One mean-one lognormal factor per replicate, the population count's error, drawn from its own stream
    (``[seed, 1]``) so that it can be taken out again (`talentflow.migration._scaling.sampling_boot`)."""
    if cv <= 0:
        return np.ones(n)
    return np.random.default_rng([seed, 1]).lognormal(-(cv**2) / 2, cv, n)


def _population_noise(boots: tuple[np.ndarray, ...], cv: float, seed: int) -> tuple[np.ndarray, ...]:
    """Replicates times their `population_noise` factor (the same for every array of a replicate)."""
    n = len(boots[0])
    if cv <= 0 or not n:
        return boots
    factor = population_noise(n, cv, seed)
    return tuple(b * factor.reshape(-1, *([1] * (b.ndim - 1))) if len(b) else b for b in boots)


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
