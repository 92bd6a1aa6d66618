"""Bad input is quarantined with its location and a reason; unreadable input is an error with exit code 2."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
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


# -- hostile input (issue 15): each finding reproduced, with the answer it now gets ------------------------------


def _ndjson(path: Path, *records: dict) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def test_values_that_are_not_numbers_are_quarantined(tmp_path, db):
    path = _ndjson(
        tmp_path / "v.ndjson",
        vacancy(1, salary={"from": "NaN", "to": None, "currency": "RUR"}),
        vacancy(2, salary={"from": 1000, "to": "Infinity", "currency": "RUR"}),
        vacancy(3, salary={"from": "1e309", "currency": "RUR"}),
        vacancy(4),
    )
    report = ingest([path], db=db)
    assert (report.read, report.accepted, report.quarantined) == (4, 1, 3)
    assert sorted(_quarantine(db).values()) == [
        "salary.from: expected a number, got '1e309'",
        "salary.from: expected a number, got 'NaN'",
        "salary.to: expected a number, got 'Infinity'",
    ]


def test_series_values_that_are_not_numbers_and_impossible_dates(tmp_path, db):
    graph = tmp_path / "developers.csv"
    graph.write_text("developers,iso2_code,year,quarter\nNaN,RU,2022,1\n1e309,KZ,2022,1\n100,RU,2022,5\n7,RU,2022,2\n")
    lab = tmp_path / "lab.csv"
    lab.write_text(
        "date,jobcountry,indeed_job_postings_index_SA,indeed_job_postings_index_NSA,variable\n"
        "9999-12-31,US,100,100,total postings\n2022-01-01,US,Infinity,100,total postings\n"
        "2022-01-02,US,99,98,total postings\n"
    )
    report = ingest([graph, lab], db=db)
    assert [(i.read, i.accepted, i.quarantined) for i in report.inputs] == [(4, 1, 3), (3, 1, 2)]
    assert sorted(_quarantine(db).values()) == [
        "date '9999-12-31' is in the future",
        "developers: expected a number, got '1e309'",
        "developers: expected a number, got 'NaN'",
        "indeed_job_postings_index_SA: expected a number, got 'Infinity'",
        "quarter: expected 1 to 4, got '5'",
    ]


def test_an_impossible_time_zone_offset_is_quarantined(tmp_path, db, cli):
    path = _ndjson(tmp_path / "v.ndjson", vacancy(1, published_at="2022-03-01T10:00:00+99:00"), vacancy(2))
    report = ingest([path], db=db)
    assert (report.accepted, report.quarantined) == (1, 1)
    assert list(_quarantine(db).values()) == [
        "published_at: a time-zone offset outside UTC-12:00 to UTC+14:00, got '2022-03-01T10:00:00+99:00'"
    ]
    result = cli("ingest", path, "--db", db, "--observed-at", "2022-03-01T10:00:00+20:00", code=2)
    assert "--observed-at" in result.output and "UTC+14:00" in result.output


def test_json_nested_too_deep_and_lone_surrogates(tmp_path, db):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 10_000 + "]" * 10_000)
    surrogate = tmp_path / "surrogate.json"
    surrogate.write_text(json.dumps([vacancy(1), vacancy(2)]).replace("Python", "\\ud800", 1))
    report = ingest([deep, surrogate], db=db)
    assert [(i.read, i.accepted, i.quarantined) for i in report.inputs] == [(1, 0, 1), (2, 1, 1)]
    q = _quarantine(db)
    assert q[str(deep)].startswith("JSON nested too deep to read")
    assert q[f"{surrogate}#/0"].startswith("a lone UTF-16 surrogate escape")


def test_crlf_lines_then_lf_lines_with_a_bad_record(tmp_path, db):
    lines = [json.dumps(vacancy(i)) for i in range(4)]
    path = tmp_path / "mixed.ndjson"
    path.write_bytes(f"{lines[0]}\r\n{lines[1]}\r\n{lines[2]}\n{{bad\n{lines[3]}\n".encode())
    report = ingest([path], db=db)
    assert (report.read, report.accepted, report.quarantined) == (5, 4, 1)
    assert _quarantine(db) == {f"{path}:4": "not valid JSON (malformed or truncated)"}


def test_gzip_damage_is_said_and_nothing_is_lost(tmp_path, db):
    content = b"".join(json.dumps(vacancy(i)).encode() + b"\n" for i in range(20))
    plain_named_gz = _file(tmp_path / "plain.ndjson.gz", b"".join(content.splitlines(keepends=True)[:2]))
    packed = gzip.compress(content, mtime=0)
    garbage = _file(tmp_path / "garbage.ndjson.gz", packed + b"trailing garbage")
    others = b"".join(json.dumps(vacancy(i)).encode() + b"\n" for i in range(100, 120))
    bad_crc = bytearray(gzip.compress(others, mtime=0))
    bad_crc[-8] ^= 0xFF
    crc = _file(tmp_path / "crc.ndjson.gz", bytes(bad_crc))
    report = ingest([plain_named_gz, garbage, crc], db=db)
    assert [(i.read, i.accepted, i.quarantined) for i in report.inputs] == [(2, 2, 0), (21, 18, 1), (20, 20, 0)]
    assert _quarantine(db) == {
        f"{garbage}:byte {len(packed)}": "bytes after the end of the gzip stream, not gzip data: not read"
    }
    assert report.inputs[2].warnings == [
        "the gzip CRC check failed: the decompressed data is not what was compressed; the records read from it are "
        "counted as they are"
    ]


def test_gzip_compressed_and_broken_parquet_are_refused(tmp_path, db, cli):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "v.parquet"
    pq.write_table(pa.table({"id": ["1"], "name": ["x"], "published_at": ["2022-03-01"]}), path)
    packed = _file(tmp_path / "v.parquet.gz", gzip.compress(path.read_bytes()))
    result = cli("ingest", packed, "--db", db, code=2)
    assert "a gzip-compressed Parquet file: decompress it" in result.output
    broken = _file(tmp_path / "broken.parquet", path.read_bytes()[:40])
    result = cli("ingest", broken, "--db", db, code=2)
    assert f"{broken}: not a readable Parquet file" in " ".join(result.output.split())
    assert not db.exists()


def test_a_line_past_duckdbs_buffer_is_counted(tmp_path, db, monkeypatch):
    """DuckDB skips, without a word, a line longer than its buffer (16 times the line limit; 256 MiB at the default
    16 MiB): the line is quarantined all the same. A small limit stands in for the default."""
    monkeypatch.setenv("TALENTFLOW_MAX_LINE_BYTES", str(64 << 10))
    path = _ndjson(tmp_path / "long.ndjson", vacancy(1), vacancy(2, name="x" * (2 << 20)), vacancy(3))
    report = ingest([path], db=db)
    assert (report.read, report.accepted, report.quarantined) == (3, 2, 1)
    assert _quarantine(db) == {f"{path}:2": "line longer than the 65,536 bytes limit"}


def test_standard_input_is_read_and_a_fifo_is_refused(tmp_path, db, cli):
    lines = "".join(json.dumps(vacancy(i)) + "\n" for i in range(3))
    result = cli.runner.invoke(cli_app(), ["ingest", "-", "--db", str(db), "--json"], input=lines)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["read"], summary["accepted"], summary["inputs"][0]["input"]) == (3, 3, "<stdin>")
    fifo = tmp_path / "pipe.ndjson"
    os.mkfifo(fifo)
    result = cli("ingest", fifo, "--db", db, code=2)
    assert "not a regular file" in result.output


def cli_app():
    from talentflow.cli import app

    return app


def test_a_foreign_duckdb_file_is_refused_untouched(tmp_path, cli):
    foreign = tmp_path / "other.duckdb"
    with duckdb.connect(str(foreign)) as con:
        con.execute("CREATE TABLE users (id INTEGER, name VARCHAR)")
    before = foreign.read_bytes()
    good = _ndjson(tmp_path / "v.ndjson", vacancy(1))
    for command in (("ingest", good), ("status",)):
        result = cli(*command, "--db", foreign, code=2)
        assert "not a talentflow store: a DuckDB database of another program (tables users)" in result.output
    assert foreign.read_bytes() == before
    assert not Path(f"{foreign}.wal").exists()


def test_a_store_of_a_newer_schema_and_a_damaged_store_are_refused(tmp_path, db, cli):
    good = _ndjson(tmp_path / "v.ndjson", vacancy(1))
    ingest([good], db=db)
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    result = cli("ingest", good, "--db", db, code=2)
    assert "written by a newer talentflow (schema version 99" in result.output
    damaged = tmp_path / "damaged.duckdb"
    data = bytearray(db.read_bytes())
    data[4096 : 4096 + 512] = bytes(512)
    damaged.write_bytes(bytes(data))
    result = cli("ingest", good, "--db", damaged, code=2)
    assert "damaged.duckdb" in result.output


def test_ingest_waits_for_the_store_while_another_process_holds_it(tmp_path, db, cli):
    good = _ndjson(tmp_path / "v.ndjson", vacancy(1))
    ingest([good], db=db)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print(1, flush=True); "
         "time.sleep(float(sys.argv[2]))", str(db), "1.5"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline()
    result = cli("ingest", good, "--db", db, "--wait", "0.2", code=2)
    assert "the store is in use by another process (waited 0.2 s for it" in result.output
    summary = cli.json("ingest", good, "--db", db, "--wait", "60")  # waits until the holder ends
    holder.wait()
    assert summary["duplicates"] == 1
