"""Flows from bilateral stock tables: a published worked example, hand-computed tables, margins, errors, seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from talentflow.errors import InputError, UsageError
from talentflow.migration import (
    MigrationResult,
    as_stock_table,
    flows_beine_parsons,
    flows_demographic,
    flows_dennett,
    flows_stock_difference,
    ipf_tables,
    read_stock_csv,
)

REGIONS = ["A", "B", "C", "D"]

# The four-region stock tables of Abel (2013), Demographic Research 28(18), Section 2, and Abel & Sander (2014):
# rows are birthplaces, columns places of residence, at t0 and t1, no births or deaths.
ABEL_S0 = np.array([[1000, 100, 10, 0], [55, 555, 50, 5], [80, 40, 800, 40], [20, 25, 20, 200]], dtype=float)
ABEL_S1 = np.array([[950, 100, 60, 0], [80, 505, 75, 5], [90, 30, 800, 40], [40, 45, 0, 180]], dtype=float)

# Abel & Cohen (2019), "Bilateral international migration flow estimates for 200 countries", Scientific Data 6:82,
# Table 4: birthplace-specific origin × destination flows under a quasi-independence model with the stayers
# maximised. Each block is printed with its row sums (stocks at t) and column sums (stocks at t + 1); the cells
# are printed to one decimal. Birthplace D's own row (people born in D living in D at t) is not in our copy of the
# table, so it is given here as an arbitrary D_HOME people staying: with stayers maximised it cannot move anyone,
# and the printed rows A–C of that block do not depend on it.
D_HOME = 150.0
COHEN_TABLE4 = {
    "A": [[95, 0, 2.5, 2.5], [0, 5, 2.5, 2.5], [0, 0, 10, 0], [0, 0, 0, 0]],
    "B": [[75, 5, 0, 0], [0, 180, 0, 0], [0, 5, 5, 0], [0, 35, 0, 55]],
    "C": [[30, 0, 0, 0], [7.1, 0, 0, 2.9], [17.9, 0, 115, 7.1], [0, 0, 0, 40]],
    "D": [[35, 0, 5.4, 19.6], [0, 25, 9.6, 35.4], [0, 0, 10, 0], [0, 0, 0, D_HOME]],
}
COHEN_S0 = np.array([np.sum(COHEN_TABLE4[b], axis=1) for b in REGIONS])  # the printed "Sum" column of each block
COHEN_S1 = np.array([np.sum(COHEN_TABLE4[b], axis=0) for b in REGIONS])  # the printed "Sum" row of each block


def test_cohen_table4_margins_are_the_printed_sums():
    # Guards the transcription: these are the sums printed in Table 4 (row sums 100, 10, 10, 0 → 120 and column
    # sums 95, 5, 15, 5 for birthplace A; 80, 180, 10, 90 and 75, 225, 5, 55 for B; 30, 10, 140, 40 and
    # 55, 0, 115, 50 for C; 60, 70, 10 for D).
    assert COHEN_S0[0].tolist() == [100, 10, 10, 0] and COHEN_S1[0].tolist() == [95, 5, 15, 5]
    assert COHEN_S0[1].tolist() == [80, 180, 10, 90] and COHEN_S1[1].tolist() == [75, 225, 5, 55]
    assert COHEN_S0[2].tolist() == [30, 10, 140, 40] and COHEN_S1[2].tolist() == [55, 0, 115, 50]
    assert COHEN_S0[3, :3].tolist() == [60, 70, 10]


def test_reproduces_abel_cohen_2019_table4_to_the_printed_decimal():
    mu = ipf_tables(COHEN_S0, COHEN_S1, stayers="max")
    for k, birthplace in enumerate(REGIONS):
        printed = np.array(COHEN_TABLE4[birthplace])
        rows = 3 if birthplace == "D" else 4  # the block's last row is only partly printed in our copy
        assert np.round(mu[k, :rows], 1).tolist() == printed[:rows].tolist(), birthplace
    # A few cells at full precision, from the quasi-independence formula r_o c_d / Σ the remaining movers.
    assert mu[2, 1, 0] == pytest.approx(10 * 25 / 35)  # printed 7.1
    assert mu[3, 0, 3] == pytest.approx(25 * 55 / 70)  # printed 19.6


def test_demographic_flows_sum_table4_over_birthplaces():
    result = flows_demographic(COHEN_S0, COHEN_S1, labels=REGIONS, n_boot=0)
    flows = result.to_frame().set_index(["origin", "destination"]).estimate
    # A→B: 5 born in B; C→A: 17.9 born in C; B→D: 2.5 born in A + 2.9 born in C + 35.4 born in D.
    assert flows["A", "B"] == pytest.approx(5.0)
    assert flows["C", "A"] == pytest.approx(25 * 25 / 35)
    assert flows["B", "D"] == pytest.approx(2.5 + 10 * 10 / 35 + 45 * 55 / 70)
    assert np.isnan(result.rows.low).all() and result.interval == "none"


def test_abel_2013_stocks_hand_computed_with_stayers_maximised():
    # By hand: each birthplace keeps min(t0, t1) people in each region; the rest move with an independence fit.
    result = flows_demographic(ABEL_S0, ABEL_S1, labels=REGIONS, n_boot=0)
    flows = result.to_frame().set_index(["origin", "destination"]).estimate
    expected = {("A", "C"): 50, ("B", "A"): 35, ("B", "C"): 25, ("C", "A"): 10, ("C", "B"): 10}
    expected |= {("D", "A"): 10, ("D", "B"): 10}
    for pair, value in expected.items():
        assert flows[pair] == pytest.approx(value), pair
    assert flows.sum() == pytest.approx(150)
    assert len(result.rows) == 12  # every off-diagonal pair, zeros included
    assert list(result.rows.columns) == ["origin", "destination", "estimate", "low", "high", "level"]


def test_by_birthplace_splits_emigration_return_and_transit():
    result = flows_demographic(ABEL_S0, ABEL_S1, labels=REGIONS, by_birthplace=True, n_boot=0)
    rows = result.rows[result.rows.estimate > 0]
    got = {(r.flow, r.birthplace, r.origin, r.destination): r.estimate for r in rows.itertuples()}
    assert got == pytest.approx(
        {
            ("emigration", "A", "A", "C"): 50,
            ("emigration", "B", "B", "A"): 25,
            ("emigration", "B", "B", "C"): 25,
            ("emigration", "D", "D", "A"): 10,
            ("emigration", "D", "D", "B"): 10,
            ("transit", "C", "B", "A"): 10,
            ("transit", "D", "C", "A"): 10,
            ("transit", "D", "C", "B"): 10,
        }
    )
    assert set(result.rows.flow) == {"emigration", "return", "transit"}


def test_stock_difference_and_beine_parsons_by_hand():
    diff = flows_stock_difference(ABEL_S0, ABEL_S1, labels=REGIONS, n_boot=0).rows
    got = {(r.origin, r.destination): r.estimate for r in diff.itertuples() if r.estimate}
    assert got == {("A", "C"): 50, ("B", "A"): 25, ("B", "C"): 25, ("C", "A"): 10, ("D", "A"): 20, ("D", "B"): 20}
    bp = flows_beine_parsons(ABEL_S0, ABEL_S1, labels=REGIONS, n_boot=0)
    emigration = bp.select(flow="emigration")
    assert emigration.estimate.tolist() == diff.estimate.tolist()
    returns = bp.select(flow="return")
    # 10 fewer C-born in B: a return B → C; 20 fewer D-born in C: a return C → D. Native falls are not flows.
    got = {(r.origin, r.destination): r.estimate for r in returns.itertuples() if r.estimate}
    assert got == {("B", "C"): 10, ("C", "D"): 20}


def test_dennett_shares_movers_like_the_foreign_born_stock():
    result = flows_dennett(ABEL_S0, ABEL_S1, labels=REGIONS, n_boot=0)
    flows = result.to_frame().set_index(["origin", "destination"]).estimate
    # Net change by region: +5, −40, +55, −20 → ½ Σ|Δ| = 60 movers; foreign-born at t0: 445.
    assert flows.sum() == pytest.approx(60)
    assert flows["A", "B"] == pytest.approx(60 * 100 / 445)
    assert flows["A", "D"] == 0
    given = flows_dennett(ABEL_S0, ABEL_S1, labels=REGIONS, total=445, n_boot=0).to_frame()
    assert given.set_index(["origin", "destination"]).estimate["C", "A"] == pytest.approx(80)


def test_births_and_deaths_close_the_account_by_hand():
    s0 = np.array([[100, 20], [10, 50]], dtype=float)
    s1 = np.array([[88, 30], [4, 55]], dtype=float)
    # Deaths 11 in A (110 residents) and 7 in B (70): a 10% death rate for every birthplace group.
    # Rows: A-born (90, 18), B-born (9, 45). Columns, births 10 and 5 to natives: A-born (78, 30), B-born (4, 50).
    result = flows_demographic(s0, s1, labels=["A", "B"], births=[10, 5], deaths=[11, 7], by_birthplace=True, n_boot=0)
    got = {(r.flow, r.birthplace, r.origin, r.destination): r.estimate for r in result.rows.itertuples()}
    assert got[("emigration", "A", "A", "B")] == pytest.approx(12)
    assert got[("return", "B", "A", "B")] == pytest.approx(5)
    assert got[("emigration", "B", "B", "A")] == pytest.approx(0)
    assert "per region, total 15" in result.inputs["births"]


def test_ipf_margins_equal_the_stock_margins_with_an_offset():
    rng = np.random.default_rng(7)
    n = 12
    s0 = rng.integers(0, 500, (n, n)).astype(float) + np.diag(rng.integers(5_000, 9_000, n))
    s1 = s0 * rng.uniform(0.5, 1.5, (n, n))
    s1 *= (s0.sum(1) / s1.sum(1))[:, None]  # each birthplace's total unchanged: no births or deaths
    distance = rng.uniform(1, 10, (n, n))
    for stayers in ("max", "none", 0.3):
        mu = ipf_tables(s0, s1, 1 / distance, stayers=stayers, tol=1e-8)
        np.testing.assert_allclose(mu.sum(2), s0, atol=1e-6)
        np.testing.assert_allclose(mu.sum(1), s1, atol=1e-6)
        assert (mu >= 0).all()
    maxed = ipf_tables(s0, s1, 1 / distance, stayers="max")
    idx = np.arange(n)
    np.testing.assert_allclose(maxed[:, idx, idx], np.minimum(s0, s1))


def test_stayers_none_is_the_independence_fit_and_moves_more():
    maxed = ipf_tables(ABEL_S0, ABEL_S1, stayers="max")
    none = ipf_tables(ABEL_S0, ABEL_S1, stayers="none")
    # With a flat offset and no stayer assumption each birthplace's table is r_o c_d / total.
    for k in range(4):
        np.testing.assert_allclose(none[k], np.outer(ABEL_S0[k], ABEL_S1[k]) / ABEL_S0[k].sum(), atol=1e-6)
    idx = np.arange(4)
    moves = lambda mu: mu.sum() - mu[:, idx, idx].sum()  # noqa: E731
    assert moves(maxed) == pytest.approx(150)
    assert moves(none) > 5 * moves(maxed)
    # Born in A: 1000·950/1110 stay in A without the assumption, 950 with it.
    assert none[0, 0, 0] == pytest.approx(1000 * 950 / 1110)
    mixed = ipf_tables(ABEL_S0, ABEL_S1, stayers=0.25)
    np.testing.assert_allclose(mixed, 0.25 * maxed + 0.75 * none)
    by_name = flows_demographic(ABEL_S0, ABEL_S1, labels=REGIONS, stayers="none", n_boot=0)
    assert by_name.rows.estimate.sum() == pytest.approx(moves(none))
    assert "no stayer assumption" in by_name.method


def test_bootstrap_is_reproducible_by_seed():
    kwargs = {"labels": REGIONS, "n_boot": 50, "level": 0.8}
    a = flows_demographic(ABEL_S0, ABEL_S1, seed=3, **kwargs).rows
    b = flows_demographic(ABEL_S0, ABEL_S1, seed=3, **kwargs).rows
    c = flows_demographic(ABEL_S0, ABEL_S1, seed=4, **kwargs).rows
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a.high, c.high)
    assert (a.low <= a.high).all() and (a.level == 0.8).all()
    ac = a.set_index(["origin", "destination"])
    assert ac.low["A", "C"] < 50 < ac.high["A", "C"]
    wider = flows_stock_difference(ABEL_S0, ABEL_S1, labels=REGIONS, n_boot=50, seed=3, dispersion=25).rows
    narrow = flows_stock_difference(ABEL_S0, ABEL_S1, labels=REGIONS, n_boot=50, seed=3).rows
    assert (wider.high - wider.low).sum() > (narrow.high - narrow.low).sum()


def test_n_boot_zero_gives_no_interval_and_negative_is_an_error():
    result = flows_beine_parsons(ABEL_S0, ABEL_S1, labels=REGIONS, n_boot=0)
    assert result.rows[["low", "high"]].isna().all().all()
    assert result.notes[-1] == "No interval: n_boot=0." and result.interval == "none"
    assert "20 replicates" in flows_dennett(ABEL_S0, ABEL_S1, labels=REGIONS, n_boot=20).interval
    with pytest.raises(UsageError, match="n_boot=-1"):
        flows_stock_difference(ABEL_S0, ABEL_S1, labels=REGIONS, n_boot=-1)


def test_result_is_a_migration_result_with_inputs_and_notes():
    result = flows_stock_difference(ABEL_S0, ABEL_S1, labels=REGIONS, period=("2021-12-31", "2023-12-31"), n_boot=10)
    assert isinstance(result, MigrationResult)
    assert "at 2021-12-31" in result.inputs["stocks_t0"] and "at 2023-12-31" in result.inputs["stocks_t1"]
    assert any("counting noise" in note for note in result.notes)
    assert result.records()[0]["origin"] == "A"


def test_long_dataframe_and_csv_inputs(tmp_path: Path):
    long = pd.DataFrame(
        [(b, r, ABEL_S0[i, j]) for i, b in enumerate(REGIONS) for j, r in enumerate(REGIONS) if ABEL_S0[i, j]],
        columns=["origin", "residence", "stock"],
    )
    table = as_stock_table(long)
    assert table.labels == tuple(REGIONS) and table.filled == 1
    np.testing.assert_array_equal(table.values, ABEL_S0)
    square = as_stock_table(pd.DataFrame(ABEL_S1, index=REGIONS, columns=REGIONS))
    path = tmp_path / "stocks_t1.csv"
    long1 = pd.DataFrame(
        [(b, r, ABEL_S1[i, j]) for i, b in enumerate(REGIONS) for j, r in enumerate(REGIONS)],
        columns=["birthplace", "residence", "stock"],
    )
    long1.to_csv(path, index=False)
    from_csv = read_stock_csv(path)
    np.testing.assert_array_equal(from_csv.values, square.values)
    result = flows_stock_difference(long, from_csv, n_boot=0)
    assert str(path) in result.inputs["stocks_t1"]
    assert any("1 at t0, 0 at t1" in note for note in result.notes)
    # Labels in another order are matched by name, not position.
    shuffled = pd.DataFrame(ABEL_S1[::-1, ::-1], index=REGIONS[::-1], columns=REGIONS[::-1])
    same = flows_stock_difference(ABEL_S0, shuffled, labels=REGIONS, n_boot=0)
    pd.testing.assert_frame_equal(same.rows, flows_stock_difference(ABEL_S0, ABEL_S1, labels=REGIONS, n_boot=0).rows)


def test_the_interval_says_what_it_covers(tmp_path: Path):
    from talentflow.migration import StocksRequest, estimate

    paths = []
    for t, stocks in enumerate((ABEL_S0, ABEL_S1)):
        frame = pd.DataFrame(
            [(b, r, stocks[i, j]) for i, b in enumerate(REGIONS) for j, r in enumerate(REGIONS)],
            columns=["birthplace", "residence", "stock"],
        )
        paths.append(tmp_path / f"t{t}.csv")
        frame.to_csv(paths[-1], index=False)
    result = estimate(StocksRequest(stocks=tuple(paths), estimator="difference", n_boot=20))
    assert result.covers == (
        "The 90% interval covers counting noise in the stock tables (every cell redrawn, 20 replicates); it leaves "
        "out the census's coverage, definitions and timing and the estimator's own assumptions (the stayers above "
        "all), which move the flows far more."
    )
    assert result.to_dict()["covers"] == result.covers and "Covers: The 90% interval" in result.summary()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("birthplace,residence,count\nA,A,1\n", "missing column(s) stock"),
        ("birthplace,residence,stock\nA,A,1\nA,B,abc\n", ":3: column 'stock': 'abc' is not a number"),
        ("birthplace,residence,stock\nA,A,-4\n", ":2: column 'stock': '-4' is not a finite count >= 0"),
        ("birthplace,residence,stock\nA,A,1\nA,A,2\n", ":3: birthplace 'A', residence 'A' already given on line 2"),
        ("origin,destination,stock\nA,,1\n", ":2: column 'destination' is empty"),
        ("birthplace,residence,stock\n", "no stock rows"),
    ],
)
def test_csv_errors_name_file_line_and_column(tmp_path: Path, text: str, message: str):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_stock_csv(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_missing_csv_is_an_input_error(tmp_path: Path):
    with pytest.raises(InputError, match="no such file"):
        read_stock_csv(tmp_path / "nope.csv")


def test_bad_input_raises_usage_errors():
    with pytest.raises(UsageError, match="different regions"):
        flows_stock_difference(ABEL_S0, pd.DataFrame(ABEL_S1[:3, :3], index=list("ABX"), columns=list("ABX")))
    with pytest.raises(UsageError, match="square"):
        flows_stock_difference(ABEL_S0[:3], ABEL_S1[:3], labels=REGIONS)
    with pytest.raises(UsageError, match="4 labels for a 3×3"):
        flows_stock_difference(ABEL_S0[:3, :3], ABEL_S1[:3, :3], labels=REGIONS)
    negative = ABEL_S0.copy()
    negative[1, 2] = -5
    with pytest.raises(UsageError, match="negative stock -5 for birthplace 'B', residence 'C'"):
        flows_beine_parsons(negative, ABEL_S1, labels=REGIONS)
    missing = ABEL_S0.copy()
    missing[0, 1] = np.nan
    with pytest.raises(UsageError, match="not a number"):
        flows_dennett(missing, ABEL_S1, labels=REGIONS)
    unbalanced = ABEL_S1.copy()
    unbalanced[0, 0] += 7
    with pytest.raises(UsageError, match=r"totals do not balance for 1 birthplace.*born in 'A'"):
        flows_demographic(ABEL_S0, unbalanced, labels=REGIONS)
    scaled = flows_demographic(ABEL_S0, unbalanced, labels=REGIONS, balance="scale", n_boot=0)
    assert scaled.rows.estimate.sum() > 0
    with pytest.raises(UsageError, match="births exceed the t1 stock"):
        flows_demographic(ABEL_S0, ABEL_S1, labels=REGIONS, births=[2000, 0, 0, 0])
    with pytest.raises(UsageError, match="births: expected 4 values"):
        flows_demographic(ABEL_S0, ABEL_S1, labels=REGIONS, births=[1, 2])
    with pytest.raises(UsageError, match="offset: expected a 4×4"):
        flows_demographic(ABEL_S0, ABEL_S1, labels=REGIONS, offset=np.ones((3, 3)))
    with pytest.raises(UsageError, match="stayers="):
        flows_demographic(ABEL_S0, ABEL_S1, labels=REGIONS, stayers="some")
    with pytest.raises(UsageError, match="level="):
        flows_stock_difference(ABEL_S0, ABEL_S1, labels=REGIONS, level=90)


def test_impossible_offset_does_not_converge():
    # Born in D, 20 people must move from C and 20 from D into A and B; an offset that forbids C → A, C → B leaves
    # C's movers nowhere to go.
    offset = np.ones((4, 4))
    offset[2, :2] = 0
    with pytest.raises(UsageError, match="IPF did not converge in 50 iterations"):
        flows_demographic(ABEL_S0, ABEL_S1, labels=REGIONS, offset=offset, maxit=50, n_boot=0)
