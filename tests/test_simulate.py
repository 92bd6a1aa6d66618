"""The simulator at small scale: reproducible, stock-flow consistent, shocked only when told, ingestible."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import threading
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from talentflow import Store, ingest
from talentflow.errors import InputError
from talentflow.reference.ai import ai_sql
from talentflow.simulate import load_scenario, simulate, validate
from talentflow.simulate import records as board_records
from talentflow.simulate.board import AI_WORK, TITLES
from talentflow.simulate.market import Market, _Tally, workforce_growth

SCALE = 0.005  # 5,000 workers: seconds per run


@pytest.fixture(scope="module")
def exodus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exodus") / "sim"
    simulate(load_scenario("exodus-2022"), out, scale=SCALE, seed=11)
    return out


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("baseline") / "sim"
    simulate(load_scenario("baseline"), out, scale=SCALE, seed=11)
    return out


def summary(out: Path) -> dict[str, dict]:
    return {row["month"]: row for row in json.loads((out / "truth" / "summary.json").read_text())}


def test_same_seed_gives_byte_identical_output(exodus: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    other = tmp_path / "other"
    simulate(load_scenario("exodus-2022"), again, scale=SCALE, seed=11)
    simulate(load_scenario("exodus-2022"), other, scale=SCALE, seed=12)
    files = sorted(p.relative_to(exodus) for p in exodus.rglob("*") if p.is_file())
    assert Path("vacancies.ndjson.gz") in files and Path("truth/summary.json") in files
    for name in files:
        assert (exodus / name).read_bytes() == (again / name).read_bytes(), name
    assert (exodus / "vacancies.ndjson.gz").read_bytes() != (other / "vacancies.ndjson.gz").read_bytes()
    assert summary(exodus) != summary(other)


def test_step_simulates_the_current_week_and_advances_time() -> None:
    # The model itself rather than `simulate`: its time contract (Mesa's: `step()` advances time) is the point.
    market = Market(load_scenario("exodus-2022"), scale=0.001, rng=np.random.default_rng(0))
    for i in range(3):
        week = market.step()
        assert (week.index, market.week) == (i, i + 1)
        assert week.first_day == market.start_day + 7 * i


@pytest.mark.parametrize("run", ["exodus", "baseline"])
def test_stocks_change_by_the_flows_every_month(run: str, request: pytest.FixtureRequest) -> None:
    rows = list(summary(request.getfixturevalue(run)).values())
    home, abroad = 1_000_000.0, 0.0  # the starting population, at full scale
    for row in rows:
        home += row["entered"] - row["left_it_home"] - row["emigrated"] + row["returned"]
        abroad += row["emigrated"] - row["returned"] - row["left_it_abroad"]
        assert row["it_workers_home"] == pytest.approx(home, abs=1e-6), row["month"]
        assert row["abroad"] == pytest.approx(abroad, abs=1e-6), row["month"]
        assert row["employed_home"] + row["unemployed_home"] == pytest.approx(row["it_workers_home"], abs=1e-6)


def test_a_fraction_of_a_position_is_opened_in_proportion() -> None:
    # Rounded down, a shortfall of 0.9 positions opened nothing until it reached 1, and since every employer's
    # wanted headcount grows by one factor, all employers of one size crossed to their next whole position in
    # the same week: the no-shock market's open vacancies stepped up 3% in its 69th week (docs/simulator.md).
    sc = load_scenario("baseline")
    market = Market(sc, scale=0.01, rng=np.random.default_rng(3))
    opened = 0
    for _ in range(20):
        tally = _Tally()
        market._open_to_demand(tally, np.full(market.m, 0.9))
        opened += sum(len(x) for x in tally.opened)
    expected = 20 * market.m * 0.9 * sc.employers.fill_share_per_week
    assert opened == pytest.approx(expected, rel=0.06)


def test_baseline_has_no_exodus(baseline: Path) -> None:
    rows = summary(baseline)
    monthly = [r["emigrated"] / r["it_workers_home"] for r in rows.values()]
    assert max(monthly) < 0.002  # background emigration only: under 0.2% of the workforce in any month
    assert rows["2022-12"]["abroad"] < 0.02 * rows["2022-12"]["it_workers_home"]
    jan, aug = rows["2022-01"], rows["2022-08"]
    assert aug["vacancies_active"] / jan["vacancies_active"] == pytest.approx(1, abs=0.1)
    assert aug["resumes_active"] / jan["resumes_active"] == pytest.approx(1, abs=0.1)


def test_the_workforce_grows_as_employers_expect() -> None:
    # Employers' wanted headcount grows by `workforce_growth`; grown any other way (it once grew exponentially at
    # entry - exit), the no-shock vacancy stock bends, and change points rightly call the bend a break.
    baseline = load_scenario("baseline")
    e, x = baseline.population.entry_per_year, baseline.population.exit_per_year
    years = np.linspace(0, 3, 7)
    h = 1e-6
    level = np.array([workforce_growth(e, x, t) for t in years])
    slope = (np.array([workforce_growth(e, x, t + h) for t in years]) - level) / h
    assert slope == pytest.approx(e - x * level, rel=1e-4)
    assert workforce_growth(e, x, 0) == 1 and workforce_growth(e, 0, 2) == pytest.approx(1 + 2 * e)
    # The simulated workforce (home and abroad) follows it: at scale 0.05, 50,000 workers, a month's sd is
    # under 0.3% of the start by the end.
    market = Market(baseline, scale=0.05, rng=np.random.default_rng(5))
    for week in range(1, 157):
        market.step()
        if week % 26 == 0:
            size = market.alive[: market.n].sum() / market.n0
            assert size == pytest.approx(workforce_growth(e, x, 7 * week / 365.25), abs=0.008), week


def test_exodus_has_two_waves_returns_and_a_tighter_market(exodus: Path) -> None:
    rows = summary(exodus)
    quiet = rows["2022-01"]["emigrated"]
    first, between, second = rows["2022-03"]["emigrated"], rows["2022-08"]["emigrated"], rows["2022-10"]["emigrated"]
    assert first > 20 * quiet and second > 20 * quiet
    assert between < first / 10 and between < second / 10
    returned_2022 = sum(rows[f"2022-{m:02d}"]["returned"] for m in range(1, 13))
    emigrated_2022 = sum(rows[f"2022-{m:02d}"]["emigrated"] for m in range(1, 13))
    assert 0.1 < returned_2022 / emigrated_2022 < 0.3
    assert rows["2022-12"]["abroad_working_for_home_employers"] / rows["2022-12"]["abroad"] > 0.7
    jan, aug = rows["2022-01"], rows["2022-08"]
    assert aug["vacancies_active"] < 0.9 * jan["vacancies_active"]
    assert aug["resumes_active"] > 1.3 * jan["resumes_active"]
    assert rows["2022-03"]["relocation_abroad_share"] > rows["2022-02"]["relocation_abroad_share"]


def test_output_round_trips_through_ingestion(exodus: Path, tmp_path: Path) -> None:
    report = ingest([exodus], db=tmp_path / "sim.duckdb")
    assert report.quarantined == 0
    with gzip.open(exodus / "vacancies.ndjson.gz", "rt") as f:
        vacancy_lines = sum(1 for _ in f)
    with gzip.open(exodus / "resumes.ndjson.gz", "rt") as f:
        resume_lines = sum(1 for _ in f)
    assert report.read == report.accepted == vacancy_lines + resume_lines
    skipped = {Path(i.input).name for i in report.inputs if i.skipped}
    assert skipped == {
        "scenario.json",
        "summary.json",
        "weekly.parquet",
        "monthly.parquet",
        "moves.parquet",
        "vacancies.parquet",
    }
    with Store(tmp_path / "sim.duckdb") as store:
        con = store.con
        countries = dict(con.execute("SELECT country, count(*) FROM vacancy_observation GROUP BY 1").fetchall())
        assert None not in countries and countries["RU"] > 0.9 * sum(countries.values())
        assert con.execute("SELECT bool_and(is_it) FROM resume_observation").fetchone()[0]
        # The board follows the truth: month-end crawls see fewer vacancies in August than in January 2022.
        snap = """SELECT count(DISTINCT vacancy_id) FROM vacancy_observation
                  WHERE NOT archived AND observed_at::DATE = ?::DATE"""
        jan, aug = (con.execute(snap, [d]).fetchone()[0] for d in ("2022-01-31", "2022-08-31"))
        truth = summary(exodus)
        ratio = truth["2022-08"]["vacancies_active"] / truth["2022-01"]["vacancies_active"]
        assert aug / jan == pytest.approx(ratio, abs=0.1)


@pytest.mark.parametrize("name", ["vacancies.ndjson.gz", "resumes.ndjson.gz"])
def test_board_records_are_compact_json_in_crawl_order(exodus: Path, name: str) -> None:
    with gzip.open(exodus / name, "rt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    records = [json.loads(line) for line in lines]
    # Written as DuckDB's to_json writes: no spaces, UTF-8 kept.
    assert [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records] == lines
    # At this scale the run is one part: the whole file is in crawl order, then by id.
    keys = [(r["observed_at"], int(r["id"])) for r in records]
    assert keys == sorted(keys)
    stamps = [r[k] for r in records for k in r if k.endswith("_at")]
    assert all(dt.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S%z").utcoffset() == dt.timedelta(hours=3) for t in stamps)
    # DuckDB reads the gzip file as it is.
    assert duckdb.sql(f"SELECT count(*) FROM read_json('{exodus / name}', format='newline_delimited')").fetchone()[
        0
    ] == len(lines)


def test_board_times_are_moscow_local() -> None:
    seconds = np.array([0, 1, 59, 86_399 - 10_800, 1_645_660_800, 1_672_531_199, -86_401, 4_102_444_799])
    cols = board_records._clock("t", seconds)
    written = [
        cols["t_date"][i].as_py() + cols["t_hm"][i].as_py() + cols["t_s"][i].as_py() for i in range(len(seconds))
    ]
    moscow = dt.timezone(dt.timedelta(hours=3))
    assert written == [dt.datetime.fromtimestamp(int(x), moscow).strftime("%Y-%m-%dT%H:%M:%S+0300") for x in seconds]


def test_a_failure_while_writing_stops_the_run_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: object, sightings: object) -> None:
        raise ValueError("broken resume part")

    monkeypatch.setattr(board_records.RecordWriter, "_resume_rows", broken)
    out = tmp_path / "sim"
    with pytest.raises(board_records.Failed) as failed:
        simulate(load_scenario("exodus-2022"), out, scale=SCALE, seed=11)
    assert isinstance(failed.value.__cause__, ValueError)
    assert "broken resume part" in str(failed.value) and str(out) in str(failed.value)
    assert not out.exists()
    assert not [t for t in threading.enumerate() if t.name.startswith("board-")]


def test_moves_truth_names_the_workers_and_destinations(exodus: Path) -> None:
    moves = duckdb.sql(f"SELECT kind, count(*) AS n FROM '{exodus}/truth/moves.parquet' GROUP BY 1").fetchall()
    rows = summary(exodus)
    assert dict(moves)["emigrated"] == round(sum(r["emigrated"] for r in rows.values()) * SCALE)
    assert dict(moves)["returned"] == round(sum(r["returned"] for r in rows.values()) * SCALE)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("name = 'x'\n[migration]\nreturn_per_year = -0.1\n", "migration.return_per_year: Input should be greater"),
        ("name = 'x'\n[population]\nworkers = 'many'\n", "population.workers: Input should be a valid integer"),
        ("name = 'x'\n[migration]\nspeed = 3\n", "migration.speed: unknown key"),
        (
            "name = 'x'\n[[migration.waves]]\nstart = 2022-02-24\nshare = 0.1\n",
            "migration.waves.0.weeks: Field required",
        ),
        ("name = 'x'\n[migration]\ndestinations = {'1' = 1.0}\n", "in the origin country RU"),
        ("extends = 'exodus-2021'\n", "no such built-in scenario"),
        ("name = 'x'\nstart = 2023-01-01\nend = 2022-01-01\n", "must be after start"),
        ("name = [\n", "not valid TOML"),
        ("name = 'x'\n[ai]\nworkers = 0.6\n", "ai.workers: AI work is drawn among the programmers (role 96), who"),
    ],
)
def test_bad_scenarios_are_rejected_with_the_field(toml: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(InputError) as err:
        load_scenario(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_user_scenario_extends_a_builtin(tmp_path: Path) -> None:
    path = tmp_path / "double-returns.toml"
    path.write_text('extends = "exodus-2022"\n[migration]\nreturn_per_year = 0.84\n')
    sc = load_scenario(path)
    assert sc.name == "double-returns" and sc.migration.return_per_year == 0.84
    assert len(sc.migration.waves) == 2  # the rest comes from exodus-2022
    assert validate(sc.model_dump()) == sc


def test_cli_lists_and_runs(cli, tmp_path: Path) -> None:
    listed = json.loads(cli("simulate", "list", "--format", "json").stdout)
    assert [s["name"] for s in listed] == ["baseline", "exodus-2022", "exodus-2022-hard"]
    legacy = cli("simulate", "--list", "--json")  # the old spelling, for one release
    assert json.loads(legacy.stdout) == listed and "deprecated" in legacy.stderr and "simulate list" in legacy.stderr
    result = cli.json("simulate", "baseline", "--out", tmp_path / "b", "--scale", "0.002", "--end", "2021-06-30")
    assert result["weeks"] == 26 and result["records"]["vacancy_records"] > 0
    assert cli("simulate", "nosuch", "--out", tmp_path / "c", code=2).exit_code == 2
    cli("simulate", "baseline", "--out", tmp_path / "b", code=2)  # not empty
    cli("simulate", "baseline", "--out", tmp_path / "d", "--scale", "2", code=2)


def test_board_indicators_track_the_truth(exodus: Path, tmp_path: Path) -> None:
    from talentflow.indicators import Params, compute

    db = tmp_path / "sim.duckdb"
    ingest([exodus], db=db)
    truth = summary(exodus)
    params = Params(period="month", min_cell=0, data="simulated")
    frames = {n: compute(n, params, db=db).frame for n in ("vacancies_active", "resumes_active", "relocation_share")}
    months = [f"{y}-{m:02d}" for y in (2021, 2022, 2023) for m in range(1, 13)][3:-3]
    seen = {
        name: {str(p)[:7]: row for p, row in zip(f.period, f.itertuples(), strict=True)} for name, f in frames.items()
    }
    board = load_scenario("exodus-2022").board
    frozen: dict[str, float] = {}
    others: list[float] = []
    for month in months:
        t = truth[month]
        # Coverage, duplicates and update lag put the board's vacancy stock at 0.8-1.0 of the true one and its
        # resume stock near the resume coverage (see docs/indicators.md); the posting freeze of February 2022
        # takes postings off the board, not out of the market, for about two months.
        ratio = seen["vacancies_active"][month].vacancies / (t["vacancies_active"] * SCALE)
        if month in ("2022-02", "2022-03"):
            frozen[month] = ratio
        else:
            assert 0.75 < ratio < 1.05, month
            others.append(ratio)
        assert (
            0.65 < seen["resumes_active"][month].resumes / (t["resumes_active"] * SCALE * board.resume_coverage) < 1.45
        )
        assert abs(seen["relocation_share"][month].abroad_share - t["relocation_abroad_share"]) < 0.06, month
    # The freeze's months: 10-25% below the board's usual share of the true stock.
    assert all(0.75 < r / np.mean(others) < 0.9 for r in frozen.values()), (frozen, np.mean(others))


# -- AI work ---------------------------------------------------------------------------------------------------
def test_ai_work_is_drawn_apart_from_the_rest_of_the_market() -> None:
    """The AI work has its own random stream: without it, the market draws exactly what it drew with it."""
    sc = load_scenario("exodus-2022")
    none = validate(sc.model_dump() | {"ai": {"workers": 0.0, "vacancies": 0.0}})
    markets = [Market(s, scale=0.002, rng=np.random.default_rng(4)) for s in (sc, none)]
    for _ in range(12):
        for m in markets:
            m.step()
    with_ai, without = markets
    for name in ("role", "residence", "employer", "seeking", "willing", "preference"):
        assert np.array_equal(getattr(with_ai, name), getattr(without, name)), name
    assert np.array_equal(with_ai.vac["employer"], without.vac["employer"])
    assert with_ai.ai.any() and not without.ai.any()
    programmers = with_ai.role[: with_ai.n] == with_ai.roles.index("96")
    assert not with_ai.ai[: with_ai.n][~programmers].any()  # AI work is a programmer's
    share = np.count_nonzero(with_ai.ai[: with_ai.n]) / with_ai.n
    assert share == pytest.approx(sc.ai.workers, rel=0.15)


def test_the_simulators_titles_are_classified_as_the_work_they_stand_for() -> None:
    """What `talentflow.reference.ai` makes of each title the board writes, with its roles."""
    sql = f"SELECT {ai_sql('t', 'r', 's')} FROM (SELECT ?::VARCHAR t, ?::VARCHAR[] r, NULL::VARCHAR[] s)"
    con = duckdb.connect()
    for role, titles in TITLES.items():
        for title in titles:
            assert con.execute(sql, [title, [role]]).fetchone() == (False,), title
    for roles, titles in AI_WORK.values():
        for title in titles:
            assert con.execute(sql, [title, list(roles)]).fetchone() == (True,), title
    # Two data scientists' titles name no AI keyword: their role 165 makes them AI work.
    assert con.execute(sql, ["Исследователь данных", ["96"]]).fetchone() == (False,)


AI_SCALE = 0.03


@pytest.fixture(scope="module")
def ai_market(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """exodus-2022 with 30% AI work (the default 5% leaves too few AI records per month at a test's scale for a
    8% tolerance: the board's share of a month is a sample of the true one), 2021-10 to 2022-12, ingested."""
    root = tmp_path_factory.mktemp("ai")
    sc = load_scenario("exodus-2022")
    sc = validate(sc.model_dump() | {"ai": {"workers": 0.3, "vacancies": 0.3, "data_scientists": 0.4}})
    simulate(sc, root / "sim", scale=AI_SCALE, seed=11, start=dt.date(2021, 10, 4), end=dt.date(2022, 12, 31))
    ingest([root / "sim"], db=root / "sim.duckdb")
    return root / "sim", root / "sim.duckdb"


def test_board_ai_share_tracks_the_truth(ai_market: tuple[Path, Path]) -> None:
    from talentflow.indicators import Params, Segment, compute

    sim, db = ai_market
    truth = summary(sim)
    by_ai = Params("month", (Segment("ai"),), min_cell=0, data="simulated")
    checked = 0
    for name, column, true_share in (
        ("vacancies_active", "vacancies", "ai_vacancy_share"),
        ("resumes_active", "resumes", "ai_resume_share"),
    ):
        frame = compute(name, by_ai, db=db).frame.pivot(index="period", columns="ai", values=column)
        assert set(frame.columns) == {"true", "false"}  # every simulated record has a title: none unknown
        for period, row in frame.iterrows():
            month = str(period)[:7]
            # Enough records: 500 AI records a month put the sampling error of the board's share (a thinned
            # sample: coverage 0.76 of vacancies, 0.8 of resumes) near 2%. Leaves out the last, partial month.
            # Measured with the simulator's per-week streams (seed 11): vacancies' errors have a standard
            # deviation of 2.6% around zero (largest 5.5% of 15 months), resumes' 1.2%; 8% is three of them.
            if row["true"] < 500 or month not in truth:
                continue
            seen = row["true"] / (row["true"] + row["false"])
            assert seen == pytest.approx(truth[month][true_share], rel=0.08), (name, month)
            checked += 1
    assert checked == 30  # 15 months, two indicators


def test_board_vacancies_are_ai_work_exactly_when_the_truth_says_so(ai_market: tuple[Path, Path]) -> None:
    sim, db = ai_market
    with Store(db, read_only=True) as store:
        # A duplicated vacancy is on the board under two ids.
        ids = f"SELECT unnest([vacancy_id, duplicate_id]) AS vacancy_id, ai FROM '{sim}/truth/vacancies.parquet'"
        rows = store.con.execute(
            f"""
            SELECT t.ai, bool_and(v.is_ai), bool_or(v.is_ai), count(DISTINCT v.vacancy_id),
                   bool_and(list_contains(v.role_ids, '165'))
            FROM vacancy_observation v JOIN ({ids}) t USING (vacancy_id)
            GROUP BY 1 ORDER BY 1 NULLS FIRST
            """
        ).fetchall()
    assert [r[:3] for r in rows] == [(None, False, False), ("data_scientist", True, True), ("ml_engineer", True, True)]
    assert [r[4] for r in rows] == [False, True, False]
    assert rows[2][3] > 1000 and rows[1][3] > 500


def test_the_posting_freeze_takes_postings_down_and_holds_new_ones_back_on_the_board_only(tmp_path: Path) -> None:
    """The freeze (docs/simulator.md, "Posting freeze") changes what the board shows and nothing in the market:
    about ``withdrawn`` of the postings open at its start are seen archived within the week (plus the crawl's
    lag), and new postings are held back with probability ``paused·exp(-d / (7·weeks))``."""
    start = pd.Timestamp("2022-03-02")
    base = load_scenario("baseline")
    frozen = validate(
        base.model_dump() | {"freeze": {"start": start.date(), "withdrawn": 0.5, "paused": 0.6, "weeks": 2}}
    )
    kw: dict[str, Any] = {"scale": 0.006, "seed": 5, "start": dt.date(2022, 1, 3), "end": dt.date(2022, 4, 30)}
    simulate(base, tmp_path / "plain", **kw)
    simulate(frozen, tmp_path / "frozen", **kw)
    plain, froz = (pq.read_table(tmp_path / n / "truth" / "vacancies.parquet").to_pandas() for n in ("plain", "frozen"))
    assert plain.drop(columns="posted").equals(froz.drop(columns="posted"))  # the market is the same
    days = (plain["opened"] - start).dt.total_seconds() / 86400
    assert froz["posted"][days < 0].equals(plain["posted"][days < 0])
    new = plain["posted"] & (days >= 0) & (days < 28)
    expected = 1 - 0.6 * np.exp(-(days[new] // 1) / 14).mean()  # about 880 postings: a standard error of 0.016
    assert froz["posted"][new].mean() == pytest.approx(expected, abs=0.05)
    # Open at the start, still open in the market 11 days later: about half are seen archived by then.
    late = start + pd.Timedelta(days=11)
    was_open = plain["posted"] & (days < 0) & (plain["closed"].isna() | (plain["closed"] > late))
    ids = set(plain["vacancy_id"][was_open])
    with gzip.open(tmp_path / "frozen" / "vacancies.ndjson.gz", "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    down = {
        r["id"]
        for r in rows
        if r["archived"] and r["id"] in ids and pd.Timestamp(r["observed_at"]).tz_convert(None) < late
    }
    assert len(ids) > 350 and len(down) / len(ids) == pytest.approx(0.5, abs=0.07)  # a standard error of 0.025
    # The counterfactual switches it off; it is one of the shock dates.
    assert frozen.without_shocks().freeze.start is None and start.date() in frozen.shock_dates()
