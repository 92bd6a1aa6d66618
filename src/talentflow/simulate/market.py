"""The labour market itself: workers, employers and vacancies as NumPy arrays, advanced one week at a time.

`Market.step` simulates the current week as a sequence of named phases (employers leaving and relocating, exit
from and entry into IT, separations, on-the-job search, willingness during shock waves, emigration, returns,
vacancies expiring, cancelled and opened, matching), each a private method that changes the arrays and notes its
events in the week's tally; it then advances `Market.week` and returns the `Week` record. Nothing here knows
about the job board: the observer (`board.py`) and the data collector (`truth.py`) read that record with the
state. Equations are in docs/simulator.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from talentflow.simulate.scenario import AI_ROLE, Scenario, Wave

HOME = -1  # residence code of a worker living in the origin country
NO_JOB = -1
JOB_ABROAD = -2  # employed abroad by a firm that is not a home employer
LEVELS = ("junior", "middle", "senior", "lead")
LEVEL_WEIGHTS = np.array([0.2, 0.4, 0.3, 0.1])
LEVEL_MONTHS = np.array([12, 36, 84, 144])  # typical experience per level
#: AI work of a worker or a vacancy (`Market.ai`, the vacancies' ``ai``): none, ML engineer, data scientist.
AI_NONE, AI_ML_ENGINEER, AI_DATA_SCIENTIST = 0, 1, 2
EPOCH = dt.date(1970, 1, 1)


def day_number(d: dt.date) -> int:
    return (d - EPOCH).days


def _curve(points: list[tuple[dt.date, float]], day: int) -> float:
    """Piecewise-linear multiplier through dated points; 1 before the first point, flat after the last."""
    if not points:
        return 1.0
    days = [day_number(d) for d, _ in points]
    values = [v for _, v in points]
    if day <= days[0]:
        return values[0] if day == days[0] else 1.0
    return float(np.interp(day, days, values))


@dataclass
class Week:
    """What happened in one step: indices into the market's arrays, plus the flows the truth tables count."""

    index: int
    first_day: int  # day number of the week's Monday
    opened: np.ndarray  # vacancies opened
    closed: np.ndarray  # vacancies closed (filled, expired, cancelled or employer gone)
    seek_started: np.ndarray  # workers who started looking for a job
    emigrated: np.ndarray  # workers who moved abroad
    returned: np.ndarray  # workers who came back
    entered: int
    left_home: int  # left IT while living at home
    left_abroad: int
    hires: int
    separations: int
    exits: int  # employers that left the country
    relocations: int  # employers that moved their hiring abroad


class Growable:
    """Struct-of-arrays with amortised appends (vacancies, and the board's draws, accumulate over the run)."""

    def __init__(self, dtypes: dict[str, str], capacity: int) -> None:
        self.n = 0
        self.capacity = capacity
        self.cols = {k: np.empty(capacity, dtype=t) for k, t in dtypes.items()}

    def append(self, **values: np.ndarray) -> np.ndarray:
        k = len(next(iter(values.values())))
        if self.n + k > self.capacity:
            self.capacity = max(2 * self.capacity, self.n + k)
            for name, arr in self.cols.items():
                grown = np.empty(self.capacity, dtype=arr.dtype)
                grown[: self.n] = arr[: self.n]
                self.cols[name] = grown
        idx = np.arange(self.n, self.n + k)
        for name, arr in values.items():
            self.cols[name][idx] = arr
        self.n += k
        return idx

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name][: self.n]


@dataclass
class _Tally:
    """The week's events as the phases append them: what `Market.step` turns into the `Week` record."""

    opened: list[np.ndarray] = field(default_factory=list)
    closed: list[np.ndarray] = field(default_factory=list)
    seek_started: list[np.ndarray] = field(default_factory=list)
    emigrated: list[np.ndarray] = field(default_factory=list)
    returned: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    entered: int = 0
    left_home: int = 0
    left_abroad: int = 0
    hires: int = 0
    separations: int = 0
    exits: int = 0
    relocations: int = 0

    def record(self, index: int, first_day: int) -> Week:
        # What the phases counted passes through as it is; what they appended in pieces is joined.
        counted = ("returned", "entered", "left_home", "left_abroad", "hires", "separations", "exits", "relocations")
        return Week(
            index=index,
            first_day=first_day,
            opened=np.concatenate(self.opened),
            closed=np.concatenate(self.closed),
            seek_started=np.unique(np.concatenate(self.seek_started)),
            emigrated=np.concatenate(self.emigrated) if self.emigrated else np.zeros(0, np.int64),
            **{name: getattr(self, name) for name in counted},
        )


class Market:
    """State of one simulated market. ``rng`` is the source of randomness, and ``ai_rng`` of the AI work of
    workers and vacancies (default: a stream spawned from ``rng``, which leaves ``rng``'s draws alone).

    `step` simulates the current week and advances `week`; the phases it runs, in order, are the private
    methods under "phases of the week". The order of the random draws is part of the output: the same seed
    gives the same bytes only if every phase draws what it drew before, in the same order and shapes. The AI
    work is drawn from its own stream, so the market's other draws do not depend on it.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        scale: float,
        rng: np.random.Generator,
        ai_rng: np.random.Generator | None = None,
        types_rng: np.random.Generator | None = None,
    ) -> None:
        self.sc = scenario
        self.scale = scale
        self.rng = rng
        self.ai_rng = ai_rng if ai_rng is not None else rng.spawn(1)[0]
        # The draws of the behaviours of issue 18 have streams of their own too (`types_rng` for the search
        # types, see `_streams`): switched on, they move none of the draws the market made without them.
        self.types_rng = types_rng if types_rng is not None else rng.spawn(1)[0]
        search = scenario.search
        self.type_shares = np.array([t.share for t in search.types])
        self.type_factors = np.array(search.type_factors())
        self.has_types = len(search.types) > 1
        self.search_varies = self.has_types or search.intent_factor != 1
        self.week = 0
        self.start_day = day_number(scenario.start)
        pop = scenario.population
        self.roles = list(pop.roles)
        self.regions = list(pop.regions)
        # AI work is drawn among the programmers: its probability there gives the asked share of all IT.
        self.ai_role = self.roles.index(AI_ROLE) if AI_ROLE in self.roles else -1
        programmers = scenario.ai_role_share()
        self.ai_p = {
            "workers": scenario.ai.workers / programmers if programmers else 0.0,
            "vacancies": scenario.ai.vacancies / programmers if programmers else 0.0,
        }
        # Places abroad: the migration destinations first (a worker's preference indexes them), then any
        # further place employers relocate to.
        self.reloc_destinations = list(scenario.relocations.destinations)
        self.destinations = list(scenario.migration.destinations)
        self.destinations += [a for a in self.reloc_destinations if a not in self.destinations]
        self.n_preferred = len(scenario.migration.destinations)
        self.n0 = max(100, round(pop.workers * scale))
        self.n = 0
        # The pieces draw from `rng` in this order: reordering them changes every output file.
        years = scenario.weeks() / 52
        self._allocate_workers(int(self.n0 * (1.05 + pop.entry_per_year * years)))
        size = self._draw_employers(max(10, round(scenario.employers.count * scale)))
        self._allocate_vacancies()
        self._first_cohort(size)
        self._initial_vacancies()
        # Each phase of each week draws from its own stream, keyed by (week, phase): a phase that draws more or
        # less (more emigrants in a shock wave, none without it) shifts no other phase's draws and no later
        # week's. So a run with the shocks switched off (`Scenario.without_shocks`) shares its random numbers
        # with the shocked run, and their difference is the shock's effect, not a different draw.
        self._entropy = int(self.rng.integers(2**63))

    @property
    def first_day(self) -> int:
        """Day number of the current week's Monday."""
        return self.start_day + 7 * self.week

    # -- set-up -----------------------------------------------------------------------------------------
    def _allocate_workers(self, capacity: int) -> None:
        self.alive = np.zeros(capacity, bool)
        self.role = np.zeros(capacity, np.int8)
        self.level = np.zeros(capacity, np.int8)
        self.region = np.zeros(capacity, np.int16)  # home city (kept while abroad: where a returner goes)
        self.residence = np.full(capacity, HOME, np.int16)  # HOME or a destination index
        self.employer = np.full(capacity, NO_JOB, np.int32)
        self.seeking = np.zeros(capacity, bool)
        self.willing = np.zeros(capacity, np.int8)  # 0 no, 1 within the country, 2 abroad
        self.preference = np.zeros(capacity, np.int16)  # preferred destination index
        self.ai = np.zeros(capacity, np.int8)  # AI_NONE, AI_ML_ENGINEER or AI_DATA_SCIENTIST
        self.search_type = np.zeros(capacity, np.int8)  # index into search.types
        self.joined_day = np.zeros(capacity, np.int32)  # entry into IT (before the run for the first cohort)
        self.left_day = np.full(capacity, -1, np.int32)  # last emigration day

    def _draw_employers(self, m: int) -> np.ndarray:
        """Employers and their one-off exit and relocation weeks; returns their sizes (the first cohort's
        employer weights)."""
        rng, sc = self.rng, self.sc
        self.m = m
        size = rng.lognormal(0.0, 1.2, m)
        self.foreign = rng.random(m) < sc.employers.foreign_owned_share
        self.emp_region = rng.choice(len(self.regions), m, p=_weights(sc.population.regions)).astype(np.int16)
        self.emp_abroad = np.full(m, -1, np.int16)  # relocation destination index once moved
        self.gone = np.zeros(m, bool)
        self.exit_week = _event_weeks(rng, self.foreign, sc.exits.share, sc.exits.start, sc.exits.weeks, sc.start)
        reloc = sc.relocations
        self.relocate_week = _event_weeks(rng, ~self.foreign, reloc.share, reloc.start, reloc.weeks, sc.start)
        reloc_p = _weights(reloc.destinations)
        self.emp_reloc_dest = rng.choice(len(self.reloc_destinations), m, p=reloc_p).astype(np.int16)
        return size

    def _allocate_vacancies(self) -> None:
        self.vac = Growable(
            {
                "employer": "i4",
                "role": "i1",
                "level": "i1",
                "opened": "i4",
                "closed": "i4",
                "filled": "?",
                "remote": "?",
                "salary": "f4",
                "area": "i2",
                "abroad": "?",
                "ai": "i1",
            },
            capacity=max(1024, self.n0 // 2),
        )
        self.vac_open = np.zeros(0, np.int64)  # indices of open vacancies, kept sorted

    def _first_cohort(self, size: np.ndarray) -> None:
        rng, n0 = self.rng, self.n0
        employed = self._add_workers(n0, joined_before=True)
        jobless = rng.random(n0) < self.sc.population.unemployment
        self.employer[employed] = np.where(jobless, NO_JOB, rng.choice(self.m, n0, p=size / size.sum()))
        self.seeking[employed] = jobless | (rng.random(n0) < self.sc.search.on_the_job)
        self.base_headcount = np.bincount(self.employer[employed][~jobless], minlength=self.m).astype(float)

    def _initial_vacancies(self) -> None:
        counts = self.rng.poisson(self.base_headcount * self.sc.employers.vacancy_margin * 0.6)
        employers = np.repeat(np.arange(self.m), counts)
        age = self.rng.exponential(7 * self.sc.employers.vacancy_weeks, len(employers)).astype(np.int32)
        # Reported as opened in the first week's record.
        self._pending_open = self._open_vacancies(employers, self.start_day - 1 - age)

    # -- workers ----------------------------------------------------------------------------------------
    def _add_workers(self, k: int, *, joined_before: bool = False) -> np.ndarray:
        rng, sc = self.rng, self.sc
        idx = np.arange(self.n, self.n + k)
        if self.n + k > len(self.alive):
            self._grow_workers(self.n + k)
        self.n += k
        self.alive[idx] = True
        self.role[idx] = rng.choice(len(self.roles), k, p=_weights(sc.population.roles))
        self.ai[idx] = self._ai_work(self.role[idx], self.ai_p["workers"])
        if self.has_types:
            self.search_type[idx] = self.types_rng.choice(len(self.type_shares), k, p=self.type_shares)
        self.level[idx] = rng.choice(4, k, p=LEVEL_WEIGHTS) if joined_before else 0
        self.region[idx] = rng.choice(len(self.regions), k, p=_weights(sc.population.regions))
        self.residence[idx] = HOME
        self.employer[idx] = NO_JOB
        self.seeking[idx] = True
        u = rng.random(k)
        w = sc.willingness
        self.willing[idx] = np.where(u < w.abroad, 2, np.where(u < w.abroad + w.domestic, 1, 0))
        self.preference[idx] = rng.choice(self.n_preferred, k, p=_weights(sc.migration.destinations))
        day = self.first_day
        if joined_before:
            months = LEVEL_MONTHS[self.level[idx]] * rng.uniform(0.5, 1.5, k)
            self.joined_day[idx] = day - (months * 30.4).astype(np.int32)
        else:
            self.joined_day[idx] = day + rng.integers(0, 7, k)
        self.left_day[idx] = -1
        return idx

    def _grow_workers(self, need: int) -> None:
        size = max(need, int(len(self.alive) * 1.5))
        for name in (
            "alive",
            "role",
            "level",
            "region",
            "residence",
            "employer",
            "seeking",
            "willing",
            "preference",
            "ai",
            "search_type",
            "joined_day",
            "left_day",
        ):
            old = getattr(self, name)
            new = np.empty(size, old.dtype)
            new[: len(old)] = old
            new[len(old) :] = {"residence": HOME, "employer": NO_JOB, "left_day": -1}.get(name, 0)
            setattr(self, name, new)

    def _emigrate(self, who: np.ndarray, *, keep: np.ndarray, to: np.ndarray | None = None) -> np.ndarray:
        if not len(who):
            return who
        rng = self.rng
        k = len(who)
        if to is None:
            random_dest = rng.choice(self.n_preferred, k, p=_weights(self.sc.migration.destinations))
            to = np.where(self.willing[who] == 2, self.preference[who], random_dest)
        self.residence[who] = to
        self.left_day[who] = self.first_day + rng.integers(0, 7, k)
        had_job = self.employer[who] != NO_JOB
        self.employer[who] = np.where(keep, self.employer[who], np.where(had_job, JOB_ABROAD, NO_JOB))
        # Someone abroad without a home job either works locally or lives on savings; either way they left
        # the home market, so they count as working abroad for the truth tables.
        self.employer[who[self.employer[who] == NO_JOB]] = JOB_ABROAD
        self.seeking[who] = rng.random(k) < self.sc.search.abroad_on_the_job
        return who

    def _reloc_destination(self, employers: np.ndarray) -> np.ndarray:
        """Residence index (in the migration destinations) for staff moving with their employer."""
        area_ids = [self.reloc_destinations[i] for i in self.emp_reloc_dest[employers]]
        lookup = {a: i for i, a in enumerate(self.destinations)}
        return np.array([lookup[a] for a in area_ids], np.int16)

    # -- vacancies --------------------------------------------------------------------------------------
    def _open_vacancies(self, employers: np.ndarray, days: np.ndarray) -> np.ndarray:
        rng, sc = self.rng, self.sc
        k = len(employers)
        level = rng.choice(4, k, p=LEVEL_WEIGHTS).astype(np.int8)
        years = (days - self.start_day) / 365.25
        median = np.array([sc.salary.median_rub[x] for x in LEVELS])[level] * (1 + sc.salary.growth_per_year) ** years
        abroad = self.emp_abroad[employers] >= 0
        area = np.where(abroad, self.emp_abroad[employers], self.emp_region[employers])
        role = rng.choice(len(self.roles), k, p=_weights(sc.population.roles)).astype(np.int8)
        idx = self.vac.append(
            employer=employers.astype(np.int32),
            role=role,
            level=level,
            opened=days.astype(np.int32),
            closed=np.full(k, -1, np.int32),
            filled=np.zeros(k, bool),
            remote=rng.random(k) < sc.employers.remote_share,
            salary=(median * rng.lognormal(0, sc.salary.spread, k)).astype(np.float32),
            area=area.astype(np.int16),
            abroad=abroad,
            ai=self._ai_work(role, self.ai_p["vacancies"]),
        )
        self.vac_open = np.concatenate([self.vac_open, idx])
        return idx

    def _ai_work(self, role: np.ndarray, p: float) -> np.ndarray:
        """AI work of new workers or vacancies of ``role``: a programmer's with probability ``p``, a data
        scientist's with probability ``ai.data_scientists`` of that. Two draws each from ``ai_rng``, whatever
        the roles, so that the stream does not depend on them."""
        u = self.ai_rng.random((2, len(role)))
        ai = (role == self.ai_role) & (u[0] < p)
        kind = np.where(u[1] < self.sc.ai.data_scientists, AI_DATA_SCIENTIST, AI_ML_ENGINEER)
        return np.where(ai, kind, AI_NONE).astype(np.int8)

    def _close(self, idx: np.ndarray, *, filled: bool) -> None:
        """Close vacancies on a day drawn within the week."""
        day = self._days(len(idx))
        # Days within a week are drawn independently: a vacancy opened late in the week closes no earlier.
        self.vac.cols["closed"][idx] = np.maximum(day, self.vac.cols["opened"][idx])
        self.vac.cols["filled"][idx] = filled

    def _days(self, k: int) -> np.ndarray:
        """``k`` days drawn uniformly within the current week."""
        return self.first_day + self.rng.integers(0, 7, k).astype(np.int32)

    # -- one week ---------------------------------------------------------------------------------------
    def step(self) -> Week:
        """Simulate the current week (the phases below, in the order of docs/simulator.md), advance time by
        one week, and return what happened."""
        t = self._begin_week()
        phases: tuple[Callable[[], object], ...] = (
            lambda: self._employers_exit(t),
            lambda: self._employers_relocate(t),
            lambda: self._leave_it(t),
            lambda: self._enter_it(t),
            lambda: self._separations(t),
            lambda: self._on_the_job_search(t),
            self._willingness_waves,
            lambda: self._emigration(t),
            lambda: self._returns(t),
            lambda: self._expire_vacancies(t),
        )
        for k, phase in enumerate(phases):
            self._streams(k)
            phase()
        gap = self._hiring_gap()
        self._streams(len(phases))
        self._cancel_vacancies(t, gap)
        self._streams(len(phases) + 1)
        self._open_to_demand(t, gap)
        self._streams(len(phases) + 2)
        self._matching(t)
        week = t.record(self.week, self.first_day)
        self.week += 1
        return week

    def _streams(self, phase: int) -> None:
        """The random streams of ``phase`` in the current week (its own draws and its AI work's)."""
        # A third child for the search types: the first two are those spawn(2) gave before there were types.
        main, ai, types = np.random.SeedSequence(self._entropy, spawn_key=(self.week, phase)).spawn(3)
        self.rng, self.ai_rng = np.random.default_rng(main), np.random.default_rng(ai)
        if self.has_types:
            self.types_rng = np.random.default_rng(types)

    # -- phases of the week, in order -------------------------------------------------------------------
    def _begin_week(self) -> _Tally:
        t = _Tally()
        if self.week == 0:
            # The set-up's open vacancies and job seekers appear with the first week.
            t.opened.append(self._pending_open)
            t.seek_started.append(np.flatnonzero(self.seeking[: self.n]))
        self._pending_open = np.zeros(0, np.int64)
        return t

    def _employers_exit(self, t: _Tally) -> None:
        """Employers leaving the country this week: their staff lose the job; a share is moved abroad."""
        leaving = np.flatnonzero((self.exit_week == self.week) & ~self.gone)
        self.gone[leaving] = True
        t.exits = len(leaving)
        if not len(leaving):
            return
        staff = np.flatnonzero(self.alive[: self.n] & np.isin(self.employer[: self.n], leaving))
        abroad = staff[self.rng.random(len(staff)) < self.sc.exits.staff_abroad_share]
        abroad = abroad[self.residence[abroad] == HOME]
        self.employer[staff] = NO_JOB
        self.seeking[staff] = True
        t.seek_started.append(staff)
        t.emigrated.append(self._emigrate(abroad, keep=np.zeros(len(abroad), bool)))

    def _employers_relocate(self, t: _Tally) -> None:
        """Employers moving their hiring abroad this week take a share of their home staff with them."""
        moving = np.flatnonzero(self.relocate_week == self.week)
        self.emp_abroad[moving] = self.emp_reloc_dest[moving]
        t.relocations = len(moving)
        if not len(moving):
            return
        n = self.n
        staff = np.flatnonzero(self.alive[:n] & np.isin(self.employer[:n], moving) & (self.residence[:n] == HOME))
        movers = staff[self.rng.random(len(staff)) < self.sc.relocations.staff_share]
        to = self._reloc_destination(self.employer[movers])
        t.emigrated.append(self._emigrate(movers, keep=np.ones(len(movers), bool), to=to))

    def _leave_it(self, t: _Tally) -> None:
        """Workers leave IT for good, wherever they live."""
        exit_p = 1 - np.exp(-self.sc.population.exit_per_year / 52)
        leavers = np.flatnonzero(self.alive[: self.n] & (self.rng.random(self.n) < exit_p))
        t.left_home = int(np.sum(self.residence[leavers] == HOME))
        t.left_abroad = len(leavers) - t.left_home
        self.alive[leavers] = False
        self.employer[leavers] = NO_JOB
        self.seeking[leavers] = False

    def _enter_it(self, t: _Tally) -> None:
        """Newcomers enter IT at home as juniors looking for a first job."""
        entrants = self.rng.poisson(self.n0 * self.sc.population.entry_per_year / 52)
        t.entered = int(entrants)
        t.seek_started.append(self._add_workers(entrants))

    def _separations(self, t: _Tally) -> None:
        """Separations into unemployment (at home) and the end of remote work for a home employer (abroad)."""
        rng, sc, n = self.rng, self.sc, self.n
        live = self.alive[:n]
        at_home = live & (self.residence[:n] == HOME)
        employed = self.employer[:n] >= 0
        sep_p = 1 - np.exp(-sc.search.separation_per_year / 52)
        separated = np.flatnonzero(at_home & employed & (rng.random(n) < sep_p))
        self.employer[separated] = NO_JOB
        lose_p = 1 - np.exp(-sc.migration.lose_home_employer_per_year / 52)
        dropped = np.flatnonzero(~at_home & live & employed & (rng.random(n) < lose_p))
        self.employer[dropped] = JOB_ABROAD
        t.seek_started.append(separated[~self.seeking[separated]])
        self.seeking[separated] = True
        t.separations = len(separated)

    def _on_the_job_search(self, t: _Tally) -> None:
        """Search spells of the employed start and stop; at home they start more often as `intensity` rises."""
        sc, n = self.sc, self.n
        stop = 1 / sc.search.spell_weeks
        intensity = _curve(sc.search.intensity, self.first_day)
        live = self.alive[:n]
        at_home = live & (self.residence[:n] == HOME)
        working = self.employer[:n] != NO_JOB
        u = self.rng.random(n)  # one draw per worker serves both groups: they are disjoint
        groups = (
            (at_home, sc.search.on_the_job, intensity, True),
            (live & ~at_home, sc.search.abroad_on_the_job, 1.0, False),
        )
        for where, share, mult, intent in groups:
            start: float | np.ndarray = stop * share / max(1e-9, 1 - share) * mult
            if self.search_varies:
                start = start * self._search_factor(where & working & ~self.seeking[:n], intent=intent)
            starting = np.flatnonzero(where & working & ~self.seeking[:n] & (u < start))
            stopping = np.flatnonzero(where & working & self.seeking[:n] & (u < stop))
            self.seeking[starting] = True
            self.seeking[stopping] = False
            t.seek_started.append(starting)

    def _willingness_waves(self) -> None:
        """During a shock wave, workers at home not yet willing to move abroad turn willing."""
        sc, n = self.sc, self.n
        wave = wave_density(sc.migration.waves, self.first_day)
        if wave > 0 and sc.willingness.shift > 0:
            at_home = self.alive[:n] & (self.residence[:n] == HOME)
            p = 1 - np.exp(-sc.willingness.shift * wave)
            turning = np.flatnonzero(at_home & (self.willing[:n] < 2) & (self.rng.random(n) < p))
            self.willing[turning] = 2

    def _emigration(self, t: _Tally) -> None:
        """The waves' hazard plus the base rate, under the policy levers; the willing leave more readily."""
        rng, sc, n, first = self.rng, self.sc, self.n, self.first_day
        emig_mult, _ = self._policy(first)
        hazard = (sc.migration.emigration_per_year / 52 + wave_hazard(sc.migration.waves, first)) * emig_mult
        if hazard <= 0:
            return
        at_home = self.alive[:n] & (self.residence[:n] == HOME)
        willing = self.willing[:n] == 2
        r = sc.migration.willing_hazard_ratio
        share_willing = max(1e-9, float(np.mean(willing[at_home])) if at_home.any() else 0.0)
        base = hazard / (share_willing * r + (1 - share_willing))  # keeps the population hazard at `hazard`
        p = 1 - np.exp(-base * np.where(willing, r, 1.0))
        goers = np.flatnonzero(at_home & (rng.random(n) < p))
        domestic_job = self.employer[goers] >= 0
        domestic_job[domestic_job] = ~self.foreign[self.employer[goers][domestic_job]]
        keep = domestic_job & (rng.random(len(goers)) < sc.migration.keep_home_employer)
        t.emigrated.append(self._emigrate(goers, keep=keep))

    def _returns(self, t: _Tally) -> None:
        """Those abroad come back; a returner without a home employer looks for a job at home."""
        n, first = self.n, self.first_day
        abroad = np.flatnonzero(self.alive[:n] & (self.residence[:n] != HOME))
        abroad = abroad[self.left_day[abroad] < first]  # not those who left this very week
        _, ret_mult = self._policy(first)
        ret_p = 1 - np.exp(-self._return_hazard(first - self.left_day[abroad]) * ret_mult)
        back = abroad[self.rng.random(len(abroad)) < ret_p]
        self.residence[back] = HOME
        lost = back[self.employer[back] == JOB_ABROAD]
        self.employer[lost] = NO_JOB
        t.seek_started.append(lost[~self.seeking[lost]])
        self.seeking[lost] = True
        t.returned = back

    def _expire_vacancies(self, t: _Tally) -> None:
        """Open vacancies are taken down at random, and all of a departed employer's."""
        vo = self.vac_open
        emp_of = self.vac.cols["employer"][vo]
        expire = (self.rng.random(len(vo)) < 1 / self.sc.employers.vacancy_weeks) | self.gone[emp_of]
        gone_now = vo[expire]
        self._close(gone_now, filled=False)
        t.closed.append(gone_now)
        self.vac_open = vo[~expire]

    def _hiring_gap(self) -> np.ndarray:
        """Per employer: the workers it wants, less its headcount and its open vacancies."""
        sc, n = self.sc, self.n
        live = self.alive[:n]
        emp = self.employer[:n]
        headcount = np.bincount(emp[live & (emp >= 0)], minlength=self.m)
        open_count = np.bincount(self.vac.cols["employer"][self.vac_open], minlength=self.m)
        # Headcount grows as the workforce is expected to (`workforce_growth`); the open demand above it moves
        # with `demand`.
        growth = workforce_growth(sc.population.entry_per_year, sc.population.exit_per_year, 7 * self.week / 365.25)
        margin = sc.employers.vacancy_margin * _curve(sc.employers.demand, self.first_day)
        desired = np.where(self.gone, 0.0, self.base_headcount * growth * (1 + margin))
        return desired - headcount - open_count

    def _cancel_vacancies(self, t: _Tally, gap: np.ndarray) -> None:
        """An employer over its wanted size takes down open vacancies in proportion to the excess."""
        vo = self.vac_open
        open_count = np.bincount(self.vac.cols["employer"][vo], minlength=self.m)
        excess = np.where(gap < 0, np.minimum(1.0, -gap / np.maximum(open_count, 1)), 0.0)
        cancel = self.rng.random(len(vo)) < excess[self.vac.cols["employer"][vo]]
        self._close(vo[cancel], filled=False)
        t.closed.append(vo[cancel])
        self.vac_open = vo[~cancel]

    def _open_to_demand(self, t: _Tally, gap: np.ndarray) -> None:
        """An employer under its wanted size opens a share of the shortfall as new vacancies. The shortfall is
        rounded to a whole number of positions at random (up with the probability of its fraction): rounded
        down, employers of many sizes reach their next whole position in the same week, since wanted headcounts
        all grow by one factor, and the market's open vacancies step up then (+3% in the no-shock market's 69th
        week, docs/simulator.md)."""
        gap = np.maximum(gap, 0.0)
        whole = np.floor(gap)
        positions = (whole + (self.rng.random(len(gap)) < gap - whole)).astype(np.int64)
        new_counts = self.rng.binomial(positions, self.sc.employers.fill_share_per_week)
        employers = np.repeat(np.arange(self.m), new_counts)
        t.opened.append(self._open_vacancies(employers, self._days(len(employers))))

    def _matching(self, t: _Tally) -> None:
        """Job seekers at home are hired through `_match`; the vacancies they fill close."""
        filled = self._match()
        t.hires = len(filled)
        t.closed.append(filled)
        self._close(filled, filled=True)

    # -- helpers of the phases --------------------------------------------------------------------------
    def _match(self) -> np.ndarray:
        """Urn-ball matching within each role: every applicant picks one open vacancy of the role at random,
        every vacancy with applicants picks one of them at random, and the pick becomes a hire with
        probability ``acceptance``. The expected hires per applicant, θ(1 − e^(−1/θ)) with θ = V/U, is the
        job-finding rate of del Rio-Chanona et al. (2021). Returns the filled vacancies, one hire each."""
        rng, sc, n = self.rng, self.sc, self.n
        seekers = np.flatnonzero(self.alive[:n] & self.seeking[:n] & (self.residence[:n] == HOME))
        applicants = seekers[rng.random(len(seekers)) < sc.search.apply_per_week]
        vo = self.vac_open
        if not len(applicants) or not len(vo):
            return np.zeros(0, np.int64)
        vrole = self.vac.cols["role"][vo]
        by_role = vo[np.argsort(vrole, kind="stable")]
        counts = np.bincount(vrole, minlength=len(self.roles))
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
        arole = self.role[applicants]
        ok = counts[arole] > 0
        applicants, arole = applicants[ok], arole[ok]
        picked = by_role[offsets[arole] + (rng.random(len(applicants)) * counts[arole]).astype(np.int64)]
        shuffle = rng.permutation(len(applicants))
        vacancies, first_idx = np.unique(picked[shuffle], return_index=True)
        winners = applicants[shuffle[first_idx]]
        hired = rng.random(len(vacancies)) < sc.search.acceptance
        vacancies, winners = vacancies[hired], winners[hired]
        self.employer[winners] = self.vac.cols["employer"][vacancies]
        self.seeking[winners] = False
        self.level[winners] = np.maximum(self.level[winners], self.vac.cols["level"][vacancies])
        self.vac_open = np.setdiff1d(self.vac_open, vacancies, assume_unique=True)
        return vacancies

    def _search_factor(self, candidates: np.ndarray, *, intent: bool) -> np.ndarray:
        """Per worker, the multiplier on the rate of starting to look: the search type's factor, times
        `intent_factor` for those willing to move abroad (at home), the latter scaled so that the mean over the
        ``candidates`` (those who could start) stays 1, as `_emigration` keeps its hazard."""
        n, search = self.n, self.sc.search
        factor = self.type_factors[self.search_type[:n]]
        if intent and search.intent_factor != 1:
            willing = self.willing[:n] == 2
            share = float(np.mean(willing[candidates])) if candidates.any() else 0.0
            r = search.intent_factor
            factor = factor * np.where(willing, r, 1.0) / (share * r + 1 - share)
        return factor

    def _return_hazard(self, days_abroad: np.ndarray) -> float | np.ndarray:
        """Weekly return hazard by days abroad: ``return_early.factor`` times the later hazard λ in the first
        ``weeks`` W, with λ = r / (52 + (factor − 1)·W) so that the share back after a year, 1 − e^(−r), is the
        constant hazard's (r = `return_per_year`)."""
        r, early = self.sc.migration.return_per_year, self.sc.migration.return_early
        if early.factor == 1:
            return r / 52
        late = r / (52 + (early.factor - 1) * early.weeks)
        return np.where(days_abroad < 7 * early.weeks, early.factor * late, late)

    def _policy(self, day: int) -> tuple[float, float]:
        """Emigration and return multipliers of the policy levers in force on ``day``."""
        today = dt.date.fromordinal(EPOCH.toordinal() + day)
        emig, ret = 1.0, 1.0
        for lever in self.sc.policy:
            if lever.start <= today and (lever.end is None or today < lever.end):
                emig *= lever.emigration
                ret *= lever.returns
        return emig, ret


def workforce_growth(entry: float, exit_rate: float, years: float) -> float:
    """The workforce's expected size after ``years`` relative to its start: entry is a fixed count a year
    (``entry`` times the starting workforce), exit a rate per worker, so N' = entry·N₀ − exit·N and
    N(t)/N₀ = e/x + (1 − e/x)·e^(−x·t), which bends towards e/x (1 + e·t without exit)."""
    if exit_rate <= 0:
        return 1.0 + entry * years
    ratio = entry / exit_rate
    return float(ratio + (1.0 - ratio) * np.exp(-exit_rate * years))


def _wave_terms(waves: list[Wave], day: int) -> Iterator[tuple[Wave, float]]:
    """Each started wave with its weekly density exp(-t/τ)/τ (t in weeks since its start): it sums to 1."""
    for wave in waves:
        t = (day - day_number(wave.start)) / 7
        if t >= 0:
            yield wave, float(np.exp(-t / wave.weeks) / wave.weeks)


def wave_density(waves: list[Wave], day: int) -> float:
    return sum(d for _, d in _wave_terms(waves, day))


def wave_hazard(waves: list[Wave], day: int) -> float:
    """Weekly emigration hazard of the waves: -log(1 - share) spread over a wave makes ``share`` of a closed
    population leave."""
    return sum(-np.log1p(-min(w.share, 0.999)) * d for w, d in _wave_terms(waves, day))


def _weights(mapping: dict[str, float]) -> np.ndarray:
    w = np.array(list(mapping.values()), float)
    return w / w.sum()


def _event_weeks(
    rng: np.random.Generator,
    eligible: np.ndarray,
    share: float,
    start: dt.date | None,
    weeks: float,
    run_start: dt.date,
) -> np.ndarray:
    """Week index of a one-off event per employer (-1 for none): a `share` of the eligible, exponential delay."""
    out = np.full(len(eligible), -1, np.int32)
    # The same draws whether or not the event is enabled, so that the set-up after it draws the same numbers
    # (an exponential draw may take more than one of the generator's words: drawing uniforms instead would not
    # keep the stream aligned).
    u = rng.random(len(eligible))
    delay = rng.exponential(weeks, len(eligible))
    if start is None or share <= 0:
        return out
    hit = eligible & (u < share)
    out[hit] = ((start - run_start).days / 7 + delay[hit]).astype(np.int32)
    return out
