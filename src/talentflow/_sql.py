"""The one way a value or a name reaches SQL text: ``literal`` and ``ident``.

Everything talentflow reads from outside (a file's header, a ``--map`` column, a path, a ``--source`` name, a
default value) enters SQL through parameters, through a relation read by column position, or through these two
functions; `tests/test_sql_text.py` checks the source for SQL built from such values any other way, and feeds
quoting attacks through every path.
"""

from __future__ import annotations


def literal(value: str) -> str:
    """A DuckDB string literal holding ``value`` exactly.

    A quote is doubled. A NUL cannot stand inside quoted text (DuckDB's parser ends the statement there), so it
    is spelt ``chr(0)`` and joined on.
    """
    parts = ["'" + part.replace("'", "''") + "'" for part in str(value).split("\x00")]
    return parts[0] if len(parts) == 1 else "(" + " || chr(0) || ".join(parts) + ")"


def ident(name: str) -> str:
    """A DuckDB identifier: the name in double quotes, a double quote in it doubled.

    Raises ValueError for a name holding NUL, which no quoting can carry: names from input are read by position
    instead (``c0``, ``c1``, …), so this is for talentflow's own names.
    """
    if "\x00" in name:
        raise ValueError(f"an SQL identifier cannot hold NUL: {name!r}")
    return '"' + name.replace('"', '""') + '"'
