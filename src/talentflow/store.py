"""The embedded store: one DuckDB file holding the canonical tables, read through Ibis."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from talentflow import model
from talentflow.errors import Interrupted, StoreError
from talentflow.reference.cities import add_builtin_areas

DEFAULT_DB = "talentflow.duckdb"
ENV_DB = "TALENTFLOW_DB"
#: 2 added provenance, scenario, seed, is_ai and key_skills to the observations (and a vacancy's
#: description_length); a store of version 1 is brought up to date when it is next opened for writing.
SCHEMA_VERSION = "2"

# Helpers used by the adapters' SQL. DuckDB's cast reads ISO 8601 with +0300, +03:00 or Z, and a bare date;
# the session time zone is UTC, so a time without an offset is taken as UTC. A value is trimmed only when it
# does not cast as it is: trim copies every string it is given, which cost more than the cast itself.
# DuckDB casts 'NaN', 'Infinity' and 1e309 to DOUBLE: tf_num gives NULL for them, so a check names them and no
# stored amount, count or index is anything but a finite number. It also casts any offset up to +99:59:
# tf_bad_offset finds one past the zones in use (UTC-12 to UTC+14), by string position, which costs far less than
# a regular expression on every time of every record.
_MACROS = """
CREATE OR REPLACE TEMP MACRO tf_ts(s) AS coalesce(try_cast(s AS TIMESTAMPTZ), try_cast(trim(s) AS TIMESTAMPTZ));
CREATE OR REPLACE TEMP MACRO tf_num_any(s) AS
    coalesce(try_cast(s::VARCHAR AS DOUBLE), try_cast(trim(s::VARCHAR) AS DOUBLE));
CREATE OR REPLACE TEMP MACRO tf_num(s) AS CASE WHEN isfinite(tf_num_any(s)) THEN tf_num_any(s) END;
CREATE OR REPLACE TEMP MACRO tf_bad_offset(s) AS contains(s, ':') AND (
    (substr(s, -6, 1) IN ('+', '-') AND substr(s, -3, 1) = ':' AND (substr(s, -5, 2) > '14' OR substr(s, -2, 2) > '59'))
    OR (substr(s, -5, 1) IN ('+', '-') AND substr(s, -3, 1) <> ':'
        AND (substr(s, -4, 2) > '14' OR substr(s, -2, 2) > '59'))
    OR (substr(s, -3, 1) IN ('+', '-') AND substr(s, -2, 2) > '14'));
CREATE OR REPLACE TEMP MACRO tf_bool(s) AS
    coalesce(try_cast(s::VARCHAR AS BOOLEAN), try_cast(trim(s::VARCHAR) AS BOOLEAN));
CREATE OR REPLACE TEMP MACRO tf_quote(s) AS '''' || left(s::VARCHAR, 60) || '''';
"""


#: Seconds ``Store`` waits, when opening for writing, for another process to let go of the file.
DEFAULT_WAIT = 60.0
_LOCKED = "Could not set lock"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _connect(path: Path, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """Open the file; while another process holds its lock (DuckDB allows one writer, or readers only), retry
    with backoff for up to ``wait`` seconds."""
    deadline = time.monotonic() + max(wait, 0.0)
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            if _LOCKED not in str(exc):
                raise StoreError(f"{path}: cannot open the store: {_first_line(exc)}") from None
            left = deadline - time.monotonic()
            if left <= 0:
                waited = f"waited {wait:g} s for it; " if wait > 0 else ""
                longer = ", or wait longer: `talentflow ingest --wait SECONDS`" if not read_only else ""
                raise StoreError(
                    f"{path}: the store is in use by another process ({waited}try again when it is done{longer})"
                ) from None
            time.sleep(min(delay, left))
            delay = min(delay * 1.5, 1.0)


@contextlib.contextmanager
def _interrupt_held() -> Iterator[list[int]]:
    """Hold SIGINT for the duration: the list yielded is non-empty afterwards if one arrived meanwhile.

    Only the main thread can set a signal handler; elsewhere the block runs as it is."""
    held: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield held
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        yield held
    finally:
        signal.signal(signal.SIGINT, previous)


def default_path() -> Path:
    return Path(os.environ.get(ENV_DB) or DEFAULT_DB)


class Store:
    """A talentflow store: a DuckDB file with the canonical tables.

    >>> with Store("talentflow.duckdb") as store:
    ...     store.table("vacancy_observation").count().execute() > 0
    True
    """

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, read_only: bool = False, wait: float | None = None
    ) -> None:
        self.path = Path(path) if path is not None else default_path()
        if read_only and not self.path.exists():
            raise StoreError(f"{self.path}: no store here (ingest something first, or name another store file)")
        self.con = _connect(self.path, read_only, (DEFAULT_WAIT if not read_only else 0.0) if wait is None else wait)
        self.read_only = read_only
        self._ibis: Any = None
        try:
            self._open()
        except BaseException:
            self.con.close()
            raise

    def _open(self) -> None:
        # DuckDB imports pandas from C++ on the first query with parameters, and a Ctrl-C landing in that import is
        # swallowed there: pandas is left half imported, and the next use of it fails with an AttributeError in
        # place of the interrupt. Imported here, in Python, a Ctrl-C raises KeyboardInterrupt as anywhere else.
        import pandas  # noqa: F401

        try:
            self.con.execute("SET TimeZone = 'UTC'")
            # query_progress() needs the progress bar on; talentflow draws its own, so DuckDB must not print one.
            self.con.execute("SET enable_progress_bar = true")
            self.con.execute("SET enable_progress_bar_print = false")
            self.con.execute(_MACROS)
            self._recognise()
            if not self.read_only:
                with self.transaction():
                    self.ensure_schema()
        except duckdb.Error as exc:
            raise StoreError(f"{self.path}: the store cannot be read, it may be damaged ({_first_line(exc)})") from None
        if not self.read_only:
            return
        if not self._has_schema():
            raise StoreError(f"{self.path}: not a talentflow store")
        if self._missing_columns():
            raise StoreError(
                f"{self.path}: written by an older talentflow (schema version {self._version()}, this one reads "
                f"{SCHEMA_VERSION}); open it for writing once to bring it up to date, e.g. with `talentflow claims "
                "import --builtin` or any ingest into it"
            )

    def _recognise(self) -> None:
        """Refuse, before anything is written, a DuckDB file that is not a talentflow store.

        A store is recognised by its ``meta`` table's schema version (or, written before there was one, by all of
        the canonical tables); an empty database becomes a store. Anything else belongs to another program and
        is left as it is.
        """
        names = {
            r[0]
            for r in self.con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND database_name = current_database() "
                "UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT temporary AND NOT internal "
                "AND database_name = current_database()"
            ).fetchall()
        }
        if not names:
            return
        version = self._version() if "meta" in names else None
        if version is not None and "ingest_log" in names:
            if not version.isdigit() or int(version) > int(SCHEMA_VERSION):
                raise StoreError(
                    f"{self.path}: written by a newer talentflow (schema version {version}; this one knows "
                    f"{SCHEMA_VERSION}): upgrade talentflow to read it"
                )
            return
        if all(t.name in names for t in model.ALL_TABLES):
            return  # schema version 1, brought up to date when opened for writing
        shown = ", ".join(sorted(names)[:6]) + (", …" if len(names) > 6 else "")
        raise StoreError(
            f"{self.path}: not a talentflow store: a DuckDB database of another program (tables {shown}); it is "
            "left untouched: name another store file"
        )

    # -- lifecycle ------------------------------------------------------------------------------------
    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: an exception rolls back; a killed process leaves no trace.

        Ctrl-C raises ``Interrupted``, which says whether the work was stored: before the COMMIT it rolls back
        (``stored`` false); during the COMMIT it is held until the COMMIT has finished (``stored`` true), so that
        an interrupt never leaves the outcome unknown.
        """
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error):
                self.con.execute("ROLLBACK")
            if isinstance(exc, (KeyboardInterrupt, duckdb.InterruptException)) and not isinstance(exc, Interrupted):
                raise Interrupted("interrupted: nothing was stored (the store is as it was)", stored=False) from None
            raise
        with _interrupt_held() as held:
            self.con.execute("COMMIT")
        if held:
            raise Interrupted("interrupted after the commit: the work was stored", stored=True)

    # -- schema ---------------------------------------------------------------------------------------
    def _has_schema(self) -> bool:
        names = {r[0] for r in self.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        return all(t.name in names for t in model.ALL_TABLES)

    def _version(self) -> str | None:
        """The schema version in ``meta``: "1" when there is no such table, None when it has no version."""
        try:
            row = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except duckdb.CatalogException:
            return "1"
        except duckdb.Error:
            return None  # a table named meta of another shape: not a talentflow store's
        return str(row[0]) if row else None

    def _missing_columns(self) -> list[tuple[model.Table, model.Column]]:
        present = set(self.con.execute("SELECT table_name, column_name FROM duckdb_columns()").fetchall())
        return [(t, c) for t in model.ALL_TABLES for c in t.columns if (t.name, c.name) not in present]

    def ensure_schema(self) -> None:
        for table in model.ALL_TABLES:
            self.con.execute(table.ddl())
        # A store from an older talentflow gets the columns added since. Its records carry no mark of where they
        # came from and are taken as observed: simulator output stored before schema 2 must be ingested again.
        # (DuckDB refuses an UPDATE after an ALTER of the same table in one transaction: hence the DEFAULT.)
        for table, col in self._missing_columns():
            default = " DEFAULT 'observed'" if col.name == "provenance" else ""
            self.con.execute(f"ALTER TABLE {table.name} ADD COLUMN {col.name} {col.type}{default}")
        self.con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        self.con.execute(
            "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO UPDATE SET value = excluded.value",
            [SCHEMA_VERSION],
        )
        (builtin,) = self.con.execute("SELECT count(*) FROM area").fetchone()  # type: ignore[misc]
        if builtin == 0:
            add_builtin_areas(self.con)

    # -- reads ----------------------------------------------------------------------------------------
    @property
    def ibis(self) -> Any:
        """The Ibis backend over this store's connection."""
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.from_connection(self.con)
        return self._ibis

    def table(self, name: str) -> Any:
        """An Ibis table expression for one of the store's tables."""
        return self.ibis.table(self._known(name).name)

    def _known(self, name: str) -> model.Table:
        if name not in model.BY_NAME:
            known = ", ".join(model.BY_NAME)
            raise StoreError(f"unknown table {name!r}; the tables are: {known}")
        return model.BY_NAME[name]

    def count(self, name: str) -> int:
        """Rows in table ``name``."""
        # The name is checked against the model above: only talentflow's own table names reach the SQL.
        (n,) = self.con.execute(f"SELECT count(*) FROM {self._known(name).name}").fetchone()  # type: ignore[misc]
        return int(n)

    def counts(self) -> dict[str, int]:
        return {t.name: self.count(t.name) for t in model.ALL_TABLES}

    def day_range(self, name: str) -> tuple[date | None, date | None]:
        """The first and last day ``observed_at`` of table ``name`` holds (None, None when it is empty)."""
        table = self._known(name).name
        first, last = self.con.execute(  # type: ignore[misc]
            f"SELECT min(observed_at)::DATE, max(observed_at)::DATE FROM {table}"
        ).fetchone()
        return first, last

    def status(self) -> dict[str, Any]:
        """Row counts per table, inputs ingested and quarantine size by reason."""
        inputs = self.con.execute(
            "SELECT ingest_id, input, format, read, accepted, duplicates, quarantined, "
            "strftime(finished_at, '%Y-%m-%dT%H:%M:%SZ') FROM ingest_log ORDER BY ingest_id"
        ).fetchall()
        keys = [
            "ingest_id",
            "input",
            "format",
            "read",
            "accepted",
            "duplicates",
            "quarantined",
            "finished_at",
        ]
        reasons = self.con.execute(
            "SELECT regexp_replace(reason, '''[^'']*''', '…', 'g') AS kind, count(*) FROM quarantine "
            "GROUP BY kind ORDER BY count(*) DESC, kind"
        ).fetchall()
        return {
            "store": str(self.path),
            "tables": self.counts(),
            "inputs": [dict(zip(keys, row, strict=True)) for row in inputs],
            "quarantine_by_reason": [{"reason": r, "count": n} for r, n in reasons],
        }

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, sorted: for comparing a store before and after a command."""
        out = {}
        for t in (*model.ALL_TABLES,):
            cols = ", ".join(t.column_names)
            out[t.name] = self.con.execute(f"SELECT {cols} FROM {t.name} ORDER BY ALL").fetchall()
        return out
