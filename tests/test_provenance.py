"""Where records come from: the simulator marks its own, the store keeps the mark, an older store is brought
up to date; and the AI classification of a record."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from talentflow import Store, StoreError, ingest
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
