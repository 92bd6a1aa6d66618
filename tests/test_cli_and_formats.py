"""The CLI's commands and the flat-CSV and JSON-LD adapters, through the CLI runner."""

from __future__ import annotations

import json

import pytest

from talentflow import Store


@pytest.mark.parametrize("command", [["ingest"], ["status"], ["reference", "areas"]])
def test_every_command_has_help_with_examples(cli, command):
    out = cli(*command, "--help").stdout
    assert "Examples" in out
    assert "talentflow " + " ".join(command) in out


def test_status_json(tmp_path, db, cli):
    path = tmp_path / "v.ndjson"
    path.write_text('{"id": "1", "name": "QA", "published_at": "2022-03-01T10:00:00+0300"}\nnope\n')
    cli("ingest", path, "--db", db)
    status = cli.json("status", "--db", db)
    assert status["tables"]["vacancy_observation"] == 1
    assert status["tables"]["quarantine"] == 1
    assert status["inputs"][0]["read"] == 2
    assert status["quarantine_by_reason"] == [{"reason": "not valid JSON (malformed or truncated)", "count": 1}]


def test_status_without_a_store_is_an_error(tmp_path, cli):
    result = cli("status", "--db", tmp_path / "none.duckdb", code=2)
    assert "no store here" in result.output


def test_csv_with_a_column_mapping(tmp_path, db, cli):
    path = tmp_path / "jobs.csv"
    path.write_text(
        "job,posted,city,country,pay,cur,remote\n"
        "A1,2022-03-01T09:00:00+03:00,Тбилиси,GE,5000,USD,true\n"
        "A2,2022-03-02,Ереван,AM,abc,USD,false\n"
        "A3,2022-03-03,Москва,RU,100000,RUR,maybe\n"
    )
    summary = cli.json(
        "ingest",
        path,
        "--db",
        db,
        "--source",
        "example-board",
        "--map",
        "job=vacancy_id",
        "--map",
        "posted=published_at",
        "--map",
        "city=area_name",
        "--map",
        "country=country",
        "--map",
        "pay=salary_from",
        "--map",
        "cur=currency",
        "--map",
        "remote=is_remote",
    )
    assert (summary["read"], summary["accepted"], summary["quarantined"]) == (3, 1, 2)
    with Store(db) as store:
        row = store.con.execute(
            "SELECT source, vacancy_id, country, salary_from, currency, is_remote, "
            "strftime(published_at, '%H:%M') FROM vacancy_observation"
        ).fetchone()
        reasons = dict(store.con.execute("SELECT location, reason FROM quarantine").fetchall())
    assert row == ("example-board", "A1", "GE", 5000.0, "USD", True, "06:00")
    assert reasons == {
        f"{path}:3": "salary_from: expected a number, got 'abc'",
        f"{path}:4": "is_remote: expected true or false, got 'maybe'",
    }


def test_map_naming_an_unknown_field_is_a_usage_error(tmp_path, db, cli):
    path = tmp_path / "jobs.csv"
    path.write_text("job,posted\nA1,2022-03-01\n")
    result = cli("ingest", path, "--db", db, "--map", "job=job_id", "--map", "posted=published_at", code=2)
    assert "unknown field 'job_id'" in result.output


def test_jsonld_job_postings(tmp_path, db, cli):
    posting = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": "Backend developer",
        "identifier": {"@type": "PropertyValue", "name": "Acme", "value": "J-1"},
        "url": "https://jobs.example.am/j-1",
        "datePosted": "2022-04-01",
        "validThrough": "2022-05-01T00:00:00+04:00",
        "hiringOrganization": {"@type": "Organization", "name": "Acme", "sameAs": "https://acme.example"},
        "jobLocation": {"@type": "Place", "address": {"addressLocality": "Ереван", "addressCountry": "AM"}},
        "jobLocationType": "TELECOMMUTE",
        "employmentType": "FULL_TIME",
        "baseSalary": {
            "@type": "MonetaryAmount",
            "currency": "USD",
            "value": {"@type": "QuantitativeValue", "minValue": 36000, "maxValue": 48000, "unitText": "YEAR"},
        },
    }
    graph = {
        "@context": "https://schema.org/",
        "@graph": [{"@type": "WebPage"}, dict(posting, identifier="J-2")],
    }
    (tmp_path / "one.jsonld").write_text(json.dumps(posting))
    (tmp_path / "graph.json").write_text(json.dumps(graph))
    (tmp_path / "list.json").write_text(
        json.dumps([dict(posting, identifier="J-3"), dict(posting, identifier="J-4", datePosted=None)])
    )
    summary = cli.json("ingest", tmp_path, "--db", db)
    assert (summary["read"], summary["accepted"], summary["quarantined"]) == (4, 3, 1)
    with Store(db) as store:
        row = store.con.execute(
            "SELECT source, title, country, salary_from, salary_to, currency, is_remote, employment, "
            "employer_name, strftime(expires_at, '%Y-%m-%d %H:%M') FROM vacancy_observation WHERE vacancy_id = 'J-1'"
        ).fetchone()
        (reason,) = store.con.execute("SELECT reason FROM quarantine").fetchone()
    assert row == (
        "jobs.example.am",
        "Backend developer",
        "AM",
        3000.0,
        4000.0,
        "USD",
        True,
        "full",
        "Acme",
        "2022-04-30 20:00",
    )
    assert reason == "missing required field published_at"


def test_the_input_format_is_input_format_and_format_json_points_there(tmp_path, db, cli):
    path = tmp_path / "jobs.csv"
    path.write_text("job,posted\nA1,2022-03-01\n")
    maps = ("--map", "job=vacancy_id", "--map", "posted=published_at")
    assert cli.json("ingest", path, "--db", db, "--input-format", "csv", *maps)["accepted"] == 1
    wrong = cli("ingest", path, "--db", db, "--format", "json", code=2).stderr
    assert "--input-format" in wrong and "--json" in wrong
    # The old spelling of the input format still works for one release, and says what replaces it.
    old = cli("ingest", path, "--db", db, "-f", "csv", *maps, "--force", "--json")
    assert json.loads(old.stdout)["duplicates"] == 1
    assert "deprecated" in old.stderr and "--input-format csv" in old.stderr
