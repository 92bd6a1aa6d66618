"""`talentflow fetch` against a fake of the public sources on loopback (tests/fake_sources.py): each source
online and offline, ingesting what a direct ingest of the same files stores; a second fetch downloads and ingests
nothing; failures (500, 429, dropped connections, cut bodies, slow answers) retried, then reported; refusals
(404, 403, a revoked token) said with what to do; the token never shown; a changed layout refused."""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fake_sources import AI, IG, FakeSources

UA = "talentflow-tests/1.0 (tests@example.org)"
DEVELOPERS = f"{IG}/data/developers.csv"


@pytest.fixture
def fake(shared: Path) -> Iterator[FakeSources]:
    with FakeSources(shared) as server:
        yield server


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def fetch(cli, fake: FakeSources, source: str, cache: Path, db: Path, *extra: str, code: int = 0):
    args = ["fetch", source, "--to", cache, "--db", db, "--url-base", fake.url, "--user-agent", UA, *extra]
    if code:
        return cli(*args, code=code)
    return cli.json(*args)


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_ai_tracker_online_then_nothing_new_then_offline(cli, fake, cache, db, tmp_path) -> None:
    first = fetch(cli, fake, "ai-tracker", cache, db)
    (file,) = first["files"]
    assert (file["origin"], file["status"], file["changed"]) == ("network", "downloaded", True)
    assert first["ingest"]["accepted"] == 24_642 and first["ingest"]["quarantined"] == 0
    manifest = json.loads((cache / "ai-tracker" / "manifest.json").read_text())["files"]["AI_posting.csv"]
    assert manifest["url"] == fake.url + AI and manifest["etag"] == fake.etag(AI)
    assert manifest["sha256"] == file["sha256"] and manifest["last_modified"] and manifest["downloaded_at"]

    second = fetch(cli, fake, "ai-tracker", cache, db)
    assert second["downloaded"] == 0 and second["files"][0]["status"] == "not modified"
    assert second["files"][0]["changed"] is False
    last = fake.requests_of(AI)[-1]
    assert last.status == 304 and last.headers["If-None-Match"] == fake.etag(AI)
    assert second["ingest"]["accepted"] == 0 and second["ingest"]["inputs"][0]["already_ingested"]
    assert rows(db, "SELECT count(*) FROM series") == [(24_642,)]

    asked = len(fake.hits)
    other = tmp_path / "offline.duckdb"
    offline = cli.json("fetch", "ai-tracker", "--offline", "--to", cache, "--db", other)
    assert len(fake.hits) == asked, "--offline asked the network"
    assert offline["files"][0]["origin"] == "cache" and offline["files"][0]["changed"] is None
    assert offline["files"][0]["url"] == fake.url + AI
    assert offline["ingest"]["accepted"] == 24_642


def test_innovation_graph_stores_what_a_direct_ingest_stores(cli, fake, cache, db, shared, tmp_path) -> None:
    report = fetch(cli, fake, "innovation-graph", cache, db)
    assert report["downloaded"] == 6 and report["ingest"]["quarantined"] == 0
    direct = tmp_path / "direct.duckdb"
    expected = cli.json("ingest", shared / "innovationgraph", "--db", direct)
    assert report["ingest"]["accepted"] == expected["accepted"] > 90_000
    for table in ("population", "series"):
        sql = f"SELECT metric, count(*), sum(value) FROM {table} GROUP BY ALL ORDER BY ALL"
        assert rows(db, sql) == rows(direct, sql)


def test_hiring_lab_stores_what_a_direct_ingest_stores(cli, fake, cache, db, shared, tmp_path) -> None:
    report = fetch(cli, fake, "hiring-lab", cache, db)
    assert report["downloaded"] == 17 and report["ingest"]["quarantined"] == 0
    names = {f["name"] for f in report["files"]}
    assert {"aggregate_job_postings_US.csv", "job_postings_by_sector_GB.csv"} <= names
    direct = tmp_path / "direct.duckdb"
    cli.json("ingest", shared / "indeed-hiring-lab", "--db", direct)
    # The shared copy adds JP from a commit that is not on master, and AI_posting.csv (the ai-tracker source).
    sql = (
        "SELECT metric, geography, segment, count(*), sum(value), sum(value_sa) FROM series "
        "WHERE geography <> 'JP' AND metric <> 'ai_postings_share' GROUP BY ALL ORDER BY ALL"
    )
    assert rows(db, sql) == rows(direct, sql)
    assert report["ingest"]["accepted"] == rows(db, "SELECT count(*) FROM series")[0][0] > 80_000

    again = fetch(cli, fake, "hiring-lab", cache, db)
    assert again["downloaded"] == 0 and again["ingest"]["accepted"] == 0
    assert {h.status for h in fake.hits[-17:]} == {304}


def test_hh_dictionaries_load_the_tree_and_the_names_once(cli, fake, cache, db, shared, tmp_path) -> None:
    first = fetch(cli, fake, "hh-dictionaries", cache, db)
    areas, names = first["reference"]["areas"], first["reference"]["dictionaries"]
    assert areas["loaded"] and (areas["nodes"], areas["countries"]) == (9_552, 160)
    assert areas["source"] == fake.url + "/areas"
    assert all(h.headers.get("HH-User-Agent") == UA for h in fake.hits)
    direct = tmp_path / "direct.duckdb"
    expected = cli.json(
        "reference", "dictionaries", shared / "hh-api" / "dictionaries" / "dictionaries_2024-12.json", "--db", direct
    )
    assert names["loaded"] and names["entries"] == expected["entries"]

    second = fetch(cli, fake, "hh-dictionaries", cache, db)
    assert second["downloaded"] == 0 and {h.status for h in fake.hits[-2:]} == {304}
    assert not second["reference"]["areas"]["loaded"] and not second["reference"]["dictionaries"]["loaded"]

    offline = cli.json("fetch", "hh-dictionaries", "--offline", "--to", cache, "--db", tmp_path / "other.duckdb")
    assert offline["reference"]["areas"]["nodes"] == 9_552 and offline["reference"]["dictionaries"]["loaded"]


def test_hh_dictionaries_need_a_user_agent(cli, fake, cache, db, monkeypatch) -> None:
    monkeypatch.delenv("TALENTFLOW_HH_USER_AGENT", raising=False)
    result = cli("fetch", "hh-dictionaries", "--to", cache, "--db", db, "--url-base", fake.url, code=2)
    assert "--user-agent: hh.ru answers only a client that names itself" in result.output
    assert not fake.hits and not db.exists()


def test_a_500_is_retried(cli, fake, cache, db) -> None:
    fake.fail(AI, "500")
    report = fetch(cli, fake, "ai-tracker", cache, db, "--retries", "2")
    assert report["files"][0]["attempts"] == 2 and report["ingest"]["accepted"] == 24_642
    assert [h.status for h in fake.requests_of(AI)] == [500, 200]


def test_a_server_that_keeps_failing_is_reported_and_nothing_is_ingested(cli, fake, cache, db) -> None:
    fake.fail(AI, "500", "500", "500")
    result = fetch(cli, fake, "ai-tracker", cache, db, "--retries", "1", code=2)
    message = " ".join(result.output.split())
    assert f"{fake.url}{AI}: the server answered 500 Internal Server Error" in message
    assert "(an HTML page: 500 Internal Server Error) (2 attempts)" in message
    assert len(fake.requests_of(AI)) == 2 and not db.exists()
    assert not list((cache / "ai-tracker").glob("*.csv")) and not list((cache / "ai-tracker").glob(".*part"))


def test_a_cut_body_is_asked_for_again_and_never_replaces_a_good_copy(cli, fake, cache, db) -> None:
    fake.fail(AI, "truncate")
    report = fetch(cli, fake, "ai-tracker", cache, db, "--retries", "1")
    assert report["files"][0]["attempts"] == 2 and report["ingest"]["accepted"] == 24_642
    good = (cache / "ai-tracker" / "AI_posting.csv").read_bytes()
    assert good == fake.files[AI]

    fake.change(AI, fake.files[AI] + b"2026-07-01,US,9.9\n")
    fake.fail(AI, "truncate", "truncate")
    result = fetch(cli, fake, "ai-tracker", cache, db, "--retries", "1", code=2)
    assert "peer closed connection without sending complete message body" in " ".join(result.output.split())
    assert (cache / "ai-tracker" / "AI_posting.csv").read_bytes() == good
    assert rows(db, "SELECT count(*) FROM ingest_log") == [(1,)]


def test_a_slow_answer_is_asked_for_again(cli, fake, cache, db) -> None:
    fake.fail(AI, "stall")
    report = fetch(cli, fake, "ai-tracker", cache, db, "--retries", "1", "--timeout", "0.5")
    assert report["files"][0]["attempts"] == 2 and report["ingest"]["accepted"] == 24_642


def test_a_changed_header_is_refused_naming_the_file(cli, fake, cache, db) -> None:
    fetch(cli, fake, "innovation-graph", cache, db)
    kept = (cache / "innovation-graph" / "developers.csv").read_bytes()
    logged = rows(db, "SELECT count(*) FROM ingest_log")
    fake.rename_column(DEVELOPERS, "developers", "developer_accounts")
    fake.change(f"{IG}/data/git_pushes.csv", fake.files[f"{IG}/data/git_pushes.csv"] + b"10,GE,2025,4\n")
    result = fetch(cli, fake, "innovation-graph", cache, db, code=2)
    message = " ".join(result.output.split())
    assert f"developers.csv ({fake.url}{DEVELOPERS}): the header changed" in message
    assert "talentflow reads `developers,iso2_code,year,quarter`" in message
    assert "new: developer_accounts; gone: developers" in message and "nothing was ingested" in message
    assert (cache / "innovation-graph" / "developers.csv").read_bytes() == kept
    assert (cache / "innovation-graph" / "developers.csv.rejected").is_file()
    assert rows(db, "SELECT count(*) FROM ingest_log") == logged


def test_json_of_another_shape_is_refused(cli, fake, cache, db) -> None:
    fake.change("/areas", b'{"items": [], "found": 0}')
    result = fetch(cli, fake, "hh-dictionaries", cache, db, code=2)
    message = " ".join(result.output.split())
    assert "areas.json" in message and "not hh.ru's area tree" in message
    assert "got an object with the keys items, found" in message and not db.exists()


def test_offline_with_an_empty_cache_says_what_is_missing(cli, cache, db) -> None:
    result = cli("fetch", "innovation-graph", "--offline", "--to", cache, "--db", db, code=2)
    message = " ".join(result.output.split())
    assert "--to: offline, and the cache at" in message
    assert "lacks 6 of the 6 files of innovation-graph: developers.csv, git_pushes.csv" in message
    assert not db.exists()


def test_a_missing_file_upstream_is_a_clear_error(cli, fake, cache, db) -> None:
    del fake.files[AI]
    result = fetch(cli, fake, "ai-tracker", cache, db, code=2)
    message = " ".join(result.output.split())
    assert "the server answered 404 Not Found" in message and "the file may have moved upstream" in message
    assert len(fake.requests_of(AI)) == 1


def test_the_table_says_what_was_fetched_and_ingested(cli, fake, cache, db) -> None:
    shown = " ".join(cli("fetch", "ai-tracker", "--to", cache, "--db", db, "--url-base", fake.url).output.split())
    assert "│ AI_posting.csv │ downloaded │ 0.8 MB │ 24,642 new │" in shown
    assert "1 of 1 files downloaded (0.8 MB); 24,642 new records stored in" in shown
    again = " ".join(cli("fetch", "ai-tracker", "--to", cache, "--db", db, "--url-base", fake.url).output.split())
    assert "│ AI_posting.csv │ not modified │ 0.8 MB │ 24,642 duplicates │" in again
    assert "nothing downloaded: upstream has not changed; 0 new records" in again
    assert "the content of 1 file was stored before" in again
    # Without the manifest there is no ETag to send: the whole file comes again, and its hash finds it unchanged.
    (cache / "ai-tracker" / "manifest.json").unlink()
    same = " ".join(cli("fetch", "ai-tracker", "--to", cache, "--db", db, "--url-base", fake.url).output.split())
    assert "│ AI_posting.csv │ same content │ 0.8 MB │ 24,642 duplicates │" in same


def test_hh_dictionaries_table(cli, fake, cache, db) -> None:
    args = ("fetch", "hh-dictionaries", "--to", cache, "--db", db, "--url-base", fake.url, "--user-agent", UA)
    shown = " ".join(cli(*args).output.split())
    assert "│ areas.json │ downloaded │ 2.1 MB │ 9,552 areas in 160 countries │" in shown
    assert "loaded into the store: areas, dictionaries." in shown
    again = " ".join(cli(*args).output.split())
    assert "│ areas.json │ not modified │ 2.1 MB │ already in the store │" in again
    assert "the store holds this area tree and these dictionaries already." in again


def test_a_dropped_connection_is_asked_for_again(cli, fake, cache, db) -> None:
    fake.fail(AI, "drop")
    report = fetch(cli, fake, "ai-tracker", cache, db, "--retries", "1")
    assert report["files"][0]["attempts"] == 2 and report["ingest"]["accepted"] == 24_642
    assert [h.status for h in fake.requests_of(AI)] == [0, 200]

    fake.change(AI, fake.files[AI] + b"2026-07-01,US,9.9\n")
    fake.fail(AI, "drop", "drop")
    result = fetch(cli, fake, "ai-tracker", cache, db, "--retries", "1", code=2)
    message = " ".join(result.output.split())
    assert f"{fake.url}{AI}: the connection failed (Server disconnected without sending a response.)" in message
    assert "(2 attempts); the cached copy, if any, was kept" in message


def test_a_429_waits_as_asked_unless_asked_too_much(cli, fake, cache, db) -> None:
    fake.fail(AI, "429")
    report = fetch(cli, fake, "ai-tracker", cache, db, "--retries", "1")
    assert report["files"][0]["attempts"] == 2
    assert [h.status for h in fake.requests_of(AI)] == [429, 200]

    fake.retry_after = 3600
    fake.change(AI, fake.files[AI] + b"2026-07-01,US,9.9\n")
    fake.fail(AI, "429", "429")
    result = fetch(cli, fake, "ai-tracker", cache, db, "--retries", "3", code=2)
    message = " ".join(result.output.split())
    assert "the server answered 429 Too Many Requests (too_many_requests), and asks to wait 3600 s" in message
    assert len(fake.requests_of(AI)) == 3, "a Retry-After of an hour was waited for"


def test_a_bare_403_says_what_to_do(cli, fake, cache, db) -> None:
    fake.fail("/areas", "403")
    result = fetch(cli, fake, "hh-dictionaries", cache, db, code=2)
    message = " ".join(result.output.split())
    assert f"{fake.url}/areas: the server answered 403 Forbidden (an HTML page: 403 Forbidden)" in message
    assert "without an application token: set $TALENTFLOW_HH_TOKEN" in message
    assert len(fake.requests_of("/areas")) == 1 and not db.exists()


def test_the_token_goes_to_hh_only_and_is_never_shown(cli, fake, cache, db, monkeypatch) -> None:
    token = "TESTTOKEN-5f2b9c0e7d"
    monkeypatch.setenv("TALENTFLOW_HH_TOKEN", token)
    shown = fetch(cli, fake, "hh-dictionaries", cache, db)
    fetch(cli, fake, "ai-tracker", cache, db)
    by_path = {h.path: h.headers.get("Authorization") for h in fake.hits}
    assert by_path == {"/areas": f"Bearer {token}", "/dictionaries": f"Bearer {token}", AI: None}
    fake.fail("/areas", "oauth")
    refused = fetch(cli, fake, "hh-dictionaries", cache, db, code=2).output
    stored = [p.read_bytes() for p in cache.rglob("*") if p.is_file()] + [db.read_bytes()]
    assert token not in json.dumps(shown) and token not in refused
    assert not [b for b in stored if token.encode() in b]
    message = " ".join(refused.split())
    assert "403 Forbidden (oauth/token_revoked); the token in $TALENTFLOW_HH_TOKEN is bad, expired" in message


def test_a_304_to_a_plain_request_is_refused(cli, fake, cache, db) -> None:
    fake.fail(AI, "304")
    result = fetch(cli, fake, "ai-tracker", cache, db, code=2)
    message = " ".join(result.output.split())
    assert f"{fake.url}{AI}: the server answered 304 Not Modified to a request that was not conditional" in message
    assert not db.exists()


def test_two_downloads_into_one_cache_do_not_run_at_once(cli, fake, cache, db) -> None:
    folder = cache / "ai-tracker"
    folder.mkdir(parents=True)
    with (folder / ".lock").open("a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = fetch(cli, fake, "ai-tracker", cache, db, code=2)
        # Reading the cache needs no lock.
        offline = cli("fetch", "ai-tracker", "--offline", "--to", cache, "--db", db, code=2).output
    message = " ".join(result.output.split())
    assert f"--to: another talentflow fetch is downloading into {folder}; wait for it to end" in message
    assert not fake.hits and "offline, and the cache at" in " ".join(offline.split())
    assert fetch(cli, fake, "ai-tracker", cache, db)["downloaded"] == 1


def test_a_url_base_must_be_an_address(cli, cache, db) -> None:
    result = cli("fetch", "ai-tracker", "--to", cache, "--db", db, "--url-base", "mirror.example.org", code=2)
    assert "--url-base: 'mirror.example.org': expected an http:// or https:// address" in result.output


def test_the_command_offers_every_source_in_the_table() -> None:
    from typing import get_args

    from talentflow.cli.fetch import SourceName
    from talentflow.fetch import SOURCES

    assert (
        list(get_args(SourceName))
        == list(SOURCES)
        == ["innovation-graph", "hiring-lab", "ai-tracker", "hh-dictionaries", "fx"]
    )
