"""hh.ru's dictionaries: the display names of ids, so that a flat file holding names maps to the API's ids.

A scraper that flattens hh.ru answers often keeps ``schedule.name`` («Удаленная работа») and drops
``schedule.id`` (``remote``); talentflow's indicators read ids. The names come from hh.ru's ``GET /dictionaries``
(schedule, experience, employment) and ``GET /professional_roles``. hh.ru's dictionaries are in Russian.

A copy of the parts needed ships with the package (``hh_dictionaries.csv``): the Russian names of the schedule,
experience and employment ids from the 2024-12 dump of ``/dictionaries``, the role names of the 2022-07 and
2024-12 dumps of ``/professional_roles``, and English names of the schedule, experience, employment and work-format
ids **written by talentflow** (hh.ru publishes none; they follow the wording of hh.ru's English site where we knew
it). The work-format ids (``REMOTE``, ``ON_SITE``, ``HYBRID``, ``FIELD_WORK``) appear in vacancies from 2025 but in
no dump we hold; their Russian names are talentflow's too. ``talentflow reference dictionaries FILE`` loads a newer
answer into the store (table ``dictionary``), which then takes precedence over the shipped Russian names.

Names are compared by their key: trimmed, runs of spaces made one, lower-cased, «ё» read as «е»
(``name_key`` in Python, ``name_key_sql`` in DuckDB, which agree). An id is a name of itself, in any case.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from talentflow.errors import InputError
from talentflow.model import DICTIONARY
from talentflow.reference._json import load as load_json

#: The dictionaries kept from a ``/dictionaries`` answer (the others are not read by talentflow), and the name of
#: the roles of a ``/professional_roles`` answer. A flat file's field of the same name is mapped through each.
KEPT = ("schedule", "experience", "employment", "work_format")
ROLES = "professional_role"
DICTIONARIES = (*KEPT, ROLES)

SHIPPED = Path(__file__).with_name("hh_dictionaries.csv")


@dataclass(frozen=True)
class Entry:
    dictionary: str
    id: str
    lang: str  # "ru", "en", or "uid" (hh.ru's alternative id, e.g. fly_in_fly_out)
    name: str


@dataclass
class DictionaryLoad:
    source: str
    kind: str  # "dictionaries" or "professional_roles"
    entries: dict[str, int]  # names per dictionary
    updated_vacancies: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def name_key(text: str) -> str:
    """The key a name is compared by (the same as ``name_key_sql``)."""
    return " ".join(text.split()).lower().replace("ё", "е")


def name_key_sql(expr: str) -> str:
    """DuckDB: the key of a name (trimmed, spaces collapsed, lower-cased, «ё» as «е»)."""
    return f"replace(lower(regexp_replace(trim({expr}), '\\s+', ' ', 'g')), 'ё', 'е')"


def shipped_entries() -> list[Entry]:
    with SHIPPED.open(encoding="utf-8", newline="") as f:
        return [Entry(r["dictionary"], r["id"], r["lang"], r["name"]) for r in csv.DictReader(f)]


def read_answer(path: Path) -> tuple[str, list[Entry]]:
    """The entries of a dump of ``GET /dictionaries`` or ``GET /professional_roles``, with which it is."""
    return entries_of(load_json(path, "JSON"), str(path))


def entries_of(doc: Any, where: str) -> tuple[str, list[Entry]]:
    if isinstance(doc, dict) and isinstance(doc.get("categories"), list):
        roles = [
            Entry(ROLES, str(role["id"]), "ru", str(role["name"]))
            for category in doc["categories"]
            for role in category.get("roles") or []
            if isinstance(role, dict) and role.get("id") is not None and role.get("name")
        ]
        return "professional_roles", sorted(set(roles), key=_order)
    if isinstance(doc, dict) and any(isinstance(doc.get(k), list) for k in KEPT):
        out: set[Entry] = set()
        for dictionary in KEPT:
            for item in doc.get(dictionary) or []:
                if isinstance(item, dict) and item.get("id") is not None and item.get("name"):
                    out.add(Entry(dictionary, str(item["id"]), "ru", str(item["name"])))
                    if item.get("uid"):
                        out.add(Entry(dictionary, str(item["id"]), "uid", str(item["uid"])))
        return "dictionaries", sorted(out, key=_order)
    raise InputError(
        f"{where}: expected hh.ru's GET /dictionaries answer (an object with schedule, experience, employment "
        "lists) or GET /professional_roles (an object with categories)"
    )


def _order(e: Entry) -> tuple[str, int, str, str, str]:
    return (e.dictionary, int(e.id) if e.id.isdigit() else 0, e.id, e.lang, e.name)


def stored_entries(con: duckdb.DuckDBPyConnection) -> list[Entry]:
    """The entries loaded into the store; none when the table was never created."""
    if not _exists(con):
        return []
    rows = con.execute(f"SELECT dictionary, id, lang, name FROM {DICTIONARY.name}").fetchall()
    return [Entry(*r) for r in rows]


def entries(con: duckdb.DuckDBPyConnection | None = None) -> list[Entry]:
    """The entries in force: for a dictionary loaded into the store, its loaded names plus the shipped English
    names; for the others, the shipped copy."""
    stored = stored_entries(con) if con is not None else []
    loaded = {e.dictionary for e in stored}
    shipped = [e for e in shipped_entries() if e.dictionary not in loaded or e.lang == "en"]
    return stored + shipped


def lookup(found: Iterable[Entry]) -> dict[str, dict[str, str]]:
    """dictionary → name key → id. Every id is a key of itself; a key naming two ids is left out."""
    ids: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for e in found:
        ids[e.dictionary][name_key(e.name)].add(e.id)
        ids[e.dictionary][name_key(e.id)].add(e.id)
    return {d: {k: next(iter(v)) for k, v in keys.items() if len(v) == 1} for d, keys in ids.items()}


def known_ids(found: Iterable[Entry]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for e in found:
        out[e.dictionary].add(e.id)
    return dict(out)


def _exists(con: duckdb.DuckDBPyConnection) -> bool:
    (n,) = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [DICTIONARY.name]
    ).fetchone()  # type: ignore[misc]
    return bool(n)


def load(con: duckdb.DuckDBPyConnection, kind: str, found: list[Entry], source: str) -> DictionaryLoad:
    """Store ``found`` in place of the stored names of the same dictionaries (inside the caller's transaction),
    then turn display names stored in vacancy records into the ids they now name."""
    con.execute(DICTIONARY.ddl())
    dictionaries = sorted({e.dictionary for e in found})
    con.execute(f"DELETE FROM {DICTIONARY.name} WHERE list_contains(?, dictionary)", [dictionaries])
    con.executemany(
        f"INSERT INTO {DICTIONARY.name} VALUES (?, ?, ?, ?, ?)",
        [(e.dictionary, e.id, e.lang, e.name, source) for e in found],
    )
    counts = {d: sum(1 for e in found if e.dictionary == d) for d in dictionaries}
    return DictionaryLoad(source, kind, counts, _backfill(con, lookup(entries(con))))


def _backfill(con: duckdb.DuckDBPyConnection, names: dict[str, dict[str, str]]) -> int:
    """Stored vacancy records whose schedule, experience or employment holds a name the dictionaries now know get
    its id (and is_remote from the schedule, where it was unknown)."""
    updated = 0
    for field in ("schedule", "experience", "employment"):
        table = names.get(field, {})
        pairs = [(k, v) for k, v in table.items() if k != v]
        if not pairs:
            continue
        con.execute("CREATE OR REPLACE TEMP TABLE tf_dict_pairs (key VARCHAR, id VARCHAR)")
        con.executemany("INSERT INTO tf_dict_pairs VALUES (?, ?)", pairs)
        remote = ", is_remote = coalesce(t.is_remote, p.id = 'remote')" if field == "schedule" else ""
        (n,) = con.execute(
            f"""
            UPDATE vacancy_observation t SET {field} = p.id{remote}
            FROM tf_dict_pairs p
            WHERE t.{field} IS NOT NULL AND t.{field} <> p.id AND {name_key_sql(f"t.{field}")} = p.key
            """
        ).fetchone()  # type: ignore[misc]
        updated += int(n)
        con.execute("DROP TABLE tf_dict_pairs")
    return updated
