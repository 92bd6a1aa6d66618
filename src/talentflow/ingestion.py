"""Ingest: inputs → adapters → the store, in one transaction, with every record accounted for.

For each input: read = accepted + duplicates + quarantined. A record is a duplicate when its natural key
(e.g. source, vacancy_id, observed_at) is already stored or came earlier in the same input; an input whose
content, format and options were ingested before is not read again and reports all its records as
duplicates.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from talentflow._version import __version__
from talentflow.errors import InputError, Interrupted, StoreError, UsageError
from talentflow.sources import FORMATS, Context, Direct, DirectAdapter, Staged, StageResult, adapter, detect
from talentflow.sources._scan import LONG_LINE, RAW_LIMIT, cut, limit_text
from talentflow.sources._text import PARQUET_MAGIC, Inspection, head, inspect, line_at, plain_copy
from talentflow.store import DEFAULT_WAIT, Store

#: In a directory walk, files with these endings are read; others are listed as skipped.
DATA_SUFFIXES = (".json", ".jsonl", ".ndjson", ".jsonld", ".csv", ".parquet")
#: A file in a walked folder listing files to leave out (see `_ignored`).
IGNORE_FILE = ".talentflowignore"
#: Descriptors that sit beside data files (frictionless data packages) and are not records.
_METADATA_NAMES = {"datapackage.json"}


@dataclass
class InputReport:
    input: str
    format: str | None
    sha256: str | None = None
    read: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    already_ingested: bool = False
    skipped: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: How a flat file's columns were read: the layout chosen, column → field, defaults, columns left out.
    mapping: dict[str, Any] | None = None

    @property
    def balanced(self) -> bool:
        return self.read == self.accepted + self.duplicates + self.quarantined


@dataclass
class IngestReport:
    inputs: list[InputReport]
    store: str

    def _total(self, count: str) -> int:
        return sum(getattr(i, count) for i in self.inputs)

    read = property(lambda self: self._total("read"), doc="Records read, over all inputs.")
    accepted = property(lambda self: self._total("accepted"), doc="Records stored.")
    duplicates = property(lambda self: self._total("duplicates"), doc="Records already stored or repeated.")
    quarantined = property(lambda self: self._total("quarantined"), doc="Records set aside in quarantine.")

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "read": self.read,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "inputs": [asdict(i) for i in self.inputs],
        }


@dataclass
class _Plan:
    path: Path
    display: str
    format: str | None
    builtin: str | None = None
    skipped: str | None = None


#: Called as (event, payload): ("start", {"input", "bytes", "index", "total"}) once per input when it is first
#: read, ("progress", fraction) while DuckDB reads it, ("done", InputReport) per input once the ingest committed.
ProgressHook = Callable[[str, Any], None]


def ingest(
    paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    store: Store | None = None,
    db: str | os.PathLike[str] | None = None,
    format: str = "auto",
    mapping: dict[str, str] | None = None,
    map_file: str | os.PathLike[str] | None = None,
    defaults: dict[str, str] | None = None,
    currency: str | None = None,
    area: str | None = None,
    country: str | None = None,
    it: bool = False,
    observed_at: datetime | None = None,
    source: str | None = None,
    force: bool = False,
    progress: ProgressHook | None = None,
    wait: float = DEFAULT_WAIT,
) -> IngestReport:
    """Ingest files or directories into the store, all in one transaction.

    For CSV and Parquet inputs: ``mapping`` names the field of a column (over the layout its header shows),
    ``map_file`` is a TOML file of ``[map]`` and ``[defaults]``, and ``defaults`` (or ``currency``, ``area``,
    ``country``, ``it``) give values for fields the file lacks; all are recorded in the ingest log's options.

    ``-`` (or ``/dev/stdin``) reads standard input. While another process holds the store, the ingest waits up
    to ``wait`` seconds for it.

    Raises InputError, before the store is opened, when an input cannot be read at all; ``Interrupted`` on
    Ctrl-C, saying whether the ingest was stored.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if format not in FORMATS:
        raise UsageError(f"unknown format {format!r}; choose one of: {', '.join(FORMATS)}")
    columns, values = _flat_options(mapping, map_file, defaults, currency, area, country, it)
    if (columns or values) and format not in ("auto", "csv"):
        given = "mapping" if mapping else "map_file" if map_file else "defaults"
        raise UsageError("applies to CSV and Parquet inputs (input format csv)", param=given)
    options = (columns, values, observed_at, source, force, progress)
    run: _Run | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="talentflow-") as scratch:
            plans = _plan(paths, format, columns, values, observed_at is not None, Path(scratch))
            own = store is None
            store = store or Store(db, wait=wait)
            run = _Run(store, plans, *options, scratch=Path(scratch))
            try:
                return run.execute()
            except duckdb.IOException as exc:  # the store's file, not an input (those are InputErrors by now)
                raise StoreError(f"{store.path}: the store cannot be read or written ({_first_line(exc)})") from None
            except (KeyboardInterrupt, duckdb.InterruptException) as exc:
                if isinstance(exc, Interrupted):
                    raise
                if run.committed():  # the interrupt landed after the COMMIT, before the report was returned
                    raise Interrupted(_AFTER_COMMIT, stored=True) from None
                raise
            finally:
                run.close()
                if own:
                    store.close()
    except (KeyboardInterrupt, duckdb.InterruptException) as exc:
        if isinstance(exc, Interrupted):
            raise
        if run is not None and run.done:  # while closing, after the commit
            raise Interrupted(_AFTER_COMMIT, stored=True) from None
        raise Interrupted("interrupted: nothing was stored (the store is as it was)", stored=False) from None


_AFTER_COMMIT = "interrupted after the commit: the ingest was stored (see `talentflow status`)"


def _flat_options(
    mapping: dict[str, str] | None,
    map_file: str | os.PathLike[str] | None,
    defaults: dict[str, str] | None,
    currency: str | None = None,
    area: str | None = None,
    country: str | None = None,
    it: bool = False,
) -> tuple[dict[str, str], dict[str, str]]:
    """The column mapping and the defaults of a flat-file ingest, merged and checked: the mapping file first,
    then ``mapping`` and ``defaults``, then the options of their own (``currency``, ``area``, ``country``, ``it``)."""
    from talentflow.sources._flat_layout import check_defaults, read_mapping_file

    file = read_mapping_file(Path(map_file)) if map_file is not None else None
    columns = {**(file.map if file else {}), **(mapping or {})}
    values = {**(file.defaults if file else {}), **check_defaults(dict(defaults or {}), "defaults")}
    for name, value, param in (
        ("currency", currency, "currency"),
        ("area", area, "area"),
        ("country", country, "country"),
    ):
        if value is not None:
            values.update(check_defaults({name: value}, param))
    if it:
        values["is_it"] = "true"
    return columns, values


class _NotClean(Exception):
    """A direct insert was abandoned: the transaction is rolled back and every input staged."""


#: Raised inside DuckDB by a direct insert at the first record it cannot store as it is.
_NOT_CLEAN = "talentflow: a record needs staging"


class _Run:
    """One ingest command: its inputs, their hashes and staged tables, across attempts at the transaction.

    An input an adapter offers as ``Direct`` is first inserted inside the transaction without staging: for a
    file of clean, new records this saves writing every record to a temporary table and reading it back.
    At its first record that is not clean (or whose key is stored, or a line DuckDB cannot read) the
    statement fails, which aborts the transaction; it is rolled back and the transaction runs again with
    every input staged. So the store changes only in a transaction that commits, and an ingest is attempted
    at most twice: a dirty input costs the work done before its first bad record, once.
    """

    def __init__(
        self,
        store: Store,
        plans: list[_Plan],
        mapping: dict[str, str],
        defaults: dict[str, str],
        observed_at: datetime | None,
        source: str | None,
        force: bool,
        progress: ProgressHook | None,
        *,
        scratch: Path,
    ) -> None:
        self.store, self.plans, self.force, self.progress = store, plans, force, progress
        self.scratch = scratch
        self.mapping, self.observed_at, self.source = mapping, observed_at, source
        self.defaults = defaults
        self.staged: dict[int, _Staging] = {}
        self.direct: dict[int, tuple[Context, str, Direct]] = {}
        for index, plan in enumerate(plans):
            reader = adapter(plan.format) if plan.format else None
            if isinstance(reader, DirectAdapter):
                ctx, options = self._context(index)
                if (direct := reader.direct(ctx)) is not None:
                    self.direct[index] = (ctx, options, direct)
        # One side thread hashes (and inspects: see _text.inspect) the inputs while DuckDB reads them: both read
        # the file, neither waits for the other. A hash outlives an abandoned attempt.
        self.pool = ThreadPoolExecutor(1)
        self.hashes: dict[int, Future[Inspection]] = {}
        self.started: set[int] = set()
        self.first_id: int | None = None
        self.done = False

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)
        with contextlib.suppress(duckdb.Error):  # after an interrupt the connection may refuse: it closes anyway
            for staging in self.staged.values():
                if staging.result is not None:
                    for name in {s.name for s in staging.result.staged}:
                        self.store.con.execute(f"DROP TABLE IF EXISTS {name}")

    def execute(self) -> IngestReport:
        while True:
            # Staging happens outside the transaction: DuckDB's fast JSON reader may fail on a bad line,
            # and a failed statement would abort a transaction that was already open.
            for index, plan in enumerate(self.plans):
                if plan.format is not None and index not in self.direct and index not in self.staged:
                    self._start(index)
                    self.staged[index] = self._stage_one(index)
            try:
                reports = self._transaction()
            except _NotClean:
                self.direct.clear()
                continue
            self.done = True
            if self.progress:
                for report in reports:
                    self.progress("done", report)
            return IngestReport(reports, str(self.store.path))

    def _transaction(self) -> list[InputReport]:
        reports: list[InputReport] = []
        try:
            self._write(reports)
        except Interrupted as exc:
            if not exc.stored:
                raise
            stored = sum(r.accepted for r in reports)
            raise Interrupted(
                f"interrupted after the commit: the ingest was stored ({stored:,} records accepted from "
                f"{len(reports):,} inputs; see `talentflow status`)",
                stored=True,
            ) from None
        return reports

    def committed(self) -> bool:
        """Whether this run's ingest_log rows are in the store: after an interrupt, whether it committed."""
        if self.first_id is None:
            return False
        with contextlib.suppress(duckdb.Error):
            self.store.con.execute("ROLLBACK")
        row = self.store.con.execute("SELECT count(*) FROM ingest_log WHERE ingest_id >= ?", [self.first_id])
        return bool(row.fetchone()[0])  # type: ignore[index]

    def _write(self, reports: list[InputReport]) -> None:
        with self.store.transaction():
            next_id = self.store.con.execute("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingest_log").fetchone()[0]  # type: ignore[index]
            self.first_id = next_id
            for index, plan in enumerate(self.plans):
                if plan.format is None:
                    report = InputReport(plan.display, None, skipped=plan.skipped or "empty file")
                elif index in self.direct:
                    self._start(index)
                    report = self._direct_one(index, next_id)
                else:
                    report = _finish_one(self.store, self.staged[index], next_id, self.force)
                if not report.already_ingested and report.format is not None:
                    next_id += 1
                reports.append(report)

    def _start(self, index: int) -> None:
        plan = self.plans[index]
        if index not in self.hashes:
            self.hashes[index] = self.pool.submit(inspect, plan.path)
        if self.progress and index not in self.started:
            self.started.add(index)
            payload = {"input": plan.display, "bytes": plan.path.stat().st_size, "index": index}
            self.progress("start", payload | {"total": len(self.plans)})

    def _context(self, index: int, path: Path | None = None) -> tuple[Context, str]:
        plan = self.plans[index]
        settings: dict[str, Any] = {
            "map": self.mapping or None,
            "observed_at": self.observed_at.isoformat() if self.observed_at else None,
            "source": self.source,
            "builtin": plan.builtin,
        }
        if self.defaults:  # only when given, so that the options of earlier ingests read the same
            settings["defaults"] = self.defaults
        options = json.dumps(settings, sort_keys=True)
        ctx = Context(
            self.store.con,
            path or plan.path,
            plan.display,
            datetime.now(UTC),
            self.mapping,
            self.observed_at,
            self.source,
            plan.builtin,
            defaults=self.defaults,
            tag=str(index),
        )
        return ctx, options

    def _stage_one(self, index: int) -> _Staging:
        plan = self.plans[index]
        assert plan.format is not None
        ctx, options = self._context(index)
        digest = self.hashes[index]
        # After an abandoned direct insert the hash is known: content ingested before need not be read again.
        if digest.done() and not self.force and self._seen(digest.result().sha256, plan.format, options):
            return _Staging(plan, ctx, None, digest.result().sha256, options)
        ctx, result = self._read(index, ctx)
        found = digest.result()
        if found.long_lines and not ctx.careful:  # read again, every line held to the limit
            ctx.careful = True
            ctx, result = self._read(index, ctx)
        _reconcile(ctx, result, found)
        return _Staging(plan, ctx, result, found.sha256, options)

    def _read(self, index: int, ctx: Context) -> tuple[Context, StageResult]:
        """Stage one input; when DuckDB's readers stop on it (a gzip stream followed by other bytes, CR LF and LF
        line ends mixed), stage a plain copy of its readable content instead. An input that cannot be read
        either way is an InputError naming it."""
        plan = self.plans[index]
        assert plan.format is not None
        reader = adapter(plan.format)
        try:
            with _poll_progress(self.store, self.progress):
                return ctx, reader.stage(ctx)
        except duckdb.InterruptException:
            raise
        except (duckdb.Error, OSError) as exc:
            first = exc
        if head(plan.path, 4) != PARQUET_MAGIC:
            copy = plain_copy(plan.path, self.scratch / f"{index}.plain")
            careful = ctx.careful
            ctx, _ = self._context(index, copy)
            ctx.careful = careful
            try:
                with _poll_progress(self.store, self.progress):
                    return ctx, reader.stage(ctx)
            except duckdb.InterruptException:
                raise
            except (duckdb.Error, OSError) as exc:
                first = exc
        raise InputError(f"{plan.display}: cannot be read as {plan.format}: {_first_line(first)}") from None

    def _seen(self, sha: str, format: str, options: str) -> bool:
        return _previous(self.store, sha, format, options) is not None

    def _direct_one(self, index: int, ingest_id: int) -> InputReport:
        plan, con = self.plans[index], self.store.con
        assert plan.format is not None
        ctx, options, direct = self.direct[index]
        table = direct.table
        cols = table.column_names[:-1]
        key = ", ".join(table.key)
        key_match = " AND ".join(f"s.{k} IS NOT DISTINCT FROM o.{k}" for k in table.key)
        try:
            with _poll_progress(self.store, self.progress):
                (inserted,) = con.execute(
                    f"""
                    INSERT INTO {table.name} ({", ".join(cols)}, ingest_id)
                    SELECT {", ".join(f"s.{c}" for c in cols)},
                           CASE WHEN ({direct.clean}) AND o._stored IS NULL THEN {ingest_id}
                                ELSE error('{_NOT_CLEAN}') END
                    FROM ({direct.sql}) s
                    LEFT JOIN (SELECT {key}, true AS _stored FROM {table.name}) o ON {key_match}
                    """
                ).fetchone()  # type: ignore[misc]
        except duckdb.InterruptException:
            raise
        except duckdb.Error as exc:
            raise _NotClean(plan.display) from exc
        # Records repeating a key within the input need the staged path, which keeps one of them. Distinct
        # hashes of the key are cheaper to count than distinct keys; a collision can only send a clean input
        # to staging, never let a repeat through.
        (repeats,) = con.execute(
            f"SELECT count(*) - count(DISTINCT hash({key})) FROM {table.name} WHERE ingest_id = ?", [ingest_id]
        ).fetchone()  # type: ignore[misc]
        found = self.hashes[index].result()
        sha = found.sha256
        # Damage to a gzip stream and lines over the limit are said and counted on the staged path.
        damaged = found.gzip_problem is not None or bool(found.long_lines)
        if repeats or damaged or (not self.force and self._seen(sha, plan.format, options)):
            raise _NotClean(plan.display)
        report = InputReport(plan.display, plan.format, sha, read=int(inserted), accepted=int(inserted))
        _log(self.store, report, ingest_id, options, ctx.now)
        return report


def _plan(
    paths: Iterable[str | os.PathLike[str]],
    format: str,
    mapping: dict[str, str],
    defaults: dict[str, str],
    observed_at_given: bool,
    scratch: Path,
) -> list[_Plan]:
    """The inputs and their formats; a flat file's layout is resolved here, so that a mapping that does not fit its
    header is an error before the store is opened."""
    flat = (mapping, defaults, observed_at_given)
    plans: list[_Plan] = []
    for raw in paths:
        path = Path(raw)
        if str(raw) in STDIN_NAMES:
            spooled = _spool_stdin(scratch)
            try:
                plans.append(_plan_file(spooled, format, *flat, display=STDIN))
            except (InputError, UsageError) as exc:  # named as the user named it, not by the spooled copy
                raise type(exc)(exc.message.replace(str(spooled), STDIN), param=exc.param) from None
            continue
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")
        if not path.is_dir() and not path.is_file():
            raise InputError(
                f"{path}: not a regular file (a FIFO, a device or a socket), which talentflow does not read: save "
                "its content to a file, or pipe it in as `-`"
            )
        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            ignored = _ignored(path, files)
            files = [f for f in files if f not in ignored]
            data = {f for f in files if _is_data_file(f)}
            if not data:
                raise InputError(f"{path}: the directory holds no data files ({', '.join(DATA_SUFFIXES)}, .gz)")
            found = []
            for f in files:
                try:
                    found.append(
                        _plan_file(f, format, *flat) if f in data else _Plan(f, str(f), None, skipped="not a data file")
                    )
                except InputError as exc:  # in a walk, a file of no known format is listed, not fatal
                    found.append(_Plan(f, str(f), None, skipped=str(exc).removeprefix(f"{f}: ")))
            if all(p.skipped for p in found):
                reasons = "; ".join(f"{p.path.name}: {p.skipped}" for p in found)
                raise InputError(f"{path}: no file in the directory can be ingested ({reasons})")
            plans.extend(found)
            plans.extend(_Plan(f, str(f), None, skipped=f"listed in {IGNORE_FILE}") for f in sorted(ignored))
        else:
            plans.append(_plan_file(path, format, *flat))
    return plans


def _ignored(root: Path, files: list[Path]) -> set[Path]:
    """Files a walk leaves out: those matching a pattern in a ``.talentflowignore`` of their folder or above.

    One glob pattern per line, relative to the folder holding the file; ``#`` starts a comment; a pattern
    ending in ``/`` (or naming a folder) leaves out everything under it. The simulator writes one so that its
    truth tables and settings beside the board records are not read as records.
    """
    out: set[Path] = set()
    for ignore in root.rglob(IGNORE_FILE):
        base = ignore.parent
        patterns = [
            line.strip().rstrip("/")
            for line in ignore.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]
        for f in files:
            if not f.is_relative_to(base):
                continue
            rel = f.relative_to(base).as_posix()
            parts = rel.split("/")
            prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
            if any(fnmatch.fnmatchcase(prefix, pat) for pat in patterns for prefix in prefixes):
                out.add(f)
    return out


def _is_data_file(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(DATA_SUFFIXES) and name not in _METADATA_NAMES


#: Names of standard input on the command line: read into a file first (DuckDB and the hash read an input twice).
STDIN_NAMES = ("-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0")
#: How standard input is named in the report and in quarantine locations.
STDIN = "<stdin>"


def _spool_stdin(scratch: Path) -> Path:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None or sys.stdin.isatty():
        raise InputError(f"{STDIN}: standard input is a terminal, not records: pipe them in (… | talentflow ingest -)")
    target = scratch / "stdin"
    with open(target, "wb") as out:
        shutil.copyfileobj(stream, out, 1 << 20)
    return target


def _plan_file(
    path: Path,
    format: str,
    mapping: dict[str, str],
    defaults: dict[str, str],
    observed_at_given: bool,
    display: str | None = None,
) -> _Plan:
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: not readable (permission denied)")
    detected = detect(path, has_mapping=bool(mapping))
    chosen = detected if format == "auto" or detected is None else format
    builtin = None
    if chosen == "csv":
        from talentflow.sources._flat_layout import resolve
        from talentflow.sources.flat import columns_of

        layout = resolve(columns_of(path), mapping, defaults, str(path), observed_at_given=observed_at_given)
        builtin = layout.name
    return _Plan(path, display or str(path), chosen, builtin)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _reconcile(ctx: Context, result: StageResult, found: Inspection) -> None:
    """Add to a staged input what only the inspection of its bytes saw: bytes after its gzip stream and lines
    DuckDB skipped (over its buffer) are quarantined records; other damage to the stream is a warning."""
    if found.garbage is not None:
        offset, data = found.garbage
        reason = "bytes after the end of the gzip stream, not gzip data: not read"
        result.rejects.append((f"{ctx.display}:byte {offset}", data.decode("utf-8", "replace"), reason))
    elif found.gzip_problem is not None:
        result.warnings.append(f"{found.gzip_problem}; the records read from it are counted as they are")
    lines = any(s.scan is not None for s in result.staged)
    if lines and found.long_lines:
        located = {loc for loc, _, _ in result.rejects}
        for line, offset in found.long_lines:
            if f"{ctx.display}:{line}" not in located:
                raw = line_at(ctx.path, offset, RAW_LIMIT).decode("utf-8", "replace")
                result.rejects.append((f"{ctx.display}:{line}", raw, LONG_LINE.format(limit=limit_text())))


@dataclass
class _Staging:
    plan: _Plan
    ctx: Context
    #: None when the input was not read because the ingest log holds its content already.
    result: StageResult | None
    sha256: str
    options: str


def _previous(store: Store, sha: str, format: str, options: str) -> int | None:
    """Records read by the first ingest of the same content, format and options; None if there was none."""
    row = store.con.execute(
        "SELECT read FROM ingest_log WHERE sha256 = ? AND format = ? AND options = ? ORDER BY ingest_id LIMIT 1",
        [sha, format, options],
    ).fetchone()
    return None if row is None else int(row[0])


def _finish_one(store: Store, staging: _Staging, ingest_id: int, force: bool) -> InputReport:
    plan = staging.plan
    assert plan.format is not None
    report = InputReport(plan.display, plan.format, staging.sha256)
    previous = _previous(store, staging.sha256, plan.format, staging.options)
    if previous is not None and not force:
        report.read = report.duplicates = previous
        report.already_ingested = True
        return report
    assert staging.result is not None, "an input left unread must be in the ingest log"
    report.warnings = list(staging.result.warnings)
    report.mapping = staging.result.mapping
    _finish(store, staging.ctx, staging.result, ingest_id, staging.sha256, report)
    _log(store, report, ingest_id, staging.options, staging.ctx.now)
    return report


def _log(store: Store, report: InputReport, ingest_id: int, options: str, started: datetime) -> None:
    store.con.execute(
        "INSERT INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ingest_id,
            report.input,
            report.sha256,
            report.format,
            options,
            report.read,
            report.accepted,
            report.duplicates,
            report.quarantined,
            started,
            datetime.now(UTC),
            __version__,
        ],
    )


def _finish(store: Store, ctx: Context, result: StageResult, ingest_id: int, sha: str, report: InputReport) -> None:
    con = store.con
    bad: list[tuple[str, str, str]] = list(result.rejects)
    # Several canonical tables may be fed by one staged table: its bad rows are located once.
    for st in {s.name: s for s in result.staged}.values():
        bad.extend(_locate_bad(ctx, st))
    for st in result.staged:
        read, good = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE _reason IS NULL) FROM {st.name} WHERE {st.where}"
        ).fetchone()  # type: ignore[misc]
        report.read += read
        inserted = _insert_new(store, st, ingest_id)
        report.accepted += inserted
        report.duplicates += good - inserted
    report.read += len(result.rejects)
    report.quarantined = len(bad)
    duplicates_q = _quarantine(store, bad, ingest_id, ctx.display, sha)
    # A record quarantined before, from the same bytes at the same place, is a duplicate now.
    report.quarantined -= duplicates_q
    report.duplicates += duplicates_q


def _insert_new(store: Store, st: Staged, ingest_id: int) -> int:
    """Insert the good staged rows whose key is not stored yet.

    Of records repeating a key within one input, one is kept: the same one whatever the order of the input.
    """
    table = st.table
    cols = ", ".join(table.column_names[:-1])
    key = ", ".join(table.key)
    good = f"SELECT {cols} FROM {st.name} WHERE ({st.where}) AND _reason IS NULL"
    (repeats,) = store.con.execute(f"SELECT count(*) - count(DISTINCT ({key})) FROM ({good})").fetchone()  # type: ignore[misc]
    if repeats:  # numbering rows per key costs a sort; only pay it when keys repeat
        good += f" QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY hash({cols})) = 1"
    key_match = " AND ".join(f"s.{k} IS NOT DISTINCT FROM t.{k}" for k in table.key)
    (inserted,) = store.con.execute(
        f"""
        INSERT INTO {table.name} ({cols}, ingest_id)
        SELECT {", ".join(f"CAST(s.{c.name} AS {c.type})" for c in table.columns[:-1])}, {ingest_id}
        FROM ({good}) s
        ANTI JOIN {table.name} t ON {key_match}
        """
    ).fetchone()  # type: ignore[misc]
    return int(inserted)


def _locate_bad(ctx: Context, st: Staged) -> list[tuple[str, str, str]]:
    """Every quarantined row of a staged table, with its location (found by a rescan where unknown)."""
    rows = ctx.con.execute(
        f"SELECT _loc, _ref, _ptr, _raw, _reason FROM {st.name} WHERE _reason IS NOT NULL"
    ).fetchall()
    unlocated = [r[1] for r in rows if r[0] is None]
    lines: dict[int, list[tuple[int, str | None]]] = {}
    if unlocated and st.scan is not None and st.ref_sql is not None:
        lines = st.scan.locate(ctx.con, st.ref_sql, unlocated)
    out = []
    used: dict[tuple[int, str], int] = {}
    for loc, ref, ptr, raw, reason in rows:
        if loc is None:
            found = lines.get(ref, [])
            # Identical records on several lines: hand out their lines in order.
            k = used.get((ref, ptr), 0)
            used[(ref, ptr)] = k + 1
            line, text = found[min(k, len(found) - 1)] if found else ("?", None)
            loc = f"{ctx.display}:{line}{ptr or ''}"
            if text is not None and not ptr:
                raw = text  # the line as written, rather than the record as parsed
        out.append((loc, raw or "", reason))
    return out


def _quarantine(store: Store, bad: list[tuple[str, str, str]], ingest_id: int, display: str, sha: str) -> int:
    """Store quarantined records; returns how many were already there."""
    if not bad:
        return 0
    n = len(bad)
    table = pa.table(
        {
            "ingest_id": pa.array([ingest_id] * n, pa.int64()),
            "input": pa.array([display] * n, pa.string()),
            "sha256": pa.array([sha] * n, pa.string()),
            "location": pa.array([b[0] for b in bad], pa.string()),
            "raw": pa.array([cut(b[1]) for b in bad], pa.string()),
            "reason": pa.array([b[2] for b in bad], pa.string()),
        }
    )
    con = store.con
    con.register("tf_bad", table)
    try:
        (inserted,) = con.execute(
            """
            INSERT INTO quarantine
            SELECT b.* FROM (SELECT DISTINCT ON (sha256, location, reason) * FROM tf_bad) b
            ANTI JOIN quarantine q ON q.sha256 = b.sha256 AND q.location = b.location AND q.reason = b.reason
            """
        ).fetchone()  # type: ignore[misc]
    finally:
        con.unregister("tf_bad")
    return n - int(inserted)


class _poll_progress:
    """Reports DuckDB's progress on the running query to the hook, from a side thread."""

    def __init__(self, store: Store, hook: ProgressHook | None) -> None:
        self.store, self.hook = store, hook
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self) -> None:
        if self.hook is None:
            return
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        assert self.hook is not None
        while not self.stop.wait(0.2):
            try:
                pct = self.store.con.query_progress()
            except Exception:
                return
            if pct is not None and pct >= 0:
                self.hook("progress", min(pct, 100.0) / 100.0)

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
