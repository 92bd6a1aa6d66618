"""Segment columns on the observation tables, as text labels so that a missing value is a group of its own.

Labels are text on both engines (``true``/``false`` for booleans) so that the calendar grid can be joined on
them: an equality join would drop NULL keys.

``ai`` is the record's ``is_ai`` (AI and machine-learning work: role 165 or an AI keyword in the title or a key
skill, ``talentflow.reference.ai``). ``group`` is the destination group of a relocation wish
(``talentflow.reference.groups``): it applies to tables with a ``destination`` column, i.e. destination_share.
"""

from __future__ import annotations

from typing import Any

import ibis

from talentflow.errors import UsageError
from talentflow.indicators.params import Params
from talentflow.reference.groups import EU, GROUPS, REGIONS

UNKNOWN = "(unknown)"

# hh.ru's experience ids, and the months of total experience each stands for on a resume.
_EXPERIENCE_MONTHS = ((12, "noExperience"), (36, "between1And3"), (72, "between3And6"))


def label(value: Any) -> Any:
    return value.cast("string").fill_null(UNKNOWN)


def ratio(numerator: Any, denominator: Any) -> Any:
    """numerator ÷ denominator as a double; NULL for a zero denominator (Spark's ANSI mode raises on it)."""
    return ibis.ifelse(denominator == 0, ibis.null("float64"), numerator.cast("float64") / denominator.cast("float64"))


def _resume_experience(t: Any) -> Any:
    months = t.experience_months
    return ibis.cases(
        *((months < bound, name) for bound, name in _EXPERIENCE_MONTHS),
        (months.notnull(), "moreThan6"),
        else_=ibis.null("string"),
    )


def destination_region(country: Any) -> Any:
    """The region of an ISO2 country expression (``reference.groups.REGIONS``, else ``other``); NULL for NULL
    and ``ZZ`` (abroad, country not stated)."""
    return ibis.cases(
        (country.isnull() | (country == "ZZ"), ibis.null("string")),
        *((country.isin(sorted(members)), name) for name, members in REGIONS.items()),
        else_="other",
    )


def destination_groups(country: Any) -> Any:
    """Every group of an ISO2 country expression, as an array: its region, and ``eu`` for EU members."""
    region = destination_region(country)
    return ibis.ifelse(country.isin(sorted(EU)), ibis.array([region, ibis.literal("eu")]), ibis.array([region]))


def _column(t: Any, kind: str, name: str) -> Any:
    if name in ("country", "region"):
        return t[name]
    if name == "is_it":
        return t.is_it
    if name == "ai":
        return t.is_ai
    if name == "experience":
        return t.experience if kind == "vacancy" else _resume_experience(t)
    if name == "remote" and kind == "vacancy":
        return t.is_remote
    if name == "employer" and kind == "vacancy":
        return t.employer_id
    raise UsageError(f"segment {name!r} does not apply to {kind} records")


def with_segments(t: Any, kind: str, params: Params) -> Any:
    """``t`` with one text column per segment in ``params.by``, filtered to the values asked for.

    ``role`` unnests the role ids: a record with two roles counts once in each. ``group`` unnests the groups of
    ``t.destination``: a destination in the EU counts in ``europe`` and in ``eu``.
    """
    if "role" in params.segment_names:
        t = t.mutate(role=t.role_ids.unnest())
    if "group" in params.segment_names:
        if "destination" not in t.columns:
            raise UsageError(f"segment 'group' groups destinations: it does not apply to {kind} records")
        _check_groups(params)
        t = t.mutate(group=destination_groups(t.destination).unnest())
    unnested = ("role", "group")
    columns = {s.name: label(t[s.name] if s.name in unnested else _column(t, kind, s.name)) for s in params.by}
    if columns:
        t = t.mutate(**columns)
    for seg in params.by:
        if seg.values:
            t = t.filter(t[seg.name].isin(list(seg.values)))
    return t


def _check_groups(params: Params) -> None:
    for seg in params.by:
        bad = [v for v in seg.values if v not in (*GROUPS, UNKNOWN)] if seg.name == "group" else []
        if bad:
            raise UsageError(
                f"group: unknown {', '.join(map(repr, bad))}; the groups are: {', '.join(GROUPS)}", param="by"
            )
