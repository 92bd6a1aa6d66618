"""Scenarios: the simulator's parameters as a TOML file, validated before anything runs.

Every rate is per year or a share, every date an ISO date, every count at full population scale. The built-in
scenarios live in ``scenarios/``; a user's file may set any subset of the keys (the rest keep their defaults)
and may start from a built-in one with ``extends = "exodus-2022"``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from talentflow.errors import InputError, UsageError
from talentflow.reference.cities import CITY_AREAS
from talentflow.reference.countries import COUNTRY_AREAS
from talentflow.reference.roles import IT_ROLES_STABLE

Share = Annotated[float, Field(ge=0, le=1)]
Rate = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Population(_Part):
    workers: Annotated[int, Field(gt=0)] = 1_000_000
    """IT workers living in the origin country when the run starts."""
    unemployment: Share = 0.05
    """Share of them without a job at the start."""
    entry_per_year: Rate = 0.06
    """Graduates and career changers entering IT, as a share of the starting workforce per year."""
    exit_per_year: Rate = 0.04
    """Workers leaving IT for good (retirement, other careers), per worker and year."""
    roles: dict[str, Positive] = {
        "96": 0.55,
        "124": 0.1,
        "10": 0.1,
        "113": 0.07,
        "107": 0.07,
        "116": 0.04,
        "34": 0.04,
        "121": 0.03,
    }
    """hh.ru professional role id → weight."""
    regions: dict[str, Positive] = {
        "1": 0.45,
        "2": 0.17,
        "4": 0.05,
        "3": 0.05,
        "88": 0.04,
        "66": 0.04,
        "53": 0.03,
        "78": 0.03,
        "76": 0.03,
        "72": 0.03,
        "90": 0.02,
        "26": 0.02,
        "99": 0.02,
        "104": 0.01,
        "68": 0.01,
    }
    """Home city area id → weight."""

    @model_validator(mode="after")
    def _known_ids(self) -> Population:
        unknown_roles = sorted(set(self.roles) - IT_ROLES_STABLE)
        if unknown_roles:
            raise ValueError(f"roles: {unknown_roles} are not IT roles stable over 2022-2024")
        unknown = sorted(a for a in self.regions if a not in CITY_AREAS)
        if unknown:
            raise ValueError(f"regions: unknown city area ids {unknown} (known: {sorted(CITY_AREAS, key=int)})")
        return self


class Employers(_Part):
    count: Annotated[int, Field(gt=0)] = 30_000
    """Employers hiring IT workers (sizes are log-normal)."""
    foreign_owned_share: Share = 0.12
    """Share of IT employment in foreign-owned firms."""
    vacancy_margin: Rate = 0.3
    """Open demand: desired headcount above the current workforce's share, as a share of headcount."""
    fill_share_per_week: Share = 0.35
    """Share of an employer's unfilled demand opened as vacancies each week."""
    vacancy_weeks: Positive = 8
    """Mean weeks before an unfilled vacancy is taken down (it is reposted as a new one if still needed)."""
    remote_share: Share = 0.2
    """Share of vacancies offering remote work."""
    demand: list[tuple[dt.date, Rate]] = []
    """Multiplier on the open demand (``vacancy_margin``), piecewise-linear between dated points (1 before the
    first)."""


class Exits(_Part):
    start: dt.date | None = None
    """When foreign-owned employers begin to leave (none when unset)."""
    share: Share = 0.0
    """Share of foreign-owned employers that leave."""
    weeks: Positive = 16
    """Mean weeks from ``start`` to an exit."""
    staff_abroad_share: Share = 0.0
    """Share of a leaving employer's staff it moves abroad (who then work for a foreign employer)."""


class Relocations(_Part):
    start: dt.date | None = None
    """When domestic employers begin to move their hiring abroad (none when unset)."""
    share: Share = 0.0
    """Share of domestic employers that move their hiring abroad."""
    weeks: Positive = 20
    """Mean weeks from ``start`` to a move."""
    staff_share: Share = 0.3
    """Share of a relocating employer's staff who move with it (and keep working for it)."""
    destinations: dict[str, Positive] = {"2758": 0.35, "13": 0.25, "160": 0.2, "146": 0.1, "236": 0.1}
    """Where they move: area id → weight; their new vacancies are posted there."""


class Freeze(_Part):
    """Employers' immediate response to a shock on the board, a posting freeze (docs/simulator.md, "Posting
    freeze"): a share of the postings open at ``start`` is taken down within a week, and new postings are held
    back with a probability that decays from ``paused``. What the board shows, not what the market does: the
    market's vacancies and hiring are left as they are (its fall in demand is ``employers.demand``)."""

    start: dt.date | None = None
    """When employers freeze their postings (none when unset)."""
    withdrawn: Share = 0.0
    """Share of the postings open on the board at ``start`` taken down within the next 7 days."""
    paused: Share = 0.0
    """Share of the postings opened at ``start`` held back from the board; ``paused·exp(-d / (7·weeks))`` of those
    opened ``d`` days later."""
    weeks: Positive = 4
    """Decay time of the pause, in weeks."""


class Wave(_Part):
    start: dt.date
    """First day of the wave."""
    share: Share
    """Share of the IT workers then at home who leave over the wave (before depletion)."""
    weeks: Positive
    """Decay time: the wave's weekly hazard falls as exp(-t / weeks)."""


class ReturnEarly(_Part):
    """Returns likelier in the first weeks abroad, with the share back after a year unchanged (docs/simulator.md,
    "Behaviours")."""

    weeks: Annotated[float, Field(gt=0, le=52)] = 13
    """Weeks abroad during which the return hazard is ``factor`` times the later one (at most 52)."""
    factor: Positive = 1.0
    """Early return hazard relative to the later one; 1 (the default) is a constant hazard."""


class Migration(_Part):
    emigration_per_year: Rate = 0.004
    """Background emigration hazard outside waves, per worker and year."""
    return_per_year: Rate = 0.25
    """Return hazard of those abroad, per year."""
    waves: list[Wave] = []
    """Shock waves of departures (see `[[migration.waves]]`)."""
    willing_hazard_ratio: Positive = 3.0
    """Emigration hazard of workers willing to move abroad relative to the others."""
    keep_home_employer: Share = 0.97
    """Probability that an emigrant with a domestic employer keeps working for it remotely."""
    lose_home_employer_per_year: Rate = 0.03
    """Hazard, for those abroad, of ending remote work for the home employer."""
    destinations: dict[str, Positive] = {
        "2758": 0.2,
        "13": 0.16,
        "94": 0.12,
        "160": 0.1,
        "146": 0.08,
        "236": 0.05,
        "208": 0.05,
        "33": 0.05,
        "27": 0.05,
        "85": 0.03,
        "2759": 0.04,
        "2760": 0.03,
        "5046": 0.02,
        "1002": 0.02,
    }
    """Destination area id (a city or a country) → weight."""
    return_early: ReturnEarly = ReturnEarly()
    """Return hazard depending on time abroad: ``{weeks = 13, factor = 4.0}`` makes returns 4 times likelier in
    the first 13 weeks abroad, the later hazard lowered so that the share back after a year stays
    1 - exp(-return_per_year)."""


class Willingness(_Part):
    abroad: Share = 0.365
    """Share of workers whose resume lists a destination abroad."""
    domestic: Share = 0.12
    """Share willing to move only within the country."""
    shift: Share = 0.0
    """Share of the rest who become willing to move abroad over each wave (same timing as the wave)."""


class SearchType(_Part):
    share: Annotated[float, Field(gt=0, le=1)]
    """Share of the workers of this type (drawn when a worker appears)."""
    factor: Positive
    """Relative rate at which a worker of this type starts looking for a job (normalised: see ``types``)."""


class Search(_Part):
    on_the_job: Share = 0.4
    """Equilibrium share of employed workers looking for another job."""
    spell_weeks: Positive = 10
    """Mean weeks an employed worker keeps looking."""
    apply_per_week: Share = 0.5
    """Probability that a job seeker applies to a vacancy in a week."""
    acceptance: Share = 0.3
    """Probability that an application picked by an employer becomes a hire."""
    separation_per_year: Rate = 0.12
    """Layoffs and quits into unemployment, per employed worker and year."""
    abroad_on_the_job: Share = 0.25
    """Equilibrium share of those abroad looking for another job (their resumes stay on the board)."""
    intensity: list[tuple[dt.date, Positive]] = []
    """Multiplier on the rate at which employed workers start looking, piecewise-linear between dated points."""
    types: list[SearchType] = [SearchType(share=1.0, factor=1.0)]
    """Latent search types: each worker draws one when they appear; an employed worker starts looking at the
    type's ``factor`` ÷ Σ share·factor times the rate (the mean rate is kept). Shares must add up to 1."""
    intent_factor: Positive = 1.0
    """How many times as often employed workers at home willing to move abroad start looking as the others, the
    rate of all kept on average."""

    @model_validator(mode="after")
    def _types_add_up(self) -> Search:
        if not self.types:
            raise ValueError("types: give at least one type (the default is [{share = 1, factor = 1}])")
        total = sum(t.share for t in self.types)
        if abs(total - 1) > 1e-6:
            raise ValueError(f"types: the shares must add up to 1, not {total:g}")
        return self

    def type_factors(self) -> list[float]:
        """Each type's multiplier on the rate of starting to look, scaled so that their mean over the shares is 1."""
        mean = sum(t.share * t.factor for t in self.types)
        return [t.factor / mean for t in self.types]


class Salary(_Part):
    median_rub: dict[str, Positive] = {"junior": 70_000, "middle": 160_000, "senior": 280_000, "lead": 380_000}
    """Median monthly net salary in roubles at the run's start, by level."""
    spread: Positive = 0.3
    """Standard deviation of log salary within a level."""
    growth_per_year: Rate = 0.1
    """Nominal salary growth."""


class Policy(_Part):
    name: str
    """A label for the lever."""
    start: dt.date
    """First day it acts."""
    end: dt.date | None = None
    """Day it stops acting (never when unset)."""
    emigration: Rate = 1.0
    """Multiplier on the emigration hazard while the lever is on."""
    returns: Rate = 1.0
    """Multiplier on the return hazard while the lever is on."""


#: The hh.ru role whose workers and vacancies may be AI work (programmers, «Программист, разработчик»).
AI_ROLE = "96"


class AI(_Part):
    """AI and machine-learning work among the programmers (docs/simulator.md, "AI work")."""

    workers: Share = 0.05
    """Share of the IT workers doing AI work (ML engineers, data scientists), drawn among the programmers (role
    96) as they appear."""
    vacancies: Share = 0.05
    """Share of the IT vacancies asking for AI work, drawn among the programmers' vacancies as they open."""
    data_scientists: Share = 0.4
    """Of the AI workers and vacancies, the share shown as data scientists (hh.ru roles 96 and 165); the others
    are ML engineers (role 96 with an ML title)."""


class Board(_Part):
    """What the job board shows of the market (the observation model)."""

    vacancy_coverage: Share = 0.76
    """Share of vacancies posted on the board."""
    resume_coverage: Share = 0.8
    """Share of workers with a resume on the board (shown while they look for a job)."""
    duplicate_share: Share = 0.04
    """Share of vacancies posted twice under different ids."""
    repost_days: Annotated[int, Field(gt=0)] = 30
    """Days after which an open vacancy is republished (same id, new published_at)."""
    salary_shown: Share = 0.5
    """Share of vacancies that show a salary."""
    gross_share: Share = 0.3
    """Share of shown salaries quoted before tax."""
    lag_days: Annotated[int, Field(ge=0)] = 3
    """Most days between an event and the crawl that sees it."""
    snapshot_miss: Share = 0.02
    """Chance that a monthly crawl misses a record (the API's 2,000-result cap, timeouts)."""
    stale_location: Share = 0.3
    """Chance that a resume keeps its old city after its owner moves, until the next search spell."""
    relocation_unspecified: Share = 0.15
    """Chance that a resume willing to move abroad names no destination (hh.ru's 1001 «Другие регионы»)."""
    abroad_use: dict[str, Share] = {}
    """Share of a resume's sightings the board still shows while its owner lives abroad, by destination (an area
    id of ``migration.destinations`` or a country's ISO2 code); 1 where not given."""
    coverage: list[tuple[dt.date, Share]] = []
    """Multiplier on both coverages over time, piecewise-linear between dated points (1 before the first): a
    resume is shown while its fixed rank is below it, a vacancy is posted if it was when the vacancy opened."""

    @model_validator(mode="after")
    def _coverage_in_order(self) -> Board:
        days = [d for d, _ in self.coverage]
        if any(b <= a for a, b in itertools.pairwise(days)):
            raise ValueError(f"coverage: the dates must increase, got {[d.isoformat() for d in days]}")
        return self


class Scenario(_Part):
    name: str
    description: str = ""
    #: Ids of the claims the scenario's parameters were set to reproduce (an id, or the prefix before its ``-``):
    #: on its simulated market, those claims are calibration targets, never verdicts (docs/migration.md).
    calibrated_to: list[str] = []
    origin: str = "RU"
    start: dt.date = dt.date(2021, 1, 4)
    end: dt.date = dt.date(2023, 12, 31)
    population: Population = Population()
    employers: Employers = Employers()
    exits: Exits = Exits()
    relocations: Relocations = Relocations()
    freeze: Freeze = Freeze()
    migration: Migration = Migration()
    willingness: Willingness = Willingness()
    search: Search = Search()
    salary: Salary = Salary()
    policy: list[Policy] = []
    ai: AI = AI()
    board: Board = Board()

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        if self.origin not in set(COUNTRY_AREAS.values()):
            raise ValueError(f"origin: {self.origin!r} is not a country talentflow knows")
        places = set(CITY_AREAS) | set(COUNTRY_AREAS)
        for key, ids in (
            ("migration.destinations", self.migration.destinations),
            ("relocations.destinations", self.relocations.destinations),
        ):
            unknown = sorted(a for a in ids if a not in places)
            if unknown:
                raise ValueError(f"{key}: unknown area ids {unknown}")
            home = sorted(a for a in ids if _country(a) == self.origin)
            if home:
                raise ValueError(f"{key}: {home} are in the origin country {self.origin}")
        self._check_abroad_use(places)
        if self.willingness.abroad + self.willingness.domestic > 1:
            raise ValueError("willingness: abroad + domestic must not exceed 1")
        programmers = self.ai_role_share()
        for key in ("workers", "vacancies"):
            share = getattr(self.ai, key)
            if share > programmers:
                raise ValueError(
                    f"ai.{key}: AI work is drawn among the programmers (role {AI_ROLE}), who are {programmers:.0%} "
                    f"of population.roles: {share} is more than that"
                )
        return self

    def _check_abroad_use(self, places: set[str]) -> None:
        countries = set(COUNTRY_AREAS.values()) - {self.origin}
        destinations = set(self.migration.destinations) | set(self.relocations.destinations)
        unknown = sorted(k for k in self.board.abroad_use if k not in countries and k not in destinations)
        if unknown:
            raise ValueError(
                f"board.abroad_use: {unknown} are neither destinations (area ids of migration.destinations) nor "
                "ISO2 codes of countries other than the origin"
            )

    def abroad_use(self, area_id: str) -> float:
        """Share of the sightings kept while living in ``area_id``: its own entry, else its country's, else 1."""
        use = self.board.abroad_use
        return use.get(area_id, use.get(_country(area_id) or "", 1.0))

    def to_json(self) -> dict[str, Any]:
        """The scenario as JSON data, for scenario.json. The behaviours of issue 18 appear only when set, so that a
        run without them writes what it wrote before they existed."""
        data = self.model_dump(mode="json")
        for part, keys in BEHAVIOURS.items():
            default = type(getattr(self, part))()
            for key in keys:
                if getattr(getattr(self, part), key) == getattr(default, key):
                    del data[part][key]
        if self.freeze == Freeze():  # as for the behaviours: a run without a freeze writes what it wrote before
            del data["freeze"]
        return data

    def ai_role_share(self) -> float:
        """The programmers' (role 96) share of the roles' weights: the most AI work can be."""
        roles = self.population.roles
        return roles.get(AI_ROLE, 0.0) / sum(roles.values())

    def weeks(self) -> int:
        return (self.end - self.start).days // 7 + 1

    def without_shocks(self) -> Scenario:
        """The same market with every dated intervention switched off: no demand curve, no employer exits,
        relocations or posting freeze, no emigration waves or willingness shift, no search-intensity curve, no
        policy levers. Run with the same seed it is the shocked run's counterfactual (common random numbers,
        market.py)."""
        data = self.model_dump()
        data["employers"]["demand"] = []
        data["exits"]["start"] = None
        data["relocations"]["start"] = None
        data["freeze"]["start"] = None
        data["migration"]["waves"] = []
        data["willingness"]["shift"] = 0.0
        data["search"]["intensity"] = []
        data["policy"] = []
        data["description"] = f"{self.description} Counterfactual: the shocks switched off.".strip()
        return Scenario.model_validate(data)

    def shock_dates(self) -> list[dt.date]:
        """The first day of every dated intervention, in order (what `without_shocks` switches off)."""
        days = [d for d, _ in self.employers.demand[:1]] + [d for d, _ in self.search.intensity[:1]]
        days += [d for d in (self.exits.start, self.relocations.start, self.freeze.start) if d is not None]
        days += [w.start for w in self.migration.waves] + [p.start for p in self.policy]
        return sorted(set(days))


#: The options that make the market and the board behave as the panel estimator does not assume
#: (docs/simulator.md, "Behaviours"): section → keys. Their defaults leave a run as it was without them.
BEHAVIOURS = {"migration": ("return_early",), "search": ("types", "intent_factor"), "board": ("abroad_use", "coverage")}


def _country(area_id: str) -> str | None:
    if area_id in CITY_AREAS:
        return CITY_AREAS[area_id][2]
    return COUNTRY_AREAS.get(area_id)


def builtin_names() -> list[str]:
    folder = resources.files("talentflow.simulate") / "scenarios"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def _builtin_text(name: str) -> str:
    return (resources.files("talentflow.simulate") / "scenarios" / f"{name}.toml").read_text(encoding="utf-8")


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: not valid TOML ({exc})") from None


def load_scenario(spec: str | Path) -> Scenario:
    """A built-in scenario by name, or a TOML file by path."""
    path = Path(spec)
    if str(spec) in builtin_names():
        data, where = _parse(_builtin_text(str(spec)), f"built-in scenario {spec}"), f"built-in scenario {spec}"
    elif path.suffix == ".toml" or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"{path}: no such scenario file") from None
        data, where = _parse(text, str(path)), str(path)
        data.setdefault("name", path.stem)
    else:
        raise UsageError(f"unknown scenario {str(spec)!r}: use one of {', '.join(builtin_names())} or a .toml file")
    parent = data.pop("extends", None)
    if parent is not None:
        if parent not in builtin_names():
            raise InputError(f"{where}: extends = {parent!r}: no such built-in scenario ({', '.join(builtin_names())})")
        base = _parse(_builtin_text(parent), f"built-in scenario {parent}")
        data = _merge(base, data)
    return validate(data, where)


def validate(data: dict[str, Any], where: str = "scenario") -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(top level)"
            if err["type"] == "extra_forbidden":
                problems.append(f"{field}: unknown key")
            else:
                problems.append(f"{field}: {err['msg']} (got {err.get('input')!r})")
        raise InputError(f"{where}: invalid scenario:\n  " + "\n  ".join(problems)) from None
