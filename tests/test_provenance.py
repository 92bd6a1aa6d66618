"""Where records come from: the simulator marks its own, the store keeps the mark, an older store is brought
up to date; every query takes one kind at a time (real by default) and ignores the other; and the AI
classification of a record."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import duckdb
import kinds_fixture
import numpy as np
import pandas as pd
import pytest

from talentflow import Store, StoreError, UsageError, ingest
from talentflow.claims import builtin_claims, compare
from talentflow.indicators import Params, Segment, SparkEngine, compute, compute_on, export_parquet
from talentflow.migration import NowcastRequest, PanelRequest, Population, estimate, load_panel
from talentflow.reference.ai import ai_sql
from talentflow.simulate import load_scenario, simulate


def test_simulated_records_say_so_and_never_carry_a_board_name(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    simulate(load_scenario("exodus-2022"), out, scale=0.001, seed=5)
    db = tmp_path / "s.duckdb"
    # Even told that the records come from hh.ru, simulated records keep the simulator's name.
    ingest([out], db=db, source="hh.ru")
    with Store(db, read_only=True) as store:
        for table in ("vacancy_observation", "resume_observation"):
            rows = store.con.execute(
                f"SELECT source, provenance, scenario, seed, count(*) FROM {table} GROUP BY ALL"
            ).fetchall()
            assert len(rows) == 1 and rows[0][:4] == ("simulator", "simulated", "exodus-2022", 5), rows


def test_board_records_are_observed_with_their_skills_and_description(tmp_path: Path, shared: Path) -> None:
    db = tmp_path / "r.duckdb"
    examples = shared / "hh-api" / "examples"
    ingest([examples / "vacancy_full.json", examples / "resume_full.json"], db=db)
    with Store(db, read_only=True) as store:
        vacancy = store.con.execute(
            "SELECT source, provenance, scenario, seed, key_skills, description_length, is_ai FROM vacancy_observation"
        ).fetchall()
        resume = store.con.execute("SELECT provenance, key_skills, is_ai FROM resume_observation").fetchall()
    full = json.loads((examples / "vacancy_full.json").read_text())
    assert vacancy == [("hh.ru", "observed", None, None, [k["name"] for k in full["key_skills"]], 3, False)]
    assert resume == [("observed", ["HTML", "CSS"], False)]


@pytest.mark.parametrize(
    ("title", "roles", "skills", "ai"),
    [
        ("ML-инженер", ["96"], None, True),
        ("Data Scientist", None, None, True),
        ("Программист", ["165"], None, True),  # the data-scientist role
        ("Backend-разработчик", ["96"], ["Python", "PyTorch"], True),
        ("Специалист по ИИ", None, None, True),
        ("Инженер компьютерного зрения", None, None, True),
        ("Разработчик LLM-агентов", None, None, True),
        ("Верстальщик HTML", ["96"], ["HTML", "CSS"], False),  # «ml» inside a word is not ML
        ("Email-маркетолог", None, None, False),  # nor «ai»
        ("Аналитик данных", ["156"], None, False),  # BI and data analysts are not AI work
        ("Python developer в Рекомендательную платформу", None, None, True),  # a real hh.ru title, 2022-12
        ("Recommendation Engine Developer", None, None, True),
        ("Юрист (рекомендательное письмо обязательно)", None, None, False),
        (None, None, None, None),
    ],
)
def test_ai_work_by_role_title_or_skill(title: str | None, roles: list | None, skills: list | None, ai: bool) -> None:
    sql = f"SELECT {ai_sql('t', 'r', 's')} FROM (SELECT ?::VARCHAR t, ?::VARCHAR[] r, ?::VARCHAR[] s)"
    assert duckdb.connect().execute(sql, [title, roles, skills]).fetchone() == (ai,)


def test_an_older_store_is_brought_up_to_date_when_opened_for_writing(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    with Store(db) as store:
        store.con.execute(
            "INSERT INTO vacancy_observation (source, vacancy_id, observed_at) VALUES ('hh.ru', '1', now())"
        )
        # As schema version 1 left it: without the columns added since.
        for table, columns in (
            ("vacancy_observation", ("is_ai", "key_skills", "description_length", "provenance", "scenario", "seed")),
            ("resume_observation", ("is_ai", "key_skills", "provenance", "scenario", "seed")),
        ):
            for column in columns:
                store.con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        store.con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="older talentflow \\(schema version 1, this one reads 2\\)"):
        Store(db, read_only=True)
    with Store(db) as store:
        assert store.con.execute("SELECT provenance, is_ai FROM vacancy_observation").fetchall() == [("observed", None)]
        assert store.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("2",)
    Store(db, read_only=True).close()


# -- one kind at a time: a query of one kind ignores the other -----------------------------------------------
@pytest.fixture(scope="module")
def kinds(tmp_path_factory: pytest.TempPathFactory) -> kinds_fixture.Stores:
    return kinds_fixture.build(tmp_path_factory.mktemp("kinds"))


INDICATOR_CASES = {
    "vacancies_active": Params("month", (Segment("country"),), min_cell=0),
    "tension": Params("month", (Segment("is_it"),), min_cell=0),
    "relocation_share": Params("quarter", min_cell=0),
    "salary": Params("quarter", min_cell=0),
}


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    approx = [c for c in a.columns if c in ("q1", "median", "q3")]
    exact = [c for c in a.columns if c not in approx]
    pd.testing.assert_frame_equal(a[exact], b[exact], check_dtype=False, check_exact=True)
    pd.testing.assert_frame_equal(a[approx], b[approx], check_dtype=False, rtol=1e-9)


@pytest.mark.parametrize("name", list(INDICATOR_CASES))
def test_an_indicator_reads_one_kind_and_real_by_default(kinds: kinds_fixture.Stores, name: str) -> None:
    params = INDICATOR_CASES[name]
    frames = {}
    for data, alone in (("real", kinds.real), ("simulated", kinds.simulated)):
        asked = replace(params, data=data)
        frames[data] = compute(name, asked, db=kinds.mixed).frame
        assert len(frames[data]) > 0
        _same(frames[data], compute(name, asked, db=alone).frame)
    assert params.data == "real"
    _same(compute(name, params, db=kinds.mixed).frame, frames["real"])
    # The two kinds hold other records: neither answer is the other's, nor their sum.
    assert not frames["real"].equals(frames["simulated"])


def test_an_indicator_reads_one_kind_on_spark(kinds: kinds_fixture.Stores, spark_local) -> None:
    spark = SparkEngine(export_parquet(kinds.mixed), spark_local)
    for name in ("vacancies_active", "tension"):
        for data, alone in (("real", kinds.real), ("simulated", kinds.simulated)):
            asked = replace(INDICATOR_CASES[name], data=data)
            _same(compute_on(spark, name, asked).frame, compute(name, asked, db=alone).frame)


def test_a_kind_the_store_lacks_is_said_and_published_tables_are_real(kinds: kinds_fixture.Stores, cli) -> None:
    with pytest.raises(UsageError, match="no simulated records in vacancy_observation") as raised:
        compute("vacancies_active", Params(data="simulated"), db=kinds.real)
    assert raised.value.param == "data"
    with pytest.raises(UsageError, match="no real records in resume_observation"):
        compute("resumes_active", Params(), db=kinds.simulated)
    with pytest.raises(UsageError, match="data: unknown data 'both'; choose real or simulated"):
        Params(data="both")
    # Published series are real: asked for simulated data they are empty, and the result says why.
    result = compute("series", Params("day", min_cell=0, data="simulated"), db=kinds.mixed)
    assert result.frame.empty
    assert "series holds published figures, real data only: asked for simulated data, it is empty" in result.notes
    # The command line: --data, real by default, its error naming the option.
    args = ["indicators", "vacancies_active", "--db", kinds.simulated, "--format", "json"]
    assert "--data: no real records in vacancy_observation" in cli(*args, code=2).stderr
    rows = json.loads(cli(*args, "--data", "simulated").stdout)
    expected = compute("vacancies_active", Params(data="simulated"), db=kinds.simulated).records()
    assert rows == expected
    assert "Invalid value for '--data'" in cli(*args, "--data", "both", code=2).stderr


def test_the_panel_reads_one_kind_and_real_by_default(kinds: kinds_fixture.Stores, cli) -> None:
    with Store(kinds.mixed, read_only=True) as mixed:
        panels = {data: load_panel(mixed, data=data) for data in ("real", "simulated")}
        default = load_panel(mixed)
    for data, alone in (("real", kinds.real), ("simulated", kinds.simulated)):
        with Store(alone, read_only=True) as store:
            expected = load_panel(store, data=data)
        got = panels[data]
        assert (got.months, got.sightings, got.data) == (expected.months, expected.sightings, data)
        np.testing.assert_array_equal(got.obs, expected.obs)
    np.testing.assert_array_equal(default.obs, panels["real"].obs)
    assert panels["real"].people != panels["simulated"].people
    with Store(kinds.real, read_only=True) as store, pytest.raises(UsageError, match="no simulated resume sightings"):
        load_panel(store, data="simulated")
    with pytest.raises(UsageError, match="data: unknown data"):
        PanelRequest(data="observed")
    # The command line: `migration panel --data simulated` on the mixed store is the simulated store's panel.
    # The simplest model is the quickest: the test is about which records are read.
    args = ["migration", "panel", "--n-boot", "3", "--from", "2022-02", "--to", "2022-04", "--format", "json"]
    args += ["--model", "simple"]
    for data, alone in (("real", kinds.real), ("simulated", kinds.simulated)):
        on_mixed = json.loads(cli(*args, "--data", data, "--db", kinds.mixed).stdout)
        assert on_mixed == json.loads(cli(*args, "--data", data, "--db", alone).stdout)
    assert json.loads(cli(*args, "--db", kinds.mixed).stdout) == json.loads(cli(*args, "--db", kinds.real).stdout)


def test_the_nowcast_pools_real_inputs_only_with_real_data(kinds: kinds_fixture.Stores) -> None:
    with Store(kinds.mixed, read_only=True) as store:
        real = estimate(NowcastRequest(n_boot=3), store)
        census = Population(1_000_000, "2021-12", "a census")
        given = estimate(NowcastRequest(n_boot=3, population=census), store)
        simulated = estimate(NowcastRequest(n_boot=3, data="simulated"), store)
    assert {"panel net", "claim A5-abroad", "nowcast"} <= set(given.rows.input)
    # The default population is A5's own figure: a panel scaled by it is not pooled with A5 (circular).
    assert {"panel net", "nowcast"} <= set(real.rows.input) and "claim A5-abroad" not in set(real.rows.input)
    assert any(note.startswith("left out: claim A5-abroad") for note in real.notes)
    # Simulated data stands alone: the claims are about the real world.
    assert set(simulated.rows.input) == {"panel net", "panel emigration", "nowcast"}
    assert any("not pooled" in note for note in simulated.notes)


def test_the_claims_comparison_reads_one_kind_and_says_which(
    kinds: kinds_fixture.Stores, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from talentflow.claims import estimators

    # Five replicates of the simple model instead of the defaults: the test is about which records are read, not
    # the interval.
    monkeypatch.setattr(estimators, "CLAIM_N_BOOT", 5)
    monkeypatch.setattr(estimators, "CLAIM_MODEL", "simple")
    claims = [c for c in builtin_claims().claims if c.claim_id in ("B1-vacancies-jan", "B2-mar", "A1-forecast", "A6")]
    cols = ["claim_id", "estimate", "low", "high", "status", "data", "note", "inputs"]
    frames = {}
    with Store(kinds.mixed, read_only=True) as mixed:
        for data, alone in (("real", kinds.real), ("simulated", kinds.simulated)):
            frames[data] = compare(mixed, claims, data=data)
            with Store(alone, read_only=True) as store:
                pd.testing.assert_frame_equal(frames[data][cols], compare(store, claims, data=data)[cols])
        default = compare(mixed, claims)
    pd.testing.assert_frame_equal(default[cols], frames["real"][cols])
    for data, frame in frames.items():
        rows = frame.set_index("claim_id")
        assert rows.loc["B1-vacancies-jan", "data"] == data and rows.loc["B1-vacancies-jan", "status"] != "no estimate"
        assert f"{data} data, is_it=true" in rows.loc["B1-vacancies-jan", "inputs"]
        assert rows.loc["A6", "data"] == "none" and rows.loc["A6", "status"] == "no estimate"
    assert frames["real"].estimate.iloc[0] != frames["simulated"].estimate.iloc[0]
    # Nothing of the kind asked for: no estimate, and the reason names the kind.
    with Store(kinds.simulated, read_only=True) as store:
        none = compare(store, claims).set_index("claim_id")
    assert set(none.data) == {"none"}
    assert none.loc["B1-vacancies-jan", "note"] == "no real vacancy_observation records in the store"
    assert none.loc["A1-forecast", "note"] == "no real resume sightings in the store"
    # The command line shows the kind of each row.
    args = ["claims", "compare", "--db", kinds.mixed, "--format", "json"]
    rows = {r["claim_id"]: r for r in json.loads(cli(*args, "--data", "simulated").stdout)}
    assert rows["B1-vacancies-jan"]["data"] == "simulated" and rows["A6"]["data"] == "none"
    table = cli("claims", "compare", "--db", kinds.mixed)
    assert "(real data)" in table.stdout and "real data:" in table.stderr
