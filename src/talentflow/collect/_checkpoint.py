"""A collection run's checkpoint in the store: the run, its slices and the pages read, written one step at a
time, each step in one transaction.

A step is one answer from hh.ru and what follows from it: the page (its items), the slice's new state, the slices
it was split into, the run's counters. A process killed between the request and the commit loses that one
answer, which the resumed run asks for again; a committed page is never asked for twice. So a resumed run reads
every page once, whatever the moment it was stopped.

Two runs on one store would double the requests and race for the checkpoint: a run holds an exclusive lock on a
file beside the store (``STORE.collect.lock``) from start to end. The kernel drops the lock with the process,
however it ends, so no stale lock outlives a killed run.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from talentflow.collect._slicer import Slice
from talentflow.errors import BusyError
from talentflow.model import COLLECT_PAGE, COLLECT_RUN, COLLECT_SLICE, COLLECT_TABLES

_SLICE_COLUMNS = (
    "slice_id",
    "parent_id",
    "split_by",
    "date_from",
    "date_to",
    "areas",
    "roles",
    "state",
    "found",
    "pages",
    "pages_read",
    "retrieved",
    "tail",
    "passes",
    "clusters",
)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table in COLLECT_TABLES:
        con.execute(table.ddl())


@contextlib.contextmanager
def run_lock(store_path: Path) -> Iterator[None]:
    """Hold the store's collection lock, or raise BusyError naming the process that holds it."""
    lock = store_path.with_name(store_path.name + ".collect.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "another process"
            raise BusyError(
                f"{store_path}: a collection is already running on this store (pid {holder}); two at once would "
                "double the requests to hh.ru: wait for it to end (a nightly run that overlaps the next one means "
                "the schedule is too tight), or collect into another store with --db"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@dataclass
class RunRow:
    run_id: int
    api_url: str
    query: str
    window_end: datetime
    attempts: int
    requests: int
    retries: int
    failures: dict[str, int]
    seconds: float
    full_fetched: int


def unfinished(con: duckdb.DuckDBPyConnection) -> RunRow | None:
    """The last run that neither finished nor was abandoned."""
    row = con.execute(
        f"SELECT run_id, api_url, query, window_end, attempts, requests, retries, failures, seconds, full_fetched "
        f"FROM {COLLECT_RUN.name} WHERE status = 'running' ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    run_id, api_url, query, window_end, attempts, requests, retries = row[:7]
    return RunRow(
        int(run_id),
        api_url,
        query,
        window_end,
        int(attempts),
        int(requests or 0),
        int(retries or 0),
        json.loads(row[7] or "{}"),
        float(row[8] or 0),
        int(row[9] or 0),
    )


def new_run(
    con: duckdb.DuckDBPyConnection, api_url: str, query: str, started: datetime, window_end: datetime, version: str
) -> RunRow:
    (run_id,) = con.execute(f"SELECT coalesce(max(run_id), 0) + 1 FROM {COLLECT_RUN.name}").fetchone()  # type: ignore[misc]
    con.execute(
        f"INSERT INTO {COLLECT_RUN.name} (run_id, source, api_url, query, status, started_at, window_end, attempts, "
        "requests, retries, failures, seconds, full_fetched, tool_version) "
        "VALUES (?, 'hh.ru', ?, ?, 'running', ?, ?, 1, 0, 0, '{}', 0, 0, ?)",
        [run_id, api_url, query, started, window_end, version],
    )
    return RunRow(int(run_id), api_url, query, window_end, 1, 0, 0, {}, 0.0, 0)


def abandon(con: duckdb.DuckDBPyConnection, run_id: int, when: datetime) -> None:
    con.execute(f"UPDATE {COLLECT_RUN.name} SET status = 'abandoned', finished_at = ? WHERE run_id = ?", [when, run_id])
    con.execute(f"DELETE FROM {COLLECT_PAGE.name} WHERE run_id = ?", [run_id])


def slices(con: duckdb.DuckDBPyConnection, run_id: int) -> list[Slice]:
    rows = con.execute(
        f"SELECT {', '.join(_SLICE_COLUMNS)} FROM {COLLECT_SLICE.name} WHERE run_id = ? ORDER BY slice_id", [run_id]
    ).fetchall()
    out = []
    for r in rows:
        d = dict(zip(_SLICE_COLUMNS, r, strict=True))
        d["areas"], d["roles"] = tuple(d["areas"] or ()), tuple(d["roles"] or ())
        out.append(Slice(**d))
    return out


def save_slices(con: duckdb.DuckDBPyConnection, run_id: int, changed: list[Slice]) -> None:
    """Insert or replace ``changed`` slices."""
    for s in changed:
        con.execute(f"DELETE FROM {COLLECT_SLICE.name} WHERE run_id = ? AND slice_id = ?", [run_id, s.slice_id])
        values = [getattr(s, c) for c in _SLICE_COLUMNS]
        values[_SLICE_COLUMNS.index("areas")] = list(s.areas)
        values[_SLICE_COLUMNS.index("roles")] = list(s.roles)
        marks = ", ".join("?" for _ in range(len(_SLICE_COLUMNS) + 1))
        con.execute(
            f"INSERT INTO {COLLECT_SLICE.name} (run_id, {', '.join(_SLICE_COLUMNS)}) VALUES ({marks})",
            [run_id, *values],
        )


def save_page(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    slice_id: int | None,
    page: int | None,
    vacancy_id: str | None,
    observed_at: datetime,
    found: int | None,
    body: Any,
) -> None:
    (seq,) = con.execute(  # type: ignore[misc]
        f"SELECT coalesce(max(seq), -1) + 1 FROM {COLLECT_PAGE.name} WHERE run_id = ? "
        "AND slice_id IS NOT DISTINCT FROM ? AND vacancy_id IS NOT DISTINCT FROM ?",
        [run_id, slice_id, vacancy_id],
    ).fetchone()
    con.execute(
        f"INSERT INTO {COLLECT_PAGE.name} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, slice_id, seq, page, vacancy_id, observed_at, found, json.dumps(body, ensure_ascii=False)],
    )


def save_counters(con: duckdb.DuckDBPyConnection, run_id: int, values: dict[str, Any]) -> None:
    """Update the run's columns named in ``values`` (names from the model only)."""
    names = [n for n in values if n in COLLECT_RUN.column_names]
    sets = ", ".join(f"{n} = ?" for n in names)
    con.execute(f"UPDATE {COLLECT_RUN.name} SET {sets} WHERE run_id = ?", [*(values[n] for n in names), run_id])


def pages(con: duckdb.DuckDBPyConnection, run_id: int) -> list[tuple[int | None, str | None, datetime, str]]:
    """(slice_id, vacancy_id, observed_at, body) of every page of the run, in the order they were read."""
    return con.execute(
        f"SELECT slice_id, vacancy_id, observed_at, body FROM {COLLECT_PAGE.name} WHERE run_id = ? "
        "ORDER BY observed_at, slice_id NULLS LAST, seq, vacancy_id",
        [run_id],
    ).fetchall()


def fetched_full(con: duckdb.DuckDBPyConnection, run_id: int) -> set[str]:
    rows = con.execute(
        f"SELECT vacancy_id FROM {COLLECT_PAGE.name} WHERE run_id = ? AND vacancy_id IS NOT NULL", [run_id]
    ).fetchall()
    return {r[0] for r in rows}
