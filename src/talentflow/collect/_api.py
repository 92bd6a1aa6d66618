"""`collect_hh`: one run of the hh.ru collector, from the checks before the first request to the coverage report."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from talentflow._version import __version__
from talentflow.collect import _checkpoint as cp
from talentflow.collect import _finish
from talentflow.collect._auth import Credentials, check_user_agent
from talentflow.collect._http import Client, Politeness
from talentflow.collect._query import Query
from talentflow.collect._run import Collector, Progress
from talentflow.collect._slicer import ceil_step
from talentflow.errors import TalentflowError, UsageError
from talentflow.store import Store, default_path

DEFAULT_API_URL = "https://api.hh.ru"
ENV_API_URL = "TALENTFLOW_HH_API_URL"


@dataclass
class CollectReport:
    """What a run found and what it cost. ``coverage`` is ``retrieved / found``: 1.0 when every vacancy hh.ru
    counted for the query was retrieved."""

    run_id: int
    query: str
    status: str
    found: int | None
    leaf_found: int
    retrieved: int
    coverage: float | None
    requests: int
    retries: int
    failures: dict[str, int]
    slices: int
    split: dict[str, int]
    truncated: list[dict[str, Any]]
    full_fetched: int
    seconds: float
    attempts: int
    window_end: str
    pages_file: str | None
    ingest: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def collect_hh(
    query: Query | None = None,
    *,
    db: str | os.PathLike[str] | None = None,
    api_url: str | None = None,
    user_agent: str | None = None,
    politeness: Politeness | None = None,
    resume: bool = False,
    fresh: bool = False,
    full: bool = False,
    max_requests: int = 1000,
    out: str | os.PathLike[str] | None = None,
    seed: int = 0,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
    progress: Progress | None = None,
) -> CollectReport:
    """Collect every vacancy ``query`` matches on hh.ru into the store ``db``; see docs/collect.md.

    ``resume`` continues the store's unfinished run (with its own query; ``query`` may then be None);
    ``fresh`` abandons it and starts anew. Credentials and, when not given, the API address and User-Agent come
    from ``environ`` (default: the process environment). ``clock``, ``sleep`` and ``transport`` stand in for
    the real ones in tests."""
    env = os.environ if environ is None else environ
    agent = check_user_agent(user_agent if user_agent is not None else env.get("TALENTFLOW_HH_USER_AGENT"))
    url = (api_url or env.get(ENV_API_URL) or DEFAULT_API_URL).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"{url!r}: expected an http:// or https:// address", param="api_url")
    if max_requests < 0:
        raise UsageError(f"must be 0 or more, not {max_requests}", param="max_requests")
    now = clock or (lambda: datetime.now(UTC))
    path = Path(db) if db is not None else default_path()
    with cp.run_lock(path), Store(path) as store:
        with store.transaction() as con:
            cp.ensure_tables(con)
            run, run_query = _start(con, query, url, resume, fresh, now())
        run_query.check(store.con)
        credentials = Credentials.from_env(url, env)
        client = Client(url, agent, credentials, politeness, clock=now, sleep=sleep, seed=seed, transport=transport)
        collector = Collector(store.con, run, run_query, client, now, progress)
        try:
            collector.collect()
            if full:
                _finish.fetch_full(collector, client, max_requests)
            return _complete(store, collector, Path(out) if out else path.parent / "hh-collect", now)
        except (TalentflowError, KeyboardInterrupt) as exc:
            _stopped(store, collector, exc)
            raise
        finally:
            client.close()


def _start(
    con: Any, query: Query | None, url: str, resume: bool, fresh: bool, now: datetime
) -> tuple[cp.RunRow, Query]:
    """The run to work on: the unfinished one (``resume``), or a new one."""
    if resume and fresh:
        raise UsageError("give --resume (continue the unfinished run) or --fresh (abandon it), not both")
    left = cp.unfinished(con)
    if left is not None and resume:
        stored = Query.from_json(left.query)
        if query is not None and query != stored:
            raise UsageError(
                f"run {left.run_id} collects {stored.describe()}, not {query.describe()}: resume it without a query, "
                "or abandon it with --fresh"
            )
        cp.save_counters(con, left.run_id, {"attempts": left.attempts + 1, "error_kind": None, "error": None})
        left.attempts += 1
        return left, stored
    if left is not None and not fresh:
        raise UsageError(
            f"run {left.run_id} of this store stopped before its end; continue it with --resume (nothing read is "
            "asked again), or abandon it with --fresh"
        )
    if left is not None:
        cp.abandon(con, left.run_id, now)
    if query is None:
        raise UsageError("nothing to resume: give a query (--text, --role, --area, --it or --param)")
    return cp.new_run(con, url, query.to_json(), now, ceil_step(now), __version__), query


def _stopped(store: Store, collector: Collector, exc: BaseException) -> None:
    """Record why the run stopped; it stays unfinished, to be resumed."""
    kind = getattr(exc, "kind", None) or ("interrupted" if isinstance(exc, KeyboardInterrupt) else "error")
    message = str(exc) or type(exc).__name__
    try:
        with store.transaction() as con:
            cp.save_counters(con, collector.run.run_id, collector.counters() | {"error_kind": kind, "error": message})
    except Exception:  # the store may be what failed: the original error is the one to report
        pass


def _complete(store: Store, collector: Collector, out: Path, now: Callable[[], datetime]) -> CollectReport:
    run, con = collector.run, store.con
    seen = _finish.sightings(con, run.run_id)
    file = out / f"hh-run-{run.run_id:05d}.ndjson.gz"
    ingest_id: int | None = None
    counts: dict[str, int] = {}
    if seen:
        _finish.write_sightings(file, seen)
        ingest_id, counts = _finish.ingest_sightings(store, file)
    leaves = [s for s in collector.slices.values() if s.state in ("done", "truncated")]
    values = collector.counters() | {
        "leaf_found": sum(s.found or 0 for s in leaves),
        "retrieved": len(seen),
        "pages_file": str(file) if seen else None,
    }
    _finish.close_run(con, run.run_id, collector.query, values, ingest_id, now())
    return report(con, run.run_id, counts)


def report(con: Any, run_id: int, ingest: dict[str, int] | None = None) -> CollectReport:
    """The report of a run as the store holds it."""
    import json

    cols = (
        "query",
        "status",
        "found",
        "leaf_found",
        "retrieved",
        "requests",
        "retries",
        "failures",
        "full_fetched",
        "seconds",
        "attempts",
        "window_end",
        "pages_file",
    )
    row = con.execute(f"SELECT {', '.join(cols)} FROM collect_run WHERE run_id = ?", [run_id]).fetchone()
    r = dict(zip(cols, row, strict=True))
    slices = cp.slices(con, run_id)
    split: dict[str, int] = {}
    for s in slices:
        if s.split_by:
            split[s.split_by] = split.get(s.split_by, 0) + 1
    truncated = [
        {
            "slice_id": s.slice_id,
            "found": s.found,
            "date_from": s.date_from.isoformat(),
            "date_to": s.date_to.isoformat(),
            "areas": list(s.areas),
            "roles": list(s.roles),
        }
        for s in slices
        if s.state == "truncated"
    ]
    found, retrieved = r["found"], int(r["retrieved"] or 0)
    return CollectReport(
        run_id=run_id,
        query=Query.from_json(r["query"]).describe(),
        status=r["status"],
        found=found,
        leaf_found=int(r["leaf_found"] or 0),
        retrieved=retrieved,
        coverage=(retrieved / found if found else None),
        requests=int(r["requests"] or 0),
        retries=int(r["retries"] or 0),
        failures=json.loads(r["failures"] or "{}"),
        slices=len(slices),
        split=split,
        truncated=truncated,
        full_fetched=int(r["full_fetched"] or 0),
        seconds=round(float(r["seconds"] or 0), 3),
        attempts=int(r["attempts"] or 1),
        window_end=r["window_end"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        pages_file=r["pages_file"],
        ingest=ingest or {},
    )
