"""Bad input is quarantined with its location and a reason; unreadable input is an error with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from talentflow import InputError, Store, ingest
from talentflow.testing import vacancy


def _quarantine(db: Path) -> dict[str, str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return dict(con.execute("SELECT location, reason FROM quarantine").fetchall())


def test_every_kind_of_bad_record_is_quarantined_with_line_and_reason(tmp_path, db):
    good = [json.dumps(vacancy(i), ensure_ascii=False) for i in range(5)]
    salary_abc = vacancy(10, salary={"from": "abc", "to": None, "currency": "RUR", "gross": True})
    no_id = vacancy(11)
    del no_id["id"]
    lines: list[bytes] = [
        good[0].encode(),  # 1
        good[1][:-25].encode(),  # 2 truncated
        b"this is not json",  # 3
        json.dumps(salary_abc).encode(),  # 4
        json.dumps(no_id).encode(),  # 5
        json.dumps(vacancy(12, salary={"from": 1, "to": 2, "currency": "XYZ"})).encode(),  # 6
        json.dumps(vacancy(13, published_at="2099-01-01T00:00:00+0300")).encode(),  # 7
        json.dumps(vacancy(14, published_at="1985-05-05T00:00:00+0300")).encode(),  # 8
        good[2].encode().replace(b"Python", b"Py\xff\xfethon"),  # 9 non-UTF-8
        json.dumps(vacancy(15, name="x" * (50 << 20))).encode(),  # 10: a 50 MB line
        b"",  # 11: blank lines are not records
        json.dumps({"errors": [{"type": "captcha_required", "value": "captcha_required"}]}).encode(),  # 12
        good[3].encode(),  # 13
        json.dumps(vacancy(16, published_at="15.03.2022")).encode(),  # 14
        good[4].encode(),  # 15
    ]
    path = tmp_path / "bad.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")

    report = ingest([path], db=db)

    (only,) = report.inputs
    assert (only.read, only.accepted, only.duplicates, only.quarantined) == (14, 3, 0, 11)
    assert only.balanced
    q = _quarantine(db)
    where = {int(loc.rsplit(":", 1)[1]): reason for loc, reason in q.items()}
    assert where[2] == "not valid JSON (malformed or truncated)"
    assert where[3] == "not valid JSON (malformed or truncated)"
    assert where[4] == "salary.from: expected a number, got 'abc'"
    assert where[5] == "missing required field id"
    assert where[6] == "salary.currency: unknown currency code 'XYZ'"
    assert where[7] == "published_at '2099-01-01T00:00:00+0300' is in the future"
    assert where[8] == "published_at '1985-05-05T00:00:00+0300' is before 1990"
    assert where[9] == "not valid UTF-8 text"
    assert where[10] == "line longer than the 16 MiB limit"
    assert where[12] == "hh.ru API error response (captcha_required), not a vacancy or resume"
    assert where[14].startswith("published_at: expected an ISO 8601 time")
    with duckdb.connect(str(db), read_only=True) as con:
        (longest,) = con.execute("SELECT max(length(raw)) FROM quarantine").fetchone()
    assert longest < 70_000  # raw text is cut, not stored whole


def test_truncated_json_document(tmp_path, db, cli):
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"items": [vacancy(1), vacancy(2)], "found": 2}, indent=2)[:-40])
    summary = cli.json("ingest", path, "--db", db)
    assert (summary["read"], summary["quarantined"]) == (1, 1)
    ((loc, reason),) = _quarantine(db).items()
    assert reason.startswith("truncated JSON")
    assert loc.startswith(f"{path}:")


def test_page_items_in_ndjson_are_located_by_line_and_pointer(tmp_path, db):
    page = {"items": [vacancy(1), vacancy(2, salary={"from": "n/a", "currency": "RUR"})], "found": 2}
    path = tmp_path / "pages.ndjson"
    path.write_text(json.dumps(vacancy(0)) + "\n" + json.dumps(page) + "\n")
    report = ingest([path], db=db)
    assert (report.read, report.accepted, report.quarantined) == (3, 2, 1)
    assert _quarantine(db) == {f"{path}:2#/items/1": "salary.from: expected a number, got 'n/a'"}


def _file(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.ndjson", "no such file or directory"),
        (lambda d: (d / "empty").mkdir() or d / "empty", "holds no data files"),
        (lambda d: _file(d / "docs" / "README.md", b"# notes") and d / "docs", "holds no data files"),
        (lambda d: _file(d / "blob.bin", bytes(range(256)) * 10), "binary content"),
        (lambda d: _file(d / "x.csv", b"a,b\n1,2\n"), "matches no built-in format"),
    ],
    ids=["missing", "empty-dir", "no-data-files", "binary", "unknown-csv"],
)
def test_unreadable_input_exits_2_and_leaves_no_store(tmp_path, db, cli, make, message):
    path = make(tmp_path)
    result = cli("ingest", path, "--db", db, code=2)
    assert message in result.output
    assert not db.exists()
    with pytest.raises(InputError):
        ingest([path], db=db)


def test_unreadable_input_leaves_an_existing_store_untouched(tmp_path, db, cli):
    good = tmp_path / "good.ndjson"
    good.write_text(json.dumps(vacancy(1)) + "\n")
    cli("ingest", good, "--db", db)
    with Store(db) as store:
        before = store.snapshot()
    cli("ingest", good, tmp_path / "missing.json", "--db", db, code=2)
    with Store(db) as store:
        assert store.snapshot() == before


def test_checks_fail_on_the_fast_path_are_located_too(tmp_path, db):
    """A file DuckDB's JSON reader reads whole: records failing a check still get their line."""
    records = [vacancy(i) for i in range(6)]
    records[3]["salary"] = {"from": "abc", "to": None, "currency": "RUR", "gross": True}
    records[5]["published_at"] = "2099-01-01T00:00:00+0300"
    path = tmp_path / "clean.ndjson"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    report = ingest([path], db=db)
    assert (report.read, report.accepted, report.quarantined) == (6, 4, 2)
    q = _quarantine(db)
    assert q[f"{path}:4"] == "salary.from: expected a number, got 'abc'"
    assert q[f"{path}:6"] == "published_at '2099-01-01T00:00:00+0300' is in the future"
    with duckdb.connect(str(db), read_only=True) as con:
        (raw,) = con.execute("SELECT raw FROM quarantine WHERE location LIKE '%:4'").fetchone()
    assert raw == json.dumps(records[3], ensure_ascii=False)


def test_corrupt_gzip_is_an_error(tmp_path, db, cli):
    path = tmp_path / "v.ndjson.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(200)))
    result = cli("ingest", path, "--db", db, code=2)
    assert "not a readable gzip file" in result.output
