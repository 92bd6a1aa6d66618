"""Which records a query reads: real data or simulated data, one kind at a time, never the two summed.

Board records (``vacancy_observation``, ``resume_observation``) say where they come from in ``provenance``
(docs/model.md): ``simulated`` when ``talentflow simulate`` wrote them, ``observed`` when they were seen on a
board or read from a file of one. **Real** data is every board record that is not simulated (a record without a
mark, such as one stored before schema 2, is taken as observed, as the store's upgrade takes it); **simulated**
data is the records the simulator marked. The other tables the indicators and estimates read (``population``:
GitHub Innovation Graph; ``series``: Indeed Hiring Lab) hold published figures: they are real, and asked for
simulated data they are empty.

    >>> from talentflow import Store
    >>> with Store("talentflow.duckdb", read_only=True) as store:
    ...     counts(store, "simulated")["resume_observation"] > 0, counts(store, "real")["resume_observation"]
    (True, 0)

Light on purpose (Ibis loads inside the one function that needs it): the command line imports ``DATA``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from talentflow.errors import UsageError

if TYPE_CHECKING:
    from talentflow.store import Store

#: The kinds of data a query takes, the default first.
DATA = ("real", "simulated")
DEFAULT_DATA = "real"
#: How each kind is described to a reader.
LABELS = {"real": "real data", "simulated": "simulated data"}
#: Tables whose records carry ``provenance``; the others hold published, real figures only.
MARKED = ("vacancy_observation", "resume_observation")
#: Tables of published figures: real data only.
PUBLISHED = ("population", "series")
#: The SQL condition selecting each kind of board record (a constant: nothing from a request reaches it).
WHERE = {"real": "provenance IS DISTINCT FROM 'simulated'", "simulated": "provenance = 'simulated'"}


def check_data(value: str, param: str = "data") -> str:
    """``value`` if it is a kind of data (``real`` or ``simulated``), else a ``UsageError`` naming ``param``."""
    if value not in DATA:
        raise UsageError(f"unknown data {value!r}; choose {' or '.join(DATA)}", param=param)
    return value


def of_kind(table: Any, name: str, data: str) -> Any:
    """The Ibis table ``table`` (the store's table ``name``) with only the records of kind ``data``."""
    check_data(data)
    if name not in MARKED:
        if data == "real":
            return table
        import ibis

        return table.filter(ibis.literal(False))
    if data == "simulated":
        return table.filter(table.provenance == "simulated")
    return table.filter(table.provenance.isnull() | (table.provenance != "simulated"))


def count(store: Store, name: str, data: str) -> int:
    """Rows of kind ``data`` in the store's table ``name`` (0 for simulated data in a table without a mark)."""
    check_data(data)
    if name not in MARKED:
        return store.count(name) if data == "real" else 0
    (n,) = store.con.execute(f"SELECT count(*) FROM {name} WHERE {WHERE[data]}").fetchone()  # type: ignore[misc]
    return int(n)


def counts(store: Store, data: str) -> dict[str, int]:
    """Rows of kind ``data`` in each table the indicators and estimates read."""
    return {name: count(store, name, data) for name in (*MARKED, *PUBLISHED)}


def day_range(store: Store, name: str, data: str) -> tuple[date | None, date | None]:
    """The first and last day ``observed_at`` of the records of kind ``data`` in board table ``name``."""
    check_data(data)
    if name not in MARKED:
        raise UsageError(f"{name} has no sightings of a kind: only {' and '.join(MARKED)} do")
    first, last = store.con.execute(  # type: ignore[misc]
        f"SELECT min(observed_at)::DATE, max(observed_at)::DATE FROM {name} WHERE {WHERE[data]}"
    ).fetchone()
    return first, last


def runs(store: Store) -> list[tuple[str | None, int | None, int]]:
    """The simulations whose records the store holds: (scenario, seed, board records), largest first."""
    rows = store.con.execute(
        "SELECT scenario, seed, sum(n)::BIGINT FROM ("
        + " UNION ALL ".join(
            f"SELECT scenario, seed, count(*) AS n FROM {name} WHERE {WHERE['simulated']} GROUP BY ALL"
            for name in MARKED
        )
        + ") GROUP BY ALL ORDER BY 3 DESC, 1, 2"
    ).fetchall()
    return [(r[0], None if r[1] is None else int(r[1]), int(r[2])) for r in rows]
