"""Excess developer growth: the real Innovation Graph data against SOURCE.md, a series with a known excess, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from talentflow import Store, ingest
from talentflow.errors import UsageError
from talentflow.migration import MigrationResult, excess_growth
from talentflow.migration.excess import parse_quarter, quarter_label


@pytest.fixture(scope="module")
def ig_db(shared, tmp_path_factory):
    db = tmp_path_factory.mktemp("excess") / "ig.duckdb"
    with Store(db) as store:
        ingest(shared / "innovationgraph", store=store)
    return db


@pytest.fixture(scope="module")
def real(ig_db) -> MigrationResult:
    with Store(ig_db, read_only=True) as store:
        return excess_growth(store)


def _row(result: MigrationResult, economy: str) -> pd.Series:
    return result.select(economy=economy).iloc[0]


def test_real_shape(real):
    frame = real.to_frame()
    assert list(frame.columns[-9:]) == [
        *("placebo_period", "placebo_estimate", "placebo_low", "placebo_high", "placebo_relative"),
        *("estimate", "low", "high", "level"),
    ]
    assert frame.economy.tolist() == [
        *("GE", "AM", "KZ", "CY", "AE", "ME", "RS", "TR", "IL"),
        "RU",
        *("DE", "US", "GB", "FR", "PL", "NL", "IN", "BR"),
    ]
    assert set(frame.role) == {"destination", "origin", "control"}
    assert (frame.period == "2022Q2-2023Q1").all()
    assert (frame.level == 0.9).all()
    assert ((frame.low <= frame.estimate) & (frame.estimate <= frame.high)).all()


def test_real_simple_baseline_matches_source_md(real):
    # SOURCE.md: window additions minus 4x the 2021 mean quarterly additions, before any control scaling.
    simple = {"GE": 29.4e3, "ME": 4.7e3, "AM": 12.4e3, "KZ": 26.7e3, "CY": 5.9e3, "AE": 22.5e3, "RS": 7.9e3}
    simple |= {"TR": 46.4e3, "IL": 12.2e3}
    for economy, figure in simple.items():
        row = _row(real, economy)
        assert row.observed - row.baseline == pytest.approx(figure, abs=60), economy
    # Its ratio column too: GE 2.08, ME 2.50, and the controls' GitHub-wide growth (DE +0.22, US +0.26).
    for economy, figure in {"GE": 2.08, "ME": 2.50, "DE": 0.22, "US": 0.26}.items():
        row = _row(real, economy)
        assert row.observed / row.baseline - 1 == pytest.approx(figure, abs=0.006), economy


def test_real_destinations_gain_and_russia_falls_short(real):
    # Against the controls' growth (geometric mean ratio 1.306), GE keeps most of its simple excess.
    ge = _row(real, "GE")
    assert ge.control_ratio == pytest.approx(1.306, abs=0.001)
    assert ge.estimate == pytest.approx(25.1e3, abs=200)
    for economy in ("GE", "AM", "KZ", "CY", "ME"):
        assert _row(real, economy).low > 0, economy
    # AE's point estimate is positive, but its growth relative to 2021 is no further from the controls' than
    # Poland's: the interval does not exclude zero.
    assert _row(real, "AE").estimate > 0
    # RS, TR and IL do not stand out against the controls (SOURCE.md says the same on the simple ratio).
    for economy in ("RS", "TR", "IL"):
        row = _row(real, economy)
        assert row.low < 0 < row.high, economy
    ru = _row(real, "RU")
    assert ru.role == "origin"
    assert ru.estimate == pytest.approx(-153.5e3, abs=1e3)
    assert ru.high < 0
    # Of the order of the origin-side claims in CLAIMS.md (50-70k first wave; ~100k by Dec 2022; 170k total).
    assert 30e3 < -ru.estimate < 400e3


def test_real_controls_are_placebos(real):
    # Each control against the others: an unaffected economy's interval should include zero.
    controls = real.select(role="control")
    assert len(controls) == 8
    assert ((controls.low < 0) & (controls.high > 0)).all()


def test_real_rows_carry_their_placebo_in_time(real):
    """The same estimate a year before the shock, against the same quarters a year earlier still: how far an
    economy strays with no shock. GE's 2022 excess (+135%) dwarfs its placebo; Brazil's placebo alone leaves out
    zero (+35%), the size of the effects claimed for Cyprus and Kazakhstan, and Kazakhstan's (-21%) only just does
    once the quarter of the year is modelled rather than resampled as noise."""
    frame = real.to_frame().set_index("economy")
    assert (frame.placebo_period == "2021Q2-2021Q4").all()
    ge, br = frame.loc["GE"], frame.loc["BR"]
    assert ge.relative > 1 and abs(ge.placebo_relative) < 0.1 and ge.placebo_low < 0 < ge.placebo_high
    assert br.placebo_relative == pytest.approx(0.35, abs=0.02) and br.placebo_low > 0
    strays = frame[(frame.placebo_low > 0) | (frame.placebo_high < 0)].index.tolist()
    assert strays == ["KZ", "BR"]
    kz = frame.loc["KZ"]
    assert kz.placebo_relative == pytest.approx(-0.21, abs=0.01) and -1000 < kz.placebo_high < 0
    (note,) = [n for n in real.notes if n.startswith("placebo in time")]
    assert "2021Q2-2021Q4 against 2020Q2-2020Q4" in note and "excludes zero for KZ -21%, BR +35%" in note


def test_seasons_are_modelled_not_resampled(real) -> None:
    """Quarter-of-year factors from the controls' 2021 additions: Q3 low, Q4 high, mean 1 over the baseline."""
    from talentflow.migration.excess import seasonal_factors

    assert real.inputs["seasons"] == (
        "quarter-of-year factors from the controls' baseline: Q1 0.997, Q2 0.977, Q3 0.932, Q4 1.094"
    )
    # By hand: two economies, one year; each quarter's mean ratio to its economy's mean, scaled to mean 1.
    base = np.array([[90.0, 100.0, 80.0, 130.0], [45.0, 50.0, 40.0, 65.0]])
    np.testing.assert_allclose(seasonal_factors(base, np.array([1, 2, 3, 0])), [1.3, 0.9, 1.0, 0.8])
    assert "around the quarter-of-year effects" in real.covers


def test_placebo_spans_match_the_seasons() -> None:
    from talentflow.migration.excess import placebo_spans

    win, base = placebo_spans((parse_quarter("2022Q2", "w"), parse_quarter("2023Q1", "w")))
    assert [quarter_label(q) for q in (*win, *base)] == ["2021Q2", "2021Q4", "2020Q2", "2020Q4"]
    # A window of one quarter keeps that quarter, a year earlier.
    win, base = placebo_spans((parse_quarter("2022Q3", "w"), parse_quarter("2022Q3", "w")))
    assert [quarter_label(q) for q in (*win, *base)] == ["2021Q3", "2021Q3", "2020Q3", "2020Q3"]


def test_real_reproducible_by_seed(ig_db):
    with Store(ig_db, read_only=True) as store:
        a = excess_growth(store, economies=("GE", "AM"), seed=7).to_frame()
        b = excess_growth(store.con, economies=("GE", "AM"), seed=7).to_frame()  # a bare connection works too
        c = excess_growth(store, economies=("GE", "AM"), seed=8).to_frame()
    pd.testing.assert_frame_equal(a, b)
    assert (a.estimate == c.estimate).all()
    assert not np.allclose(a.low, c.low)
    # A path opens the store read-only and closes it again.
    pd.testing.assert_frame_equal(excess_growth(ig_db, economies=("GE", "AM"), seed=7).to_frame(), a)


# -- a synthetic panel with a known excess --------------------------------------------------------------------

SEASON = np.array([1.0, 0.85, 1.1, 1.05])  # Q1..Q4 shape shared by every economy
GROWTH = 1.3  # the no-shock growth of quarterly additions from 2021 to the window


def _stock(level: float, window_growth: float, window_extra: float) -> list[float]:
    """Cumulative stock 2020Q4..2023Q1: 2021 additions level*season, window additions scaled and shifted."""
    adds = [*(level * SEASON), level * SEASON[0] * 1.1]  # 2021Q1-Q4, then 2022Q1 (outside both spans)
    window_season = np.roll(SEASON, -1)  # the window runs Q2, Q3, Q4, Q1
    adds += list(level * window_growth * window_season + window_extra / 4)
    return list(1000 + np.cumsum([0.0, *adds]))


def _synthetic_store(path, series: dict[str, list[float]], drop: tuple[str, str] | None = None) -> None:
    labels = [quarter_label(parse_quarter("2020Q4") + i) for i in range(10)]
    rows = [
        ("github-innovation-graph", economy, None, label, pd.Period(label, "Q").start_time.date(), "developers", v, 1)
        for economy, stock in series.items()
        for label, v in zip(labels, stock, strict=True)
        if (economy, label) != drop
    ]
    with Store(path) as store:
        store.con.executemany("INSERT INTO population VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _panel() -> dict[str, list[float]]:
    # Controls grow by GROWTH times exp(±d) in pairs, so their geometric mean ratio is exactly GROWTH.
    controls = {
        f"C{i}": _stock(level, GROWTH * np.exp(d), 0)
        for i, (level, d) in enumerate([(5e4, 0.04), (8e4, -0.04), (3e4, 0.08), (6e4, -0.08), (4e4, 0.0)])
    }
    return {
        "XD": _stock(2000, GROWTH, 6000),  # a destination that gained 6,000 accounts beyond the counterfactual
        "XO": _stock(90000, GROWTH, -120000),  # an origin that lost 120,000 (a quarter of its counterfactual)
        **controls,
    }


def test_synthetic_known_excess_is_recovered(db):
    _synthetic_store(db, _panel())
    result = excess_growth(db, economies=("XD",), origin="XO", controls=("C0", "C1", "C2", "C3", "C4"))
    xd, xo = _row(result, "XD"), _row(result, "XO")
    assert xd.control_ratio == pytest.approx(GROWTH)
    assert xd.estimate == pytest.approx(6000)
    assert xo.estimate == pytest.approx(-120000)
    assert xd.low < 6000 < xd.high and xd.low > 0
    assert xo.low < -120000 < xo.high and xo.high < 0
    assert xd.role == "destination" and xo.role == "origin"
    # C4 grew exactly at the others' geometric mean: no placebo excess.
    assert _row(result, "C4").estimate == pytest.approx(0, abs=1e-6)


# -- errors ---------------------------------------------------------------------------------------------------


def test_error_empty_store(db):
    Store(db).close()
    with pytest.raises(UsageError, match="talentflow ingest"):
        excess_growth(db)


def test_error_unknown_economy_and_bad_labels(db):
    _synthetic_store(db, _panel())
    controls = ("C0", "C1", "C2")
    with pytest.raises(UsageError, match="ZZ"):
        excess_growth(db, economies=("XD", "ZZ"), origin=None, controls=controls)
    for window in [("2022-Q2", "2023Q1"), ("2022Q5", "2023Q1"), ("2022Q2",)]:
        with pytest.raises(UsageError, match=r"quarter"):
            excess_growth(db, economies=("XD",), origin=None, controls=controls, window=window)
    with pytest.raises(UsageError, match="before"):
        excess_growth(db, economies=("XD",), origin=None, controls=controls, window=("2023Q1", "2022Q2"))
    with pytest.raises(UsageError, match="baseline"):
        excess_growth(db, economies=("XD",), origin=None, controls=controls, baseline=("2021Q1", "2022Q2"))
    with pytest.raises(UsageError, match="both"):
        excess_growth(db, economies=("XD", "C0"), origin=None, controls=controls)
    with pytest.raises(UsageError, match="origin"):
        excess_growth(db, economies=("XD",), origin="XD", controls=controls)
    with pytest.raises(UsageError, match="level"):
        excess_growth(db, economies=("XD",), origin=None, controls=controls, level=90)
    with pytest.raises(UsageError, match="n_boot must be at least 100"):
        excess_growth(db, economies=("XD",), origin=None, controls=controls, n_boot=50)


def test_error_missing_quarter(db):
    _synthetic_store(db, _panel(), drop=("XD", "2021Q3"))
    with pytest.raises(UsageError, match="XD 2021Q3, XD 2021Q4"):
        excess_growth(db, economies=("XD",), origin=None, controls=("C0", "C1", "C2"))


def test_nowcast_answers_on_innovation_graph_and_claims_alone(cli, ig_db, tmp_path) -> None:
    """No resume sightings: the claims are pooled and the result says what is missing; the accounts join only
    with a ratio of IT workers per account."""
    import json
    import shutil

    db = tmp_path / "ig.duckdb"
    shutil.copy(ig_db, db)
    cli("claims", "import", "--builtin", "--db", db)
    result = cli("migration", "nowcast", "--db", db, "--format", "json")
    rows = json.loads(result.stdout)
    net = {r["input"] for r in rows if r["flow"] == "net"}
    assert net == {"claim A5-abroad", "nowcast"}
    message = " ".join(result.stderr.split())
    assert "no real resume sightings: the panel is missing" in message
    assert "the developer-account shortfall is left out: accounts are not people" in message
    given = json.loads(
        cli("migration", "nowcast", "--db", db, "--people-per-account", "0.5", "--format", "json").stdout
    )
    accounts = [r for r in given if r["input"].startswith("excess developer accounts")]
    assert len(accounts) == 1 and accounts[0]["estimate"] == pytest.approx(153_494.8 * 0.5, rel=1e-3)
