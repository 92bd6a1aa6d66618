"""The indicators by their stable names (the names are API: add, never rename)."""

from __future__ import annotations

from typing import Any

from talentflow.indicators import employers, external, postings, resumes, salary, vacancies
from talentflow.indicators.base import Indicator

#: Segments of the vacancy indicators (every segment but ``group``, which splits destinations).
_VACANCY = ("country", "region", "role", "is_it", "ai", "experience", "remote", "employer")
#: Segments of the indicators that count resumes (tension counts vacancies beside them).
_BOARD = ("country", "region", "role", "is_it", "ai", "experience")

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "vacancies_active",
        "Vacancies active at the end of each period (opened minus closed, cumulated).",
        vacancies.active,
        values=("vacancies",),
        base="vacancies",
        notes=vacancies.single_sighting_notes,
        segments=_VACANCY,
    ),
    Indicator(
        "vacancies_new",
        "Vacancies first published in each period.",
        vacancies.new,
        values=("vacancies",),
        base="vacancies",
        segments=_VACANCY,
    ),
    Indicator(
        "vacancies_closed",
        "Vacancies archived, or last seen, in each period.",
        vacancies.closed,
        values=("vacancies",),
        base="vacancies",
        notes=vacancies.single_sighting_notes,
        segments=_VACANCY,
    ),
    Indicator(
        "postings_index",
        "Daily postings, 7-day trailing mean, =100 on a base day; raw and seasonally adjusted (STL).",
        postings.daily_postings,
        values=("postings", "trailing_mean", "index", "index_sa"),
        base="postings",
        segments=_VACANCY,
        periods=("day",),
        default_period="day",
        options={
            "basis": ("active", "active (postings live at day end) or new (published that day)"),
            "base": ("", "the day the index is 100 [default: the first day with a 7-day mean]"),
        },
        finish=postings.finish,
    ),
    Indicator(
        "resumes_active",
        "Resumes active (between the first and last sighting of a search spell) at the end of each period.",
        resumes.active,
        values=("resumes",),
        base="resumes",
        segments=_BOARD,
        options=resumes.GAP_OPTION,
    ),
    Indicator(
        "resumes_new",
        "Resumes first seen (a search spell starting) in each period.",
        resumes.new,
        values=("resumes",),
        base="resumes",
        segments=_BOARD,
        options=resumes.GAP_OPTION,
    ),
    Indicator(
        "tension",
        "Active resumes per active vacancy at period end, with its hh.index band.",
        resumes.tension,
        values=("resumes", "vacancies", "tension", "band"),
        base="n",
        segments=_BOARD,
        options=resumes.GAP_OPTION,
    ),
    Indicator(
        "relocation_share",
        "Share of active resumes willing to relocate: any, abroad, domestic only.",
        resumes.relocation_share,
        values=("willing", "abroad", "domestic_only", "relocation_share", "abroad_share", "domestic_only_share"),
        base="resumes",
        segments=_BOARD,
        options=resumes.GAP_OPTION,
    ),
    Indicator(
        "destination_share",
        "Per destination country (or group), share of the resumes willing to move abroad that name it.",
        resumes.destination_share,
        values=("resumes", "share"),
        base="resumes",
        segments=(*_BOARD, "group"),
        options=resumes.GAP_OPTION,
    ),
    Indicator(
        "salary",
        "Monthly salary of vacancies published in each period in one currency: quartiles, share showing one.",
        salary.salary,
        values=("n_stale", "salary_share", "q1", "median", "q3"),
        base="n",
        segments=_VACANCY,
        notes=salary.notes,
        options={
            "currency": ("RUB", "currency of the output (any in the shipped rate table)"),
            "basis": ("gross", "gross (net salaries grossed up by the flat income tax), net, or published"),
        },
    ),
    Indicator(
        "remote_share",
        "Share of active vacancies offering remote work, among those whose schedule is known.",
        vacancies.remote_share,
        values=("remote", "remote_share"),
        base="vacancies",
        notes=vacancies.single_sighting_notes,
        segments=("country", "region", "role", "is_it", "ai", "experience", "employer"),
    ),
    Indicator(
        "employer_exits",
        "Employers with active vacancies before a period and none for the next N periods.",
        employers.employer_exits,
        values=("exits", "exit_share"),
        base="employers",
        segments=("country", "region", "role", "is_it", "ai"),
        options={"periods": ("3", "N: how many periods without an active vacancy make an exit")},
    ),
    Indicator(
        "employer_relocations",
        "Employers whose active vacancies move from mostly at home to mostly abroad.",
        employers.employer_relocations,
        values=("relocations", "relocation_share"),
        base="employers",
        segments=("role", "is_it", "ai"),
        options={"home": ("RU", "ISO2 country counted as home")},
    ),
    Indicator(
        "population_growth",
        "Innovation Graph metric per economy and quarter: level and growth over N quarters.",
        external.population_growth,
        values=(),
        base=None,
        segments=("country",),
        periods=("quarter",),
        default_period="quarter",
        options={
            "metric": ("developers", "developers, organizations, repositories or git_pushes"),
            "lag": ("1", "growth over this many quarters (4: year on year)"),
        },
    ),
    Indicator(
        "series",
        "External series as published (e.g. Indeed Hiring Lab postings index), filtered.",
        external.series,
        values=(),
        base=None,
        segments=("country",),
        periods=("day",),
        default_period="day",
        options={
            "metric": ("job_postings_index", "series metric, e.g. sector_job_postings_index"),
            "segment": ("", "sub-series, e.g. 'Software Development' or 'total postings'"),
            "source": ("", "data set, e.g. indeed-hiring-lab"),
        },
    ),
)

REGISTRY: dict[str, Indicator] = {i.name: i for i in INDICATORS}


def catalog() -> list[dict[str, Any]]:
    """Every indicator as a JSON-ready row: name, description, periods, segments, options with defaults."""
    return [
        {
            "name": i.name,
            "description": i.description,
            "periods": list(i.periods),
            "segments": list(i.segments),
            "options": {k: {"default": d, "help": h} for k, (d, h) in i.options.items()},
        }
        for i in INDICATORS
    ]
