"""The direct insert of clean NDJSON gives the same store and accounting as staging, and falls back when it must."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from talentflow import Store, ingest
from talentflow.sources.hh import HHAdapter
from talentflow.testing import vacancy

_RESUME = {"id": "r1", "title": "Python developer", "updated_at": "2022-03-01T10:00:00+0300"}

SCENARIOS: dict[str, list[dict[str, Any]]] = {
    "clean": [vacancy(i) for i in range(100)],
    "bad record last": [vacancy(i) for i in range(100)] + [vacancy(100, salary={"from": "abc", "currency": "RUR"})],
    "key repeated": [vacancy(i) for i in range(100)] + [vacancy(7)],
    "a resume among vacancies": [vacancy(i) for i in range(50)] + [_RESUME] + [vacancy(i) for i in range(50, 60)],
}


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def _outcome(db: Path, *paths: Path) -> tuple[list[tuple[int, int, int, int]], dict[str, list[tuple[Any, ...]]]]:
    report = ingest(list(paths), db=db)
    counts = [(i.read, i.accepted, i.duplicates, i.quarantined) for i in report.inputs]
    with Store(db) as store:
        snapshot = store.snapshot()
        # Times of the ingest itself differ between two runs; the rest of the log must not.
        snapshot["ingest_log"] = store.con.execute(
            "SELECT ingest_id, sha256, format, read, accepted, duplicates, quarantined FROM ingest_log ORDER BY 1"
        ).fetchall()
    return counts, snapshot


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("stored_before", [0, 10])
def test_direct_and_staged_give_the_same_store(tmp_path, monkeypatch, scenario, stored_before):
    path = _write(tmp_path / "v.ndjson", SCENARIOS[scenario])
    seed = _write(tmp_path / "seed.ndjson", [vacancy(i) for i in range(stored_before)])
    inputs = [seed, path] if stored_before else [path]
    direct = _outcome(tmp_path / "direct.duckdb", *inputs)
    monkeypatch.setattr(HHAdapter, "direct", lambda self, ctx: None)
    staged = _outcome(tmp_path / "staged.duckdb", *inputs)
    assert direct == staged
    counts = direct[0][-1]
    assert counts[0] == counts[1] + counts[2] + counts[3] == len(SCENARIOS[scenario])


def test_a_file_given_twice_in_one_command_is_read_once(tmp_path, db):
    path = _write(tmp_path / "v.ndjson", [vacancy(i) for i in range(20)])
    copy = _write(tmp_path / "copy.ndjson", [vacancy(i) for i in range(20)])
    report = ingest([path, copy], db=db)
    assert [(i.accepted, i.duplicates, i.already_ingested) for i in report.inputs] == [
        (20, 0, False),
        (0, 20, True),
    ]
    again = ingest([path], db=db)
    assert again.inputs[0].already_ingested and again.duplicates == 20


def test_an_abandoned_direct_insert_reports_each_input_once(tmp_path, db):
    path = _write(tmp_path / "v.ndjson", SCENARIOS["bad record last"])
    events: list[str] = []
    report = ingest([path], db=db, progress=lambda event, payload: events.append(event))
    assert (report.accepted, report.quarantined) == (100, 1)
    assert [e for e in events if e != "progress"] == ["start", "done"]
    with Store(db) as store:
        (location,) = store.con.execute("SELECT location FROM quarantine").fetchone()
    assert location == f"{path}:101"


def test_a_clean_file_is_not_staged(tmp_path, db, monkeypatch):
    path = _write(tmp_path / "v.ndjson", SCENARIOS["clean"])

    def no_staging(self, ctx):
        raise AssertionError("a clean NDJSON file should go straight into the store")

    monkeypatch.setattr(HHAdapter, "stage", no_staging)
    report = ingest([path], db=db)
    assert (report.read, report.accepted) == (100, 100)


def test_a_dirty_input_among_clean_ones(tmp_path, monkeypatch):
    inputs = [
        _write(tmp_path / "a.ndjson", [vacancy(i) for i in range(30)]),
        _write(tmp_path / "b.ndjson", SCENARIOS["bad record last"]),
        _write(tmp_path / "c.ndjson", [vacancy(i) for i in range(90, 130)]),
    ]
    direct = _outcome(tmp_path / "direct.duckdb", *inputs)
    monkeypatch.setattr(HHAdapter, "direct", lambda self, ctx: None)
    assert direct == _outcome(tmp_path / "staged.duckdb", *inputs)
    assert direct[0] == [(30, 30, 0, 0), (101, 70, 30, 1), (40, 30, 10, 0)]
