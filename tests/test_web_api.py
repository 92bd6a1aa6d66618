"""`talentflow serve`'s JSON API on a store holding a small simulated market and real board records: the CLI's
rows, one kind of data at a time (real by default), errors naming the parameter, the cache, and a store left
untouched."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import warnings
from dataclasses import replace
from datetime import date
from pathlib import Path

import kinds_fixture
import pytest

from talentflow import Store
from talentflow.claims import STATUSES
from talentflow.errors import StoreError
from talentflow.impact import ChangepointRequest, ItsRequest, estimate
from talentflow.indicators import Params, Segment, compute

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # starlette's note about httpx
    from fastapi.testclient import TestClient

from talentflow.web import create_app
from talentflow.web.queries import Limits, dense_months


@pytest.fixture(scope="module")
def kinds(tmp_path_factory: pytest.TempPathFactory) -> kinds_fixture.Stores:
    """exodus-2022 at 2,000 workers (seed 3) simulated, another run (seed 11) standing in for a real board, and
    the two together, each with the built-in claims."""
    return kinds_fixture.build(tmp_path_factory.mktemp("web"), scale=0.002, simulated_seed=3, real_seed=11)


@pytest.fixture(scope="module")
def store(kinds: kinds_fixture.Stores) -> Path:
    """The store holding both kinds: the server's."""
    return kinds.mixed


@pytest.fixture(scope="module")
def client(store: Path) -> TestClient:
    # These tests compare answers with the command line's. The time limit has tests of its own
    # (test_web_hardening); here a fit slowed by a busy machine must not turn into a 503.
    return TestClient(create_app(store, limits=Limits(seconds=900)), base_url="http://localhost")


def cli_json(cli, *args: str | Path):
    return json.loads(cli(*args).stdout)


def test_indicator_list_is_the_cli_list(client: TestClient, cli, store: Path) -> None:
    rows = client.get("/api/indicators").json()
    assert rows == cli_json(cli, "indicators", "list", "--format", "json", "--db", store)
    tension = next(r for r in rows if r["name"] == "tension")
    assert tension["segments"] == ["country", "region", "role", "is_it", "ai", "experience"]
    assert tension["options"]["gap_days"]["default"]


QUERIES = [
    ("vacancies_active", "from=2022-01-01&to=2022-04-30", ["--from", "2022-01-01", "--to", "2022-04-30"]),
    (
        "tension",
        "by=is_it=true&from=2022-01-01&to=2022-03-31",
        ["--by", "is_it=true", "--from", "2022-01-01", "--to", "2022-03-31"],
    ),
    (
        "destination_share",
        "period=quarter&from=2022-01-01&to=2022-06-30&min_cell=0",
        ["--period", "quarter", "--from", "2022-01-01", "--to", "2022-06-30", "--min-cell", "0"],
    ),
    (
        "salary",
        "set=currency=USD&set=basis=net&from=2022-01-01&to=2022-02-28",
        ["--set", "currency=USD", "--set", "basis=net", "--from", "2022-01-01", "--to", "2022-02-28"],
    ),
    (
        "relocation_share",
        "by=country=RU,GE&by=is_it&from=2022-02-01&to=2022-03-31&min_cell=10",
        ["--by", "country=RU,GE", "--by", "is_it", "--from", "2022-02-01", "--to", "2022-03-31", "--min-cell", "10"],
    ),
    ("postings_index", "from=2022-02-01&to=2022-02-14", ["--from", "2022-02-01", "--to", "2022-02-14"]),
    (
        "resumes_active",
        "by=ai=true&by=is_it&from=2022-01-01&to=2022-03-31&min_cell=0",
        ["--by", "ai=true", "--by", "is_it", "--from", "2022-01-01", "--to", "2022-03-31", "--min-cell", "0"],
    ),
    (
        "destination_share",
        "by=group=europe,eu&period=quarter&from=2022-01-01&to=2022-06-30",
        ["--by", "group=europe,eu", "--period", "quarter", "--from", "2022-01-01", "--to", "2022-06-30"],
    ),
]


@pytest.mark.parametrize("data", ["real", "simulated"])
@pytest.mark.parametrize(("name", "query", "args"), QUERIES, ids=[q[0] for q in QUERIES])
def test_indicator_rows_are_the_cli_rows(client: TestClient, cli, store: Path, name, query, args, data) -> None:
    response = client.get(f"/api/indicators/{name}?{query}&data={data}")
    assert response.status_code == 200, response.text
    rows = response.json()
    cli_args = [*args, "--data", data, "--format", "json", "--db", store]
    assert rows and rows == cli_json(cli, "indicators", name, *cli_args)


def test_indicator_values(client: TestClient) -> None:
    active = client.get("/api/indicators/vacancies_active?from=2022-01-01&to=2022-04-30&data=simulated").json()
    assert [(r["period"], r["period_end"], r["vacancies"]) for r in active] == [
        ("2022-01-01", "2022-01-31", 288),
        ("2022-02-01", "2022-02-28", 251),  # exodus-2022's posting freeze (docs/simulator.md)
        ("2022-03-01", "2022-03-31", 201),
        ("2022-04-01", "2022-04-30", 220),
    ]
    tension = client.get("/api/indicators/tension?by=is_it=true&from=2022-01-01&to=2022-03-31&data=simulated").json()
    assert [(r["is_it"], r["resumes"], r["vacancies"], r["band"]) for r in tension] == [
        ("true", 465, 288, "acute shortage"),
        ("true", 476, 251, "acute shortage"),  # 1.90 resumes a vacancy: just under the band's edge of 2
        ("true", 502, 201, "shortage"),
    ]
    assert tension[0]["tension"] == pytest.approx(465 / 288)
    # min_cell blanks small cells and flags them, as the CLI does.
    split = client.get(
        "/api/indicators/relocation_share?by=country&from=2022-02-01&to=2022-02-28&data=simulated"
    ).json()
    small = [r for r in split if r["suppressed"]]
    assert small and all(r["resumes"] is None and r["abroad_share"] is None for r in small)


def test_csv_has_the_json_rows(client: TestClient) -> None:
    query = "/api/indicators/tension?by=is_it&from=2022-01-01&to=2022-06-30&min_cell=240&data=simulated"
    rows = client.get(query).json()
    response = client.get(query + "&format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="tension.csv"' in response.headers["content-disposition"]
    parsed = list(csv.DictReader(io.StringIO(response.text)))
    assert len(parsed) == len(rows) == 6  # the simulated board holds IT records only
    assert list(parsed[0]) == list(rows[0])

    def text(v: object) -> str:
        return "" if v is None else str(v)

    assert [{k: text(v) for k, v in r.items()} for r in rows] == parsed
    # Four months with 240+ vacancies; March and April blanked, empty in the CSV too.
    assert [r["suppressed"] for r in rows] == [False, False, True, True, False, False]
    assert parsed[0]["resumes"] == "465" and parsed[2]["resumes"] == ""


BAD = [
    ("/api/indicators/nope", "name: unknown indicator 'nope'"),
    ("/api/indicators/tension?period=year", "period: unknown period 'year'"),
    ("/api/indicators/postings_index?period=month", "period: postings_index is computed by day, not by month"),
    ("/api/indicators/tension?by=city", "by: unknown segment 'city'"),
    ("/api/indicators/tension?by=remote", "by: tension cannot be split by remote"),
    ("/api/indicators/tension?by=is_it=maybe", "by: is_it: values are true or false, not 'maybe'"),
    ("/api/indicators/tension?by=country&by=country=RU", "by: a segment is given twice"),
    ("/api/indicators/tension?from=2022-13-01", "from: '2022-13-01': expected a date such as 2022-03-01"),
    ("/api/indicators/tension?to=March", "to: 'March': expected a date"),
    ("/api/indicators/tension?from=2022-05-01&to=2022-04-01", "to: 2022-04-01 is before the first day 2022-05-01"),
    ("/api/indicators/tension?set=currency=USD", "set: tension has no option currency; its options are: gap_days"),
    ("/api/indicators/tension?set=gap_days=soon", "set: gap_days=soon: expected a whole number"),
    ("/api/indicators/tension?set=gap_days", "set: 'gap_days': expected KEY=VALUE"),
    ("/api/indicators/tension?min_cell=-1", "min_cell: must be 0 or more, not -1"),
    ("/api/indicators/tension?min_cell=many", "min_cell: Input should be a valid integer"),
    ("/api/indicators/tension?format=xml", "format: unknown format 'xml'"),
    ("/api/indicators/tension?segment=country", "segment: unknown parameter; this endpoint takes: period, by,"),
    ("/api/indicators/tension?kind=simulated", "kind: unknown parameter; this endpoint takes: period, by, from,"),
    ("/api/migration?method=magic", "method: unknown method 'magic'; choose one of: panel, excess, nowcast"),
    ("/api/migration?method=stocks", "stocks reads stock-table files"),
    ("/api/migration?from=2022-13", "from: '2022-13' is not a date"),
    ("/api/migration?to=last+year", "to: expected YYYY-MM or YYYY-MM-DD, got 'last year'"),
    ("/api/migration?origin=Russia", "origin: expected an ISO 3166-1 alpha-2 country code"),
    ("/api/migration?n_boot=0", "n_boot: must be between 1 and 1000"),
    ("/api/migration?method=excess&from=2022-05", "'2022-05' is not a quarter label"),
    ("/api/claims/compare?coverage=2", "coverage: must be in (0, 1]"),
    ("/api/indicators/tension?data=both", "data: unknown data 'both'; choose real or simulated"),
    ("/api/migration?data=observed", "data: unknown data 'observed'; choose real or simulated"),
    ("/api/migration?method=excess&data=simulated", "data: excess reads the GitHub Innovation Graph"),
    ("/api/claims/compare?data=sim", "data: unknown data 'sim'"),
]


@pytest.mark.parametrize(("url", "message"), BAD, ids=[b[0].removeprefix("/api/") for b in BAD])
def test_bad_requests_are_422_naming_the_parameter(client: TestClient, url: str, message: str) -> None:
    response = client.get(url)
    assert response.status_code == 422, response.text
    body = response.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str)
    assert message in body["detail"]


def test_cache_hits_return_the_same_rows_and_follow_the_store(client: TestClient, store: Path) -> None:
    url = "/api/indicators/resumes_active?by=experience&from=2021-06-01&to=2022-06-30&data=simulated"
    first = client.get(url)
    again = client.get(url)
    assert (first.headers["x-talentflow-cache"], again.headers["x-talentflow-cache"]) == ("miss", "hit")
    assert again.content == first.content and len(again.json()) == 13 * 4  # months × experience levels
    # The same request written differently (defaults spelled out) is the same cache entry.
    spelled = client.get(url + "&period=month&min_cell=50")
    assert spelled.headers["x-talentflow-cache"] == "hit" and spelled.content == first.content
    # A changed store file (here only its time) is a new key: the rows are computed again, and equal.
    stat = store.stat()
    os.utime(store, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    try:
        fresh = client.get(url)
        assert fresh.headers["x-talentflow-cache"] == "miss" and fresh.content == first.content
    finally:
        os.utime(store, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_migration_rows_are_the_cli_rows(client: TestClient, cli, store: Path) -> None:
    # The simplest model is the quickest; the default one is asked for once, below.
    rows = client.get("/api/migration?method=panel&n_boot=10&seed=1&data=simulated&model=simple").json()
    args = ["--n-boot", "10", "--seed", "1", "--data", "simulated", "--model", "simple", "--format", "json"]
    expected = cli_json(cli, "migration", "panel", *args, "--db", store)
    assert rows == expected
    assert {r["flow"] for r in rows} >= {"emigration", "return"}
    march = next(r for r in rows if r["flow"] == "emigration" and r["period"] == "2022-03")
    assert march["low"] < march["estimate"] < march["high"] and march["estimate"] > 10_000
    # Another window reuses the fitted panel and still equals the CLI.
    window = client.get("/api/migration?n_boot=10&seed=1&from=2022-03&to=2022-06&data=simulated&model=simple")
    assert window.headers["x-talentflow-cache"] == "miss"
    args = ["--from", "2022-03", "--to", "2022-06", "--n-boot", "10", "--seed", "1", "--data", "simulated"]
    args += ["--model", "simple", "-f", "json"]
    assert window.json() == cli_json(cli, "migration", "panel", *args, "--db", store)
    # The model is part of the fit kept for other windows: the default model is another fit, the CLI's default.
    simple = client.get("/api/migration?n_boot=3&seed=1&from=2022-03&to=2022-06&data=simulated&model=simple")
    default = client.get("/api/migration?n_boot=3&seed=1&from=2022-03&to=2022-06&data=simulated")
    assert simple.json() != default.json()
    args = ["--from", "2022-03", "--to", "2022-06", "--n-boot", "3", "--seed", "1", "--data", "simulated"]
    assert default.json() == cli_json(cli, "migration", "panel", *args, "-f", "json", "--db", store)
    assert client.get("/api/migration?method=excess&model=full").status_code == 422
    assert {r["period"] for r in window.json()} == {"2022-03", "2022-04", "2022-05", "2022-06", "2022-03/2022-06"}


def test_claims_are_the_cli_list(client: TestClient, cli, store: Path) -> None:
    rows = client.get("/api/claims").json()
    assert len(rows) == 27 and rows == cli_json(cli, "claims", "list", "--format", "json", "--db", store)
    tension = client.get("/api/claims?metric=tension").json()
    assert [r["claim_id"] for r in tension] == ["B1-tension-aug", "B1-tension-jan", "B4", "B5-2019"]


def test_store_is_never_written(tmp_path: Path, store: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(store.read_bytes())
    before = (hashlib.sha256(copy.read_bytes()).hexdigest(), copy.stat().st_mtime_ns)
    c = TestClient(create_app(copy), base_url="http://localhost")
    for url in (
        "/api/indicators",
        "/api/indicators/vacancies_new?by=role",
        "/api/indicators/tension?by=is_it&format=csv",
        "/api/claims",
        "/api/status",
        "/api/indicators/nope",
        "/api/indicators/tension?by=country=RU');DROP TABLE claim;--",
    ):
        assert c.get(url).status_code in (200, 422)
    after = (hashlib.sha256(copy.read_bytes()).hexdigest(), copy.stat().st_mtime_ns)
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.duckdb"]  # no WAL, no lock file left
    with Store(copy, read_only=True) as s:
        assert s.counts()["claim"] == 27


def test_status_docs_and_missing_store(client: TestClient, store: Path, tmp_path: Path) -> None:
    status = client.get("/api/status").json()
    assert status["tables"]["vacancy_observation"] == 30_290 + 31_770 and status["tables"]["claim"] == 27
    docs = client.get("/docs")
    assert docs.status_code == 200 and "https://" not in docs.text  # Swagger UI from this server, not a CDN
    assert client.get("/static/docs/swagger-ui-bundle.js").status_code == 200
    assert "/api/indicators/{name}" in client.get("/openapi.json").json()["paths"]
    with pytest.raises(StoreError, match="no store here"):
        create_app(tmp_path / "missing.duckdb")


def test_serve_command_is_registered(cli) -> None:
    help_text = cli("serve", "--help").stdout
    assert "--host" in help_text and "127.0.0.1" in help_text and "--port" in help_text
    assert "--allow-host" in help_text and "--time-limit" in help_text and "--cache-mb" in help_text


@pytest.fixture
def few_replicates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Five replicates of the simple panel model for the claims' migration rows instead of the defaults: these
    tests are about the API giving what the command line gives, not about the intervals."""
    from talentflow.claims import estimators

    monkeypatch.setattr(estimators, "CLAIM_N_BOOT", 5)
    monkeypatch.setattr(estimators, "CLAIM_MODEL", "simple")


@pytest.mark.usefixtures("few_replicates")
def test_claims_compare_is_the_cli_comparison(client: TestClient, cli, store: Path) -> None:
    rows = client.get("/api/claims/compare?coverage=0.002&data=simulated").json()
    args = ["--coverage", "0.002", "--data", "simulated", "--format", "json"]
    assert rows == cli_json(cli, "claims", "compare", *args, "--db", store)
    assert len(rows) == 27 and {r["status"] for r in rows} <= set(STATUSES)
    jan = next(r for r in rows if r["claim_id"] == "B1-vacancies-jan")
    assert jan["estimate"] == pytest.approx(288 / 0.002)  # 288 IT vacancies active at the end of January 2022


# -- one kind at a time --------------------------------------------------------------------------------------
ONE_KIND = [
    (
        "vacancies_active",
        "from=2022-01-01&to=2022-06-30",
        Params("month", start=date(2022, 1, 1), end=date(2022, 6, 30)),
    ),
    ("tension", "by=is_it=true&period=quarter", Params("quarter", (Segment("is_it", ("true",)),))),
]


@pytest.mark.parametrize(("name", "query", "params"), ONE_KIND, ids=[q[0] for q in ONE_KIND])
def test_an_indicator_of_one_kind_ignores_the_other(client: TestClient, kinds, name, query, params) -> None:
    """On the store holding both kinds, each kind's rows are those of the store holding it alone; real by
    default."""
    rows = {}
    for data, alone in (("real", kinds.real), ("simulated", kinds.simulated)):
        rows[data] = client.get(f"/api/indicators/{name}?{query}&data={data}").json()
        assert rows[data] == compute(name, replace(params, data=data), db=alone).records()
    default = client.get(f"/api/indicators/{name}?{query}")
    # The default is real data: the same cache entry as data=real.
    assert default.json() == rows["real"] and default.headers["x-talentflow-cache"] == "hit"
    assert rows["real"] != rows["simulated"]
    # The kind is part of the cache key: asked again, each kind is a hit with its own rows.
    again = client.get(f"/api/indicators/{name}?{query}&data=simulated")
    assert again.headers["x-talentflow-cache"] == "hit" and again.json() == rows["simulated"]


def test_migration_of_one_kind_ignores_the_other(client: TestClient, cli, kinds) -> None:
    args = ["--n-boot", "4", "--from", "2022-02", "--to", "2022-05", "--model", "simple", "--format", "json"]
    rows = {}
    query = "/api/migration?n_boot=4&from=2022-02&to=2022-05&model=simple"
    for data, alone in (("real", kinds.real), ("simulated", kinds.simulated)):
        rows[data] = client.get(f"{query}&data={data}").json()
        assert rows[data] == cli_json(cli, "migration", "panel", *args, "--data", data, "--db", alone)
    assert client.get(query).json() == rows["real"]
    assert rows["real"] != rows["simulated"]


@pytest.mark.usefixtures("few_replicates")
def test_claims_compare_of_one_kind_says_which(client: TestClient, cli, kinds) -> None:
    for data, alone in (("real", kinds.real), ("simulated", kinds.simulated)):
        rows = client.get(f"/api/claims/compare?coverage=0.002&data={data}").json()
        args = ["--coverage", "0.002", "--data", data, "--format", "json"]
        assert rows == cli_json(cli, "claims", "compare", *args, "--db", alone)
        assert {r["data"] for r in rows} == {data, "none"}
        assert all((r["data"] == "none") == (r["status"] == "no estimate") for r in rows)
    assert (
        client.get("/api/claims/compare?coverage=0.002").json()
        == client.get("/api/claims/compare?coverage=0.002&data=real").json()
    )


# -- impact --------------------------------------------------------------------------------------------------
WINDOW = ["--data", "simulated", "--min-cell", "0", "--from", "2021-03-01"]
IMPACT = [
    (
        "method=changepoints&indicator=resumes_active&data=simulated&min_cell=0&from=2021-03-01&to=2022-12-31"
        "&n_boot=19&seed=2",
        ChangepointRequest(
            indicator="resumes_active",
            data="simulated",
            min_cell=0,
            start="2021-03-01",
            end="2022-12-31",
            n_boot=19,
            seed=2,
        ),
        ["changepoints", "resumes_active", *WINDOW, "--to", "2022-12-31", "--n-boot", "19", "--seed", "2"],
    ),
    (
        "method=its&indicator=resumes_active&event=2022-02-24&data=simulated&min_cell=0&from=2021-03-01&n_boot=100",
        ItsRequest(
            indicator="resumes_active",
            event="2022-02-24",
            data="simulated",
            min_cell=0,
            start="2021-03-01",
            n_boot=100,
        ),
        ["its", "resumes_active", "--event", "2022-02-24", *WINDOW, "--n-boot", "100"],
    ),
]


@pytest.mark.parametrize(("query", "request_", "args"), IMPACT, ids=["changepoints", "its"])
def test_impact_is_the_library_estimate(client: TestClient, cli, store: Path, query: str, request_, args) -> None:
    response = client.get(f"/api/impact?{query}")
    assert response.status_code == 200, response.text
    assert response.headers["x-talentflow-data"] == "simulated"
    body = response.json()
    with Store(store, read_only=True) as opened:
        expected = estimate(request_, opened).to_dict()
    assert body == json.loads(json.dumps(expected))
    assert body["rows"] and {"estimate", "low", "high"} <= set(body["rows"][0])
    assert body["tables"]["fit"] and body["stats"]
    # The rows are the CLI's, and the CSV holds them.
    assert body["rows"] == cli_json(cli, "impact", *args, "--format", "json", "--db", store)
    csv_rows = list(csv.DictReader(io.StringIO(client.get(f"/api/impact?{query}&format=csv").text)))
    assert len(csv_rows) == len(body["rows"]) and csv_rows[0]["estimate"] == str(body["rows"][0]["estimate"])


IMPACT_BAD = [
    ("method=magic", "method: unknown method 'magic'; choose one of: changepoints, its, synth"),
    ("method=changepoints", "indicator: name one of the indicators"),
    ("method=changepoints&indicator=nope", "indicator: name one of the indicators"),
    ("method=its&indicator=tension", "event: its needs the first day of the shock"),
    ("method=its&indicator=tension&event=2022-02-30", "event: '2022-02-30': expected a date"),
    ("method=its&indicator=tension&event=2022-02-24&event=2022-09-21", "event: its takes one event, not 2"),
    ("method=changepoints&indicator=tension&penalty=0", "penalty: a value between 0.001 and 100, not 0.0"),
    ("method=changepoints&indicator=tension&n_boot=5000", "n_boot: must be between 1 and 499, not 5000"),
    ("method=its&indicator=tension&event=2022-02-24&n_boot=50", "n_boot: at least 100 paths"),
    ("method=changepoints&indicator=tension&min_size=2", "min_size: a value between 3 and 52, not 2"),
    ("method=changepoints&indicator=tension&seasonal=yearly", "seasonal: choose one of auto, none, month-phase"),
    ("method=changepoints&indicator=tension&period=day", "period: choose week, month or quarter"),
    ("method=changepoints&indicator=tension&trend=llevel", "trend: changepoints takes no trend"),
    ("method=synth&indicator=tension", "indicator: synth takes no indicator"),
    ("method=synth&unit=Georgia", "unit: expected an ISO 3166-1 alpha-2 country code"),
    ("method=synth&event=2022-03", "event: '2022-03' is not a quarter label"),
    ("method=synth&donor=GE", "donor: GE is the treated unit"),
    ("method=synth&data=simulated", "data: synth takes no data"),
    ("method=its&indicator=tension&event=2022-02-24&level=1.5", "level: the intervals' coverage lies between 0 and 1"),
    ("method=changepoints&indicator=tension&seed=-1", "seed: a value between 0 and 4.29497e+09, not -1"),
    ("method=changepoints&indicator=tension&shape=kink", "shape: unknown parameter"),
]


@pytest.mark.parametrize(("query", "message"), IMPACT_BAD, ids=[b[0] for b in IMPACT_BAD])
def test_impact_bad_parameters_are_422_naming_the_field(client: TestClient, query: str, message: str) -> None:
    response = client.get(f"/api/impact?{query}")
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]


def test_impact_series_is_bounded(store: Path) -> None:
    small = TestClient(create_app(store, limits=Limits(impact_periods=50)), base_url="http://localhost")
    response = small.get("/api/impact?method=changepoints&indicator=tension&from=2021-01-01&to=2022-12-31")
    assert response.status_code == 413
    assert response.json()["detail"].startswith("to: 2021-01-01 to 2022-12-31 is 105 weeks, more than the limit of 50")
    # Without a window the data's own first and last day count.
    response = small.get("/api/impact?method=changepoints&indicator=tension")
    assert response.status_code == 413 and "periods of an impact series" in response.json()["detail"]


def test_dense_range_leaves_out_a_stray_month() -> None:
    counts = [(date(2013, 5, 1), 1), *((date(2022, m, 1), 900 + m) for m in range(1, 13)), (date(2023, 1, 1), 80)]
    dense = dense_months(counts, "real")
    # The median month holds 906.5 records: 2013's single one is out, January 2023's 80 (8.8%) too.
    assert (dense["from"], dense["to"], dense["months"], dense["dense_months"]) == ("2022-01-01", "2022-12-31", 14, 12)
    assert dense_months([], "simulated")["from"] is None


def test_range_and_the_kind_of_data_told(client: TestClient) -> None:
    response = client.get("/api/range?data=simulated")
    assert response.headers["x-talentflow-data"] == "simulated"
    assert response.json() | {"rule": None} == {
        "data": "simulated",
        "from": "2021-01-01",
        "to": "2023-12-31",
        "months": 36,
        "dense_months": 36,
        "rule": None,
    }
    assert client.get("/api/indicators/tension?from=2022-01-01&to=2022-01-31").headers["x-talentflow-data"] == "real"
    assert client.get("/api/range?data=both").status_code == 422
