"""The end of a run: full vacancies (``--full``), the sightings file, its ingest, the ``found`` series.

Each distinct vacancy id the run saw becomes one sighting: the search item (or, with ``--full``, the full
vacancy) from the first answer that held it, with ``observed_at`` the time that request was sent. The sightings
are written as hh.ru NDJSON (gzip, byte for byte the same for the same pages) and ingested through the hh.ru
adapter like any file, so that they are ``observed`` records with the ingest log's accounting. Written that way,
a run stopped after its ingest and resumed ingests nothing twice: the same bytes are recognised as ingested.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from talentflow.collect import _checkpoint as cp
from talentflow.collect._http import Client
from talentflow.collect._query import Query
from talentflow.errors import ApiError
from talentflow.model import COLLECT_PAGE, COLLECT_RUN, INGEST_LOG, SERIES


def sightings(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, tuple[dict[str, Any], datetime]]:
    """Each vacancy id the run saw: (the record to store, when it was seen)."""
    seen: dict[str, tuple[dict[str, Any], datetime]] = {}
    full: dict[str, tuple[dict[str, Any], datetime]] = {}
    for _slice, vacancy_id, observed_at, body in cp.pages(con, run_id):
        data = json.loads(body)
        if vacancy_id is not None:
            if isinstance(data, dict) and data.get("id") is not None:
                full[str(vacancy_id)] = (data, observed_at)
            continue
        for item in data or []:
            key = str(item["id"])
            if key not in seen:
                seen[key] = (item, observed_at)
    return {k: full.get(k, v) for k, v in seen.items()}


def candidates(con: duckdb.DuckDBPyConnection, run_id: int) -> list[str]:
    """Ids worth a full fetch: not stored yet from hh.ru, or published again since their last stored sighting."""
    rows = con.execute(
        f"""
        WITH items AS (
            SELECT v.id AS id, max(v.published_at) AS published
            FROM (SELECT unnest(from_json(body, '[{{"id": "VARCHAR", "published_at": "VARCHAR"}}]')) AS v
                  FROM {COLLECT_PAGE.name} WHERE run_id = ? AND vacancy_id IS NULL)
            GROUP BY v.id),
        stored AS (
            SELECT vacancy_id, max(published_at) AS published FROM vacancy_observation
            WHERE source = 'hh.ru' AND description_length IS NOT NULL GROUP BY vacancy_id)
        SELECT i.id FROM items i LEFT JOIN stored s ON s.vacancy_id = i.id
        WHERE s.vacancy_id IS NULL OR s.published < tf_ts(i.published)
        ORDER BY i.id
        """,
        [run_id],
    ).fetchall()
    return [r[0] for r in rows]


def fetch_full(collector: Any, client: Client, max_requests: int) -> int:
    """``GET /vacancies/{id}`` for the candidates not fetched yet, at most ``max_requests`` in the run."""
    con, run_id = collector.con, collector.run.run_id
    done = cp.fetched_full(con, run_id)
    todo = [v for v in candidates(con, run_id) if v not in done][: max(0, max_requests - len(done))]
    for vacancy_id in todo:
        try:
            reply = client.get(f"/vacancies/{vacancy_id}")
            collector.save_full(vacancy_id, reply, reply.observed_at)
        except ApiError as exc:
            if exc.kind != "not_found":
                raise
            collector.save_full(vacancy_id, None, collector.clock())  # gone since it was listed: not asked again
    return len(done) + len(todo)


def write_sightings(path: Path, seen: dict[str, tuple[dict[str, Any], datetime]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        for key in sorted(seen, key=lambda k: (len(k), k)):
            record, observed_at = seen[key]
            line = dict(record, observed_at=observed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
            f.write(json.dumps(line, ensure_ascii=False, sort_keys=True).encode() + b"\n")
    tmp.replace(path)


def ingest_sightings(store: Any, path: Path) -> tuple[int, dict[str, int]]:
    """Ingest the file; its ingest id (the earlier one when the same bytes were ingested before) and counts."""
    from talentflow.ingestion import ingest

    report = ingest([path], store=store, format="hh", source="hh.ru")
    one = report.inputs[0]
    (ingest_id,) = store.con.execute(
        f"SELECT max(ingest_id) FROM {INGEST_LOG.name} WHERE sha256 = ? AND format = 'hh'", [one.sha256]
    ).fetchone()
    counts = {k: getattr(one, k) for k in ("read", "accepted", "duplicates", "quarantined")}
    return int(ingest_id), counts | {"already_ingested": int(one.already_ingested)}


def close_run(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    query: Query,
    values: dict[str, Any],
    ingest_id: int | None,
    when: datetime,
) -> None:
    """In one transaction: the run finished, its ``found`` in the series table, the run's figures in the ingest
    log's options of its sightings, its pages dropped (the sightings file holds what they held)."""
    con.execute("BEGIN TRANSACTION")
    try:
        if ingest_id is None:
            ingest_id = _empty_ingest(con, run_id, when)
        cp.save_counters(con, run_id, values | {"status": "finished", "finished_at": when, "ingest_id": ingest_id})
        geography, segment, day = _series_key(query, when)
        for part, value in _found_series(con, run_id, values.get("found")):
            con.execute(
                f"INSERT INTO {SERIES.name} (source, geography, metric, segment, date, value, value_sa, vintage, "
                f"ingest_id) SELECT 'hh.ru', ?, 'vacancies_found', ?, ?, ?, NULL, ?, ? WHERE NOT EXISTS (SELECT 1 "
                f"FROM {SERIES.name} WHERE source = 'hh.ru' AND geography = ? AND metric = 'vacancies_found' "
                "AND segment = ? AND date = ?)",
                [geography, segment + part, day, value, f"run {run_id}", ingest_id, geography, segment + part, day],
            )
        if ingest_id is not None:
            (options,) = con.execute(
                f"SELECT options FROM {INGEST_LOG.name} WHERE ingest_id = ?", [ingest_id]
            ).fetchone()  # type: ignore[misc]
            merged = json.loads(options or "{}") | {"collect": _log_entry(con, run_id)}
            con.execute(
                f"UPDATE {INGEST_LOG.name} SET options = ? WHERE ingest_id = ?",
                [json.dumps(merged, sort_keys=True, ensure_ascii=False), ingest_id],
            )
        con.execute(f"DELETE FROM {COLLECT_PAGE.name} WHERE run_id = ?", [run_id])
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _empty_ingest(con: duckdb.DuckDBPyConnection, run_id: int, when: datetime) -> int:
    """An ingest log row for a run that saw no vacancy (no file to ingest): every run is in the log."""
    from talentflow._version import __version__

    (ingest_id,) = con.execute(f"SELECT coalesce(max(ingest_id), 0) + 1 FROM {INGEST_LOG.name}").fetchone()  # type: ignore[misc]
    con.execute(
        f"INSERT INTO {INGEST_LOG.name} (ingest_id, input, sha256, format, options, read, accepted, duplicates, "
        "quarantined, started_at, finished_at, tool_version) "
        f"SELECT ?, ?, NULL, 'hh', '{{}}', 0, 0, 0, 0, started_at, ?, ? FROM {COLLECT_RUN.name} WHERE run_id = ?",
        [ingest_id, f"talentflow collect hh: run {run_id} (no vacancies)", when, __version__, run_id],
    )
    return int(ingest_id)


def _found_series(con: duckdb.DuckDBPyConnection, run_id: int, found: int | None) -> list[tuple[str, int]]:
    """(segment suffix, count): the whole query's ``found``, then its counts by area and by role."""
    if found is None:
        return []
    row = con.execute("SELECT clusters FROM collect_slice WHERE run_id = ? AND slice_id = 0", [run_id]).fetchone()
    clusters = json.loads(row[0]) if row and row[0] else {}
    out = [("", int(found))]
    for name in ("area", "professional_role"):
        out += [(f" | {name}={k}", int(n)) for k, n in sorted(clusters.get(name, {}).items())]
    return out


def _series_key(query: Query, when: datetime) -> tuple[str, str, Any]:
    geography = ",".join(query.areas) or "all"
    return geography, query.describe(), when.astimezone(UTC).date()


def _log_entry(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, Any]:
    cols = ("run_id", "found", "leaf_found", "retrieved", "requests", "retries", "truncated", "full_fetched")
    row = con.execute(f"SELECT {', '.join(cols)} FROM {COLLECT_RUN.name} WHERE run_id = ?", [run_id]).fetchone()
    assert row is not None
    (slices,) = con.execute("SELECT count(*) FROM collect_slice WHERE run_id = ?", [run_id]).fetchone()  # type: ignore[misc]
    return dict(zip(cols, row, strict=True)) | {"slices": int(slices)}
