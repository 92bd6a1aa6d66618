"""Segment columns on the observation tables, as text labels so that a missing value is a group of its own.

Labels are text on both engines (``true``/``false`` for booleans) so that the calendar grid can be joined on
them: an equality join would drop NULL keys.
"""

from __future__ import annotations

from typing import Any

import ibis

from talentflow.errors import UsageError
from talentflow.indicators.params import Params

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


def _column(t: Any, kind: str, name: str) -> Any:
    if name in ("country", "region"):
        return t[name]
    if name == "is_it":
        return t.is_it
    if name == "experience":
        return t.experience if kind == "vacancy" else _resume_experience(t)
    if name == "remote" and kind == "vacancy":
        return t.is_remote
    if name == "employer" and kind == "vacancy":
        return t.employer_id
    raise UsageError(f"segment {name!r} does not apply to {kind} records")


def with_segments(t: Any, kind: str, params: Params) -> Any:
    """``t`` with one text column per segment in ``params.by``, filtered to the values asked for.

    ``role`` unnests the role ids: a record with two roles counts once in each.
    """
    if "role" in params.segment_names:
        t = t.mutate(role=t.role_ids.unnest())
    columns = {s.name: label(t.role if s.name == "role" else _column(t, kind, s.name)) for s in params.by}
    if columns:
        t = t.mutate(**columns)
    for seg in params.by:
        if seg.values:
            t = t.filter(t[seg.name].isin(list(seg.values)))
    return t
