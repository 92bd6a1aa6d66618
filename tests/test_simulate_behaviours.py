"""The simulator's behaviours of issue 18 (docs/simulator.md, "Behaviours"): off by default, leaving every output
file as it was; on, visible in the truth and on the board."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from talentflow.errors import InputError
from talentflow.simulate import Scenario, load_scenario, simulate, validate
from talentflow.simulate.records import RESUME_ID_BASE
from talentflow.simulate.scenario import BEHAVIOURS

# Content hashes of every output file of `exodus-2022` at scale 0.003, seed 11, 2021-11-01 to 2022-10-31, taken
# before the behaviours existed (commit 421a181), and taken again when the employers' wanted headcount began to
# grow as the workforce is expected to (`market.workforce_growth`; it had grown exponentially at entry − exit) and
# when employers' shortfalls began to be rounded to whole positions at random instead of down
# (`Market._open_to_demand`): changes of the market's demand, with the behaviours still off. Gzip and Parquet
# files are hashed by their content (the decompressed bytes; the schema and rows), so that a new zlib or Arrow
# writer does not fail the test.
BEFORE_BEHAVIOURS = {
    ".talentflowignore": "2e2922644a727e6d",
    "resumes.ndjson.gz": "715b52889db453fb",
    "scenario.json": "49b6b9911bca2c44",
    "truth/monthly.parquet": "cf99cccec5fd1671",
    "truth/moves.parquet": "f424c8976d24ebb0",
    "truth/summary.json": "90dd8c5c0ee99458",
    "truth/vacancies.parquet": "6d4f386f57c15976",
    "truth/weekly.parquet": "85f960fc03b1b1c0",
    "vacancies.ndjson.gz": "0c3f59290fe18bdd",
}


def content_hash(path: Path) -> str:
    if path.name == "scenario.json":
        # Written as simulate writes it, less `calibrated_to` (added with the claims' verdicts, not a behaviour).
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc["scenario"].pop("calibrated_to", None)
        data = (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()
        return hashlib.sha256(data).hexdigest()[:16]
    if path.suffix == ".gz":
        data = gzip.decompress(path.read_bytes())
    elif path.suffix == ".parquet":
        table = pq.read_table(path)
        data = (str(table.schema) + json.dumps(table.to_pylist(), default=str)).encode()
    else:
        data = path.read_bytes()
    return hashlib.sha256(data).hexdigest()[:16]


def scenario(base: str = "baseline", **parts: dict[str, Any]) -> Scenario:
    data = load_scenario(base).model_dump()
    for part, values in parts.items():
        data[part] = data[part] | values
    return validate(data)


def resume_sightings(out: Path) -> list[tuple[int, str]]:
    """(worker, observed_at) of every resume sighting."""
    with gzip.open(out / "resumes.ndjson.gz", "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [(int(r["id"]) - RESUME_ID_BASE, r["observed_at"]) for r in rows]


# exodus-2022's posting freeze (docs/simulator.md, "Posting freeze") changes what the board shows of vacancies, and
# scenario.json that states it: these three files, and no other (the resume side and the truth stay as they were).
WITH_FREEZE = {
    "scenario.json": "8852cce3f6e6d735",
    "truth/vacancies.parquet": "110fdd6a8522e7bd",
    "vacancies.ndjson.gz": "3b9bb8d088d9aa98",
}


def _hashes(sc: Scenario, out: Path) -> dict[str, str]:
    simulate(sc, out, scale=0.003, seed=11, start=dt.date(2021, 11, 1), end=dt.date(2022, 10, 31))
    return {str(p.relative_to(out)): content_hash(p) for p in sorted(out.rglob("*")) if p.is_file()}


def test_defaults_leave_every_output_file_as_it_was(tmp_path: Path) -> None:
    sc = load_scenario("exodus-2022")
    unfrozen = validate(sc.model_dump() | {"freeze": {}})
    assert _hashes(unfrozen, tmp_path / "unfrozen") == BEFORE_BEHAVIOURS
    assert _hashes(sc, tmp_path / "sim") == BEFORE_BEHAVIOURS | WITH_FREEZE
    out = tmp_path / "sim"
    # The options are absent from scenario.json at their defaults, and present once set.
    written = json.loads((out / "scenario.json").read_text())["scenario"]
    assert all(key not in written[part] for part, keys in BEHAVIOURS.items() for key in keys)
    hard = load_scenario("exodus-2022-hard").to_json()
    assert all(key in hard[part] for part, keys in BEHAVIOURS.items() for key in keys)


def test_exodus_2022_hard_turns_every_behaviour_on() -> None:
    hard, plain = load_scenario("exodus-2022-hard"), load_scenario("exodus-2022")
    for part, keys in BEHAVIOURS.items():
        for key in keys:
            assert getattr(getattr(hard, part), key) != getattr(getattr(plain, part), key), f"{part}.{key}"
    # Everything else is exodus-2022's.
    assert hard.model_dump(exclude={"name", "description", *BEHAVIOURS}) == plain.model_dump(
        exclude={"name", "description", *BEHAVIOURS}
    )


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"migration": {"return_early": {"weeks": 60, "factor": 4}}}, "migration.return_early.weeks"),
        ({"migration": {"return_early": {"weeks": 13, "factor": 0}}}, "migration.return_early.factor"),
        ({"search": {"types": [{"share": 0.5, "factor": 0.2}, {"share": 0.4, "factor": 1}]}}, "add up to 1, not 0.9"),
        ({"search": {"types": []}}, "give at least one type"),
        ({"search": {"types": [{"share": 1, "factor": -1}]}}, "search.types.0.factor"),
        ({"search": {"intent_factor": 0}}, "search.intent_factor"),
        ({"board": {"abroad_use": {"XX": 0.5}}}, "board.abroad_use: ['XX'] are neither destinations"),
        ({"board": {"abroad_use": {"RU": 0.5}}}, "board.abroad_use: ['RU']"),
        ({"board": {"abroad_use": {"GE": 1.5}}}, "board.abroad_use.GE"),
        ({"board": {"coverage": [[dt.date(2022, 1, 1), 1.2]]}}, "board.coverage.0.1"),
        (
            {"board": {"coverage": [[dt.date(2022, 1, 1), 0.5], [dt.date(2021, 1, 1), 1.0]]}},
            "coverage: the dates must increase",
        ),
    ],
)
def test_bad_behaviour_options_are_rejected_with_the_field(parts: dict[str, Any], message: str) -> None:
    data = load_scenario("baseline").model_dump()
    for part, values in parts.items():
        data[part] = data[part] | values
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace(".", r"\.")):
        validate(data)


def _spells(out: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per emigration: the day it happened, days to the return (-1 for none) and days observed abroad."""
    moves = pq.read_table(out / "truth" / "moves.parquet").to_pandas().sort_values(["worker", "date"], kind="stable")
    moves["date"] = moves["date"].astype("datetime64[s]")
    following = moves.groupby("worker")[["kind", "date"]].shift(-1)
    spells = moves.assign(next_kind=following["kind"], next_date=following["date"])
    spells = spells[spells["kind"] == "emigrated"]
    came_back = (spells["next_kind"] == "returned").to_numpy()
    until = np.where(came_back, spells["next_date"], np.datetime64("2022-12-31"))
    days = ((until - spells["date"].to_numpy()) / np.timedelta64(1, "D")).astype(int)
    return spells["date"].to_numpy(), np.where(came_back, days, -1), days


def test_returns_are_likelier_early_with_the_share_back_after_a_year_kept(tmp_path: Path) -> None:
    migration = {"emigration_per_year": 0.5, "return_per_year": 0.42}
    runs = {}
    for factor in (1.0, 4.0):
        sc = scenario(migration=migration | {"return_early": {"weeks": 13, "factor": factor}})
        out = tmp_path / f"f{factor}"
        simulate(sc, out, scale=0.01, seed=3, end=dt.date(2022, 12, 31), board=False)
        runs[factor] = _spells(out)
    left, back, observed = runs[4.0]
    early_w = 91
    returned = back >= 0
    early_rate = np.sum(returned & (back < early_w)) / np.minimum(observed, early_w).sum()
    late_rate = np.sum(returned & (back >= early_w)) / np.maximum(observed - early_w, 0).sum()
    assert returned.sum() > 2000
    assert early_rate / late_rate == pytest.approx(4.0, rel=0.15)
    # Late hazard: r / (52 + 3 * 13) per week, less the exits from IT abroad hidden in the denominators.
    assert late_rate * 7 == pytest.approx(0.42 / 91, rel=0.15)
    # The share back within a year of leaving (of those who left a year before the end) is the constant's.
    shares = []
    for left, back, _ in runs.values():
        cohort = left <= np.datetime64("2021-12-31", "s")
        shares.append(np.mean((back[cohort] >= 0) & (back[cohort] <= 364)))
    assert shares[0] == pytest.approx(1 - np.exp(-0.42), abs=0.04)
    assert shares[1] == pytest.approx(shares[0], abs=0.03)


def test_search_types_show_as_different_sighting_rates(tmp_path: Path) -> None:
    types = [{"share": 0.5, "factor": 0.2}, {"share": 0.5, "factor": 1.0}]
    out = tmp_path / "sim"
    simulate(scenario(search={"types": types}), out, scale=0.005, seed=5, end=dt.date(2021, 12, 31))
    workers = pq.read_table(out / "truth" / "workers.parquet").to_pandas()
    # Normalised to a mean of one: 0.2 / 0.6 and 1 / 0.6.
    assert sorted(set(workers["search_factor"].round(6))) == [round(1 / 3, 6), round(5 / 3, 6)]
    assert workers["search_type"].mean() == pytest.approx(0.5, abs=0.03)
    seen = Counter(worker for worker, _ in resume_sightings(out))
    per_worker = workers.assign(sightings=workers["worker"].map(seen).fillna(0)).groupby("search_type")["sightings"]
    ratio = per_worker.mean()[0] / per_worker.mean()[1]
    assert 0.25 < ratio < 0.6


def test_workers_willing_to_move_abroad_look_more_often_with_intent(tmp_path: Path) -> None:
    shares = {}
    for factor in (1.0, 3.0):
        out = tmp_path / f"f{factor}"
        sc = scenario(search={"intent_factor": factor})
        simulate(sc, out, scale=0.005, seed=5, end=dt.date(2021, 12, 31), board=False)
        rows = json.loads((out / "truth" / "summary.json").read_text())
        shares[factor] = np.mean([r["relocation_abroad_share"] for r in rows[3:]])
        active = np.mean([r["resumes_active"] for r in rows[3:]])
        shares[f"active{factor}"] = active
    assert shares[1.0] == pytest.approx(0.365, abs=0.03)
    # Expected about 0.5: 3 / (0.365 * 3 + 0.635) = 1.73 times the rate for the willing, 0.58 for the others.
    assert shares[3.0] == pytest.approx(0.5, abs=0.05)
    # The rate of starting to look is kept on average: the stock of seekers moves by a few percent only.
    assert shares["active3.0"] == pytest.approx(shares["active1.0"], rel=0.08)


def test_the_board_abroad_keeps_the_destination_share_of_sightings(tmp_path: Path) -> None:
    runs = {}
    for use in ({}, {"2758": 0.2, "AM": 0.6}):
        out = tmp_path / f"u{len(use)}"
        sc = scenario("exodus-2022", board={"abroad_use": use})
        simulate(sc, out, scale=0.004, seed=7, start=dt.date(2022, 1, 3), end=dt.date(2022, 12, 31))
        runs[len(use)] = out
    before, after = Counter(resume_sightings(runs[0])), Counter(resume_sightings(runs[2]))
    # The same market and the same board: the option only takes sightings away.
    assert not after - before
    dropped = before - after
    moves = pq.read_table(runs[0] / "truth" / "moves.parquet").to_pandas()
    went = moves[moves["kind"] == "emigrated"].groupby("worker")["destination_area_id"].agg(set)
    to = {w: places for w, places in went.items()}
    assert {w for w, _ in dropped} <= {w for w, places in to.items() if places & {"2758", "13"}}
    returners = set(moves.loc[moves["kind"] == "returned", "worker"])
    for area, use in (("2758", 0.2), ("13", 0.6)):
        # Those who went there and never came back: all their sightings after leaving are from abroad.
        stayers = {w for w, places in to.items() if places == {area} and w not in returners}
        first = moves[moves["worker"].isin(stayers)].groupby("worker")["date"].min()
        gone = {w: str(d) for w, d in first.items()}
        kept = [after[k] for k in before if k[0] in gone and k[1][:10] > gone[k[0]]]
        all_ = [before[k] for k in before if k[0] in gone and k[1][:10] > gone[k[0]]]
        assert sum(all_) > 100
        assert sum(kept) / sum(all_) == pytest.approx(use, abs=0.1), area


def test_board_coverage_follows_its_curve(tmp_path: Path) -> None:
    curve = [[dt.date(2021, 1, 4), 0.5], [dt.date(2021, 5, 31), 0.5], [dt.date(2021, 7, 1), 1.0]]
    runs = {}
    for name, coverage in (("flat", []), ("curve", curve)):
        out = tmp_path / name
        simulate(scenario(board={"coverage": coverage}), out, scale=0.004, seed=9, end=dt.date(2021, 10, 31))
        runs[name] = out
    flat, curved = Counter(resume_sightings(runs["flat"])), Counter(resume_sightings(runs["curve"]))
    assert not curved - flat

    def by_month(sightings: Counter[tuple[int, str]]) -> Counter[str]:
        return Counter(k[1][:7] for k in sightings.elements())

    flat_m, curved_m = by_month(flat), by_month(curved)
    for month in ("2021-02", "2021-03", "2021-04", "2021-05"):
        assert curved_m[month] / flat_m[month] == pytest.approx(0.5, abs=0.06), month
    for month in ("2021-08", "2021-09", "2021-10"):
        assert curved_m[month] == flat_m[month], month
    # Vacancies: posted when they open if the coverage then allows.
    vacancies = {}
    for name, out in runs.items():
        table = pq.read_table(out / "truth" / "vacancies.parquet").to_pandas()
        table["month"] = table["opened"].dt.strftime("%Y-%m")
        vacancies[name] = table.groupby("month")["posted"].mean()
    assert (vacancies["curve"]["2021-03"] / vacancies["flat"]["2021-03"]) == pytest.approx(0.5, abs=0.06)
    assert vacancies["curve"]["2021-09"] == vacancies["flat"]["2021-09"]
