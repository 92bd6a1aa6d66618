"""The claims ledger: the built-in claims, import and add through the CLI, bad files, and the comparison."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from talentflow import Store, ingest
from talentflow.claims import METRICS, builtin_claims, compare, default_estimators, read_claims, store_claims
from talentflow.claims.ledger import COLUMNS
from talentflow.errors import InputError, UsageError
from talentflow.migration import PanelRequest, panel_fit
from talentflow.simulate import load_scenario, simulate

HEADER = ",".join(COLUMNS)
URL = "https://example.org/claim"


def csv_row(claim_id: str, value: str, metric: str = "it_vacancies", unit: str = "vacancies") -> str:
    return f"{claim_id},{metric},RU,2022-01-01,2022-01-31,{value},,,{unit},Someone,2022-02-01,{URL}"


def test_builtin_claims_load_and_follow_the_vocabulary() -> None:
    source = builtin_claims()
    by_id = {c.claim_id: c for c in source.claims}
    assert len(by_id) == 27
    a5 = by_id["A5-abroad"]
    assert (a5.metric, a5.geography, a5.value, a5.unit) == ("it_abroad_net", "RU", 100_000, "people")
    assert (a5.period_start, a5.period_end, a5.said_on) == (date(2022, 1, 1), date(2022, 12, 20), date(2022, 12, 20))
    assert a5.url == "https://www.newsru.co.il/finance/20dec2022/it_rus_111.html"
    first = by_id["A1-first-wave"]
    assert (first.value, first.value_low, first.value_high) == (None, 50_000, 70_000)
    more_than = by_id["B2-mar"]  # "over 40%": a lower bound only
    assert (more_than.value, more_than.value_low, more_than.value_high) == (None, 0.40, None)
    assert more_than.stated == "≥ 0.4"
    assert by_id["A3"].metric == "sim_return_share"  # SIM cards, not IT workers: never read as return_share
    assert by_id["S4"].metric == "relocation_europe_share"  # a preference: never read as a count of movers
    assert {c.metric for c in source.claims} <= set(METRICS)
    assert all(c.url.startswith("http") and c.geography == "RU" for c in source.claims)
    assert source.locations[0].startswith("builtin:claims.toml:")


def test_cli_import_list_and_reimport_account_for_every_claim(cli, db: Path) -> None:
    first = json.loads(cli("claims", "import", "--builtin", "--db", db, "--format", "json").stdout)
    assert (first["read"], first["inserted"], first["updated"], first["unchanged"]) == (27, 27, 0, 0)
    again = json.loads(cli("claims", "import", "--builtin", "--db", db, "--format", "json").stdout)
    assert (again["read"], again["inserted"], again["updated"], again["unchanged"]) == (27, 0, 0, 27)
    assert again["ingest_id"] is None  # nothing changed, so nothing was logged
    rows = json.loads(cli("claims", "list", "--db", db, "--format", "json").stdout)
    assert len(rows) == 27 and all(list(r) == list(COLUMNS) for r in rows)
    tension = json.loads(cli("claims", "list", "--metric", "tension", "--db", db, "--format", "json").stdout)
    assert [r["claim_id"] for r in tension] == ["B1-tension-aug", "B1-tension-jan", "B4", "B5-2019"]
    b4 = tension[2]
    assert b4["value"] == 3.0 and b4["period_end"] == "2021-11-17" and b4["value_low"] is None
    listed_csv = cli("claims", "list", "--db", db, "--format", "csv").stdout.splitlines()
    assert listed_csv[0] == HEADER and len(listed_csv) == 28
    with Store(db, read_only=True) as store:
        log = store.con.execute("SELECT input, format, read, accepted, duplicates FROM ingest_log").fetchall()
        assert log == [("builtin:claims.toml", "claims-toml", 27, 27, 0)]


def test_cli_add_refuses_to_overwrite_unless_told(cli, db: Path) -> None:
    base = ["claims", "add", "--id", "X1", "--metric", "it_vacancies", "--geography", "RU", "--from", "2022-03-01"]
    base += ["--to", "2022-03-31", "--unit", "vacancies", "--who", "A reporter", "--url", URL, "--db", str(db)]
    added = json.loads(cli(*base, "--value", "95000", "--said-on", "2022-04-01", "--format", "json").stdout)
    assert (added["read"], added["inserted"]) == (1, 1)
    refused = cli(*base, "--value", "90000", code=2)
    assert "X1 is already stored with other values" in refused.output
    replaced = json.loads(cli(*base, "--value", "90000", "--replace", "--format", "json").stdout)
    assert (replaced["updated"], replaced["updated_ids"]) == (1, ["X1"])
    ranged = [*base[:3], "X2", *base[4:]]
    cli(*ranged, "--low", "50000", "--high", "70000")
    rows = {r["claim_id"]: r for r in json.loads(cli("claims", "list", "--db", db, "--format", "json").stdout)}
    assert rows["X1"]["value"] == 90000 and rows["X1"]["said_on"] is None  # the replacement said no date
    assert (rows["X2"]["value"], rows["X2"]["value_low"], rows["X2"]["value_high"]) == (None, 50000, 70000)
    assert "either --value or --low/--high" in cli(*base, "--value", "1", "--low", "1", code=2).output
    bad = cli(*base[:3], "X3", *base[4:], "--value", "40", "--unit", "share", code=2).output
    assert "value: a share lies in 0–1" in bad


def test_csv_import_updates_changed_claims_and_counts_each_once(cli, db: Path, tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("\n".join([HEADER, csv_row("C1", "100"), csv_row("C2", "200")]) + "\n")
    cli("claims", "import", path, "--db", db)
    path.write_text("\n".join([HEADER, csv_row("C1", "100"), csv_row("C2", "250"), csv_row("C3", "300")]) + "\n")
    report = json.loads(cli("claims", "import", path, "--db", db, "--format", "json").stdout)
    assert {k: report[k] for k in ("read", "inserted", "updated", "unchanged")} == {
        "read": 3,
        "inserted": 1,
        "updated": 1,
        "unchanged": 1,
    }
    assert report["updated_ids"] == ["C2"]
    with Store(db, read_only=True) as store:
        assert store.con.execute("SELECT claim_id, value FROM claim ORDER BY 1").fetchall() == [
            ("C1", 100.0),
            ("C2", 250.0),
            ("C3", 300.0),
        ]


@pytest.mark.parametrize(
    ("name", "text", "messages"),
    [
        (
            "bad.csv",
            "\n".join([HEADER, csv_row("C1", "100"), csv_row("C2", "40", "leaver_share", "share")]),
            ["bad.csv:3: claim C2: value: a share lies in 0–1 (write 0.4 for 40%), not 40"],
        ),
        (
            "bad.csv",
            "\n".join([HEADER, csv_row("C1", "many"), csv_row("C1", "100"), "C9,x,RU"]),
            [
                "bad.csv:2: claim C1: value: expected a number",
                "bad.csv:3: claim C1: claim_id: repeats the claim at line 2",
                "bad.csv:4: claim C9: row: 3 cells for the header's 12 columns",
            ],
        ),
        (
            "bad.toml",
            '[[claim]]\nclaim_id = "T1"\nmetric = "tension"\ngeography = "RU"\nperiod_start = 2022-01-01\n'
            'period_end = 2022-01-31\nvalue = 1.9\nunit = "ratio"\nwho = "x"\nurl = "https://e.org"\n\n'
            '[[claim]]\nclaim_id = "T2"\nmetric = "tension"\ngeography = "Russia"\nperiod_start = 2022-02-01\n'
            'period_end = 2022-01-31\nunit = "ratio"\nwho = "x"\nurl = "e.org"\nsource = "y"\n',
            [
                "bad.toml:12: claim T2: source: unknown field",
                "bad.toml:12: claim T2: geography: expected an ISO 3166-1 alpha-2 code",
                "bad.toml:12: claim T2: url: expected an http(s) address",
                "bad.toml:12: claim T2: period_end: 2022-01-31 is before period_start 2022-02-01",
                "bad.toml:12: claim T2: value: missing",
            ],
        ),
        ("bad.toml", "[[claim]\n", ["bad.toml: not valid TOML"]),
        ("bad.json", "[]", ["a claims file is .toml or .csv"]),
    ],
)
def test_bad_files_name_the_line_and_field_and_store_nothing(
    cli, db: Path, tmp_path: Path, name: str, text: str, messages: list[str]
) -> None:
    path = tmp_path / name
    path.write_text(text)
    Store(db).close()
    with pytest.raises(InputError) as err:
        read_claims(path)
    for message in messages:
        assert message in str(err.value)
    result = cli("claims", "import", path, "--db", db, code=2)
    assert messages[0] in result.output
    with Store(db, read_only=True) as store:
        assert store.counts()["claim"] == 0


# -- the comparison on a simulated market ------------------------------------------------------------------
SCALE = 0.002


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Exodus-2022 at 2,000 workers from October 2021 to September 2022, ingested, with the built-in claims."""
    root = tmp_path_factory.mktemp("claims")
    sim = root / "sim"
    simulate(load_scenario("exodus-2022"), sim, scale=SCALE, seed=3, start=date(2021, 10, 1), end=date(2022, 9, 30))
    db = root / "store.duckdb"
    ingest([sim], db=db)
    with Store(db) as store:
        store_claims(store, builtin_claims())
    return db


def test_compare_sets_each_claim_beside_the_board_estimate(market: Path) -> None:
    with Store(market, read_only=True) as store:
        # The fit each comparison would make for itself (the default request on simulated data), made once.
        fit = panel_fit(store, PanelRequest(data="simulated"))
        frame = compare(store, data="simulated", coverage=SCALE, panel_fit=fit).set_index("claim_id")
        as_counted = compare(store, data="simulated", panel_fit=fit).set_index("claim_id")
    assert len(frame) == 27 and frame["status"].value_counts().to_dict() == {
        "no estimate": 9,
        "calibration target": 13,
        "contradicted": 4,
        "inconclusive": 1,
    }
    # The scenario was set to reproduce A1, A3, A4, A5, A9, B1, B2, S2 (its posting freeze) and S3 (B2's figure
    # quoted again): on its market those claims get no verdict, whatever the estimate.
    jan = frame.loc["B1-tension-jan"]
    assert jan.estimate == pytest.approx(439 / 234) and jan.status == "calibration target"
    assert "(scenario exodus-2022) was calibrated to this claim: no evidence either way" in jan.note
    assert "439 resumes / 234 vacancies" in jan.inputs
    # Levels: 234 board vacancies at scale 0.002 are 117,000, within 10% of the claimed 114,000 …
    assert frame.loc["B1-vacancies-jan"].estimate == pytest.approx(234 / SCALE)
    assert frame.loc["B1-vacancies-jan"].status == "calibration target"
    # … and end-of-March 2022 at 94,000, near the 95,000 of S2, which the posting freeze was set to reproduce.
    s2 = frame.loc["S2"]
    assert (s2.claim, s2.estimate, s2.status) == ("95,000", pytest.approx(94_000), "calibration target")
    assert "the estimate has no interval: judged as a point" in s2.note
    # Counted as they are, board levels are far below national claims, and say why.
    assert as_counted.loc["B1-vacancies-jan"].estimate == 234 and as_counted.loc["S2"].estimate == 188
    assert "board holds a sample" in as_counted.loc["B1-vacancies-jan"].note
    # Shares compare directly, with a sampling interval; "over 40%" is a lower bound.
    mar = frame.loc["B2-mar"]
    assert mar.estimate == pytest.approx(180 / 461) and mar.low < mar.estimate < mar.high
    assert mar.status == "calibration target"
    assert frame.loc["B4"].status == "contradicted" and frame.loc["B4"].estimate < 2.7
    # S4, a preference for Europe: the simulated resumes name European countries far less often than 45%.
    s4 = frame.loc["S4"]
    assert (s4.claim, s4.status) == ("0.45", "contradicted") and s4.estimate == pytest.approx(40 / 180)
    assert s4.low < s4.estimate < s4.high < 0.405
    assert "40 of 180 resumes ready to move abroad name a European country" in s4.inputs
    # Migration metrics come from the panel estimator, over the claim's months.
    forecast = frame.loc["A1-forecast"]
    assert forecast.status == "calibration target" and forecast.low < forecast.estimate < forecast.high
    # S1's 200,000 is not a target: its interval crosses the claim's ±10%, so the simulated market can neither
    # confirm nor refute it (the old rule read it "outside", which a reader could take for a debunking).
    assert frame.loc["S1"].status == "inconclusive"
    s1 = frame.loc["S1"].inputs
    assert "the claim's 2022-02-24 to 2022-04-30 is finer than the panel's months" in s1
    assert "panel emigration, 2022-02 to 2022-04" in forecast.inputs
    # Nothing to compare: a window past the records, a metric with no estimator, a date before the records start.
    assert frame.loc["A5-abroad"].status == "no estimate" and pd_isna(frame.loc["A5-abroad"].estimate)
    assert "2022-01 to 2022-12 is not inside the simulated resume sightings" in frame.loc["A5-abroad"].note
    assert frame.loc["A6"].note == "no estimator registered for emigrants_total"
    assert set(frame[frame.status != "no estimate"].data) == {"simulated"}
    assert set(frame[frame.status == "no estimate"].data) == {"none"}
    assert "2019-02-28 lies outside the simulated vacancy_observation records (2021-" in frame.loc["B5-2019"].note


@pytest.mark.parametrize(
    ("interval", "status"),
    [
        ((195_000.0, 205_000.0), "consistent"),  # inside 180,000–220,000
        ((100_000.0, 300_000.0), "inconclusive"),  # holds the claim, but far wider than its margins
        ((181_000.0, 240_000.0), "inconclusive"),  # crosses a margin
        ((110_000.0, 130_000.0), "contradicted"),  # wholly below
        ((None, None), "consistent"),  # a point inside, judged as a point
    ],
)
def test_a_wide_interval_alone_cannot_make_a_claim_consistent(market: Path, interval, status) -> None:
    """S1 (about 200,000 emigrants, so 180,000–220,000 at ±10%) against estimates of 200,000 with intervals."""
    low, high = interval
    estimate = 200_000.0 if low is None or low < 200_000 < high else (low + high) / 2
    mine = {**default_estimators(), "it_emigrants": lambda store, claim: (estimate, low, high, "test")}
    s1 = [c for c in builtin_claims().claims if c.claim_id == "S1"]
    with Store(market, read_only=True) as store:
        row = compare(store, s1, data="real", estimators=mine).iloc[0]
    assert row.status == status


def test_no_verdict_on_a_claim_whose_figure_scaled_the_estimate(market: Path) -> None:
    """The default population (about 1 million, from claims A4 and A5) scales the panel's flows: an estimate scaled
    by it is no evidence about A4 or A5, however close it comes; other claims are judged as ever."""
    from talentflow.claims import Estimate
    from talentflow.migration.requests import DEFAULT_POPULATION

    assert DEFAULT_POPULATION.claims == ("A4", "A5") and DEFAULT_POPULATION.source.startswith("assumed")

    def scaled(store: Store, claim: object) -> Estimate:
        return Estimate(170_000.0, 168_000.0, 172_000.0, "test", DEFAULT_POPULATION.claims)

    mine = {**default_estimators(), "it_emigrants": scaled, "it_abroad_net": scaled}
    chosen = [c for c in builtin_claims().claims if c.claim_id in ("A4", "A5-abroad", "S1")]
    with Store(market, read_only=True) as store:
        frame = compare(store, chosen, data="real", estimators=mine).set_index("claim_id")
    for claim_id in ("A4", "A5-abroad"):
        assert frame.loc[claim_id].status == "inconclusive"
        assert "circular: the estimate is scaled by this claim's figure" in frame.loc[claim_id].note
    # A4 is 170,000: without the circularity the same interval would make it consistent.
    assert frame.loc["S1"].status == "contradicted" and "circular" not in frame.loc["S1"].note


def test_a_lower_bound_is_met_only_by_an_interval_above_it() -> None:
    from talentflow.claims._compare import verdict

    inf = float("inf")
    assert verdict(0.4, inf, 0.45, 0.42, 0.48) == "consistent"
    assert verdict(0.4, inf, 0.41, 0.37, 0.44) == "inconclusive"  # the old rule: "within"
    assert verdict(0.4, inf, 0.30, 0.25, 0.35) == "contradicted"


def pd_isna(value: object) -> bool:
    return value is None or value != value


def test_the_estimators_passed_are_used(market: Path) -> None:
    mine = {**default_estimators(), "it_abroad_net": lambda store, claim: (95_000.0, 80_000.0, 110_000.0, "test")}
    a5 = [c for c in builtin_claims().claims if c.claim_id == "A5-abroad"]
    with Store(market, read_only=True) as store:
        row = compare(store, a5, data="simulated", estimators=mine).iloc[0]
        # Nothing is registered anywhere: the next comparison uses the defaults again.
        again = compare(store, a5, data="simulated").iloc[0]
        with pytest.raises(UsageError, match="panel_fit is for the default estimators"):
            compare(store, a5, estimators=mine, panel_fit=object())  # type: ignore[arg-type]
    assert (row.estimate, row.low, row.high, row.inputs) == (95_000, 80_000, 110_000, "test")
    assert row.status == "calibration target"  # A5 is one of exodus-2022's targets
    assert row.data == "simulated"  # estimators passed in are taken to read the data asked for
    assert again.status == "no estimate" and "not inside the simulated resume sightings" in again.note


def test_the_comparison_does_not_depend_on_what_ran_before(market: Path) -> None:
    """A fit handed to one comparison (as the report does) is not kept for the next one."""
    from talentflow.migration import PanelOptions, fit_panel, load_panel
    from talentflow.migration.requests import DEFAULT_POPULATION

    forecast = [c for c in builtin_claims().claims if c.claim_id == "A1-forecast"]
    with Store(market, read_only=True) as store:
        fresh = compare(store, forecast, data="simulated")
        panel = load_panel(store, data="simulated")
        small = fit_panel(panel, DEFAULT_POPULATION, options=PanelOptions(n_boot=3, seed=9))
        handed = compare(store, forecast, data="simulated", panel_fit=small)
        after = compare(store, forecast, data="simulated")
        with pytest.raises(UsageError, match="the fit is of simulated data and the comparison of real data"):
            compare(store, forecast, panel_fit=small)
    cols = ["estimate", "low", "high", "status"]
    assert after[cols].equals(fresh[cols])
    # The small fit did answer the comparison it was handed to: same point, another interval.
    assert handed.estimate.iloc[0] == pytest.approx(fresh.estimate.iloc[0])
    assert (handed.low.iloc[0], handed.high.iloc[0]) != (fresh.low.iloc[0], fresh.high.iloc[0])


def test_cli_compare_prints_every_claim(cli, market: Path) -> None:
    result = cli(
        "claims", "compare", "--db", market, "--data", "simulated", "--coverage", str(SCALE), "--format", "json"
    )
    rows = {r["claim_id"]: r for r in json.loads(result.stdout)}
    summary = "0 consistent, 4 contradicted, 1 inconclusive, 13 calibration target, 9 no estimate"
    assert len(rows) == 27 and summary in " ".join(result.stderr.split())
    s3 = rows["S3"]
    assert set(s3) == {
        "claim_id",
        "metric",
        "geography",
        "period_start",
        "period_end",
        "claim",
        "estimate",
        "low",
        "high",
        "status",
        "data",
        "note",
        "inputs",
    }
    assert (s3["claim"], s3["status"], s3["period_end"]) == ("≥ 0.4", "calibration target", "2022-03-31")
    assert s3["estimate"] == pytest.approx(180 / 461)
    table = cli("claims", "compare", "--db", market, "--data", "simulated").stdout
    assert "contradicted" in table and "B1-tension-jan" in table
    cli("claims", "compare", "--db", market, "--format", "xml", code=2)
