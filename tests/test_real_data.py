"""The real data in ../shared/data: every file accounted for, and figures their SOURCE.md states."""

from __future__ import annotations

from datetime import date

import pytest

from talentflow import Store, ingest
from talentflow.reference.areas import load_areas, read_tree


@pytest.fixture(scope="module")
def real_store(shared, tmp_path_factory):
    db = tmp_path_factory.mktemp("real") / "real.duckdb"
    with Store(db) as store:
        load_areas(store, read_tree(shared / "hh-api/dictionaries/areas_2024-12.json"), "areas_2024-12.json")
        report = ingest(
            [
                shared / "hh-api/examples",
                shared / "hh-vacancies-urfu",
                shared / "innovationgraph",
                shared / "indeed-hiring-lab",
            ],
            store=store,
        )
    return db, {i.input.rsplit("/", 1)[1]: i for i in report.inputs}


def test_area_tree_places_areas_in_countries(shared, db, cli):
    result = cli.json("reference", "areas", shared / "hh-api/dictionaries/areas_2024-12.json", "--db", db)
    assert result["nodes"] == 9552
    with Store(db) as store:
        rows = dict(
            store.con.execute(
                "SELECT area_id, country FROM area WHERE area_id IN ('1', '2758', '160', '13', '5046', '1001')"
            ).fetchall()
        )
    assert rows == {"1": "RU", "2758": "GE", "160": "KZ", "13": "AM", "5046": "ME", "1001": "ZZ"}


def test_every_input_is_accounted_for(real_store):
    _, reports = real_store
    assert all(r.balanced for r in reports.values())
    assert reports["SOURCE.md"].skipped == "not a data file"
    assert reports["sector-job-title-examples.csv"].skipped is not None


def test_urfu_rows_are_all_accounted_for(real_store):
    _, r = real_store
    daily = r["it_vacancies_daily_2022-12.csv"]
    # 3,340 rows of the 2022-12-08 pull repeat 80 vacancies; the two 2022-12-21 pulls overlap; 12 rows are
    # published after the day they were pulled (SOURCE.md: "12 rows are dated 2022-12-24").
    assert (daily.read, daily.accepted, daily.duplicates, daily.quarantined) == (17_967, 11_331, 6_624, 12)
    sample = r["vacancies_sample_2022-01_to_07.csv"]
    assert (sample.read, sample.accepted, sample.duplicates, sample.quarantined) == (18_294, 13_055, 5_239, 0)


def test_urfu_country_split_of_2022_12_23(real_store):
    db, _ = real_store
    with Store(db) as store:
        v = store.table("vacancy_observation")
        # The 2022-12-23 pull is dated at the end of that day.
        day = v.filter((v.observed_basis == "snapshot") & (v.observed_at.date() == date(2022, 12, 24)))
        counts = day.group_by("country").agg(n=day.count()).execute().set_index("country")["n"]
    share = (100 * counts / counts.sum()).round(1).to_dict()
    assert counts.sum() == 3905
    assert {k: share[k] for k in ("RU", "KZ", "BY", "UZ", "GE")} == {
        "RU": 93.5,
        "KZ": 2.9,
        "BY": 1.7,
        "UZ": 0.8,
        "GE": 0.4,
    }


def test_hh_api_examples(real_store):
    db, r = real_store
    examples = {k: v for k, v in r.items() if k.endswith(".json") and v.format == "hh"}
    assert len(examples) == 8
    assert examples["error_captcha_required.json"].quarantined == 1
    assert examples["error_envelope_bad_argument.json"].quarantined == 1
    with Store(db) as store:
        reasons = {
            row[0] for row in store.con.execute("SELECT reason FROM quarantine WHERE input LIKE '%error_%'").fetchall()
        }
        vacancy = store.con.execute(
            "SELECT title, salary_from, currency, salary_gross, country, region, "
            "strftime(published_at, '%Y-%m-%d %H:%M:%S'), is_it, experience "
            "FROM vacancy_observation WHERE vacancy_id = '8331228' AND source = 'hh.ru'"
        ).fetchone()
        resume = store.con.execute(
            "SELECT relocation_type, relocation_countries, citizenship, country, is_it, salary_amount, currency "
            "FROM resume_observation WHERE resume_id = '12345678901234567890123456789012abcdef'"
        ).fetchone()
    assert reasons == {
        "hh.ru API error response (captcha_required), not a vacancy or resume",
        "hh.ru API error response (bad_argument), not a vacancy or resume",
    }
    # published_at 2013-07-08T16:17:21+0400 is 12:17:21 UTC; role 96 is a developer.
    assert vacancy == (
        "Секретарь",
        30000.0,
        "RUB",
        True,
        "RU",
        "Москва",
        "2013-07-08 12:17:21",
        True,
        "between1And3",
    )
    assert resume == ("relocation_possible", ["RU", "RU"], ["RU"], "RU", True, 100500.0, "RUB")


def test_innovation_graph_and_hiring_lab_row_counts(real_store):
    db, r = real_store
    expected = {
        "developers.csv": 5_197,
        "git_pushes.csv": 3_998,
        "repositories.csv": 5_173,
        "organizations.csv": 4_180,
        "economy_collaborators.csv": 74_127,
        "distinct_economy_counts_by_quarter_by_dataset.csv": 184,
        "aggregate_job_postings_all.csv": 55_062,
        "sector_it_job_postings.csv": 40_131,
    }
    assert {k: (r[k].read, r[k].accepted) for k in expected} == {k: (n, n) for k, n in expected.items()}
    with Store(db) as store:
        con = store.con
        namibia = con.execute(
            "SELECT value FROM population WHERE economy = 'NA' AND metric = 'developers' AND period = '2020Q1'"
        ).fetchone()
        us = con.execute(
            "SELECT value FROM population WHERE economy = 'US' AND metric = 'developers' AND period = '2020Q1'"
        ).fetchone()
        ge_ru = con.execute(
            "SELECT value FROM population WHERE metric = 'economy_collaborators' "
            "AND economy = 'GE' AND partner = 'RU' AND period = '2022Q2'"
        ).fetchone()
        peak = con.execute(
            "SELECT strftime(arg_max(date, value), '%Y-%m-%d') FROM series WHERE metric = 'sector_job_postings_index' "
            "AND geography = 'US' AND segment = 'Software Development'"
        ).fetchone()
    assert namibia == (1870.0,)
    assert us == (9_763_122.0,)
    assert ge_ru == (14_302.0,)
    assert peak == ("2022-02-28",)


def test_status_groups_quarantine_reasons(real_store, cli):
    db, _ = real_store
    reasons = {r["reason"]: r["count"] for r in cli.json("status", "--db", db)["quarantine_by_reason"]}
    assert reasons["published_at … is after observed_at …"] == 12
