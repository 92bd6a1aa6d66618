"""SQL for the checks every adapter applies to a record, each with a reason a person understands.

A check is a pair (condition, message), both SQL; the first condition that holds names the record's
reason for quarantine. Raw values are compared before and after casting, so "abc" in a number field is
told apart from a missing value.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from talentflow._sql import literal
from talentflow.reference import currencies

Check = tuple[str, str]

EARLIEST = "1990-01-01"
TS_EXAMPLE = "an ISO 8601 time such as 2022-10-15T01:01:22+0300"


def reason(checks: list[Check]) -> str:
    if not checks:
        return "NULL::VARCHAR"
    whens = "\n    ".join(f"WHEN {cond} THEN {msg}" for cond, msg in checks)
    return f"CASE\n    {whens}\n  END"


class Expr(str):
    """SQL text standing for a value in a message (``msg``), as opposed to text said as it is."""


def msg(*parts: str) -> str:
    """Concatenate text (any ``str``, quoted as a literal: it may hold a name from the input) and SQL expressions
    (``Expr``; NULL shown as ``NULL``)."""
    out = []
    for part in parts:
        out.append(f"coalesce({part}, 'NULL')" if isinstance(part, Expr) else literal(part))
    return " || ".join(out)


def required(raw: str, label: str) -> Check:
    text = f"({raw})::VARCHAR"
    # Blank means trim gives ''; only a value whose first character trims away can be blank, and testing that
    # first spares trimming (copying) every value.
    return (
        f"({raw}) IS NULL OR (trim(left({text}, 1)) = '' AND trim({text}) = '')",
        msg(f"missing required field {label}"),
    )


def latest(now: datetime) -> str:
    return literal((now + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S+00"))


def timestamp(raw: str, parsed: str, label: str, now: datetime) -> list[Check]:
    """A present value must parse and lie between 1990 and tomorrow."""
    present = f"({raw}) IS NOT NULL AND trim({raw}) <> ''"
    return [
        (
            f"({raw}) IS NOT NULL AND tf_bad_offset(({raw})::VARCHAR)",
            msg(f"{label}: a time-zone offset outside UTC-12:00 to UTC+14:00, got ", Expr(f"tf_quote({raw})")),
        ),
        (
            f"{parsed} IS NULL AND {present}",  # most values parse: the trim is then not needed
            msg(f"{label}: expected {TS_EXAMPLE}, got ", Expr(f"tf_quote({raw})")),
        ),
        (
            f"{parsed} < TIMESTAMPTZ '{EARLIEST} 00:00:00+00'",
            msg(f"{label} ", Expr(f"tf_quote({raw})"), " is before 1990"),
        ),
        (
            f"{parsed} > {latest(now)}::TIMESTAMPTZ",
            msg(f"{label} ", Expr(f"tf_quote({raw})"), " is in the future"),
        ),
    ]


# ``parsed`` (and ``code``) below name a column that already holds the converted value, when the caller
# computes it once per row for both its checks and its output; by default the conversion is written inline.


def number(raw: str, label: str, *, non_negative: bool = True, parsed: str | None = None) -> list[Check]:
    value = parsed or f"tf_num({raw})"
    checks = [
        (
            f"({raw}) IS NOT NULL AND {value} IS NULL",
            msg(f"{label}: expected a number, got ", Expr(f"tf_quote({raw})")),
        )
    ]
    if non_negative:
        checks.append((f"{value} < 0", msg(f"{label}: negative amount ", Expr(f"{raw}"))))
    return checks


def boolean(raw: str, label: str, *, parsed: str | None = None) -> Check:
    return (
        f"({raw}) IS NOT NULL AND {parsed or f'tf_bool({raw})'} IS NULL",
        msg(f"{label}: expected true or false, got ", Expr(f"tf_quote({raw})")),
    )


def currency(raw: str, label: str, *, code: str | None = None) -> Check:
    return (
        f"({raw}) IS NOT NULL AND {code or currency_sql(raw)} IS NULL",
        msg(f"{label}: unknown currency code ", Expr(f"tf_quote({raw})")),
    )


def currency_sql(raw: str) -> str:
    """The ISO 4217 code for a raw code, NULL when unknown."""
    aliases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in currencies.ALIASES.items())
    known = ", ".join(literal(c) for c in sorted(currencies.ISO_CODES))
    up = f"upper(trim({raw}))"
    # A constant list, not IN (...): DuckDB plans a long IN list as a join, run once per use.
    return f"(CASE {up} {aliases} ELSE (CASE WHEN list_contains([{known}], {up}) THEN {up} END) END)"


def not_after(earlier: str, later: str, earlier_label: str, later_label: str) -> Check:
    return (
        f"{earlier} > {later}",
        msg(
            f"{earlier_label} '",
            Expr(f"strftime({earlier}, '%Y-%m-%dT%H:%M:%SZ')"),
            f"' is after {later_label} '",
            Expr(f"strftime({later}, '%Y-%m-%dT%H:%M:%SZ')"),
            "'",
        ),
    )
