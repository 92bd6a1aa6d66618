"""The observation model: what a job board (and a crawler of its API) shows of the simulated market.

The board sees a share of the vacancies and of the job seekers, some vacancies twice, republished vacancies
with a new ``published_at``, hidden salaries, resumes that keep their old city after a move, relocation wishes
that name no destination. A crawler sees each record when it appears, when it changes (a vacancy archived, a
resume's owner moving) and in a full pass at every month end, always some days late. Records are written as
hh.ru API JSON (search items for vacancies, resume objects) with the crawl time in ``observed_at``:
`records.RecordWriter` formats and gzips them in background threads while the simulation goes on.
"""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from talentflow.reference.cities import CITY_AREAS
from talentflow.reference.countries import COUNTRY_AREAS
from talentflow.simulate.market import (
    AI_DATA_SCIENTIST,
    AI_ML_ENGINEER,
    EPOCH,
    HOME,
    LEVELS,
    Growable,
    Market,
    Week,
    day_number,
)
from talentflow.simulate.records import DAY, DUPLICATE_ID_BASE, EMPLOYER_ID_BASE, VACANCY_ID_BASE, RecordWriter
from talentflow.simulate.scenario import Board as BoardParams

_FLUSH_ROWS = 2_000_000
_NONE = np.array(None, dtype=object)  # no id: None itself matches none of np.where's typed overloads

TITLES = {
    "96": [
        "Python-разработчик",
        "Java-разработчик",
        "Frontend-разработчик",
        "Go-разработчик",
        "1С-программист",
        "Android-разработчик",
        "C++ разработчик",
        "PHP-разработчик",
    ],
    "124": ["QA-инженер", "Тестировщик", "Инженер по автоматизации тестирования"],
    "10": ["Системный аналитик", "Бизнес-аналитик", "Аналитик данных"],
    "113": ["Системный администратор", "Системный администратор Linux"],
    "107": ["Руководитель проектов", "Project manager"],
    "116": ["Специалист по информационной безопасности", "Аналитик SOC"],
    "34": ["UX/UI дизайнер", "Дизайнер интерфейсов"],
    "121": ["Специалист технической поддержки", "Инженер поддержки"],
    "104": ["Руководитель группы разработки", "Team lead"],
    "112": ["Сетевой инженер"],
    "114": ["Системный инженер", "DevOps-инженер"],
    "73": ["Менеджер продукта", "Product owner"],
    "36": ["Директор по ИТ"],
    "125": ["Технический директор (CTO)"],
    "126": ["Технический писатель"],
    "12": ["Арт-директор"],
    "25": ["Гейм-дизайнер"],
}
#: AI work (docs/simulator.md, "AI work"): the hh.ru roles it is filed under and its titles. ML engineers are
#: programmers (96) with an ML title; data scientists list the data-scientist role 165 beside 96, and two of
#: their titles name no AI keyword, so that the role alone makes them AI work for `talentflow.reference.ai`.
AI_WORK = {
    AI_ML_ENGINEER: (
        ("96",),
        [
            "ML-инженер",
            "Machine Learning Engineer",
            "Инженер машинного обучения",
            "NLP-инженер",
            "Инженер по компьютерному зрению",
            "MLOps-инженер",
            "Разработчик нейронных сетей",
            "Deep Learning Engineer",
        ],
    ),
    AI_DATA_SCIENTIST: (
        ("96", "165"),
        ["Data Scientist", "Дата-сайентист", "Senior Data Scientist", "Исследователь данных", "Аналитик-исследователь"],
    ),
}


class Board:
    """Turns each simulated week into crawler sightings, written into ``out`` as hh.ru-shaped NDJSON as they
    accumulate; `write` finishes the files. `abort` stops the writing threads (after an error)."""

    def __init__(
        self, market: Market, params: BoardParams, rng: np.random.Generator, out: Path, *, seed: int = 0
    ) -> None:
        self.m = market
        self.p = params
        self.rng = rng
        self._entropy = int(rng.integers(2**63))
        # The behaviours of issue 18 (coverage over time, use of the board abroad) draw from a stream of their
        # own per week, `_extra`: switched on, they leave every other draw of the board where it was.
        self._extra = self.rng
        # The posting freeze (`Freeze`) draws from a third stream per week, `_freeze`, for the same reason.
        self._freeze = self.rng
        freeze = market.sc.freeze
        self.freeze_day = day_number(freeze.start) if freeze.start is not None else None
        self.coverage_days = np.array([day_number(d) for d, _ in params.coverage], np.int64)
        self.coverage_values = np.array([v for _, v in params.coverage], float)
        self.abroad_use = np.array([market.sc.abroad_use(a) for a in market.destinations])
        self.end_second = (market.start_day + 7 * market.sc.weeks()) * DAY
        # Per vacancy, drawn when it opens (`second`: the time of day it was published).
        self.v = Growable(
            {
                "posted": "?",
                "dup": "?",
                "shown": "?",
                "gross": "?",
                "from_only": "?",
                "second": "i8",
                "covered": "?",
                "held": "?",  # held back from the board by the posting freeze
                "down": "i8",  # when the freeze took it off the board (seconds), -1 if it did not
            },
            market.vac.capacity,
        )
        # Per worker, drawn when the worker appears.
        self.w = Growable(
            {
                "profile": "?",
                "unspecified": "?",
                "desirable": "?",
                "noise": "f4",
                "shown_area": "i4",
                "created": "i8",
                "rank": "f8",
            },
            len(market.alive),
        )
        self.home_ids = np.array([int(a) for a in market.regions], np.int32)
        self.abroad_ids = np.array([int(a) for a in market.destinations], np.int32)
        self.reloc_ids = np.array([int(a) for a in market.reloc_destinations], np.int32)
        self._vs: list[dict[str, np.ndarray]] = []
        self._rs: list[dict[str, np.ndarray]] = []
        self._pending = 0
        self.counts = {"vacancy_sightings": 0, "resume_sightings": 0}
        names = {int(k): v[0] for k, v in CITY_AREAS.items()} | {int(k): v for k, v in _COUNTRY_NAMES.items()}
        # Records' role codes: the market's roles, then the kinds of AI work (see `_role_code`).
        kinds = [AI_WORK[AI_ML_ENGINEER], AI_WORK[AI_DATA_SCIENTIST]]
        self.writer = RecordWriter(
            out,
            roles=[(r,) for r in market.roles] + [ids for ids, _ in kinds],
            titles=[TITLES[r] for r in market.roles] + [titles for _, titles in kinds],
            names=names,
            citizenship=_country_area(market.sc.origin),
            mark={"scenario": market.sc.name, "seed": str(seed)},
        )

    # -- per week ---------------------------------------------------------------------------------------
    def observe(self, week: Week) -> None:
        # A stream per week, as the market's phases have (market.py): a week that shows more records shifts no
        # later week's draws, so a counterfactual run shows the same board until its market departs.
        self.rng = np.random.default_rng(np.random.SeedSequence(self._entropy, spawn_key=(week.index,)))
        if self.p.coverage or self.p.abroad_use:
            self._extra = np.random.default_rng(np.random.SeedSequence(self._entropy, spawn_key=(week.index, 1)))
        if self.freeze_day is not None:
            self._freeze = np.random.default_rng(np.random.SeedSequence(self._entropy, spawn_key=(week.index, 2)))
        self._draw_vacancies()
        self._draw_workers()
        m, rng, p = self.m, self.rng, self.p
        if self.freeze_day is not None and week.first_day <= self.freeze_day < week.first_day + 7:
            self._withdraw(self.freeze_day)
        posted = self.v["posted"]
        opened_s, closed_s = self._opened_s, self._closed_s
        run_start = m.start_day * DAY

        # Vacancies: the first crawl after publication, the crawl that finds them archived, month ends.
        new = week.opened[posted[week.opened]]
        seen = np.maximum(opened_s(new), run_start) + self._lag(len(new))
        closed = closed_s(new)
        alive_then = (closed < 0) | (closed > seen)
        new, seen = new[alive_then], seen[alive_then]
        self._vacancy_rows(new, seen, self._published(opened_s(new), seen), archived=False)
        gone = week.closed[posted[week.closed]]
        closed = closed_s(gone)
        seen = closed + self._lag(len(gone))
        self._vacancy_rows(gone, seen, self._published(opened_s(gone), closed), archived=True)

        month_end = self._month_end(week.first_day)
        if month_end is not None:
            snap = (month_end * DAY) + 21 * 3600  # midnight in Moscow
            cand = np.concatenate([m.vac_open, week.closed])
            cand = cand[posted[cand]]
            opened, closed = opened_s(cand), closed_s(cand)
            cand = cand[(opened <= snap) & ((closed < 0) | (closed > snap))]
            cand = cand[rng.random(len(cand)) >= p.snapshot_miss]
            at = np.full(len(cand), snap) + rng.integers(0, 3600, len(cand))
            self._vacancy_rows(cand, at, self._published(opened_s(cand), at), archived=False)

        # Resumes: a new search spell, a move while searching, month ends.
        n = m.n
        profile, shown_area = self.w["profile"], self.w["shown_area"]
        start_s = week.first_day * DAY
        started = week.seek_started
        started = started[m.alive[started] & m.seeking[started] & profile[started]]
        shown_area[started] = self._area_of(started)
        self._resume_rows(started, start_s + rng.integers(0, 7 * DAY, len(started)) + self._lag(len(started)))
        moved = np.concatenate([week.emigrated, week.returned])
        update = moved[rng.random(len(moved)) >= p.stale_location]
        shown_area[update] = self._area_of(update)
        moved = moved[m.alive[moved] & m.seeking[moved] & profile[moved]]
        self._resume_rows(moved, start_s + rng.integers(0, 7 * DAY, len(moved)) + self._lag(len(moved)))
        if month_end is not None:
            snap = (month_end * DAY) + 21 * 3600
            who = np.flatnonzero(m.alive[:n] & m.seeking[:n] & profile)
            who = who[rng.random(len(who)) >= p.snapshot_miss]
            self._resume_rows(who, np.full(len(who), snap) + rng.integers(0, 3600, len(who)))
        if self._pending >= _FLUSH_ROWS:
            self._flush()

    def _opened_s(self, idx: np.ndarray) -> np.ndarray:
        return self.m.vac["opened"][idx].astype(np.int64) * DAY + self.v["second"][idx]

    def _closed_s(self, idx: np.ndarray) -> np.ndarray:
        """Closing time in seconds, -1 for a vacancy still open."""
        closed = self.m.vac["closed"][idx]
        return np.where(closed >= 0, closed.astype(np.int64) * DAY + self.v["second"][idx], -1)

    def _lag(self, k: int) -> np.ndarray:
        return self.rng.integers(0, (self.p.lag_days + 1) * DAY, k)

    def _published(self, opened: np.ndarray, at: np.ndarray) -> np.ndarray:
        """The latest republication not after ``at``: employers refresh a vacancy every `repost_days`."""
        period = self.p.repost_days * DAY
        return opened + np.maximum(0, at - opened) // period * period

    @staticmethod
    def _month_end(first_day: int) -> int | None:
        for day in range(first_day, first_day + 7):
            d = dt.date.fromordinal(EPOCH.toordinal() + day)
            if d.day == calendar.monthrange(d.year, d.month)[1]:
                return day
        return None

    def _area_of(self, who: np.ndarray) -> np.ndarray:
        m = self.m
        res = m.residence[who]
        return np.where(res == HOME, self.home_ids[m.region[who]], self.abroad_ids[np.maximum(res, 0)])

    def _draw_vacancies(self) -> None:
        k, rng, p = self.m.vac.n - self.v.n, self.rng, self.p
        if not k:
            return
        posted = rng.random(k) < p.vacancy_coverage
        # Coverage over time hides a vacancy's rows as they are written (`_vacancy_rows`), not here: the draws
        # made for the posted vacancies stay the same in number, so nothing else on the board moves.
        opened = self.m.vac["opened"][self.v.n :]
        covered = self._extra.random(k) < self._coverage(opened) if p.coverage else np.ones(k, bool)
        held = self._held(opened)
        self.v.append(
            posted=posted,
            dup=posted & (rng.random(k) < p.duplicate_share),
            shown=rng.random(k) < p.salary_shown,
            gross=rng.random(k) < p.gross_share,
            from_only=rng.random(k) < 0.4,
            second=rng.integers(6 * 3600, 18 * 3600, k),
            covered=covered,
            held=held,
            down=np.full(k, -1, np.int64),
        )

    def _held(self, opened: np.ndarray) -> np.ndarray:
        """Which new vacancies the posting freeze holds back: ``paused·exp(-d / (7·weeks))`` of those opened ``d ≥
        0`` days after its start (docs/simulator.md, "Posting freeze")."""
        if self.freeze_day is None:
            return np.zeros(len(opened), bool)
        freeze = self.m.sc.freeze
        days = opened.astype(float) - self.freeze_day
        p = np.where(days >= 0, freeze.paused * np.exp(-np.maximum(days, 0) / (7 * freeze.weeks)), 0.0)
        return self._freeze.random(len(opened)) < p

    def _withdraw(self, day: int) -> None:
        """The freeze's withdrawals: each posting on the board at its start is taken down with probability
        ``withdrawn``, at a time drawn uniformly in the next 7 days (unless the market closes it first); the
        crawler sees it archived then. The board's other draws are left as they are: the rows after the
        withdrawal are dropped as they are written (`_vacancy_rows`)."""
        v, start = self.v, day * DAY
        idx = np.arange(v.n)
        closed = self._closed_s(idx)
        on = (
            v["posted"] & v["covered"] & ~v["held"] & (self._opened_s(idx) <= start) & ((closed < 0) | (closed > start))
        )
        cand = idx[on]
        hit = self._freeze.random(len(cand)) < self.m.sc.freeze.withdrawn
        down = start + self._freeze.integers(0, 7 * DAY, len(cand))
        closed = closed[on]
        hit &= (closed < 0) | (closed > down)
        cand, down = cand[hit], down[hit]
        v.cols["down"][cand] = down
        seen = down + self._freeze.integers(0, (self.p.lag_days + 1) * DAY, len(cand))
        self._vacancy_rows(cand, seen, self._published(self._opened_s(cand), down), archived=True, withdrawal=True)

    def _draw_workers(self) -> None:
        have, n = self.w.n, self.m.n
        k, rng, p = n - have, self.rng, self.p
        if not k:
            return
        self.w.append(
            profile=rng.random(k) < p.resume_coverage,
            unspecified=rng.random(k) < p.relocation_unspecified,
            desirable=rng.random(k) < 0.4,
            noise=rng.lognormal(0, 0.25, k).astype(np.float32),
            shown_area=np.zeros(k, np.int32),
            created=self.m.joined_day[have:n].astype(np.int64) * DAY + rng.integers(0, DAY, k),
            rank=self._extra.random(k) if p.coverage else np.zeros(k),
        )

    def _coverage(self, days: np.ndarray) -> np.ndarray:
        """The `coverage` curve on ``days``: 1 before its first point, linear between points, flat after."""
        if not len(self.coverage_days):
            return np.ones(len(days))
        return np.interp(days, self.coverage_days, self.coverage_values, left=1.0)

    def _shown(self, who: np.ndarray, observed: np.ndarray) -> np.ndarray:
        """Which of these resume sightings the board shows: its coverage then above the resume's rank, and for
        a worker abroad a draw against the destination's `abroad_use`."""
        keep = self.w["rank"][who] < self._coverage(observed // DAY)
        if self.p.abroad_use:
            res = self.m.residence[who]
            use = np.where(res == HOME, 1.0, self.abroad_use[np.maximum(res, 0)])
            keep &= self._extra.random(len(who)) < use
        return keep

    # -- rows -------------------------------------------------------------------------------------------
    def _vacancy_rows(
        self, idx: np.ndarray, observed: np.ndarray, published: np.ndarray, *, archived: bool, withdrawal: bool = False
    ) -> None:
        keep = (observed < self.end_second) & self.v["covered"][idx] & ~self.v["held"][idx]
        if not withdrawal:  # a posting the freeze took down is not seen again
            down = self.v["down"][idx]
            keep &= (down < 0) | (observed < down)
        if not keep.any():
            return
        self._vs.append(
            {
                "vac": idx[keep].astype(np.int64),
                "observed": observed[keep].astype(np.int64),
                "published": published[keep].astype(np.int64),
                "archived": np.full(int(keep.sum()), archived),
            }
        )
        self._pending += int(keep.sum())

    def _resume_rows(self, who: np.ndarray, observed: np.ndarray) -> None:
        keep = observed < self.end_second
        who, observed = who[keep], observed[keep]
        if self.p.coverage or self.p.abroad_use:
            shown = self._shown(who, observed)
            who, observed = who[shown], observed[shown]
        if not len(who):
            return
        m, sc = self.m, self.m.sc
        willing = m.willing[who]
        at_home = m.residence[who] == HOME
        # Domestic wishes name the biggest city that is not one's own; abroad wishes their preferred place,
        # or hh.ru's "other regions" (1001) when the resume names no country.
        own = self.home_ids[m.region[who]]
        domestic = np.where(own == 1, 2, 1).astype(np.int32)
        unspecified = self.w["unspecified"][who]
        abroad = np.where(unspecified, 1001, self.abroad_ids[m.preference[who]])
        reloc_area = np.where(willing == 2, abroad, np.where((willing == 1) & ~unspecified, domestic, -1))
        reloc_type = np.where(willing == 0, 0, np.where(self.w["desirable"][who], 2, 1))
        reloc_area = np.where(at_home, reloc_area, -1)  # abroad, a resume lists where one lives now
        reloc_type = np.where(at_home, reloc_type, np.where(willing == 0, 0, 1))
        days = observed // DAY
        years = (days - m.start_day) / 365.25
        median = np.array([sc.salary.median_rub[x] for x in LEVELS])[m.level[who]]
        salary = median * (1 + sc.salary.growth_per_year) ** years * self.w["noise"][who]
        self._rs.append(
            {
                "worker": who.astype(np.int64),
                "observed": observed.astype(np.int64),
                "area": self.w["shown_area"][who],
                "reloc_type": reloc_type.astype(np.int8),
                "reloc_area": reloc_area.astype(np.int32),
                "employed": m.employer[who] >= 0,
                "salary": (np.round(salary / 5000) * 5000).astype(np.float64),
                "months": ((days - m.joined_day[who]) / 30.4).astype(np.int32),
                "role": self._role_code(m.role[who], m.ai[who]),
                "created": self.w["created"][who],
            }
        )
        self._pending += len(who)

    def _flush(self) -> None:
        if self._vs:
            part = {k: np.concatenate([b[k] for b in self._vs]) for k in self._vs[0]}
            self.counts["vacancy_sightings"] += len(part["vac"])
            self.writer.vacancies(part, self._vacancy_attrs())
        if self._rs:
            part = {k: np.concatenate([b[k] for b in self._rs]) for k in self._rs[0]}
            self.counts["resume_sightings"] += len(part["worker"])
            self.writer.resumes(part)
        self._vs, self._rs, self._pending = [], [], 0

    def _vacancy_attrs(self) -> dict[str, np.ndarray]:
        """Views of the per-vacancy arrays a record needs, and the role codes (a copy, made for every vacancy
        drawn so far). They stay valid when the arrays grow later: what a record reads is fixed when the
        vacancy opens."""
        vac, v = self.m.vac, self.v
        attrs = {k: vac[k] for k in ("employer", "level", "opened", "remote", "salary", "area", "abroad")}
        attrs["role"] = self._role_code(vac["role"], vac["ai"])
        attrs |= {k: v[k] for k in ("dup", "shown", "gross", "from_only", "second")}
        return attrs | {"home_ids": self.home_ids, "reloc_ids": self.reloc_ids}

    def _role_code(self, role: np.ndarray, ai: np.ndarray) -> np.ndarray:
        """The writer's role code: the market's role index, or after them one code per kind of AI work."""
        return np.where(ai != 0, len(self.m.roles) - 1 + ai, role).astype(np.int8)

    # -- output -----------------------------------------------------------------------------------------
    def vacancy_table(self) -> pa.Table:
        m = self.m
        vac = m.vac
        n = vac.n
        abroad = vac["abroad"]
        area = np.where(
            abroad, self.reloc_ids[np.where(abroad, vac["area"], 0)], self.home_ids[np.where(abroad, 0, vac["area"])]
        )
        duplicate_id = np.where(self.v["dup"], (DUPLICATE_ID_BASE + np.arange(n)).astype(str), _NONE)
        return pa.table(
            {
                "vac": np.arange(n, dtype=np.int64),
                "vacancy_id": (VACANCY_ID_BASE + np.arange(n)).astype(str),
                "duplicate_id": pa.array(duplicate_id),
                "posted": self.v["posted"] & self.v["covered"] & ~self.v["held"],
                "employer_id": (EMPLOYER_ID_BASE + vac["employer"]).astype(str),
                "foreign_owned": m.foreign[vac["employer"]],
                "role_id": np.array(m.roles)[vac["role"]],
                "ai": pa.array(np.array([None, "ml_engineer", "data_scientist"], dtype=object)[vac["ai"]], pa.string()),
                "level": vac["level"],
                "opened": (vac["opened"].astype(np.int64) * DAY + self.v["second"]).astype("datetime64[s]"),
                "closed": pa.array(
                    np.where(vac["closed"] >= 0, vac["closed"].astype(np.int64) * DAY + self.v["second"], 0).astype(
                        "datetime64[s]"
                    ),
                    mask=vac["closed"] < 0,
                ),
                "filled": vac["filled"],
                "remote": vac["remote"],
                "salary_rub": vac["salary"],
                "salary_shown": self.v["shown"],
                "salary_gross": self.v["gross"],
                "salary_from_only": self.v["from_only"],
                "area_id": area.astype(str),
                "abroad": vac["abroad"],
            }
        )

    def write(self, truth_dir: Path) -> dict[str, int]:
        """Finish vacancies.ndjson.gz and resumes.ndjson.gz, and write truth/vacancies.parquet.

        Each part of sightings (about two million) is sorted by crawl time, then id: the files are the same
        for the same seed, and memory stays bounded at any scale.
        """
        self._flush()
        counts = self.writer.close()
        pq.write_table(self.vacancy_table(), truth_dir / "vacancies.parquet")
        return counts

    def abort(self) -> None:
        self.writer.abort()


def _country_area(iso2: str) -> str:
    return next(k for k, v in COUNTRY_AREAS.items() if v == iso2)


# Display names of the country-level areas the built-in scenarios use (as in hh.ru's tree).
_COUNTRY_NAMES = {
    "13": "Армения",
    "27": "Германия",
    "33": "Израиль",
    "85": "США",
    "94": "Турция",
    "146": "Сербия",
    "208": "ОАЭ",
    "236": "Кипр",
    "5046": "Черногория",
    "1001": "Другие регионы",
}
