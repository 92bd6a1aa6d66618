"""Every indicator on one generated market, on DuckDB and on Spark, with equal results; values checked
against independent SQL; the command line."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import market_fixture
import pandas as pd
import pytest

from talentflow import Store
from talentflow.errors import UsageError
from talentflow.indicators import (
    INDICATORS,
    DuckDBEngine,
    Params,
    Segment,
    SparkEngine,
    compute_on,
    export_parquet,
)
from talentflow.indicators.resumes import TENSION_BANDS

#: Columns computed by interpolation or floating-point sums: compared to a relative 1e-9.
APPROX = {"q1", "median", "q3", "trailing_mean", "index", "index_sa"}

country = (Segment("country"),)
ai = Segment("ai")
#: One case per indicator. Every indicator of vacancies or resumes runs with the ai segment, here (beside
#: another segment) or in SEGMENT_CASES, where the cases the other tests use stay as they were.
CASES: dict[str, Params] = {
    "vacancies_active": Params("month", country, min_cell=0),
    "vacancies_new": Params("week", (Segment("is_it"), ai), min_cell=0),
    "vacancies_closed": Params("quarter", (Segment("role"), ai), min_cell=0),
    "postings_index": Params("day", min_cell=0, options={"base": "2021-02-01"}),
    "resumes_active": Params("month", (Segment("experience"), ai), min_cell=0),
    "resumes_new": Params("month", (Segment("region"), Segment("ai", ("true",))), min_cell=0),
    "tension": Params("month", (Segment("country", ("RU", "KZ")),), min_cell=0),
    "relocation_share": Params("month", (*country, ai), min_cell=0),
    "destination_share": Params("quarter", country, min_cell=0),
    "salary": Params("quarter", (*country, ai), min_cell=0, options={"currency": "USD"}),
    "remote_share": Params("month", (Segment("experience"), ai), min_cell=0),
    "employer_exits": Params("month", (ai,), min_cell=0, options={"periods": "2"}),
    "employer_relocations": Params("month", (ai,), min_cell=0),
    "population_growth": Params("quarter", options={"lag": "4"}),
    "series": Params("day", (Segment("country", ("US",)),), min_cell=0),
}
#: More cases: (indicator, params).
SEGMENT_CASES: dict[str, tuple[str, Params]] = {
    "vacancies_active-ai": ("vacancies_active", Params("month", (ai,), min_cell=0)),
    "postings_index-ai": ("postings_index", Params("day", (ai,), min_cell=0, options={"base": "2021-02-01"})),
    "tension-ai": ("tension", Params("month", (ai,), min_cell=0)),
    "destination_share-group-ai": ("destination_share", Params("quarter", (Segment("group"), ai), min_cell=0)),
}


@pytest.fixture(scope="session")
def market(tmp_path_factory) -> Path:
    return market_fixture.build(tmp_path_factory.mktemp("market") / "market.duckdb")


@pytest.fixture(scope="session")
def duck(market):
    with DuckDBEngine.open(market) as engine:
        yield engine


@pytest.fixture(scope="session")
def spark(market, spark_local):
    """The market's Parquet export on the run's Spark session."""
    return SparkEngine(export_parquet(market), spark_local)


def test_cases_cover_every_indicator():
    assert set(CASES) == {i.name for i in INDICATORS}
    # Every indicator of vacancies or resumes takes the ai segment, and runs with it below.
    board = {i.name for i in INDICATORS if i.name not in ("population_growth", "series")}
    assert {i.name for i in INDICATORS if "ai" in i.segments} == board
    with_ai = [*(n for n, p in CASES.items() if "ai" in p.segment_names), *(n for n, p in SEGMENT_CASES.values())]
    assert set(with_ai) == board
    assert {i.name for i in INDICATORS if "group" in i.segments} == {"destination_share"}


PARITY = [pytest.param(name, params, id=name) for name, params in CASES.items()]
PARITY += [pytest.param(name, params, id=case) for case, (name, params) in SEGMENT_CASES.items()]


@pytest.mark.cluster
def test_the_spark_session_runs_where_the_run_asked(spark_local):
    """local[2] by default; with TALENTFLOW_TEST_SPARK=cluster, a standalone master with two executors."""
    context = spark_local.sparkContext
    if os.environ.get("TALENTFLOW_TEST_SPARK") == "cluster":
        assert context.master.startswith("spark://127.0.0.1:")
        # The driver counts itself among the block managers: two executors, one per worker (they register
        # while the session starts; a query has run by now in most orders, but not in all).
        spark_local.range(100).count()
        assert context._jsc.sc().getExecutorMemoryStatus().size() == 3
    else:
        assert context.master == "local[2]"


@pytest.mark.cluster
@pytest.mark.parametrize(("name", "params"), PARITY)
def test_same_result_on_duckdb_and_spark(name, params, duck, spark):
    a = compute_on(duck, name, params).frame
    b = compute_on(spark, name, params).frame
    assert len(a) > 0
    numeric = a.select_dtypes("number")
    assert (numeric.fillna(0) != 0).any().any(), "all-zero output proves nothing"
    approx = [c for c in a.columns if c in APPROX]
    exact = [c for c in a.columns if c not in APPROX]
    pd.testing.assert_frame_equal(a[exact], b[exact], check_dtype=False, check_exact=True)
    pd.testing.assert_frame_equal(a[approx], b[approx], check_dtype=False, rtol=1e-9)


def _vacancy_lives_sql(con) -> str:
    """The definition written out in SQL, independently of the Ibis code: open at publication, closed at the
    archive date, or the day after the last sighting unless that is the source's last day."""
    return """
        WITH v AS (
            SELECT source, vacancy_id, country,
                   min(least(published_at, observed_at))::DATE AS opened,
                   max(observed_at)::DATE AS last_seen,
                   min(archived_at)::DATE AS archived_at,
                   min(observed_at) FILTER (WHERE archived)::DATE AS archived_seen
            FROM vacancy_observation GROUP BY ALL
        ), l AS (SELECT source, max(observed_at)::DATE AS source_last FROM vacancy_observation GROUP BY source)
        SELECT country, opened,
               CASE WHEN archived_at IS NOT NULL THEN greatest(archived_at, opened)
                    WHEN archived_seen IS NOT NULL THEN greatest(archived_seen, opened)
                    WHEN last_seen >= source_last THEN NULL
                    ELSE last_seen + 1 END AS closed
        FROM v JOIN l USING (source)
    """


def test_active_stock_equals_a_range_join(market, duck):
    result = compute_on(duck, "vacancies_active", CASES["vacancies_active"]).frame
    with Store(market, read_only=True) as store:
        expected = store.con.execute(
            f"""
            WITH lives AS ({_vacancy_lives_sql(store.con)}),
            ends AS (SELECT DISTINCT last_day(opened) AS period_end FROM lives)
            SELECT e.period_end, coalesce(country, '(unknown)') AS country, count(*) AS vacancies
            FROM ends e JOIN lives ON opened <= e.period_end AND (closed IS NULL OR closed > e.period_end)
            GROUP BY ALL
            """
        ).df()
    got = result[result.vacancies > 0].assign(period_end=lambda f: pd.to_datetime(f.period_end))
    merged = expected.merge(got, on=["period_end", "country"], how="outer", suffixes=("_sql", ""))
    assert len(merged) > 50
    assert (merged.vacancies_sql == merged.vacancies).all(), merged[merged.vacancies_sql != merged.vacancies]


def test_new_and_closed_add_up_to_the_change_in_stock(duck):
    p = Params("month", min_cell=0)
    active = compute_on(duck, "vacancies_active", p).frame.vacancies.astype(int)
    new = compute_on(duck, "vacancies_new", p).frame.vacancies.astype(int)
    closed = compute_on(duck, "vacancies_closed", p).frame.vacancies.astype(int)
    assert (active.diff().iloc[1:] == (new - closed).iloc[1:]).all()
    assert new.sum() > 2000


def test_tension_is_resumes_per_vacancy_with_hh_bands(duck):
    frame = compute_on(duck, "tension", CASES["tension"]).frame
    assert (frame.tension == frame.resumes / frame.vacancies).all()
    row = frame.iloc[-3]
    expected = next((band for bound, band in TENSION_BANDS if row.tension < bound), "extreme competition")
    assert row.band == expected


def test_relocation_abroad_rises_after_the_shock(duck):
    frame = compute_on(duck, "relocation_share", Params("quarter", min_cell=0)).frame.set_index("period")
    before, after = frame.loc[date(2021, 10, 1)], frame.loc[date(2022, 7, 1)]
    assert after.abroad_share > before.abroad_share + 0.1
    assert (frame.willing >= frame.abroad + frame.domestic_only).all()
    assert (frame.relocation_share >= frame.abroad_share + frame.domestic_only_share - 1e-12).all()


def test_the_ai_split_adds_up_to_the_whole_and_finds_the_ai_titles(duck):
    for name, column, every in (("vacancies_active", "vacancies", 9), ("resumes_active", "resumes", 8)):
        total = compute_on(duck, name, Params("month", min_cell=0)).frame.set_index("period")[column]
        split = compute_on(duck, name, Params("month", (ai,), min_cell=0)).frame
        by = split.pivot(index="period", columns="ai", values=column)
        assert set(by.columns) == {"true", "false"}
        assert (by["true"] + by["false"] == total).all()
        # Every ninth vacancy is an ML engineer's, every eighth resume a data scientist's.
        assert by["true"].sum() / total.sum() == pytest.approx(1 / every, rel=0.15)
    only = compute_on(duck, "vacancies_active", Params("month", (Segment("ai", ("true",)),), min_cell=0)).frame
    assert set(only.ai) == {"true"} and (only.vacancies == by_ai(duck)["true"]).all()


def by_ai(duck):
    frame = compute_on(duck, "vacancies_active", Params("month", (ai,), min_cell=0)).frame
    return frame.pivot(index="period", columns="ai", values="vacancies").reset_index(drop=True)


def test_destination_groups_count_a_resume_once_per_group(duck):
    countries = compute_on(duck, "destination_share", Params("quarter", min_cell=0)).frame
    groups = compute_on(duck, "destination_share", Params("quarter", (Segment("group"),), min_cell=0)).frame
    c = countries.pivot(index="period", columns="destination", values="resumes").fillna(0)
    g = groups.pivot(index="period", columns="group", values="resumes").fillna(0)
    assert set(c.columns) == {"GE", "KZ", "DE", "BY", "RU"}  # Moscow is abroad for those living in Minsk
    assert set(g.columns) == {"caucasus", "central_asia", "europe", "eu"}
    assert (g.caucasus == c.GE).all() and (g.central_asia == c.KZ).all()
    # Germany is in Europe and in the EU; Belarus and Russia in Europe only; no resume names two of them.
    assert (g.eu == c.DE).all() and (g.europe == c.DE + c.BY + c.RU).all()
    # The same denominator: resumes willing to move abroad.
    abroad = countries.groupby("period").abroad.first()
    assert (groups.groupby("period").abroad.first() == abroad).all()
    eu = compute_on(duck, "destination_share", Params("quarter", (Segment("group", ("eu",)),), min_cell=0)).frame
    assert set(eu.group) == {"eu"} and (eu.share.to_numpy() == groups[groups.group == "eu"].share.to_numpy()).all()
    with pytest.raises(UsageError, match="group: unknown 'mars'; the groups are: europe, caucasus"):
        compute_on(duck, "destination_share", Params("quarter", (Segment("group", ("mars",)),)))
    with pytest.raises(UsageError, match="vacancies_active cannot be split by group"):
        compute_on(duck, "vacancies_active", Params("month", (Segment("group"),)))


def test_employer_relocations_catch_the_march_move(duck):
    frame = compute_on(duck, "employer_relocations", Params("month", min_cell=0)).frame.set_index("period")
    assert frame.loc[date(2022, 3, 1)].relocations >= 8
    assert frame.relocations.sum() >= 8


def test_small_cells_are_suppressed_and_counted(duck):
    result = compute_on(duck, "vacancies_active", Params("month", country))
    frame = result.frame
    assert result.suppressed == int(frame.suppressed.sum()) > 0
    assert frame[frame.suppressed].vacancies.isna().all()
    assert (frame[~frame.suppressed].vacancies >= 50).all()
    assert f"{result.suppressed} of {len(frame)} cells suppressed" in result.notes[0]


def test_salary_converts_currencies_and_tax_bases(duck):
    rub = compute_on(duck, "salary", Params("quarter", min_cell=0)).frame
    usd = compute_on(duck, "salary", Params("quarter", min_cell=0, options={"currency": "USD"})).frame
    net = compute_on(duck, "salary", Params("quarter", min_cell=0, options={"basis": "net"})).frame
    assert (rub.salary_share < 0.8).all() and (rub.salary_share > 0.6).all()
    # A quarter's median in USD is the RUB median at a rate between the quarter's monthly rates.
    ratio = (rub["median"] / usd["median"]).iloc[:4]
    assert ratio.between(65, 80).all(), ratio
    assert (net["median"] < rub["median"]).all()


def test_salary_is_the_one_on_the_last_sighting_on_both_engines(tmp_path, spark, duck):
    """A salary hidden or changed on a later sighting: the last sighting's counts (NULL included)."""
    from talentflow import ingest

    def vacancy(vid: str, day: str, salary: dict | None) -> dict:
        return {
            "id": vid,
            "name": "Разработчик",
            "area": {"id": "1"},
            "salary": salary,
            "published_at": "2022-01-10T10:00:00+0300",
            "observed_at": f"{day}T12:00:00+0300",
            "professional_roles": [{"id": "96"}],
        }

    rub = {"currency": "RUR", "gross": True}
    records = [
        vacancy("1", "2022-01-10", {"from": 100_000, "to": 200_000, **rub}),
        vacancy("1", "2022-01-20", None),  # hidden later: no salary
        vacancy("2", "2022-01-10", {"from": 100_000, "to": 100_000, **rub}),
        vacancy("2", "2022-01-25", {"from": 300_000, "to": None, **rub}),  # changed later: 300k
        vacancy("3", "2022-01-12", {"from": 200_000, "to": None, **rub}),
    ]
    path = tmp_path / "vacancies.ndjson"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    db = tmp_path / "s.duckdb"
    ingest([path], db=db)
    params = Params("month", min_cell=0, options={"basis": "published"})
    with DuckDBEngine.open(db) as duck_engine:
        frames = [compute_on(duck_engine, "salary", params).frame]
    frames.append(compute_on(SparkEngine(export_parquet(db), spark.session), "salary", params).frame)
    for frame in frames:
        row = frame.iloc[0]
        assert (row.vacancies, row.n) == (3, 2)
        assert (row.q1, row["median"], row.q3) == (225_000, 250_000, 275_000)
    # The second engine on the shared session left the first one's tables alone (random test order found it).
    case = CASES["vacancies_active"]
    pd.testing.assert_frame_equal(
        compute_on(duck, "vacancies_active", case).frame,
        compute_on(spark, "vacancies_active", case).frame,
        check_dtype=False,
    )


def test_salary_leaves_out_and_counts_conversions_at_rates_carried_over_a_gap(duck):
    result = compute_on(duck, "salary", Params("quarter", min_cell=0))
    # The shipped table has one dated KZT rate (2024-12) and no rouble rates after 2022-02 (ECB), so in roubles
    # every KZT salary and every USD salary opened from April 2022 is converted at a rate over a month old.
    (expected,) = duck.store.con.execute(
        """
        SELECT count(*) FILTER (WHERE currency = 'KZT' OR (currency = 'USD' AND opened >= DATE '2022-04-01'))
        FROM (
            SELECT min(least(published_at, observed_at))::DATE AS opened,
                   arg_max_null(currency, observed_at) AS currency,
                   arg_max_null(coalesce(salary_from, salary_to), observed_at) AS amount
            FROM vacancy_observation GROUP BY source, vacancy_id
        ) WHERE amount IS NOT NULL
        """
    ).fetchone()
    assert expected > 0
    assert int(result.frame.n_stale.sum()) == expected
    total = expected + int(result.frame.n.sum())
    assert f"{expected:,} of {total:,} salaries were left out: their conversion needs a rate" in result.notes[0]
    usd = compute_on(duck, "salary", Params("quarter", min_cell=0, options={"currency": "USD"}))
    assert usd.frame.n_stale.sum() > 0 and "rate more than a month old" in usd.notes[0]


def test_population_growth_over_lag(duck):
    frame = compute_on(duck, "population_growth", Params("quarter", options={"lag": "4"})).frame
    ru = frame[(frame.country == "RU") & (frame.label == "2022Q4")].iloc[0]
    assert ru.value == 1_000_000 + 30_000 * 7
    assert ru.growth == pytest.approx((30_000 * 4) / (1_000_000 + 30_000 * 3), rel=1e-12)
    assert "NA" in set(frame.country)


def test_postings_index_is_100_on_its_base_day(duck):
    frame = compute_on(duck, "postings_index", CASES["postings_index"]).frame.set_index("period")
    base = frame.loc[date(2021, 2, 1)]
    assert base["index"] == pytest.approx(100) and base.index_sa == pytest.approx(100)
    assert frame.adjusted.sum() > 700
    week = frame.postings.loc[date(2021, 6, 1) : date(2021, 6, 7)]
    assert frame.trailing_mean.loc[date(2021, 6, 7)] == pytest.approx(week.mean())


# -- command line ---------------------------------------------------------------------------------------------
def test_cli_list_json(cli):
    rows = json.loads(cli("indicators", "list", "--format", "json").stdout)
    names = [r["name"] for r in rows]
    assert names[:3] == ["vacancies_active", "vacancies_new", "vacancies_closed"]
    assert {"postings_index", "tension", "population_growth", "employer_exits"} <= set(names)
    assert all(r["description"] for r in rows)


def test_cli_json_rows(cli, market):
    result = cli(
        "indicators",
        "tension",
        "--by",
        "country=RU",
        "--from",
        "2022-01-01",
        "--to",
        "2022-03-31",
        "--format",
        "json",
        "--min-cell",
        "10",
        "--db",
        market,
    )
    rows = json.loads(result.stdout)
    assert [r["period"] for r in rows] == ["2022-01-01", "2022-02-01", "2022-03-01"]
    assert all(r["country"] == "RU" and r["tension"] == r["resumes"] / r["vacancies"] for r in rows)
    assert "0 of 3 cells suppressed" in result.stderr


def test_cli_csv_to_file(cli, market, tmp_path):
    out = tmp_path / "new.csv"
    cli(
        "indicators",
        "vacancies_new",
        "--period",
        "quarter",
        "--by",
        "remote",
        "--format",
        "csv",
        "--output",
        out,
        "--min-cell",
        "0",
        "--db",
        market,
    )
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["period", "period_end", "remote", "vacancies", "suppressed"]
    assert set(frame.remote) == {True, False}
    assert frame.vacancies.sum() > 2000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "NAME: unknown indicator 'nope'"),
        (["tension", "--by", "remote"], "--by: tension cannot be split by remote"),
        (["vacancies_active", "--by", "colour"], "--by: unknown segment 'colour'"),
        (["vacancies_active", "--period", "year"], "--period: unknown period 'year'"),
        (["vacancies_active", "--from", "2022-13-01"], "--from: '2022-13-01'"),
        (["postings_index", "--period", "month"], "--period: postings_index is computed by day"),
        (["salary", "--set", "currency=XXX"], "--set: currency=XXX: no rates for it"),
    ],
)
def test_cli_errors_exit_2(cli, market, args, message):
    result = cli("indicators", *args, "--db", market, code=2)
    assert message in result.stderr


def test_resume_sightings_far_apart_are_separate_search_spells(tmp_path):
    import json as _json

    from talentflow import ingest as _ingest
    from talentflow.indicators import Params, compute

    seen = ["2022-01-05", "2022-01-31", "2022-06-10", "2022-06-30", "2022-07-31", "2022-08-31"]
    lines = [
        {
            "id": "r1",
            "title": "Python-разработчик",
            "area": {"id": "1"},
            "updated_at": f"{d}T10:00:00+0300",
            "observed_at": f"{d}T12:00:00+0300",
            "professional_roles": [{"id": "96"}],
        }
        for d in seen
    ]
    path = tmp_path / "resumes.ndjson"
    path.write_text("\n".join(_json.dumps(x) for x in lines) + "\n")
    db = tmp_path / "s.duckdb"
    _ingest([path], db=db)
    frame = compute("resumes_active", Params(period="month", min_cell=0), db=db).frame
    active = {str(p)[:7]: int(n) for p, n in zip(frame.period, frame.resumes, strict=True)}
    # Spell one: January; spell two: June to August (the last sighting is the board's last day: still open).
    assert [active[m] for m in ("2022-01", "2022-02", "2022-05", "2022-06", "2022-07", "2022-08")] == [1, 0, 0, 1, 1, 1]
    one_life = compute("resumes_active", Params(period="month", min_cell=0, options={"gap_days": "400"}), db=db).frame
    assert one_life.resumes.tolist()[1:6] == [1, 1, 1, 1, 1]
