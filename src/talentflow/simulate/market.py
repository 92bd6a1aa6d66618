"""The labour market itself: workers, employers and vacancies as NumPy arrays, advanced one week at a time.

Nothing here knows about the job board: `Market.step` returns the week's events and the observer
(`board.py`) and the data collector (`truth.py`) read them with the state. Equations are in docs/simulator.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from talentflow.simulate.scenario import Scenario, Wave

HOME = -1  # residence code of a worker living in the origin country
NO_JOB = -1
JOB_ABROAD = -2  # employed abroad by a firm that is not a home employer
LEVELS = ("junior", "middle", "senior", "lead")
LEVEL_WEIGHTS = np.array([0.2, 0.4, 0.3, 0.1])
LEVEL_MONTHS = np.array([12, 36, 84, 144])  # typical experience per level
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


class Market:
    """State of one simulated market. ``rng`` is the only source of randomness."""

    def __init__(self, scenario: Scenario, *, scale: float, rng: np.random.Generator) -> None:
        self.sc = scenario
        self.scale = scale
        self.rng = rng
        self.week = 0
        self.start_day = day_number(scenario.start)
        pop = scenario.population
        self.roles = list(pop.roles)
        self.regions = list(pop.regions)
        # Places abroad: the migration destinations first (a worker's preference indexes them), then any
        # further place employers relocate to.
        self.reloc_destinations = list(scenario.relocations.destinations)
        self.destinations = list(scenario.migration.destinations)
        self.destinations += [a for a in self.reloc_destinations if a not in self.destinations]
        self.n_preferred = len(scenario.migration.destinations)
        n0 = max(100, round(pop.workers * scale))
        years = scenario.weeks() / 52
        capacity = int(n0 * (1.05 + pop.entry_per_year * years))
        self.n0 = n0
        self.n = 0

        self.alive = np.zeros(capacity, bool)
        self.role = np.zeros(capacity, np.int8)
        self.level = np.zeros(capacity, np.int8)
        self.region = np.zeros(capacity, np.int16)  # home city (kept while abroad: where a returner goes)
        self.residence = np.full(capacity, HOME, np.int16)  # HOME or a destination index
        self.employer = np.full(capacity, NO_JOB, np.int32)
        self.seeking = np.zeros(capacity, bool)
        self.willing = np.zeros(capacity, np.int8)  # 0 no, 1 within the country, 2 abroad
        self.preference = np.zeros(capacity, np.int16)  # preferred destination index
        self.joined_day = np.zeros(capacity, np.int32)  # entry into IT (before the run for the first cohort)
        self.left_day = np.full(capacity, -1, np.int32)  # last emigration day

        emp = scenario.employers
        m = max(10, round(emp.count * scale))
        self.m = m
        size = rng.lognormal(0.0, 1.2, m)
        self.foreign = rng.random(m) < emp.foreign_owned_share
        self.emp_region = rng.choice(len(self.regions), m, p=_weights(pop.regions)).astype(np.int16)
        self.emp_abroad = np.full(m, -1, np.int16)  # relocation destination index once moved
        self.gone = np.zeros(m, bool)
        self.exit_week = _event_weeks(
            rng, self.foreign, scenario.exits.share, scenario.exits.start, scenario.exits.weeks, scenario.start
        )
        self.relocate_week = _event_weeks(
            rng,
            ~self.foreign,
            scenario.relocations.share,
            scenario.relocations.start,
            scenario.relocations.weeks,
            scenario.start,
        )
        reloc_p = _weights(scenario.relocations.destinations)
        self.emp_reloc_dest = rng.choice(len(self.reloc_destinations), m, p=reloc_p).astype(np.int16)

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
            },
            capacity=max(1024, n0 // 2),
        )
        self.vac_open = np.zeros(0, np.int64)  # indices of open vacancies, kept sorted

        employed = self._add_workers(n0, joined_before=True)
        jobless = rng.random(n0) < pop.unemployment
        self.employer[employed] = np.where(jobless, NO_JOB, rng.choice(m, n0, p=size / size.sum()))
        self.seeking[employed] = jobless | (rng.random(n0) < scenario.search.on_the_job)
        self.base_headcount = np.bincount(self.employer[employed][~jobless], minlength=m).astype(float)
        self._initial_vacancies()

    # -- workers ----------------------------------------------------------------------------------------
    def _add_workers(self, k: int, *, joined_before: bool = False) -> np.ndarray:
        rng, sc = self.rng, self.sc
        idx = np.arange(self.n, self.n + k)
        if self.n + k > len(self.alive):
            self._grow_workers(self.n + k)
        self.n += k
        self.alive[idx] = True
        self.role[idx] = rng.choice(len(self.roles), k, p=_weights(sc.population.roles))
        self.level[idx] = rng.choice(4, k, p=LEVEL_WEIGHTS) if joined_before else 0
        self.region[idx] = rng.choice(len(self.regions), k, p=_weights(sc.population.regions))
        self.residence[idx] = HOME
        self.employer[idx] = NO_JOB
        self.seeking[idx] = True
        u = rng.random(k)
        w = sc.willingness
        self.willing[idx] = np.where(u < w.abroad, 2, np.where(u < w.abroad + w.domestic, 1, 0))
        self.preference[idx] = rng.choice(self.n_preferred, k, p=_weights(sc.migration.destinations))
        day = self.start_day + 7 * self.week
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
            "joined_day",
            "left_day",
        ):
            old = getattr(self, name)
            new = np.empty(size, old.dtype)
            new[: len(old)] = old
            new[len(old) :] = {"residence": HOME, "employer": NO_JOB, "left_day": -1}.get(name, 0)
            setattr(self, name, new)

    # -- vacancies --------------------------------------------------------------------------------------
    def _open_vacancies(self, employers: np.ndarray, days: np.ndarray) -> np.ndarray:
        rng, sc = self.rng, self.sc
        k = len(employers)
        level = rng.choice(4, k, p=LEVEL_WEIGHTS).astype(np.int8)
        years = (days - self.start_day) / 365.25
        median = np.array([sc.salary.median_rub[x] for x in LEVELS])[level] * (1 + sc.salary.growth_per_year) ** years
        abroad = self.emp_abroad[employers] >= 0
        area = np.where(abroad, self.emp_abroad[employers], self.emp_region[employers])
        idx = self.vac.append(
            employer=employers.astype(np.int32),
            role=rng.choice(len(self.roles), k, p=_weights(sc.population.roles)).astype(np.int8),
            level=level,
            opened=days.astype(np.int32),
            closed=np.full(k, -1, np.int32),
            filled=np.zeros(k, bool),
            remote=rng.random(k) < sc.employers.remote_share,
            salary=(median * rng.lognormal(0, sc.salary.spread, k)).astype(np.float32),
            area=area.astype(np.int16),
            abroad=abroad,
        )
        self.vac_open = np.concatenate([self.vac_open, idx])
        return idx

    def _initial_vacancies(self) -> None:
        counts = self.rng.poisson(self.base_headcount * self.sc.employers.vacancy_margin * 0.6)
        employers = np.repeat(np.arange(self.m), counts)
        age = self.rng.exponential(7 * self.sc.employers.vacancy_weeks, len(employers)).astype(np.int32)
        self._pending_open = self._open_vacancies(employers, self.start_day - 1 - age)

    def _close(self, idx: np.ndarray, day: np.ndarray, *, filled: bool) -> None:
        # Days within a week are drawn independently: a vacancy opened late in the week closes no earlier.
        self.vac.cols["closed"][idx] = np.maximum(day, self.vac.cols["opened"][idx])
        self.vac.cols["filled"][idx] = filled

    # -- one week ---------------------------------------------------------------------------------------
    def step(self) -> Week:
        rng, sc = self.rng, self.sc
        w = self.week
        first = self.start_day + 7 * w
        today = dt.date.fromordinal(EPOCH.toordinal() + first)

        def days(k: int) -> np.ndarray:
            return first + rng.integers(0, 7, k).astype(np.int32)

        opened: list[np.ndarray] = [self._pending_open] if w == 0 else []
        closed: list[np.ndarray] = []
        seek_started: list[np.ndarray] = [np.flatnonzero(self.seeking[: self.n])] if w == 0 else []
        self._pending_open = np.zeros(0, np.int64)
        live = self.alive[: self.n]

        # Employers leaving, or moving their hiring abroad, this week.
        leaving = np.flatnonzero((self.exit_week == w) & ~self.gone)
        moving = np.flatnonzero(self.relocate_week == w)
        self.gone[leaving] = True
        self.emp_abroad[moving] = self.emp_reloc_dest[moving]
        emigrated: list[np.ndarray] = []
        if len(leaving):
            staff = np.flatnonzero(live & np.isin(self.employer[: self.n], leaving))
            abroad = staff[rng.random(len(staff)) < sc.exits.staff_abroad_share]
            abroad = abroad[self.residence[abroad] == HOME]
            self.employer[staff] = NO_JOB
            self.seeking[staff] = True
            seek_started.append(staff)
            emigrated.append(self._emigrate(abroad, first, keep=np.zeros(len(abroad), bool)))
        if len(moving):
            staff = np.flatnonzero(live & np.isin(self.employer[: self.n], moving) & (self.residence[: self.n] == HOME))
            movers = staff[rng.random(len(staff)) < sc.relocations.staff_share]
            emigrated.append(
                self._emigrate(
                    movers, first, keep=np.ones(len(movers), bool), to=self._reloc_destination(self.employer[movers])
                )
            )

        # Entry into and exit from IT.
        exit_p = 1 - np.exp(-sc.population.exit_per_year / 52)
        leavers = np.flatnonzero(live & (rng.random(self.n) < exit_p))
        left_home = int(np.sum(self.residence[leavers] == HOME))
        self.alive[leavers] = False
        self.employer[leavers] = NO_JOB
        self.seeking[leavers] = False
        entrants = rng.poisson(self.n0 * sc.population.entry_per_year / 52)
        new = self._add_workers(entrants)
        seek_started.append(new)
        live = self.alive[: self.n]

        # Separations into unemployment (at home) and the end of remote work for a home employer (abroad).
        at_home = live & (self.residence[: self.n] == HOME)
        employed = self.employer[: self.n] >= 0
        sep_p = 1 - np.exp(-sc.search.separation_per_year / 52)
        separated = np.flatnonzero(at_home & employed & (rng.random(self.n) < sep_p))
        self.employer[separated] = NO_JOB
        lose_p = 1 - np.exp(-sc.migration.lose_home_employer_per_year / 52)
        dropped = np.flatnonzero(~at_home & live & employed & (rng.random(self.n) < lose_p))
        self.employer[dropped] = JOB_ABROAD
        newly_seeking = separated[~self.seeking[separated]]
        self.seeking[separated] = True
        seek_started.append(newly_seeking)

        # On-the-job search spells.
        stop = 1 / sc.search.spell_weeks
        intensity = _curve(sc.search.intensity, first)
        at_home = live & (self.residence[: self.n] == HOME)
        working = self.employer[: self.n] != NO_JOB
        u = rng.random(self.n)
        for where, share in ((at_home, sc.search.on_the_job), (live & ~at_home, sc.search.abroad_on_the_job)):
            start = stop * share / max(1e-9, 1 - share) * (intensity if where is at_home else 1.0)
            starting = np.flatnonzero(where & working & ~self.seeking[: self.n] & (u < start))
            stopping = np.flatnonzero(where & working & self.seeking[: self.n] & (u < stop))
            self.seeking[starting] = True
            self.seeking[stopping] = False
            seek_started.append(starting)

        # Shock waves: a hazard that rises at each wave's start and decays; willingness to move abroad follows.
        wave = wave_density(sc.migration.waves, first)
        if wave > 0 and sc.willingness.shift > 0:
            p = 1 - np.exp(-sc.willingness.shift * wave)
            turning = np.flatnonzero(at_home & (self.willing[: self.n] < 2) & (rng.random(self.n) < p))
            self.willing[turning] = 2

        emig_mult, ret_mult = self._policy(today)
        hazard = (sc.migration.emigration_per_year / 52 + wave_hazard(sc.migration.waves, first)) * emig_mult
        if hazard > 0:
            at_home = live & (self.residence[: self.n] == HOME)
            willing = self.willing[: self.n] == 2
            r = sc.migration.willing_hazard_ratio
            share_willing = max(1e-9, float(np.mean(willing[at_home])) if at_home.any() else 0.0)
            base = hazard / (share_willing * r + (1 - share_willing))  # keeps the population hazard at `hazard`
            p = 1 - np.exp(-base * np.where(willing, r, 1.0))
            goers = np.flatnonzero(at_home & (rng.random(self.n) < p))
            domestic_job = self.employer[goers] >= 0
            domestic_job[domestic_job] = ~self.foreign[self.employer[goers][domestic_job]]
            keep = domestic_job & (rng.random(len(goers)) < sc.migration.keep_home_employer)
            emigrated.append(self._emigrate(goers, first, keep=keep))

        abroad = np.flatnonzero(live & (self.residence[: self.n] != HOME))
        abroad = abroad[self.left_day[abroad] < first]  # not those who left this very week
        ret_p = 1 - np.exp(-sc.migration.return_per_year / 52 * ret_mult)
        back = abroad[rng.random(len(abroad)) < ret_p]
        self.residence[back] = HOME
        lost = back[self.employer[back] == JOB_ABROAD]
        self.employer[lost] = NO_JOB
        newly = lost[~self.seeking[lost]]
        self.seeking[lost] = True
        seek_started.append(newly)

        # Vacancies: take down expired ones and those of departed employers, then open to meet demand.
        vo = self.vac_open
        emp_of = self.vac.cols["employer"][vo]
        expire = (rng.random(len(vo)) < 1 / sc.employers.vacancy_weeks) | self.gone[emp_of]
        gone_now = vo[expire]
        self._close(gone_now, days(len(gone_now)), filled=False)
        closed.append(gone_now)
        vo = vo[~expire]
        live = self.alive[: self.n]
        emp = self.employer[: self.n]
        headcount = np.bincount(emp[live & (emp >= 0)], minlength=self.m)
        open_count = np.bincount(self.vac.cols["employer"][vo], minlength=self.m)
        # Headcount grows with the workforce (entry minus exit); the open demand above it moves with `demand`.
        years = 7 * w / 365.25
        growth = np.exp((sc.population.entry_per_year - sc.population.exit_per_year) * years)
        margin = sc.employers.vacancy_margin * _curve(sc.employers.demand, first)
        desired = np.where(self.gone, 0.0, self.base_headcount * growth * (1 + margin))
        gap = desired - headcount - open_count
        excess = np.where(gap < 0, np.minimum(1.0, -gap / np.maximum(open_count, 1)), 0.0)
        cancel = rng.random(len(vo)) < excess[self.vac.cols["employer"][vo]]
        self._close(vo[cancel], days(int(cancel.sum())), filled=False)
        closed.append(vo[cancel])
        self.vac_open = vo[~cancel]
        new_counts = rng.binomial(np.maximum(gap, 0).astype(np.int64), sc.employers.fill_share_per_week)
        employers = np.repeat(np.arange(self.m), new_counts)
        opened.append(self._open_vacancies(employers, days(len(employers))))

        hires, filled = self._match(first)
        closed.append(filled)
        self._close(filled, days(len(filled)), filled=True)

        return Week(
            index=w,
            first_day=first,
            opened=np.concatenate(opened),
            closed=np.concatenate(closed),
            seek_started=np.unique(np.concatenate(seek_started)),
            emigrated=np.concatenate(emigrated) if emigrated else np.zeros(0, np.int64),
            returned=back,
            entered=int(entrants),
            left_home=left_home,
            left_abroad=len(leavers) - left_home,
            hires=hires,
            separations=len(separated),
            exits=len(leaving),
            relocations=len(moving),
        )

    def advance(self) -> Week:
        week = self.step()
        self.week += 1
        return week

    # -- pieces of the step -----------------------------------------------------------------------------
    def _emigrate(self, who: np.ndarray, first: int, *, keep: np.ndarray, to: np.ndarray | None = None) -> np.ndarray:
        if not len(who):
            return who
        rng = self.rng
        k = len(who)
        if to is None:
            random_dest = rng.choice(self.n_preferred, k, p=_weights(self.sc.migration.destinations))
            to = np.where(self.willing[who] == 2, self.preference[who], random_dest)
        self.residence[who] = to
        self.left_day[who] = first + rng.integers(0, 7, k)
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

    def _policy(self, today: dt.date) -> tuple[float, float]:
        emig, ret = 1.0, 1.0
        for lever in self.sc.policy:
            if lever.start <= today and (lever.end is None or today < lever.end):
                emig *= lever.emigration
                ret *= lever.returns
        return emig, ret

    def _match(self, first: int) -> tuple[int, np.ndarray]:
        """Urn-ball matching within each role: every applicant picks one open vacancy of the role at random,
        every vacancy with applicants picks one of them at random, and the pick becomes a hire with
        probability ``acceptance``. The expected hires per applicant, θ(1 − e^(−1/θ)) with θ = V/U, is the
        job-finding rate of del Rio-Chanona et al. (2021)."""
        rng, sc = self.rng, self.sc
        live = self.alive[: self.n]
        seekers = np.flatnonzero(live & self.seeking[: self.n] & (self.residence[: self.n] == HOME))
        applicants = seekers[rng.random(len(seekers)) < sc.search.apply_per_week]
        vo = self.vac_open
        if not len(applicants) or not len(vo):
            return 0, np.zeros(0, np.int64)
        vrole = self.vac.cols["role"][vo]
        order = np.argsort(vrole, kind="stable")
        by_role = vo[order]
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
        level = self.vac.cols["level"][vacancies]
        self.level[winners] = np.maximum(self.level[winners], level)
        self.vac_open = np.setdiff1d(self.vac_open, vacancies, assume_unique=True)
        return len(winners), vacancies


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
    if start is None or share <= 0:
        rng.random(len(eligible) * 2)  # keep the stream aligned whether or not the event is enabled
        return out
    hit = eligible & (rng.random(len(eligible)) < share)
    delay = rng.exponential(weeks, len(eligible))
    out[hit] = ((start - run_start).days / 7 + delay[hit]).astype(np.int32)
    return out
