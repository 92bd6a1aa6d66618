"""Flat files in the wild: hh.ru answers flattened by pandas, display names, defaults, mapping files.

The equality test builds vacancies from the hh.ru API examples, writes them as API JSON and as the CSV files a
scraper writes with pandas (``json_normalize`` with ``_`` or ``.``, display names instead of ids, the index column
``to_csv`` adds), ingests each into its own store and compares what the two stores hold and compute.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from talentflow import Store, ingest
from talentflow.indicators import Params, Segment, compute

EXAMPLES = "hh-api/examples"
DICTIONARIES = "hh-api/dictionaries/dictionaries_2024-12.json"
OBSERVED = "2022-07-01T00:00:00+00:00"
#: (id, name) of areas the store knows without the area tree.
AREAS = [("1", "Москва"), ("2", "Санкт-Петербург"), ("3", "Екатеринбург"), ("88", "Казань"), ("160", "Алматы")]
ROLES = [("96", "Программист, разработчик"), ("124", "Тестировщик"), ("165", "Дата-сайентист"), ("40", "Другое")]
SKILLS = [["Python", "SQL"], ["Machine learning", "PyTorch"], [], ["Прием посетителей", "1С: Бухгалтерия"]]
TITLES = ["Секретарь", "Python developer", "ML-инженер", "Тестировщик", "Бухгалтер"]
COLUMNS = (
    "vacancy_id, title, role_ids, is_it, employer_id, employer_name, area_id, area_name, region, country, "
    "published_at, created_at, observed_at, observed_basis, archived, salary_from, salary_to, currency, "
    "salary_gross, schedule, is_remote, experience, employment, is_ai, key_skills, description_length"
)


def _api_records(shared: Path) -> tuple[list[dict], list[dict]]:
    """48 full vacancies and 40 search items made from the API examples, their values varied."""
    full = json.loads((shared / EXAMPLES / "vacancy_full.json").read_text(encoding="utf-8"))
    item = json.loads((shared / EXAMPLES / "vacancy_search_response.json").read_text(encoding="utf-8"))["items"][0]
    names = json.loads((shared / DICTIONARIES).read_text(encoding="utf-8"))
    schedule, experience, employment = (
        [{"id": d["id"], "name": d["name"]} for d in names[k]] for k in ("schedule", "experience", "employment")
    )

    def vary(base: dict, i: int, vid: int) -> dict:
        v = copy.deepcopy(base)
        area_id, area_name = AREAS[i % len(AREAS)]
        day = f"2022-{1 + i % 6:02d}-{1 + (7 * i) % 27:02d}T{8 + i % 10:02d}:15:00+0300"
        v.update(
            id=str(vid),
            name=TITLES[i % len(TITLES)],
            area={"url": f"https://api.hh.ru/areas/{area_id}", "id": area_id, "name": area_name},
            published_at=day,
            schedule=schedule[i % len(schedule)],
            salary=None
            if i % 3 == 0
            else {"from": 40_000 + 1_000 * i, "to": None if i % 2 else 90_000, "currency": "RUR", "gross": i % 2 == 0},
        )
        return v

    fulls = []
    for i in range(48):
        v = vary(full, i, 9_000_000 + i)
        role_id, role_name = ROLES[i % len(ROLES)]
        v.update(
            created_at=v["published_at"],
            experience=experience[(i // 2) % len(experience)],
            employment=employment[(i // 3) % len(employment)],
            professional_roles=[{"id": role_id, "name": role_name}],
            key_skills=[{"name": s} for s in SKILLS[i % len(SKILLS)]],
            description="<p>Обязанности: <b>вести</b> документооборот</p>" + "<br/>опыт" * (i % 5),
        )
        fulls.append(v)
    items = [vary(item, i, 9_100_000 + i) for i in range(40)]
    return fulls, items


def _flat_csv(records: list[dict], sep: str, path: Path) -> Path:
    """The records as a scraper writes them: json_normalize, display names kept in place of ids, to_csv with its
    index column."""
    frame = pd.json_normalize(records, sep=sep)
    for key in ("schedule", "experience", "employment"):
        if f"{key}{sep}id" in frame.columns:
            frame = frame.drop(columns=[f"{key}{sep}id"])
    frame.to_csv(path)
    return path


def _rows(db: Path) -> list[tuple]:
    with Store(db) as store:
        return store.con.execute(f"SELECT {COLUMNS} FROM vacancy_observation ORDER BY vacancy_id").fetchall()


@pytest.fixture(scope="module")
def stores(shared, tmp_path_factory) -> dict[str, Path]:
    """One store of the API JSON, and two of the flattened CSV files (``_`` for the full vacancies and ``.`` for
    the search items, and the other way round)."""
    folder = tmp_path_factory.mktemp("flat")
    fulls, items = _api_records(shared)
    (folder / "full.ndjson").write_text("".join(json.dumps(v, ensure_ascii=False) + "\n" for v in fulls))
    (folder / "page.json").write_text(json.dumps({"items": items, "page": 0, "pages": 1}, ensure_ascii=False))
    out = {"api": folder / "api.duckdb", "flat_a": folder / "flat_a.duckdb", "flat_b": folder / "flat_b.duckdb"}
    api = ingest(
        [folder / "full.ndjson", folder / "page.json"], db=out["api"], observed_at=datetime.fromisoformat(OBSERVED)
    )
    assert api.accepted == 88 and api.quarantined == 0
    for name, (full_sep, item_sep) in (("flat_a", ("_", ".")), ("flat_b", (".", "_"))):
        files = [
            _flat_csv(fulls, full_sep, folder / f"{name}_full.csv"),
            _flat_csv(items, item_sep, folder / f"{name}_items.csv"),
        ]
        report = ingest(files, db=out[name], observed_at=datetime.fromisoformat(OBSERVED))
        assert (report.read, report.accepted, report.quarantined) == (88, 88, 0), report.to_dict()
        for i in report.inputs:
            assert i.mapping is not None and i.mapping["layout"] == "hh-flat"
            assert i.mapping["ignored"][0]["position"] == 1  # pandas' index column
    return out


@pytest.mark.parametrize("flat", ["flat_a", "flat_b"])
def test_flattened_files_hold_what_the_api_json_holds(stores, flat):
    api, other = _rows(stores["api"]), _rows(stores[flat])
    assert len(api) == 88
    assert other == api


@pytest.mark.parametrize("flat", ["flat_a", "flat_b"])
def test_remote_share_and_experience_segments_are_equal(stores, flat):
    params = Params("month", (Segment("experience"),), min_cell=0)
    for name in ("remote_share", "vacancies_new"):
        api = compute(name, params, db=stores["api"]).frame
        other = compute(name, params, db=stores[flat]).frame
        pd.testing.assert_frame_equal(api, other)
    figures = {}
    for side in ("api", flat):
        with Store(stores[side]) as store:
            remote = store.con.execute(
                "SELECT count(*) FILTER (WHERE is_remote), count(is_remote) FROM vacancy_observation"
            ).fetchone()
            experience = dict(
                store.con.execute(
                    "SELECT coalesce(experience, '-'), count(*) FROM vacancy_observation GROUP BY ALL"
                ).fetchall()
            )
        figures[side] = (remote, experience)
    assert figures["api"] == figures[flat]
    # 88 vacancies: every fifth has schedule remote (9 of 48 full, 8 of 40 items); the full ones carry experience.
    assert figures["api"] == (
        (17, 88),
        {"noExperience": 12, "between1And3": 12, "between3And6": 12, "moreThan6": 12, "-": 40},
    )


# -- the file of the issue -------------------------------------------------------------------------------------
ISSUE_HEADER = (
    ",id,name,created_at,area,employer,experience,employment,schedule,description,responsibility,requirement,"
    "key_skills,salary_from,salary_to"
)
ISSUE_ROWS = [
    "0,101,Python developer,2022-03-01T10:00:00+0300,Москва,Яндекс,От 1 года до 3 лет,Полная занятость,"
    "Удаленная работа,<p>Write <b>code</b></p>,Code,Python,\"['Python', 'SQL']\",150000.0,200000.0",
    "1,102,Тестировщик,2022-03-02T10:00:00+0300,Санкт-Петербург,Ozon,Нет опыта,Полная занятость,Полный день,"
    "<p>Test</p>,Test,QA,[],,",
    "2,103,Data scientist,2022-03-03T10:00:00+0300,Казань,Тинькофф,От 3 до 6 лет,Частичная занятость,"
    '"Удалённая работа",<p>Models</p>,ML,Python,"[\'Machine learning\']",250000.0,',
    "3,104,Курьер,2022-03-04T10:00:00+0300,Екатеринбург,Самокат,Нет опыта,Полная занятость,Сменный график,"
    "<p>Deliver</p>,Deliver,,,60000.0,",
]


def _issue_file(tmp_path: Path) -> Path:
    path = tmp_path / "hh_scraped.csv"
    path.write_text(ISSUE_HEADER + "\n" + "\n".join(ISSUE_ROWS) + "\n", encoding="utf-8")
    return path


def test_the_file_of_the_issue_ingests_with_one_command(tmp_path, db, cli):
    path = _issue_file(tmp_path)
    # Without a currency the amounts cannot be stored, and the warning says what to do.
    without = cli.json("ingest", path, "--db", tmp_path / "without.duckdb")
    assert (without["accepted"], without["quarantined"]) == (1, 3)
    assert any("--currency" in w for w in without["inputs"][0]["warnings"])

    result = cli.json("ingest", path, "--db", db, "--currency", "RUB")
    assert (result["read"], result["accepted"], result["quarantined"]) == (4, 4, 0)
    report = result["inputs"][0]
    assert report["mapping"]["layout"] == "hh-flat"
    assert report["mapping"]["columns"]["schedule"] == "schedule"
    assert report["mapping"]["derived"] == {"published_at": "created_at"}
    assert report["mapping"]["defaults"] == {"currency": "RUB"}
    assert report["mapping"]["unused"] == ["responsibility", "requirement"]
    assert report["warnings"] == ["column 1 ignored: no name (the index pandas writes)"]
    with Store(db) as store:
        rows = store.con.execute(
            "SELECT vacancy_id, schedule, is_remote, experience, employment, area_id, country, employer_name, "
            "currency, key_skills, description_length, is_ai FROM vacancy_observation ORDER BY vacancy_id"
        ).fetchall()
        (options,) = store.con.execute("SELECT options FROM ingest_log WHERE ingest_id = 1").fetchone()
    assert rows == [
        ("101", "remote", True, "between1And3", "full", "1", "RU", "Яндекс", "RUB", ["Python", "SQL"], 10, False),
        ("102", "fullDay", False, "noExperience", "full", "2", "RU", "Ozon", None, [], 4, False),
        ("103", "remote", True, "between3And6", "part", "88", "RU", "Тинькофф", "RUB", ["Machine learning"], 6, True),
        ("104", "shift", False, "noExperience", "full", "3", "RU", "Самокат", "RUB", None, 7, False),
    ]
    assert json.loads(options)["defaults"] == {"currency": "RUB"}
    with Store(db) as store:
        share = store.con.execute("SELECT avg(is_remote::INTEGER) FROM vacancy_observation").fetchone()[0]
    assert share == 0.5
    # One row per vacancy cannot give active stocks: the stock indicators say so rather than show zeros silently.
    active = compute("remote_share", Params("month", min_cell=0), db=db)
    assert "every one of the 4 vacancies in the data was seen once" in active.notes[0]
    # Other defaults are another ingest of the same bytes: read again, every record a duplicate.
    again = cli.json("ingest", path, "--db", db, "--currency", "RUB", "--it")
    assert (again["duplicates"], again["inputs"][0]["already_ingested"]) == (4, False)
    assert cli.json("ingest", path, "--db", db, "--currency", "RUB")["inputs"][0]["already_ingested"]


def test_the_table_output_says_how_the_file_was_read(tmp_path, db, cli):
    result = cli("ingest", _issue_file(tmp_path), "--db", db, "--currency", "RUB")
    said = " ".join(result.stderr.split())
    assert "read as hh-flat: id → vacancy_id, name → title" in said
    assert "published_at from created_at" in said and "defaults currency=RUB" in said
    assert "column 1 ignored" in said


# -- display names ---------------------------------------------------------------------------------------------
SCHEDULES = {
    "remote": "remote",
    "REMOTE": "remote",
    "Удаленная работа": "remote",
    "  удалённая   РАБОТА ": "remote",
    "Remote working": "remote",
    "remote work": "remote",
    "{'id': 'remote', 'name': 'Удаленная работа'}": "remote",
    "fullDay": "fullDay",
    "Полный день": "fullDay",
    "full day": "fullDay",
    "fly_in_fly_out": "flyInFlyOut",
    "Вахтовый метод": "flyInFlyOut",
}
EXPERIENCES = {
    "between1And3": "between1And3",
    "От 1 года до 3 лет": "between1And3",
    "Between 1 and 3 years": "between1And3",
    "нет опыта": "noExperience",
    "No experience": "noExperience",
    "Более 6 лет": "moreThan6",
    "More than 6 years": "moreThan6",
}
EMPLOYMENTS = {"full": "full", "Полная занятость": "full", "Full employment": "full", "Стажировка": "probation"}


def _values_file(tmp_path: Path, column: str, values: list[str]) -> Path:
    frame = pd.DataFrame(
        {
            "id": [str(i) for i in range(len(values))],
            "name": "QA",
            "published_at": "2022-03-01T10:00:00+0300",
            column: values,
        }
    )
    path = tmp_path / f"{column}.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("column", "names"), [("schedule", SCHEDULES), ("experience", EXPERIENCES),
                                                ("employment", EMPLOYMENTS)])  # fmt: skip
def test_display_names_map_to_the_ids_of_the_api(tmp_path, db, column, names):
    unknown = ["Пятидневка", "Пятидневка", "по договорённости"]
    path = _values_file(tmp_path, column, [*names, *unknown])
    report = ingest([path], db=db)
    assert report.accepted == len(names) + 3
    with Store(db) as store:
        got = dict(store.con.execute(f"SELECT vacancy_id, {column} FROM vacancy_observation").fetchall())
    assert [got[str(i)] for i in range(len(names))] == list(names.values())
    assert got[str(len(names))] == "Пятидневка"  # unknown: kept as written
    assert report.inputs[0].warnings == [
        f"{column}: 2 values not an hh.ru {column}, in 3 records: «Пятидневка», «по договорённости»; kept as written"
        + (" (is_remote unknown)" if column == "schedule" else "")
    ]


def test_an_unknown_schedule_is_not_taken_as_not_remote(tmp_path, db):
    ingest([_values_file(tmp_path, "schedule", ["Удаленка", "Полный день", "Удаленная работа"])], db=db)
    with Store(db) as store:
        remote = store.con.execute("SELECT schedule, is_remote FROM vacancy_observation ORDER BY vacancy_id").fetchall()
    assert remote == [("Удаленка", None), ("fullDay", False), ("remote", True)]


def test_roles_and_areas_by_name(tmp_path, db):
    frame = pd.DataFrame(
        {
            "id": ["1", "2", "3", "4", "5"],
            "name": ["Dev", "QA", "Analyst", "Driver", "Dev"],
            "published_at": "2022-03-01",
            "professional_roles": [
                "[{'id': '96', 'name': 'Программист, разработчик'}]",
                "Тестировщик",
                "Программист, разработчик; Аналитик",
                "Водитель",
                "Погонщик верблюдов",
            ],
            "area": ["Moscow", "санкт-петербург", "2759", "{'id': '160', 'name': 'Алматы'}", "Урюпинск"],
        }
    )
    path = tmp_path / "roles.csv"
    frame.to_csv(path, index=False)
    report = ingest([path], db=db)
    with Store(db) as store:
        rows = store.con.execute(
            "SELECT role_ids, is_it, area_id, area_name, country FROM vacancy_observation ORDER BY vacancy_id"
        ).fetchall()
    assert rows == [
        (["96"], True, "1", "Moscow", "RU"),
        (["124"], True, "2", "санкт-петербург", "RU"),
        (["96", "10"], True, "2759", None, "UZ"),
        (["21"], False, "160", "Алматы", "KZ"),
        (["Погонщик верблюдов"], None, None, "Урюпинск", None),
    ]
    warnings = report.inputs[0].warnings
    assert "role_ids: 1 value not an hh.ru professional role, in 1 record: «Погонщик верблюдов»; kept as written" in (
        warnings
    )
    assert any(w.startswith("1 records have an area name the area tree does not place in one country: «Урюпинск» (1)")
               for w in warnings)  # fmt: skip


# -- mapping files, suggestions and defaults through the command line ------------------------------------------
def test_suggest_map_prints_a_mapping_file_that_ingests(tmp_path, db, cli):
    path = tmp_path / "export.csv"
    path.write_text(
        "ref,posted,city,pay,cur,notes\nA1,2022-03-01,Москва,100000,RUR,x\nA2,2022-03-02,Москва,abc,RUR,y\n"
    )
    suggested = cli("ingest", "--suggest-map", path).stdout
    assert "matches no layout" in suggested and '# "posted" = ""' in suggested
    assert not db.exists()  # nothing ingested
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        suggested.replace('# "ref" = ""', '"ref" = "vacancy_id"')
        .replace('# "posted" = ""', '"posted" = "published_at"')
        .replace('# "city" = ""', '"city" = "area_name"')
        .replace('# "pay" = ""', '"pay" = "salary_from"')
        .replace('# "cur" = ""', '"cur" = "currency"')
        .replace("# is_it = true", "is_it = true")
    )
    result = cli.json("ingest", path, "--db", db, "--map-file", mapping)
    assert (result["accepted"], result["quarantined"]) == (1, 1)
    assert result["inputs"][0]["mapping"]["layout"] == "mapping"
    assert result["inputs"][0]["mapping"]["defaults"] == {"is_it": "true"}
    # --map overrides the file: "notes" read as the title.
    again = cli.json("ingest", path, "--db", db, "--map-file", mapping, "--map", "notes=title")
    assert again["inputs"][0]["mapping"]["columns"]["notes"] == "title"
    with Store(db) as store:
        rows = store.con.execute(
            "SELECT vacancy_id, title, area_id, is_it, salary_from, currency FROM vacancy_observation ORDER BY ALL"
        ).fetchall()
    # The second ingest read the file again (other options): its record is stored and its bad row quarantined
    # already, so both are duplicates.
    assert (again["duplicates"], again["quarantined"]) == (2, 0)
    assert rows == [("A1", None, "1", True, 100000.0, "RUB")]


def test_suggest_map_of_a_flattened_vacancy_reads_the_layout(tmp_path, cli):
    path = _issue_file(tmp_path)
    suggested = cli("ingest", "--suggest-map", path).stdout
    assert "matches the layout hh-flat" in suggested
    assert '"schedule" = "schedule"' in suggested and '# "#1" = ""  # not read: no name' in suggested
    assert '# currency = "RUB"' in suggested
    import tomllib

    assert tomllib.loads(suggested)["map"]["id"] == "vacancy_id"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[map]\nref = 3\n", "expected a field name"),
        ('[map]\nnope = "title"\n', "the mapping names column 'nope', which is not in the header"),
        ('[map]\nref = "titel"\n', "unknown field 'titel'"),
        ('[defaults]\ncurrency = "ZZZ"\n', "not an ISO 4217 currency code"),
        ('[defaults]\nis_it = "maybe"\n', "is_it = 'maybe': expected true or false"),
        ('[defaults]\nvacancy_id = "1"\n', "'vacancy_id': not a field with a default"),
        ('[columns]\nref = "title"\n', "unknown table columns"),
        ("[map\n", "not a TOML mapping file"),
    ],
)
def test_a_bad_mapping_file_is_an_error_naming_what_is_wrong(tmp_path, db, cli, content, message):
    path = tmp_path / "export.csv"
    path.write_text("ref,posted\nA1,2022-03-01\n")
    mapping = tmp_path / "bad.toml"
    mapping.write_text(content)
    result = cli("ingest", path, "--db", db, "--map-file", mapping, "--map", "posted=published_at", code=2)
    assert message in result.stderr
    assert not db.exists()


def test_area_country_and_it_defaults(tmp_path, db, cli):
    path = tmp_path / "city.csv"
    path.write_text(
        "id,name,published_at,salary_from,area\n"
        "1,Dev,2022-03-01,1000,\n"
        "2,QA,2022-03-02,,Казань\n"
        "3,Ops,2022-03-03,,Бобруйск\n"
    )
    result = cli.json("ingest", path, "--db", db, "--area", "Moscow", "--country", "ru", "--it", "--currency", "usd")
    assert result["inputs"][0]["mapping"]["defaults"] == {
        "area": "Moscow",
        "country": "RU",
        "currency": "USD",
        "is_it": "true",
    }
    with Store(db) as store:
        rows = store.con.execute(
            "SELECT vacancy_id, area_id, area_name, country, is_it, currency FROM vacancy_observation ORDER BY 1"
        ).fetchall()
        (options,) = store.con.execute("SELECT options FROM ingest_log").fetchone()
    assert rows == [
        ("1", "1", "Moscow", "RU", True, "USD"),  # no area: the default
        ("2", "88", "Казань", "RU", True, None),  # its own area
        ("3", None, "Бобруйск", "RU", True, None),  # not in the tree: the country of the file
    ]
    assert json.loads(options)["defaults"] == {"area": "Moscow", "country": "RU", "currency": "USD", "is_it": "true"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--area", "Moskva"], "--area: 'Moskva': no area of that name in the area tree"),
        (["--area", "99999999"], "--area: '99999999' is not an area id"),
        (["--country", "Russia"], "--country: 'RUSSIA': not an ISO 3166-1 alpha-2 country"),
        (["--currency", "roubles"], "--currency: 'roubles': not an ISO 4217 currency code"),
    ],
)
def test_bad_defaults_are_errors_naming_the_option(tmp_path, db, cli, args, message):
    path = tmp_path / "city.csv"
    path.write_text("id,name,published_at\n1,Dev,2022-03-01\n")
    result = cli("ingest", path, "--db", db, *args, code=2)
    assert message in " ".join(result.stderr.split())


def test_defaults_apply_to_flat_inputs_only(tmp_path, db, cli):
    path = tmp_path / "v.ndjson"
    path.write_text('{"id": "1", "name": "QA", "published_at": "2022-03-01T10:00:00+0300"}\n')
    result = cli("ingest", path, "--db", db, "--input-format", "hh", "--currency", "RUB", code=2)
    assert "applies to CSV and Parquet inputs" in result.stderr


# -- columns that are not data, and names that are not SQL -----------------------------------------------------
def test_index_unnamed_and_repeated_columns_are_ignored_and_said(tmp_path, db):
    path = tmp_path / "messy.csv"
    path.write_text(
        "Unnamed: 0,id,name,name,published_at,\n0,1,Dev,Разработчик,2022-03-01,\n1,2,QA,Тестировщик,2022-03-02,x\n"
    )
    report = ingest([path], db=db)
    assert (report.accepted, report.quarantined) == (2, 0)
    assert report.inputs[0].warnings == [
        "column 1 'Unnamed: 0' ignored: pandas' name for a column without one (an index written and read back)",
        "column 4 'name' ignored: a second column named 'name' (column 3 is read)",
        "column 6 ignored: no name",
    ]
    with Store(db) as store:
        assert store.con.execute("SELECT title FROM vacancy_observation ORDER BY 1").fetchall() == [("Dev",), ("QA",)]


def test_a_repeated_column_is_mapped_by_its_position(tmp_path, db, cli):
    path = tmp_path / "messy.csv"
    path.write_text("id,name,name,published_at\n1,Dev,Разработчик,2022-03-01\n")
    error = cli("ingest", path, "--db", db, "--map", "name=title", code=2).stderr
    assert "the header has 2 columns named 'name' (#2, #3)" in " ".join(error.split())
    cli("ingest", path, "--db", db, "--map", "#3=title")
    with Store(db) as store:
        assert store.con.execute("SELECT title FROM vacancy_observation").fetchall() == [("Разработчик",)]


def test_column_names_are_never_sql(tmp_path, db, cli):
    weird = ['id"; DROP TABLE vacancy_observation; --', 'name", (SELECT 1) AS "x', "'); DELETE FROM area; --"]
    frame = pd.DataFrame({weird[0]: ["1", "2"], weird[1]: ["Dev", "QA"], weird[2]: ["2022-03-01", "2022-03-02"]})
    path = tmp_path / "weird.csv"
    frame.to_csv(path, index=False)
    maps = [f"{weird[0]}=vacancy_id", f"{weird[1]}=title", f"{weird[2]}=published_at"]
    result = cli.json("ingest", path, "--db", db, *(x for m in maps for x in ("--map", m)))
    assert result["accepted"] == 2
    assert result["inputs"][0]["mapping"]["columns"] == dict(
        zip(weird, ["vacancy_id", "title", "published_at"], strict=True)
    )
    with Store(db) as store:
        assert store.con.execute("SELECT vacancy_id, title FROM vacancy_observation ORDER BY 1").fetchall() == [
            ("1", "Dev"),
            ("2", "QA"),
        ]
        assert store.count("area") > 0
    # The same names in a Parquet file.
    frame.to_parquet(tmp_path / "weird.parquet")
    again = cli.json("ingest", tmp_path / "weird.parquet", "--db", db, *(x for m in maps for x in ("--map", m)))
    assert (again["read"], again["duplicates"]) == (2, 2)


def test_parquet_lists_and_objects(tmp_path, db):
    frame = pd.DataFrame(
        {
            "id": ["1", "2"],
            "name": ["ML engineer", "Courier"],
            "published_at": ["2022-03-01T10:00:00+03:00", "2022-03-02T10:00:00+03:00"],
            "area": [{"id": "1", "name": "Москва"}, {"id": "2", "name": "Санкт-Петербург"}],
            "schedule": [{"id": "remote", "name": "Удаленная работа"}, {"id": "shift", "name": "Сменный график"}],
            "key_skills": [["PyTorch", "SQL, advanced"], []],
            "salary": [{"from": 1000.0, "to": None, "currency": "USD", "gross": True}, None],
        },
        index=pd.Index([10, 11], name="row"),  # not a plain range: pandas stores it as a column
    )
    path = tmp_path / "vacancies.parquet"
    frame.to_parquet(path)
    report = ingest([path], db=db)
    assert (report.accepted, report.quarantined) == (2, 0), report.to_dict()
    with Store(db) as store:
        rows = store.con.execute(
            "SELECT area_id, schedule, is_remote, key_skills, salary_from, currency, salary_gross, is_ai "
            "FROM vacancy_observation ORDER BY vacancy_id"
        ).fetchall()
    assert rows == [
        ("1", "remote", True, ["PyTorch", "SQL, advanced"], 1000.0, "USD", True, True),
        ("2", "shift", False, [], None, None, None, False),
    ]


def test_a_dataframe_written_whole_reads_its_objects(tmp_path, db, shared):
    """pd.DataFrame(items).to_csv(): areas, salaries, schedules as Python's text of the objects."""
    _, items = _api_records(shared)
    path = tmp_path / "items.csv"
    pd.DataFrame(items[:10]).to_csv(path)
    report = ingest([path], db=db)
    assert (report.accepted, report.quarantined) == (10, 0), report.to_dict()
    with Store(db) as store:
        rows = store.con.execute(
            "SELECT vacancy_id, area_id, employer_id, employer_name, schedule, salary_from, currency, salary_gross "
            "FROM vacancy_observation ORDER BY vacancy_id LIMIT 2"
        ).fetchall()
    assert rows == [
        ("9100000", "1", "1455", "HeadHunter", "fullDay", None, None, None),
        ("9100001", "2", "1455", "HeadHunter", "shift", 41000.0, "RUB", False),
    ]


# -- dictionaries loaded into the store ------------------------------------------------------------------------
def test_reference_dictionaries_loads_names_and_fixes_stored_records(tmp_path, db, cli, shared):
    path = _values_file(tmp_path, "schedule", ["Удаленная работа", "Работа по выходным"])
    first = ingest([path], db=db)
    assert "«Работа по выходным»" in first.inputs[0].warnings[0]
    answer = json.loads((shared / DICTIONARIES).read_text(encoding="utf-8"))
    answer["schedule"].append({"id": "weekend", "name": "Работа по выходным", "uid": "weekend"})
    newer = tmp_path / "dictionaries.json"
    newer.write_text(json.dumps(answer, ensure_ascii=False))
    loaded = cli.json("reference", "dictionaries", newer, "--db", db)
    assert loaded["entries"]["schedule"] == 12 and loaded["updated_vacancies"] == 1
    with Store(db) as store:
        rows = store.con.execute("SELECT schedule, is_remote FROM vacancy_observation ORDER BY 1").fetchall()
    assert rows == [("remote", True), ("weekend", False)]
    roles = cli.json(
        "reference", "dictionaries", shared / "hh-api/dictionaries/professional_roles_2024-12.json", "--db", db
    )
    assert roles["entries"] == {"professional_role": 174}
    bad = cli("reference", "dictionaries", shared / "hh-api/dictionaries/areas_2024-12.json", "--db", db, code=2)
    assert "expected hh.ru's GET /dictionaries answer" in bad.stderr


def test_the_shipped_names_are_those_of_the_dump(shared):
    from talentflow.reference.dictionaries import entries_of, shipped_entries

    _, dumped = entries_of(json.loads((shared / DICTIONARIES).read_text(encoding="utf-8")), "dump")
    shipped = set(shipped_entries())
    assert {e for e in dumped if e.dictionary in ("schedule", "experience", "employment")} <= shipped
    _, roles = entries_of(
        json.loads((shared / "hh-api/dictionaries/professional_roles_2024-12.json").read_text(encoding="utf-8")), "r"
    )
    assert set(roles) <= shipped


def test_the_urfu_layouts_say_what_is_it(tmp_path, db, shared):
    """The daily pulls are IT by construction (specialization=1); the multi-year sample mixes jobs (SOURCE.md)."""
    source = shared / "hh-vacancies-urfu"
    daily, sample = tmp_path / "daily.csv", tmp_path / "sample.csv"
    for name, part in (("it_vacancies_daily_2022-12.csv", daily), ("vacancies_sample_2022-01_to_07.csv", sample)):
        lines = (source / name).read_text(encoding="utf-8").splitlines(keepends=True)
        part.write_text("".join(lines[:50]), encoding="utf-8")
    report = ingest([daily, sample], db=db)
    assert [i.mapping["layout"] for i in report.inputs] == ["hh-urfu-daily", "hh-urfu-sample"]
    with Store(db) as store:
        kinds = dict(store.con.execute("SELECT observed_basis, list(DISTINCT is_it) FROM vacancy_observation "
                                       "GROUP BY ALL").fetchall())  # fmt: skip
    assert kinds == {"snapshot": [True], "published_at": [None]}
    # The daily file as one student wrote it, with an index column in front, is the same layout.
    indexed = tmp_path / "indexed.csv"
    lines = daily.read_text(encoding="utf-8").splitlines()
    indexed.write_text("\n".join(["," + lines[0], *(f"{i},{line}" for i, line in enumerate(lines[1:]))]) + "\n")
    again = ingest([indexed], db=db)
    assert again.inputs[0].mapping["layout"] == "hh-urfu-daily" and again.accepted == 0


def test_the_stock_note_needs_every_vacancy_seen_once(tmp_path, db):
    path = _issue_file(tmp_path)
    ingest([path], db=db, currency="RUB")
    params = Params("month", min_cell=0)
    for name in ("vacancies_active", "vacancies_closed", "remote_share"):
        assert "was seen once" in compute(name, params, db=db).notes[0]
    assert not any("seen once" in n for n in compute("vacancies_new", params, db=db).notes)
    # A second pull of the same file: every vacancy has two sightings, and the stocks need no note.
    ingest([path], db=db, currency="RUB", observed_at=datetime.fromisoformat("2022-04-01T00:00:00+00:00"))
    assert not any("seen once" in n for n in compute("vacancies_active", params, db=db).notes)


def test_ingest_help_lists_the_fields(cli):
    text = " ".join(cli("ingest", "--help").stdout.split())
    assert "Fields a CSV or Parquet column can hold" in text
    for field in ("vacancy_id", "key_skills", "description", "work_format", "snapshot_day"):
        assert field in text
