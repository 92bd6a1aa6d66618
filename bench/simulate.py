"""Simulator speed: exodus-2022 for 2021-01 → 2023-12 at full scale, and the weekly step against Mesa agents.

    python bench/simulate.py                      # scale 1 (about 1M workers), then Mesa at 10k and 100k
    python bench/simulate.py --scale 0.1 --mesa 10000

Part 1 runs `talentflow.simulate.simulate` end to end (market, board, truth, files) and prints wall time per
phase and peak memory. Part 2 runs the same weekly worker step (entry and exit, separations, on-the-job search,
emigration and returns, vacancy opening and urn-ball matching) written with one Mesa 3 agent per worker and per
employer, beside talentflow's vectorised `Market.step` at the same size, and prints the ratio. Mesa is the
`bench` extra: `pip install -e '.[bench]'`.
"""

from __future__ import annotations

import argparse
import math
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from talentflow.simulate import load_scenario, simulate
from talentflow.simulate.market import Market, wave_hazard
from talentflow.simulate.records import RecordWriter


def full_run(scale: float, seed: int) -> None:
    sc = load_scenario("exodus-2022")
    marks: dict[str, float] = {}
    t0 = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done == total:
            marks["weeks"] = time.perf_counter() - t0

    writers: list[RecordWriter] = []
    init = RecordWriter.__init__

    def keep(self: RecordWriter, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)
        writers.append(self)

    RecordWriter.__init__ = keep  # type: ignore[method-assign]  # to print where the writing threads' time went
    try:
        with tempfile.TemporaryDirectory() as tmp:
            result = simulate(sc, Path(tmp) / "out", scale=scale, seed=seed, progress=progress)
            total = time.perf_counter() - t0
            size = sum(Path(p).stat().st_size for p in result.files.values())
    finally:
        RecordWriter.__init__ = init  # type: ignore[method-assign]
    busy = writers[0].busy
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(
        f"exodus-2022 2021-01..2023-12, scale {scale}: {result.workers:,} workers, {result.weeks} weeks\n"
        f"  market + board + truth, week by week (board records written alongside): {marks['weeks']:.1f} s\n"
        f"  finishing the board records ({sum(result.records.values()):,} records, {size / 1e6:,.0f} MB) "
        f"and truth: {total - marks['weeks']:.1f} s\n"
        f"  total wall time: {total:.1f} s; peak memory (max RSS): {peak:.2f} GB\n"
        f"  writing threads, busy: sorting parts {busy['sort']:.1f} s, DuckDB formatting {busy['format']:.1f} s, "
        f"gzip {busy['gzip']:.1f} s; the week loop waited {busy['caller_waited']:.1f} s for the formatter"
    )


class _MesaMarket:
    """The weekly step with Mesa agents: the baseline a per-agent object model gives."""

    def __init__(self, workers: int, seed: int) -> None:
        import mesa

        sc = load_scenario("exodus-2022")
        self.sc = sc
        model = mesa.Model(rng=seed)
        self.model = model
        rng = model.rng
        n_roles = len(sc.population.roles)
        role_p = np.array(list(sc.population.roles.values()))
        role_p = role_p / role_p.sum()

        class Employer(mesa.Agent):
            def __init__(self, m: mesa.Model) -> None:
                super().__init__(m)
                self.headcount = 0
                self.base = 0.0
                self.vacancies: list[int] = []

        class Worker(mesa.Agent):
            def __init__(self, m: mesa.Model, employer: Employer | None) -> None:
                super().__init__(m)
                self.role = int(rng.choice(n_roles, p=role_p))
                self.home = True
                self.employer = employer
                self.seeking = employer is None or rng.random() < sc.search.on_the_job
                self.willing = rng.random() < sc.willingness.abroad
                if employer is not None:
                    employer.headcount += 1

            def step(self) -> None:
                s = sc.search
                if rng.random() < 1 - math.exp(-sc.population.exit_per_year / 52):
                    if self.employer is not None:
                        self.employer.headcount -= 1
                    self.remove()
                    return
                if self.home:
                    if self.employer is not None and rng.random() < 1 - math.exp(-s.separation_per_year / 52):
                        self.employer.headcount -= 1
                        self.employer = None
                        self.seeking = True
                    stop = 1 / s.spell_weeks
                    if self.employer is not None:
                        if self.seeking and rng.random() < stop:
                            self.seeking = False
                        elif not self.seeking and rng.random() < stop * s.on_the_job / (1 - s.on_the_job):
                            self.seeking = True
                    hazard = owner.hazard * (sc.migration.willing_hazard_ratio if self.willing else 1)
                    if rng.random() < 1 - math.exp(-hazard):
                        self.home = False
                elif rng.random() < 1 - math.exp(-sc.migration.return_per_year / 52):
                    self.home = True

        owner = self
        self.Worker = Worker
        self.employers = [Employer(model) for _ in range(max(10, workers // 33))]
        for _ in range(workers):
            jobless = rng.random() < sc.population.unemployment
            Worker(model, None if jobless else self.employers[int(rng.integers(len(self.employers)))])
        for e in self.employers:
            e.base = e.headcount * (1 + sc.employers.vacancy_margin)
        self.next_vacancy = 0
        self.vacancy_role: dict[int, int] = {}
        self.hazard = 0.0
        self.n0 = workers

    def step(self, week: int) -> None:
        sc, rng, model = self.sc, self.model.rng, self.model
        day = (sc.start.toordinal() - 719163) + 7 * week
        self.hazard = sc.migration.emigration_per_year / 52 + wave_hazard(sc.migration.waves, day)
        workers = model.agents_by_type[self.Worker]
        workers.shuffle_do("step")
        for _ in range(int(rng.poisson(self.n0 * sc.population.entry_per_year / 52))):
            self.Worker(model, None)
        by_role: dict[int, list[tuple[object, int]]] = {}
        for e in self.employers:
            e.vacancies = [v for v in e.vacancies if rng.random() >= 1 / sc.employers.vacancy_weeks]
            gap = e.base - e.headcount - len(e.vacancies)
            for _ in range(int(rng.binomial(max(0, int(gap)), sc.employers.fill_share_per_week))):
                self.vacancy_role[self.next_vacancy] = int(rng.integers(len(sc.population.roles)))
                e.vacancies.append(self.next_vacancy)
                self.next_vacancy += 1
            for v in e.vacancies:
                by_role.setdefault(self.vacancy_role[v], []).append((e, v))
        picks: dict[int, list] = {}
        for w in workers:
            if w.home and w.seeking and rng.random() < sc.search.apply_per_week and by_role.get(w.role):
                options = by_role[w.role]
                e, v = options[int(rng.integers(len(options)))]
                picks.setdefault(v, [e]).append(w)
        for v, (e, *applicants) in picks.items():
            if rng.random() < sc.search.acceptance:
                w = applicants[int(rng.integers(len(applicants)))]
                if w.employer is not None:
                    w.employer.headcount -= 1
                w.employer, w.seeking = e, False
                e.headcount += 1
                e.vacancies.remove(v)


def step_ratio(workers: int, weeks: int, seed: int) -> None:
    sc = load_scenario("exodus-2022")
    first_shock_week = (sc.migration.waves[0].start - sc.start).days // 7
    market = Market(sc, scale=workers / sc.population.workers, rng=np.random.default_rng(seed))
    for _ in range(first_shock_week):
        market.step()
    t = time.perf_counter()
    for _ in range(weeks):
        market.step()
    ours = (time.perf_counter() - t) / weeks
    mesa_market = _MesaMarket(workers, seed)
    t = time.perf_counter()
    for w in range(first_shock_week, first_shock_week + weeks):
        mesa_market.step(w)
    theirs = (time.perf_counter() - t) / weeks
    print(
        f"weekly step at {workers:,} workers (shock weeks): talentflow {ours * 1e3:,.1f} ms, "
        f"Mesa agents {theirs * 1e3:,.1f} ms: talentflow is {theirs / ours:,.0f}x faster"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mesa", type=int, nargs="*", default=[10_000, 100_000], help="worker counts for Mesa")
    parser.add_argument("--weeks", type=int, default=8, help="weeks timed in the step comparison")
    args = parser.parse_args()
    full_run(args.scale, args.seed)
    for n in args.mesa:
        step_ratio(n, args.weeks, args.seed)


if __name__ == "__main__":
    main()
