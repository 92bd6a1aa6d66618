"""Impact analysis: change points, interrupted time series, synthetic control, the simulator's counterfactual,
the command line, and the real Hiring Lab and Innovation Graph data."""

from __future__ import annotations

import gzip
import itertools
import json

import market_fixture
import numpy as np
import pandas as pd
import pytest

from talentflow import Store, ingest
from talentflow.errors import UsageError
from talentflow.impact import ChangepointRequest, ItsRequest, SynthRequest, _pelt, changepoints, estimate, its, synth
from talentflow.impact._synth import weights
from talentflow.simulate import load_scenario, simulate


def _weekly(values: np.ndarray, start: str = "2021-01-04") -> pd.DataFrame:
    periods = pd.date_range(start, periods=len(values), freq="7D")
    return pd.DataFrame(
        {"key": "all", "period": periods, "period_end": periods + pd.Timedelta(days=6), "value": values}
    )


def _request(**kw) -> ChangepointRequest:
    """The line model unless told (``auto`` takes the vacancy stock for a stock, which needs its inflow)."""
    return ChangepointRequest(indicator="vacancies_active", n_boot=99, **{"model": "line", "seasonal": "none", **kw})


def test_a_known_break_is_found_with_an_interval_that_holds_it():
    rng = np.random.default_rng(3)
    t = np.arange(120, dtype=float)
    y = 50 + 0.1 * t + np.where(t >= 70, 8 + 0.5 * (t - 70), 0) + rng.normal(0, 1.5, len(t))
    result = changepoints(_weekly(y), _request())
    level = result.select(change="level")
    assert len(level) == 1
    true_day = pd.Timestamp("2021-01-04") + pd.Timedelta(weeks=70)
    row = level.iloc[0]
    assert abs((pd.Timestamp(row["date"]) - true_day).days) <= 14
    assert pd.Timestamp(row["date_low"]) <= true_day <= pd.Timestamp(row["date_high"])
    assert row["significant"] and row["p_value"] <= 0.1
    assert row["low"] <= 8 <= row["high"]
    slope = result.select(change="slope").iloc[0]
    assert slope["low"] <= 0.5 <= slope["high"]
    # The known events stand beside the break: the invasion is the nearest event to mid-2022 breaks.
    assert set(result.tables["events"]["event"]) == {"2022-02-24", "2022-09-21"}


def test_a_straight_line_has_no_break():
    rng = np.random.default_rng(4)
    y = 20 + 0.2 * np.arange(150) + rng.normal(0, 2, 150)
    result = changepoints(_weekly(y), _request())
    assert result.stats["significant"] == 0


def test_a_ramp_is_found_where_it_begins_and_progress_is_told():
    """A level falling linearly over 9 weeks (as the simulated demand does after the invasion) is a kink where the
    fall begins: found within two weeks of it, not where the ramp has become steep. Every re-segmentation of
    every series is told to ``progress``."""
    rng = np.random.default_rng(8)
    t = np.arange(150, dtype=float)
    y = 100 - 30 * np.clip((t - 80) / 9, 0, 1) + rng.normal(0, 1.5, len(t))
    seen: list[tuple[int, int]] = []
    result = changepoints(_weekly(y), _request(), progress=lambda done, total: seen.append((done, total)))
    level = result.select(change="level")
    first = level.iloc[0]
    start = pd.Timestamp("2021-01-04") + pd.Timedelta(weeks=80)
    assert abs((pd.Timestamp(first["date"]) - start).days) <= 14 and first["significant"], level
    assert first["shape"] in ("kink", "kink+shift")
    assert seen[-1] == (99, 99) and [d for d, _ in seen] == list(range(1, 100))


def test_a_ramp_then_a_step_is_split_into_its_two_breaks():
    """A ramp that begins at week 60 and steps up at week 64 (the resume stock after the invasion, stepping at
    the month-end crawl): forward selection takes both as one kink+shift at the step, after which a break at
    the ramp's start does not pay on its own; the split finds the ramp's start in most of ten seeds, where
    forward selection alone rarely does."""
    from talentflow.impact import _hinge
    from talentflow.impact._changepoints import design, penalty_rule

    t = np.arange(140, dtype=float)
    X = design(_weekly(t)["period_end"], seasonal=False)
    cand = _hinge.Candidates.of(len(t))
    found = {"forward": 0, "select": 0}
    for seed in range(10):
        rng = np.random.default_rng(seed)
        y = 500 + 0.2 * t + 7 * np.maximum(t - 59, 0) + np.where(t >= 64, 60, 0) + rng.normal(0, 10, len(t))
        pen, _ = penalty_rule(X, y, 1.0, 4, cand)
        forward = _hinge._forward(X, y, pen, 4, cand, [])
        chosen = _hinge.select(X, y, pen, 4, cand)
        found["forward"] += any(abs(tau - 60) <= 1 for tau, _ in forward)
        found["select"] += any(abs(tau - 60) <= 1 for tau, _ in chosen)
        assert any(abs(tau - 64) <= 1 for tau, _ in chosen), chosen
    assert found["select"] >= 6 and found["forward"] <= 3, found


def _postings(inflow: np.ndarray, survival: float, rng: np.random.Generator) -> np.ndarray:
    """The stock at each period's end of postings opened ``inflow[s]`` at a time, each open for a geometric
    number of periods (still open at the end of period ``t`` with probability ``survival^(t − s)``)."""
    stock = np.zeros(len(inflow))
    for s, k in enumerate(inflow):
        lives = rng.geometric(1 - survival, size=k)  # periods open: 1, 2, …
        for life in lives:
            stock[s : s + life] += 1
    return stock


def test_the_stock_model_dates_the_inflows_break():
    """A stock of postings whose inflow drops from 200 to 140 a week at week 80 drains over the postings' lives
    (4 weeks on average): the stock model dates the break at the inflow's, with an interval that holds it and
    the stock's eventual fall (60 × 4) inside the size's interval, and measures the mean life by Little's law;
    the line model of the stock itself puts its nearest break two weeks off."""
    rng = np.random.default_rng(11)
    t = np.arange(-20, 120)
    inflow = rng.poisson(np.where(t >= 80, 140, 200))
    stock = _postings(inflow, 0.75, rng)[20:]  # the first 20 weeks fill the stock up
    frame = _weekly(stock).assign(inflow=inflow[20:].astype(float))
    true_day = pd.Timestamp("2021-01-04") + pd.Timedelta(weeks=80)
    found = changepoints(frame, _request(model="stock")).select(change="level")
    assert set(found["model"]) == {"stock"} and found["mean_life"].iloc[0] == pytest.approx(4, rel=0.05)
    days = (pd.to_datetime(found["date"]) - true_day).dt.days
    first = found.iloc[int(np.argmin(days.abs()))]
    assert abs((pd.Timestamp(first["date"]) - true_day).days) <= 7 and first["significant"], found
    assert pd.Timestamp(first["date_low"]) <= true_day <= pd.Timestamp(first["date_high"]) + pd.Timedelta(days=6)
    assert first["low"] <= -240 <= first["high"]
    line = changepoints(frame, _request(model="line")).select(change="level")
    assert (pd.to_datetime(line["date"]) - true_day).dt.days.abs().min() >= 14
    with pytest.raises(UsageError) as info:
        changepoints(frame.drop(columns="inflow"), _request(model="stock"))
    assert info.value.param == "model"
    with pytest.raises(UsageError) as info:
        ChangepointRequest(indicator="resumes_active", model="stock")
    assert info.value.param == "model"


def test_pelt_finds_the_optimal_partition():
    """PELT's pruning loses nothing: the same breaks and cost as optimal partitioning over every split."""
    rng = np.random.default_rng(5)
    y = np.concatenate([rng.normal(0, 1, 25), rng.normal(4, 1, 20), 4 + 0.5 * np.arange(25) + rng.normal(0, 1, 25)])
    X = np.column_stack([np.ones(len(y)), np.arange(len(y), dtype=float)])
    sums = _pelt.Sums.of(X, y)
    pen, size = 3 * np.log(len(y)), 4
    found = _pelt.pelt(sums, pen, size)
    best = np.full(len(y) + 1, np.inf)
    best[0] = -pen
    for t in range(size, len(y) + 1):
        starts = np.array([s for s in range(0, t - size + 1) if s == 0 or s >= size])
        best[t] = np.min(best[starts] + sums.cost(starts, t) + pen)
    bounds = [0, *found, len(y)]
    total = sum(sums.cost(np.array([a]), b)[0] for a, b in itertools.pairwise(bounds))
    assert total + pen * len(found) == pytest.approx(best[len(y)], abs=1e-6)
    assert len(found) == 2 and found[0] == 25 and abs(found[1] - 45) <= 4


def test_pelt_agrees_with_ruptures():
    rpt = pytest.importorskip("ruptures")
    from ruptures.base import BaseCost

    rng = np.random.default_rng(6)
    y = np.concatenate([rng.normal(0, 1, 40), rng.normal(3, 1, 30), rng.normal(-1, 1, 40)])
    X = np.column_stack([np.ones(len(y)), np.arange(len(y), dtype=float)])
    sums = _pelt.Sums.of(X, y)

    class Linear(BaseCost):
        model = "talentflow-linear"
        min_size = 5

        def fit(self, signal):
            self.signal = signal
            return self

        def error(self, start, end):
            return float(sums.cost(np.array([start]), end)[0])

    pen = 4 * np.log(len(y))
    theirs = rpt.Pelt(custom_cost=Linear(), min_size=5, jump=1).fit(y[:, None]).predict(pen=pen)
    assert _pelt.pelt(sums, pen, 5) == theirs[:-1]


def _monthly(values: np.ndarray, start: str = "2019-01-01") -> pd.DataFrame:
    periods = pd.date_range(start, periods=len(values), freq="MS")
    ends = periods + pd.offsets.MonthEnd(0)
    return pd.DataFrame({"period": periods, "period_end": ends, "value": values})


def test_its_recovers_a_known_step():
    rng = np.random.default_rng(7)
    n, step = 48, 36
    y = 100 + rng.normal(0, 1, n)
    y[step:] += 20
    request = ItsRequest(indicator="resumes_active", event="2022-01-01", n_boot=400, seed=1)
    result = its(_monthly(y), request)
    effects = result.select(kind="effect")
    assert len(effects) == n - step
    assert effects["estimate"].mean() == pytest.approx(20, abs=1.5)
    covered = (effects["low"] <= 20) & (effects["high"] >= 20)
    assert covered.mean() >= 0.8
    last = result.select(kind="cumulative").iloc[-1]
    assert last["low"] <= 20 * (n - step) <= last["high"]
    assert result.stats["cumulative_p"] < 0.05
    # Without a step the interval holds zero.
    flat = its(_monthly(100 + rng.normal(0, 1, n)), request).select(kind="cumulative").iloc[-1]
    assert flat["low"] <= 0 <= flat["high"]


def _panel(values: dict[str, np.ndarray], start: str = "2018-01-01") -> pd.DataFrame:
    periods = pd.date_range(start, periods=len(next(iter(values.values()))), freq="QS")
    rows = [pd.DataFrame({"key": k, "period": periods, "value": v}) for k, v in values.items()]
    return pd.concat(rows, ignore_index=True)


def _donors(rng: np.random.Generator, n: int, quarters: int) -> dict[str, np.ndarray]:
    growth = rng.normal(0.03, 0.01, (n, 1)) + rng.normal(0, 0.01, (n, quarters))
    return {f"D{i}": 1000 * np.exp(np.cumsum(growth[i])) for i in range(n)}


def test_weights_recover_a_known_mix():
    rng = np.random.default_rng(8)
    y0 = rng.normal(0, 1, (30, 6))
    truth = np.array([0.5, 0.3, 0.2, 0, 0, 0])
    w = weights(y0 @ truth, y0)
    assert w == pytest.approx(truth, abs=1e-4)
    assert w.sum() == pytest.approx(1)


def test_synth_gap_and_placebo_p_value():
    rng = np.random.default_rng(9)
    donors = {k.replace("D", "X"): v for k, v in _donors(rng, 19, 24).items()}
    codes = [f"{a}{b}" for a in "BCD" for b in "ABCDEFGHIJKLMNOPQRS"][:19]  # two-letter codes, none a NOT_DONOR
    donors = dict(zip(codes, donors.values(), strict=True))
    treated = 0.6 * donors[codes[0]] + 0.4 * donors[codes[1]]
    shocked = treated.copy()
    shocked[16:] *= 1.2  # 20% above its synthetic control from the event (2022Q1) on
    # In levels the mix is exact; an index would rescale each donor's weight by its size relative to the unit's.
    request = SynthRequest(unit="GE", event="2022Q1", start="2018Q1", end="2023Q4", n_donors=19, transform="level")
    result = synth(_panel({"GE": shocked, **donors}), request)
    weights_found = result.tables["weights"].set_index("donor")["weight"]
    assert weights_found[codes[0]] == pytest.approx(0.6, abs=0.02)
    assert weights_found[codes[1]] == pytest.approx(0.4, abs=0.02)
    gaps = result.select(kind="gap")
    assert gaps["estimate"].to_numpy() == pytest.approx(0.2 * treated[16:], rel=0.05)
    assert result.stats["p_value"] == pytest.approx(1 / 20)  # the largest post/pre ratio of 20
    mean = result.select(kind="mean gap").iloc[0]
    assert mean["low"] <= 0.2 * treated[16:].mean() <= mean["high"] and mean["low"] > 0
    placebo = synth(_panel({"GE": treated, **donors}), request)
    assert placebo.stats["p_value"] > 0.1
    assert placebo.select(kind="mean gap").iloc[0]["low"] <= 0


def test_synth_request_checks():
    with pytest.raises(UsageError) as info:
        SynthRequest(unit="GE", donors=("GE",))
    assert info.value.param == "donors"
    with pytest.raises(UsageError) as info:
        SynthRequest(event="2020Q2")
    assert info.value.param == "event"


def _weekly_truth(out) -> pd.DataFrame:
    return pd.read_parquet(out / "truth" / "weekly.parquet")


def _board_before(out, day: str) -> list[str]:
    with gzip.open(out / "vacancies.ndjson.gz", "rt") as f:
        return sorted(line for line in f if json.loads(line)["observed_at"] < day)


def test_counterfactual_shares_the_random_numbers_until_the_shock(tmp_path):
    scenario = load_scenario("exodus-2022")
    shocked = simulate(scenario, tmp_path / "shocked", seed=2, scale=0.002, end=pd.Timestamp("2022-06-30").date())
    counter = simulate(
        scenario, tmp_path / "cf", seed=2, scale=0.002, end=pd.Timestamp("2022-06-30").date(), counterfactual=True
    )
    a, b = _weekly_truth(shocked.out), _weekly_truth(counter.out)
    first = min(scenario.shock_dates())
    assert first == pd.Timestamp("2022-02-24").date()
    week = a.columns[0]
    before = pd.to_datetime(a[week]) < pd.Timestamp(first) - pd.Timedelta(days=6)
    pd.testing.assert_frame_equal(a[before], b[before])
    assert not a[~before].equals(b[~before])
    assert a[~before]["abroad"].iloc[-1] > 5 * b[~before]["abroad"].iloc[-1]
    assert _board_before(shocked.out, "2022-02-20") == _board_before(counter.out, "2022-02-20")
    assert json.loads((counter.out / "scenario.json").read_text())["counterfactual"] is True


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    return market_fixture.build(tmp_path_factory.mktemp("impact") / "market.duckdb")


def _frozen_board(seed: int) -> pd.DataFrame:
    """Weekly means of a daily stock of postings (28 new a day, 25 days open on average) in which, on Thursday
    2022-02-24, a quarter of the open postings are taken down at once and new ones fall to 21 a day."""
    rng = np.random.default_rng(seed)
    start, days = pd.Timestamp("2020-11-02"), 7 * 160  # a Monday; the first 20 weeks fill the stock up
    day0 = (pd.Timestamp("2022-02-24") - start).days
    opened = rng.poisson(np.where(np.arange(days) >= day0, 21.0, 28.0))
    starts = np.repeat(np.arange(days), opened)
    ends = np.minimum(starts + rng.geometric(1 / 25, size=len(starts)), days)
    taken = (starts <= day0) & (ends > day0) & (rng.random(len(starts)) < 0.25)
    ends[taken] = day0
    change = np.zeros(days + 1)
    np.add.at(change, starts, 1)
    np.add.at(change, ends, -1)
    weeks = np.cumsum(change)[:days].reshape(-1, 7).mean(axis=1)[20:]
    frame = _weekly(weeks, start=str((start + pd.Timedelta(weeks=20)).date()))
    return frame.assign(inflow=opened.reshape(-1, 7).sum(axis=1)[20:].astype(float))


def test_a_withdrawal_of_open_postings_is_dated_in_its_week():
    """A hiring freeze takes open postings down at once, which a fall of new postings alone cannot do (it
    drains the stock over the postings' lives): the stock model's pulse dates the freeze in the week it began,
    the interval holding the day, with postings removed (a negative pulse)."""
    day = pd.Timestamp("2022-02-24")
    found = changepoints(_frozen_board(2), _request(model="stock"))
    rows = found.rows[(pd.to_datetime(found.rows["date"]) - day).dt.days.abs() <= 14]
    assert len(rows) == 3 and set(rows["change"]) == {"level", "slope", "pulse"}, found.rows
    first = rows.iloc[0]
    assert first["date"] == pd.Timestamp("2022-02-21").date() and first["shape"] == "pulse+shift"
    assert pd.Timestamp(first["date_low"]) <= day < pd.Timestamp(first["date_high"]) + pd.Timedelta(days=7)
    pulse = rows[rows["change"] == "pulse"].iloc[0]
    level = rows[rows["change"] == "level"].iloc[0]
    assert pulse["estimate"] < 0 and level["estimate"] < 0 and first["significant"]


def test_cli_changepoints_and_its_json(market, cli):
    rows = json.loads(
        cli(
            "impact",
            "changepoints",
            "vacancies_active",
            "--db",
            market,
            "--min-cell",
            "0",
            "--n-boot",
            "49",
            "--event",
            "2022-03-01",
            "--format",
            "json",
        ).stdout
    )
    assert rows and {"date", "date_low", "date_high", "change", "estimate", "low", "high"} <= set(rows[0])
    # The vacancy stock takes the stock model, whose breaks may also remove postings at once (a pulse).
    assert {r["change"] for r in rows} == {"level", "slope", "pulse"}
    # The fixture's shock (ten employers moving, ten stopping, from March 2022) is followed by a found break.
    near = [r for r in rows if 0 <= (pd.Timestamp(r["date"]) - pd.Timestamp("2022-03-01")).days <= 90]
    assert near
    out = json.loads(
        cli(
            "impact",
            "its",
            "vacancies_active",
            "--event",
            "2022-03-01",
            "--db",
            market,
            "--min-cell",
            "0",
            "--format",
            "json",
        ).stdout
    )
    assert {r["kind"] for r in out} == {"effect", "cumulative"}
    assert all(r["low"] <= r["high"] for r in out)


def test_cli_changepoints_table_reads_at_80_columns(market, cli, monkeypatch):
    """The terminal table is one row per break in six columns that wrap, none cut short, at 80 columns; the
    vacancy stock is analysed by the stock model, and JSON keeps every field."""
    from talentflow.cli import _common

    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(_common.out, "_width", None)  # rich reads COLUMNS at each print only when not pinned
    args = ("impact", "changepoints", "vacancies_active", "--db", market, "--min-cell", "0", "--n-boot", "29")
    table = cli(*args).stdout
    lines = table.splitlines()
    assert "…" not in table and max(len(line) for line in lines) <= 80, table
    assert "stock model" in table and "nearest event" in table and "size" in table
    rows = json.loads(cli(*args, "--format", "json").stdout)
    assert {r["model"] for r in rows} == {"stock"} and len(rows[0]) == 18
    assert len({r["break"] for r in rows}) == sum(line.startswith("│ all") for line in lines)


def test_tension_is_analysed_as_the_ratio_not_its_resume_count(market):
    """An indicator whose table has a column of its own name is analysed by that column (tension's first
    column is its resume count)."""
    from talentflow.impact._series import load
    from talentflow.indicators import compute
    from talentflow.indicators.params import Params

    with Store(market, read_only=True) as store:
        frame, column, _ = load(store, "tension", period="month")
    assert column == "tension"
    table = compute("tension", Params(period="month", min_cell=0), db=market).frame
    expected = pd.to_numeric(table["tension"], errors="coerce").dropna().to_numpy()
    assert len(frame) == len(expected) and np.allclose(frame["value"].to_numpy(), expected)


def test_cli_names_the_option_at_fault(market, cli):
    result = cli("impact", "its", "vacancies_active", "--event", "2022-13-01", "--db", market, code=2)
    assert "--event" in result.output


@pytest.fixture(scope="module")
def real_db(shared, tmp_path_factory):
    db = tmp_path_factory.mktemp("impact-real") / "real.duckdb"
    with Store(db) as store:
        ingest([shared / "innovationgraph", shared / "indeed-hiring-lab"], store=store)
    return db


@pytest.mark.shared
def test_real_software_postings_turn_in_2022(real_db):
    request = ChangepointRequest(
        indicator="series",
        options=("metric=sector_job_postings_index", "segment=Software Development"),
        by=("country=US,GB,DE",),
        period="month",
        min_size=3,
        n_boot=49,
    )
    with Store(real_db, read_only=True) as store:
        result = estimate(request, store)
    level = result.select(change="level")
    assert set(level["series"]) == {"country=US", "country=GB", "country=DE"}
    slope = result.select(change="slope")
    for key in ("country=US", "country=GB", "country=DE"):
        # The 2022 turn, from the boom into the decline: the slope falls at a break from 2021-12 to 2022-07.
        mine = slope[slope["series"] == key]
        dates = pd.to_datetime(mine["date"])
        turn = mine[(dates >= "2021-12-01") & (dates <= "2022-08-01") & (mine["estimate"] < -4)]
        assert len(turn) >= 1, (key, list(zip(dates, mine["estimate"], strict=True)))
    for key in ("country=US", "country=GB"):  # the 2020 trough: the slope rises from mid-2020
        mine = slope[slope["series"] == key]
        dates = pd.to_datetime(mine["date"])
        trough = mine[(dates >= "2020-04-01") & (dates <= "2020-09-01") & (mine["estimate"] > 10)]
        assert len(trough) == 1, (key, list(zip(dates, mine["estimate"], strict=True)))


@pytest.mark.shared
def test_real_synthetic_control_ge_positive_ru_negative(real_db, cli):
    found = {}
    for unit in ("GE", "RU"):
        rows = json.loads(
            cli(
                "impact",
                "synth",
                "developers",
                "--unit",
                unit,
                "--event",
                "2022Q1",
                "--db",
                real_db,
                "--format",
                "json",
            ).stdout
        )
        found[unit] = next(r for r in rows if r["kind"] == "mean gap")
    assert found["GE"]["low"] > 0
    assert found["RU"]["estimate"] < 0
