"""What the API serves, computed read-only from a snapshot of the store, bounded, and cached.

Every request goes through talentflow's own parsing (``indicators.request``, the migration request types): those
build Ibis expressions or bound queries, so no request parameter is ever pasted into SQL, and their errors name
the parameter at fault (``UsageError.param``), which the app words in the API's terms.

The server never computes on the store file itself: it computes on a private copy (``web/_snapshot.py``), so a
writer (``talentflow ingest``) can always take the store, and a request sees the store as of the last write that
had ended when it arrived. Work is bounded (``Limits``): requests that would return too much are refused before
anything runs, or after, by the number of rows; at most ``workers`` answers are computed at once with ``queue``
more waiting; a request waits at most ``seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from starlette.concurrency import run_in_threadpool

from talentflow.errors import StoreError, UsageError
from talentflow.impact.requests import ChangepointRequest, ItsRequest, SynthRequest
from talentflow.indicators.calendar import period_start
from talentflow.indicators.params import Params
from talentflow.indicators.provenance import DEFAULT_DATA, check_data
from talentflow.migration.requests import ExcessRequest, NowcastRequest, PanelRequest
from talentflow.store import Store
from talentflow.web._snapshot import Snapshot, Snapshots, StoreBusy
from talentflow.web.cache import DEFAULT_BYTES, ResultCache


@dataclass(frozen=True)
class Limits:
    """What one request may ask of the server (docs/web.md, "Limits")."""

    #: Rows in one answer (413 beyond).
    rows: int = 200_000
    #: Periods between ``from`` and ``to`` (422 beyond): 5,000 days is 13 years.
    periods: int = 5_000
    #: Values named in one ``by`` segment (``country=RU,KZ,…``), and ``by``/``set`` parameters in a request.
    segment_values: int = 300
    parameters: int = 20
    #: Bootstrap replicates per method (each panel replicate refits the panel; the excess bootstrap is cheap).
    #: The change points' replicates each re-segment the series; the ITS paths are cheap draws.
    n_boot: tuple[tuple[str, int], ...] = (
        ("panel", 1000),
        ("nowcast", 1000),
        ("excess", 10_000),
        ("changepoints", 499),
        ("its", 2000),
    )
    #: Periods in the series an impact method analyses (a weekly series of 12 years), between ``from`` and ``to``
    #: or the data's first and last day; and donor economies named in a synthetic control.
    impact_periods: int = 600
    #: Seconds a request waits for its answer (503 with Retry-After beyond; an indicator's queries are stopped).
    seconds: float = 60.0
    #: Answers computed at once, and requests waiting for one of those (503 with Retry-After beyond).
    workers: int = 2
    queue: int = 62
    #: Bytes of encoded answers the cache keeps.
    cache_bytes: int = DEFAULT_BYTES
    #: Bytes of a request's query string (414 beyond).
    query_bytes: int = 8192

    def max_boot(self, method: str) -> int:
        return dict(self.n_boot).get(method, 100)


class TooLarge(UsageError):
    """The answer would exceed a limit: HTTP 413."""


class Unavailable(StoreError):
    """The server cannot answer now (busy, or the time limit passed): HTTP 503 with ``Retry-After``."""

    def __init__(self, message: str, *, retry_after: int = 5, param: str | None = None) -> None:
        super().__init__(message, param=param)
        self.retry_after = retry_after


@dataclass
class Rows:
    """One computed answer: JSON-ready rows (as the CLI's ``--format json`` prints them), a frame, notes."""

    rows: Any
    frame: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    #: Rows counted against the limit, when ``rows`` is an object holding them (an impact result).
    count: int | None = None


@dataclass(frozen=True)
class Answer:
    """An answer as sent: its encoded body, media type and notes. What the cache holds (weighed by ``nbytes``)."""

    body: bytes
    media_type: str
    notes: tuple[str, ...] = ()

    @property
    def nbytes(self) -> int:
        return len(self.body) + sum(len(n) for n in self.notes) + 200


@dataclass(frozen=True)
class Job:
    """A request, normalised (``key``, without the format or the store's signature), and how to compute its rows
    from a snapshot of the store (``compute(path, deadline)``, ``deadline`` a ``time.monotonic()`` time)."""

    key: tuple[Any, ...]
    compute: Callable[[Path, float], Rows]


# -- encoding -------------------------------------------------------------------------------------------------
def _finite(value: Any) -> Any:
    """``value`` with every float that JSON cannot carry (NaN, ±Infinity) as None: JSON.parse rejects them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def to_json(rows: Any) -> bytes:
    try:
        text = json.dumps(rows, ensure_ascii=False, allow_nan=False)
    except ValueError:  # a value that is not a number: rare, so the rows are walked only then
        text = json.dumps(_finite(rows), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


#: A text cell starting with one of these is a formula to a spreadsheet (=HYPERLINK(…), +cmd|…, @SUM(…)).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would run, as text (prefixed with ``'``); numbers and other text unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(data: Rows) -> bytes:
    frame = data.frame if data.frame is not None else pd.DataFrame(data.rows)
    copied = False
    for c in frame.columns:
        if not (frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])):
            continue
        values = frame[c].to_numpy(dtype=object, copy=True)
        formulas = [i for i, v in enumerate(values) if isinstance(v, str) and v.startswith(FORMULA_START)]
        if formulas:  # only those cells change: the column keeps its other values as they are (no 464 → 464.0)
            if not copied:
                frame, copied = frame.copy(), True
            for i in formulas:
                values[i] = neutralise(values[i])
            frame[c] = pd.Series(values, index=frame.index, dtype=object)
    out = io.StringIO()
    # CRLF, as RFC 4180 has it: then a cell holding a carriage return is quoted too, not taken for a line end.
    frame.to_csv(out, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    return out.getvalue().encode("utf-8")


def encode(data: Rows, format: str) -> Answer:
    if format == "csv":
        return Answer(to_csv(data), "text/csv; charset=utf-8", tuple(data.notes))
    return Answer(to_json(data.rows), "application/json", tuple(data.notes))


# -- request bounds -------------------------------------------------------------------------------------------
def params_key(name: str, params: Params) -> tuple[Any, ...]:
    """The request, normalised: defaults filled in, option order ignored."""
    return (
        name,
        params.period,
        tuple((s.name, s.values) for s in params.by),
        params.start,
        params.end,
        params.min_cell,
        tuple(sorted(params.options.items())),
        params.data,
    )


def count_periods(first: date, last: date, period: str) -> int:
    """Periods from the one holding ``first`` to the one holding ``last`` (arithmetic: no calendar is built)."""
    if period == "day":
        return (last - first).days + 1
    if period == "week":
        return (last - period_start(first, "week")).days // 7 + 1
    months = (last.year - first.year) * 12 + last.month - first.month
    if period == "month":
        return months + 1
    return ((last.year * 12 + last.month - 1) // 3) - ((first.year * 12 + first.month - 1) // 3) + 1


#: The widest range an indicator's calendar can take from the data when ``from`` or ``to`` is not given: the
#: first day any board record was published or seen, the last day one was seen (fixed names only, no input).
DATA_RANGE_SQL = (
    "SELECT min(lo), max(hi) FROM ("
    "SELECT least(min(published_at), min(observed_at))::DATE AS lo, max(observed_at)::DATE AS hi "
    "FROM vacancy_observation UNION ALL "
    "SELECT min(observed_at)::DATE, max(observed_at)::DATE FROM resume_observation)"
)


def check_calendar(params: Params, data_range: tuple[date | None, date | None], limits: Limits) -> None:
    """Refuse a request whose calendar, a bound missing and taken from the data, would hold too many periods."""
    lo, hi = data_range
    first, last = params.start or lo, params.end or hi
    if first is None or last is None or first > last:
        return
    n = count_periods(first, last, params.period)
    if n > limits.periods:
        missing = "from" if params.start is None else "to"
        raise TooLarge(
            f"{first} to {last} (the data's {'first' if missing == 'from' else 'last'} day: no {missing} given) is "
            f"{n:,} {params.period}s, more than the limit of {limits.periods:,} periods; give from and to, or ask for "
            "a longer period",
            param="start" if missing == "from" else "end",
        )


def check_indicator(params: Params, limits: Limits) -> None:
    """Refuse, before anything runs, an indicator request whose answer would be too long."""
    for segment in params.by:
        if len(segment.values) > limits.segment_values:
            raise TooLarge(
                f"{segment.name}: {len(segment.values):,} values, more than the limit of {limits.segment_values:,} "
                "per segment",
                param="by",
            )
    if params.start and params.end:
        n = count_periods(params.start, params.end, params.period)
        if n > limits.periods:
            raise TooLarge(
                f"{params.start} to {params.end} is {n:,} {params.period}s or more, more than the limit of "
                f"{limits.periods:,} periods; ask for a shorter range or a longer period",
                param="end",
            )


def check_rows(n: int, limits: Limits) -> None:
    if n > limits.rows:
        raise TooLarge(
            f"the answer has {n:,} rows, more than the limit of {limits.rows:,}; ask for a shorter range, a longer "
            "period, fewer segments, or values of a segment (by=SEGMENT=VALUE)"
        )


def time_limit(limits: Limits) -> Unavailable:
    return Unavailable(
        f"not answered within the limit of {limits.seconds:g} s; ask for less (a shorter range, a longer period, "
        "fewer segments or replicates), or try again later",
        retry_after=max(1, round(limits.seconds / 4)),
    )


@contextlib.contextmanager
def interrupt_at(con: duckdb.DuckDBPyConnection, deadline: float, limits: Limits) -> Iterator[None]:
    """Stop the queries running on ``con`` from ``deadline`` on: an indicator's work never outlives its request.

    DuckDB's interrupt stops the query running at that moment only, and an indicator runs several: so it is
    repeated until the work ends."""
    done = threading.Event()

    def nag() -> None:
        if done.wait(max(0.0, deadline - time.monotonic())):
            return
        while not done.wait(0.02):
            con.interrupt()

    watchdog = threading.Thread(target=nag, name="talentflow-deadline", daemon=True)
    watchdog.start()
    try:
        yield
    except duckdb.InterruptException:
        raise time_limit(limits) from None
    finally:
        done.set()


# -- the service ----------------------------------------------------------------------------------------------
class StoreService:
    """The store behind the server: read through snapshots, bounded, cached."""

    def __init__(self, path: str | Path, limits: Limits | None = None, snapshot_dir: Path | None = None) -> None:
        self.path = Path(path)
        self.limits = limits or Limits()
        if not self.path.exists():
            raise StoreError(f"{self.path}: no store here (ingest something first, or name another store file)")
        self.snapshots = Snapshots(self.path, snapshot_dir)
        # Fail now, not at the first request, if it is no store; a writer at work now is no reason to fail.
        try:
            error = self.snapshots.get().error
        except StoreBusy:
            error = None
        if error is not None:
            self.snapshots.close()
            raise StoreError(error.message.replace(self.path.name, str(self.path), 1))
        self.cache = ResultCache(self.limits.cache_bytes, lambda a: a.nbytes)
        self._fits = ResultCache(4)
        self._ranges = ResultCache(4)  # the data's first and last day, per snapshot
        self._slots = threading.BoundedSemaphore(self.limits.workers)
        self._in_flight = 0
        self._count = threading.Lock()

    def close(self) -> None:
        self.snapshots.close()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """The snapshot to answer from, held until the block ends (a newer one may replace it meanwhile)."""
        while True:
            snap = self.snapshots.get()
            if snap.error is not None:
                raise snap.error
            if snap.try_acquire():
                break
        try:
            yield snap
        finally:
            snap.release()

    async def answer(self, job: Job, format: str = "json") -> tuple[Answer, bool]:
        """``(answer, hit)``: a cached answer is found on the event loop (two ``stat`` calls and a look-up); a
        miss is computed on a worker thread, within the limits."""
        snap = self.snapshots.fresh()
        if snap is not None and snap.error is None:
            found, value = self.cache.peek((*job.key, format, snap.source))
            if found:
                return value, True
        with self._count:
            if self._in_flight >= self.limits.workers + self.limits.queue:
                raise Unavailable(
                    f"busy: {self._in_flight} requests are being computed or waiting, the limit is "
                    f"{self.limits.workers + self.limits.queue}",
                    retry_after=2,
                )
            self._in_flight += 1
        deadline = time.monotonic() + self.limits.seconds
        task = asyncio.ensure_future(run_in_threadpool(self._compute, job, format, deadline))
        # Past the time limit the work goes on (a thread cannot be stopped): its outcome is cached, or dropped.
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        try:
            answer, _ = await asyncio.wait_for(asyncio.shield(task), timeout=self.limits.seconds)
        except TimeoutError:
            raise time_limit(self.limits) from None
        # Not found at once: computed for this request, or by another one it waited for. Either way a "miss".
        return answer, False

    def _compute(self, job: Job, format: str, deadline: float) -> tuple[Answer, bool]:
        try:
            with self.snapshot() as snap:
                return self.cache.get((*job.key, format, snap.source), lambda: self._run(job, format, snap, deadline))
        finally:
            with self._count:
                self._in_flight -= 1

    def _run(self, job: Job, format: str, snap: Snapshot, deadline: float) -> Answer:
        if not self._slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise time_limit(self.limits)
        try:
            data = job.compute(snap.path, deadline)
        except duckdb.Error as exc:
            raise StoreError(f"the store could not be read: {type(exc).__name__}: {exc}") from None
        finally:
            self._slots.release()
        check_rows(len(data.rows) if data.count is None else data.count, self.limits)
        return encode(data, format)

    # -- indicators ---------------------------------------------------------------------------------------
    def indicator(self, name: str, params: Params) -> Job:
        from talentflow.indicators._compute import compute_on
        from talentflow.indicators.engines import DuckDBEngine

        check_indicator(params, self.limits)

        def run(path: Path, deadline: float) -> Rows:
            engine = DuckDBEngine(Store(path, read_only=True), own=True)
            try:
                if params.start is None or params.end is None:
                    check_calendar(params, self._data_range(engine.store, path), self.limits)
                with interrupt_at(engine.store.con, deadline, self.limits):
                    result = compute_on(engine, name, params)
            finally:
                engine.close()
            check_rows(len(result.frame), self.limits)
            return Rows(result.records(), result.frame, list(result.notes))

        return Job(("indicator", *params_key(name, params)), run)

    def _data_range(self, store: Store, path: Path) -> tuple[date | None, date | None]:
        def read() -> tuple[date | None, date | None]:
            row = store.con.execute(DATA_RANGE_SQL).fetchone()
            return (row[0], row[1]) if row else (None, None)

        return self._ranges.get(str(path), read)[0]

    # -- migration ----------------------------------------------------------------------------------------
    def migration(self, request: PanelRequest | ExcessRequest | NowcastRequest) -> Job:
        def run(path: Path, deadline: float) -> Rows:
            from talentflow.migration import estimate, panel_fit
            from talentflow.migration._scaling import panel_result

            with Store(path, read_only=True) as store:
                if isinstance(request, PanelRequest):
                    # The fit is the slow part and does not depend on the window: keep it for other windows.
                    r = request
                    key = (
                        "fit",
                        r.data,
                        r.origin,
                        r.model,
                        r.n_boot,
                        r.seed,
                        r.level,
                        r.population,
                        r.naive,
                        str(path),
                    )
                    fit, _ = self._fits.get(key, lambda: panel_fit(store, r))
                    # The rows `talentflow migration panel` prints: workforce and board-visible, and what they cover.
                    result = panel_result(fit, request.start, request.end)
                else:
                    result = estimate(request, store)
            return Rows(result.records(), result.to_frame(), list(result.notes))

        return Job(("migration", request), run)

    # -- impact -----------------------------------------------------------------------------------------------
    def impact(self, request: ChangepointRequest | ItsRequest | SynthRequest) -> Job:
        """An impact estimate: its rows, statistics and the tables behind its charts (``ImpactResult.to_dict``).
        The series is bounded in length before anything runs, and the change points' bootstrap stops at the
        deadline (its progress is told after every re-segmentation)."""
        from talentflow.impact import estimate

        def run(path: Path, deadline: float) -> Rows:
            def in_time(done: int, total: int) -> None:
                if time.monotonic() > deadline:
                    raise time_limit(self.limits)

            with Store(path, read_only=True) as store:
                if not isinstance(request, SynthRequest):
                    self._check_series(request, store, path)
                with interrupt_at(store.con, deadline, self.limits):
                    result = estimate(request, store, in_time)
            check_rows(len(result.rows) + sum(len(t) for t in result.tables.values()), self.limits)
            return Rows(result.to_dict(), result.to_frame(), list(result.notes), count=len(result.rows))

        return Job(("impact", request), run)

    def _check_series(self, request: ChangepointRequest | ItsRequest, store: Store, path: Path) -> None:
        lo, hi = self._data_range(store, path)
        first = date.fromisoformat(request.start) if request.start else lo
        last = date.fromisoformat(request.end) if request.end else hi
        if first is None or last is None or first > last:
            return
        n = count_periods(first, last, request.period)
        if n > self.limits.impact_periods:
            raise TooLarge(
                f"{first} to {last} is {n:,} {request.period}s, more than the limit of {self.limits.impact_periods:,} "
                "periods of an impact series; give from and to, or ask for a longer period",
                param="end" if request.end else "start",
            )

    # -- where the data are dense -------------------------------------------------------------------------
    def dense_range(self, data: str) -> Job:
        """The first and the last month holding at least ``DENSE_SHARE`` of the median month's board records of
        one kind (``data``): the dashboard's default window, which a stray record years away does not stretch."""
        kind = "simulated" if check_data(data) == "simulated" else "observed"

        def run(path: Path, deadline: float) -> Rows:
            with Store(path, read_only=True) as store:
                counts = store.con.execute(MONTHS_SQL, [kind, kind]).fetchall()
            return Rows(dense_months(counts, data))

        return Job(("range", data), run)

    # -- claims -------------------------------------------------------------------------------------------
    def claims(self, metric: str | None) -> Job:
        from talentflow.claims.ledger import COLUMNS, load_claims

        def run(path: Path, deadline: float) -> Rows:
            with Store(path, read_only=True) as store:
                rows = [c.record() for c in load_claims(store, metric)]
            return Rows(rows, pd.DataFrame(rows, columns=list(COLUMNS)))

        return Job(("claims", metric), run)

    def compare(self, coverage: float, tolerance: float, data: str = DEFAULT_DATA) -> Job:
        from talentflow.claims import compare, load_claims, records

        if not 0 < coverage <= 1:
            raise UsageError(f"must be in (0, 1], not {coverage}", param="coverage")
        if not 0 <= tolerance <= 1e6:
            raise UsageError(f"must be between 0 and 1e6, not {tolerance}", param="tolerance")
        check_data(data)

        def run(path: Path, deadline: float) -> Rows:
            with Store(path, read_only=True) as store:
                if not load_claims(store):
                    raise UsageError("no claims stored; start with `talentflow claims import --builtin`")
                frame = compare(store, data=data, coverage=coverage, tolerance=tolerance)
            return Rows(records(frame), frame)

        return Job(("compare", coverage, tolerance, data), run)

    # -- status -------------------------------------------------------------------------------------------
    def status(self) -> Job:
        def run(path: Path, deadline: float) -> Rows:
            with Store(path, read_only=True) as store:
                status = store.status()
            # The store's file name, not a path: the API tells no one where files lie on this machine.
            status["store"] = self.path.name
            return Rows(json.loads(json.dumps(status, default=_default)))

        return Job(("status",), run)


#: Board records of one kind (observed or simulated) by the month they were seen (fixed text; the kind is bound).
MONTHS_SQL = (
    "SELECT month, sum(n) FROM ("
    "SELECT date_trunc('month', observed_at)::DATE AS month, count(*) AS n FROM vacancy_observation "
    "WHERE provenance = ? GROUP BY 1 UNION ALL "
    "SELECT date_trunc('month', observed_at)::DATE, count(*) FROM resume_observation "
    "WHERE provenance = ? GROUP BY 1) WHERE month IS NOT NULL GROUP BY 1 ORDER BY 1"
)
#: A month is dense when it holds at least this share of the median month's records.
DENSE_SHARE = 0.1


def dense_months(counts: list[tuple[date, int]], data: str) -> dict[str, Any]:
    """``{"data", "from", "to", "months", "dense_months", "rule"}``: the span from the first to the last dense
    month (``DENSE_SHARE`` of the median month's records); ``from`` and ``to`` are None without records."""
    rule = f"months holding at least {DENSE_SHARE:.0%} of the median month's records"
    if not counts:
        return {"data": data, "from": None, "to": None, "months": 0, "dense_months": 0, "rule": rule}
    values = sorted(n for _, n in counts)
    middle = len(values) // 2
    median = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
    dense = [m for m, n in counts if n >= DENSE_SHARE * median]
    last = dense[-1]
    end = (date(last.year + last.month // 12, last.month % 12 + 1, 1) - date.resolution).isoformat()
    return {
        "data": data,
        "from": dense[0].isoformat(),
        "to": end,
        "months": len(counts),
        "dense_months": len(dense),
        "rule": rule,
    }


def _default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
