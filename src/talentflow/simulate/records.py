"""The board's sightings as hh.ru API JSON: vacancies.ndjson.gz and resumes.ndjson.gz.

The board hands over one part of sightings at a time (about two million, while the simulation goes on). One
thread sorts each part by crawl time and record id in NumPy and looks up everything that repeats (titles, areas
with their names, relocation wishes, roles, dates) once per distinct value; two threads have DuckDB concatenate
one JSON line per sighting, a slice of the sorted part each, from columns already in order (no sort, no join);
one thread deflates the slices with ISA-L into the two gzip files, in order. They spend their time outside the
GIL (NumPy sorts, DuckDB, ISA-L), so they run beside the simulation's week loop. Nothing depends on timing:
the same seed gives the same bytes.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from isal import isal_zlib

from talentflow._sql import literal
from talentflow.errors import TalentflowError

DAY = 86_400
VACANCY_ID_BASE = 40_000_000
DUPLICATE_ID_BASE = 80_000_000
RESUME_ID_BASE = 50_000_000
EMPLOYER_ID_BASE = 9_000_000
CURRENCY_ABROAD_RATE = 75.0  # RUB per USD, for vacancies of employers that moved their hiring abroad
EXPERIENCE_IDS = ("noExperience", "between1And3", "between3And6", "moreThan6")
RELOCATION_TYPES = ("no_relocation", "relocation_possible", "relocation_desirable")

GZIP_LEVEL = 1  # ISA-L's levels are 0-3; 1 deflates JSON about 10x at over 1 GB/s
_SLICE_ROWS = 1 << 18  # rows per DuckDB query: bounds the memory of one formatted slice (about 130 MB)
_FORMATTERS = 2  # DuckDB queries at once, one slice each
_IN_FLIGHT = 4  # formatted or formatting slices waiting for gzip, at most
_WAIT = 0.2  # seconds between looks at the other threads' health while a queue is full or empty


def _json(value: Any) -> str:
    """Compact JSON as DuckDB's to_json writes it (UTF-8 kept, no spaces)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _dictionary(codes: np.ndarray, values: Sequence[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(list(values), pa.string()))


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(values, return_inverse=True) for small non-negative integers, without sorting."""
    top = int(values.max()) if len(values) else 0
    if values.min(initial=0) < 0 or top >= 1 << 20:
        return np.unique(values, return_inverse=True)
    uniq = np.flatnonzero(np.bincount(values, minlength=top + 1))
    code = np.zeros(top + 1, np.int32)
    code[uniq] = np.arange(len(uniq), dtype=np.int32)
    return uniq, code[values]


def _crawl_order(observed: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Positions by crawl time, then id; ties keep their order (the same for the same input on any machine)."""
    if len(ids) and ids.min() >= 0 and ids.max() < 1 << 27 and observed.min() >= 0 and observed.max() < 1 << 36:
        return np.argsort((observed << 27) | ids, kind="stable")  # one key: faster than lexsort
    return np.lexsort((ids, observed))


def _area_fragments(area: np.ndarray, names: dict[int, str]) -> pa.DictionaryArray:
    """``{"id":"1","name":"Москва"}`` per sighting, built once per distinct area (name null when unknown)."""
    uniq, codes = _distinct(area)
    return _dictionary(codes, [_json({"id": str(a), "name": names.get(int(a))}) for a in uniq])


# hh.ru writes times as local (Moscow) time with a colon-less offset: 2022-03-01T12:49:05+0300. A time is
# written from three small dictionaries (the dates in the part, hour and minute, second and offset), cheaper
# for DuckDB than strftime.
_HOUR_MINUTE = [f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
_SECOND = [f"{s:02d}+0300" for s in range(60)]
_MOSCOW = 3 * 3600


def _clock(name: str, seconds: np.ndarray) -> dict[str, pa.DictionaryArray]:
    """Columns ``{name}_date``, ``{name}_hm`` and ``{name}_s`` for times in seconds since the epoch (UTC)."""
    local = seconds + _MOSCOW
    day = local // DAY
    first = int(day.min())
    dates = np.datetime_as_string(np.arange(first, int(day.max()) + 1).astype("datetime64[D]"))
    return {
        f"{name}_date": _dictionary(day - first, [f"{d}T" for d in dates]),
        f"{name}_hm": _dictionary(local % DAY // 60, _HOUR_MINUTE),
        f"{name}_s": _dictionary(local % 60, _SECOND),
    }


def _timestamp(col: str) -> str:
    return f"{col}_date, {col}_hm, {col}_s"


_MONEY = (
    f"CASE WHEN abroad THEN salary_rub / {CURRENCY_ABROAD_RATE} ELSE salary_rub END"
    " * CASE WHEN salary_gross THEN 1.15 ELSE 1 END"
)
# One JSON line per row of a part already in output order. Every argument of concat is non-null (it would skip
# a NULL silently), and nothing sorts or joins, so DuckDB keeps the rows in order (preserve_insertion_order).
_VACANCY_SQL = f"""
SELECT concat(
    '{{"id":"', id::VARCHAR, '","name":', title, ',"area":', area, ',"salary":',
    CASE WHEN salary_shown THEN concat(
        '{{"from":', round({_MONEY} * 0.9, -3)::VARCHAR,
        ',"to":', CASE WHEN salary_from_only THEN 'null' ELSE round({_MONEY} * 1.15, -3)::VARCHAR END,
        ',"currency":"', CASE WHEN abroad THEN 'USD' ELSE 'RUR' END,
        '","gross":', salary_gross::VARCHAR, '}}')
    ELSE 'null' END,
    ',"type":{{"id":"open","name":"Открытая"}},"published_at":"', {_timestamp("published")},
    '","created_at":"', {_timestamp("created")},
    '","archived":', archived::VARCHAR,
    ',"employer":{{"id":"', employer::VARCHAR, '","name":"Компания ', employer::VARCHAR,
    '"}},"schedule":{{"id":"', CASE WHEN remote THEN 'remote' ELSE 'fullDay' END,
    '"}},"professional_roles":', role, ',"experience":', experience,
    ',"employment":{{"id":"full"}},"observed_at":"', {_timestamp("observed")}, '"', _MARK_, '}}', chr(10)) AS line
FROM rows
"""

_RESUME_SQL = f"""
SELECT concat(
    '{{"id":"', id::VARCHAR, '","title":', title, ',"area":', area, ',"relocation":', relocation,
    ',"citizenship":', citizenship, ',"professional_roles":', role,
    ',"salary":{{"amount":', salary::VARCHAR, ',"currency":"RUR"}},"total_experience":{{"months":', months::VARCHAR,
    '}},"job_search_status":{{"id":"', CASE WHEN employed THEN 'looking_for_offers' ELSE 'active_search' END,
    '"}},"created_at":"', {_timestamp("created")}, '","updated_at":"', {_timestamp("updated")},
    '","observed_at":"', {_timestamp("observed")}, '"', _MARK_, '}}', chr(10)) AS line
FROM rows
"""


class Failed(TalentflowError):
    """A writer thread failed (a full disk, say); the original error is the cause and is named in the message."""


class RecordWriter:
    """Formats and gzips the board's sightings in background threads, part by part, in order: one sorts each
    part, two run DuckDB on slices of it, one deflates the slices in order.

    ``vacancies`` and ``resumes`` hand over a part (they block while the previous part is still being formatted:
    memory stays bounded); ``close`` waits for the files and returns the record counts; ``abort`` stops the
    threads without finishing the files.
    """

    def __init__(
        self,
        out: Path,
        *,
        roles: Sequence[Sequence[str]],
        titles: Sequence[Sequence[str]],
        names: dict[int, str],
        citizenship: str,
        mark: Mapping[str, str],
    ) -> None:
        self.paths = {"vs": out / "vacancies.ndjson.gz", "rs": out / "resumes.ndjson.gz"}
        # Every record says it was simulated, and by which scenario and seed: ingest keeps it apart from real
        # board records (provenance `simulated`, source `simulator`). A constant tail, so it costs a copy only.
        tail = ',"_simulated":' + json.dumps(dict(mark), ensure_ascii=False, separators=(",", ":"))
        quoted = literal(tail)
        self.sql = {"vs": _VACANCY_SQL.replace("_MARK_", quoted), "rs": _RESUME_SQL.replace("_MARK_", quoted)}
        self.counts = {"vs": 0, "rs": 0}
        # Seconds each thread spent working, and the caller waiting for the formatter, for bench/simulate.py.
        self.busy = {"sort": 0.0, "format": 0.0, "gzip": 0.0, "caller_waited": 0.0}
        self.names = names
        self.citizenship = _json([{"id": citizenship}])
        # A record's role code indexes ``roles`` (the hh.ru role ids it lists) and ``titles`` (its titles).
        self.role_fragments = [_json([{"id": r} for r in ids]) for ids in roles]
        # Titles of every role in one list; a role's titles start at title_start[role] and number title_count[role].
        self.titles = [_json(t) for code in titles for t in code]
        self.title_count = np.array([len(code) for code in titles], np.int64)
        self.title_start = np.concatenate([[0], np.cumsum(self.title_count)[:-1]]).astype(np.int64)
        self._parts: queue.Queue[tuple[str, Callable[[], pa.Table]] | None] = queue.Queue(maxsize=1)
        self._chunks: queue.Queue[tuple[str, Future[pa.ChunkedArray]] | None] = queue.Queue(maxsize=_IN_FLIGHT)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._error_lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._guard, args=(self._format,), name="board-format", daemon=True),
            threading.Thread(target=self._guard, args=(self._compress,), name="board-gzip", daemon=True),
        ]
        for t in self._threads:
            t.start()

    # -- the caller's side ------------------------------------------------------------------------------
    def vacancies(self, sightings: dict[str, np.ndarray], attrs: dict[str, np.ndarray]) -> None:
        """Vacancy sightings (`vac`, `observed`, `published`, `archived`) and the per-vacancy arrays to look up.

        ``attrs`` may be views of arrays that later grow: only rows already drawn are read, and they never change.
        """
        if len(sightings["vac"]):
            self._hand_over("vs", lambda: self._vacancy_rows(sightings, attrs))

    def resumes(self, sightings: dict[str, np.ndarray]) -> None:
        if len(sightings["worker"]):
            self._hand_over("rs", lambda: self._resume_rows(sightings))

    def _hand_over(self, kind: str, build: Callable[[], pa.Table]) -> None:
        t = time.perf_counter()
        self._put(self._parts, (kind, build))
        self.busy["caller_waited"] += time.perf_counter() - t

    def close(self) -> dict[str, int]:
        self._put(self._parts, None)
        for t in self._threads:
            while t.is_alive():
                t.join(_WAIT)
        if self._error is not None:
            raise self._failure() from self._error
        return {"vacancy_records": self.counts["vs"], "resume_records": self.counts["rs"]}

    def abort(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()

    # -- the threads ------------------------------------------------------------------------------------
    def _guard(self, work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as e:
            with self._error_lock:  # the first failure is the cause; the others follow from it
                if self._error is None:
                    self._error = e
            self._stop.set()

    def _failure(self) -> Failed:
        return Failed(f"writing the board records into {self.paths['vs'].parent} failed: {self._error!r}")

    def _put(self, q: queue.Queue, item: Any) -> None:
        while True:
            if self._stop.is_set():
                if self._error is not None:
                    raise self._failure() from self._error
                raise Failed("the board writer was stopped")
            try:
                q.put(item, timeout=_WAIT)
                return
            except queue.Full:
                continue

    def _get(self, q: queue.Queue) -> Any:
        while not self._stop.is_set():
            try:
                return q.get(timeout=_WAIT)
            except queue.Empty:
                continue
        raise Failed("the board writer was stopped")

    def _format(self) -> None:
        """Sort each part into rows in output order, and hand its slices to the DuckDB formatters in order."""
        db = duckdb.connect(config={"memory_limit": "2GB", "preserve_insertion_order": True})
        local = threading.local()
        cursors: list[duckdb.DuckDBPyConnection] = []
        busy_lock = threading.Lock()

        def lines(kind: str, rows: pa.Table) -> pa.ChunkedArray:
            t = time.perf_counter()
            if not hasattr(local, "con"):
                local.con = db.cursor()
                cursors.append(local.con)
            local.con.register("rows", rows)
            out = local.con.execute(self.sql[kind]).to_arrow_table().column("line")
            local.con.unregister("rows")
            with busy_lock:
                self.busy["format"] += time.perf_counter() - t
            return out

        pool = ThreadPoolExecutor(_FORMATTERS, thread_name_prefix="board-format")
        try:
            while (item := self._get(self._parts)) is not None:
                kind, build = item
                t = time.perf_counter()
                table = build()
                self.busy["sort"] += time.perf_counter() - t
                for start in range(0, table.num_rows, _SLICE_ROWS):
                    self._put(self._chunks, (kind, pool.submit(lines, kind, table.slice(start, _SLICE_ROWS))))
                self.counts[kind] += table.num_rows
            self._put(self._chunks, None)
        finally:
            pool.shutdown(wait=True, cancel_futures=self._stop.is_set())
            for con in cursors:
                con.close()
            db.close()

    def _compress(self) -> None:
        """Deflate the formatted slices in the order they were handed over, into one gzip stream a file."""
        files = {k: p.open("wb") for k, p in self.paths.items()}
        try:
            deflate = {k: isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, 16 + 15) for k in files}
            while (item := self._get(self._chunks)) is not None:
                kind, formatted = item
                lines = formatted.result()
                t = time.perf_counter()
                for chunk in lines.chunks:
                    files[kind].write(deflate[kind].compress(_utf8_bytes(chunk)))
                self.busy["gzip"] += time.perf_counter() - t
            for k, f in files.items():
                f.write(deflate[k].flush())
        finally:
            for f in files.values():
                f.close()

    # -- rows in output order -----------------------------------------------------------------------------
    def _title(self, role: np.ndarray, pick: np.ndarray) -> pa.DictionaryArray:
        role = role.astype(np.int64)
        return _dictionary(self.title_start[role] + pick % self.title_count[role], self.titles)

    def _vacancy_rows(self, s: dict[str, np.ndarray], a: dict[str, np.ndarray]) -> pa.Table:
        """One row per record: each sighting, and again under the duplicate's id for duplicated vacancies;
        sorted by crawl time, then id."""
        vac, observed = s["vac"], s["observed"]
        twice = np.flatnonzero(a["dup"][vac])
        src = np.concatenate([np.arange(len(vac)), twice])
        ids = np.concatenate([VACANCY_ID_BASE + vac, DUPLICATE_ID_BASE + vac[twice]])
        order = _crawl_order(observed[src], ids)
        src, ids = src[order], ids[order]
        v = vac[src]
        abroad, place = a["abroad"][v], a["area"][v]
        area = np.where(abroad, a["reloc_ids"][np.where(abroad, place, 0)], a["home_ids"][np.where(abroad, 0, place)])
        return pa.table(
            {
                "id": ids,
                "title": self._title(a["role"][v], v),
                "area": _area_fragments(area, self.names),
                "salary_rub": a["salary"][v],
                "salary_shown": a["shown"][v],
                "salary_gross": a["gross"][v],
                "salary_from_only": a["from_only"][v],
                "abroad": abroad,
                **_clock("published", s["published"][src]),
                **_clock("created", a["opened"][v].astype(np.int64) * DAY + a["second"][v]),
                "archived": s["archived"][src],
                "employer": EMPLOYER_ID_BASE + a["employer"][v].astype(np.int64),
                "remote": a["remote"][v],
                "role": _dictionary(a["role"][v], self.role_fragments),
                "experience": _dictionary(a["level"][v], [_json({"id": e}) for e in EXPERIENCE_IDS]),
                **_clock("observed", observed[src]),
            }
        )

    def _resume_rows(self, s: dict[str, np.ndarray]) -> pa.Table:
        """One row per sighting, sorted by crawl time, then id."""
        order = _crawl_order(s["observed"], RESUME_ID_BASE + s["worker"])
        worker, observed = s["worker"][order], s["observed"][order]
        reloc_type, reloc_area = s["reloc_type"][order], s["reloc_area"][order]
        # A relocation wish is one of a few (type, area) pairs: write each pair's JSON once.
        span = int(reloc_area.max(initial=0)) + 2
        key = reloc_type.astype(np.int64) * span + (reloc_area.astype(np.int64) + 1)  # no wish: area -1
        pairs, codes = _distinct(key)
        wishes = []
        for p in pairs.tolist():
            kind, where = p // span, p % span - 1
            places = [{"id": str(where), "name": self.names.get(where)}] if where >= 0 else []
            wishes.append(_json({"type": {"id": RELOCATION_TYPES[kind]}, "area": places}))
        return pa.table(
            {
                "id": RESUME_ID_BASE + worker,
                "title": self._title(s["role"][order], worker),
                "area": _area_fragments(s["area"][order], self.names),
                "relocation": _dictionary(codes, wishes),
                "citizenship": _dictionary(np.zeros(len(order), np.int32), [self.citizenship]),
                "role": _dictionary(s["role"][order], self.role_fragments),
                "salary": s["salary"][order],
                "months": s["months"][order],
                "employed": s["employed"][order],
                **_clock("created", np.minimum(s["created"][order], observed - DAY)),
                **_clock("updated", observed - 3600 * (1 + worker % 20)),
                **_clock("observed", observed),
            }
        )


def _utf8_bytes(chunk: pa.Array) -> memoryview:
    """The bytes of a string array's values, back to back: with one newline-ended line a value, NDJSON."""
    if chunk.null_count:
        raise ValueError("a board record came out NULL")
    width = {pa.string(): np.int32, pa.large_string(): np.int64}[chunk.type]
    offsets = np.frombuffer(chunk.buffers()[1], width)[chunk.offset : chunk.offset + len(chunk) + 1]
    return memoryview(chunk.buffers()[2])[int(offsets[0]) : int(offsets[-1])]
