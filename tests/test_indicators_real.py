"""Indicators on the real data in ../shared/data, against the figures their SOURCE.md files state."""

from __future__ import annotations

from datetime import date

import pytest

from talentflow import Store, ingest
from talentflow.indicators import Params, Segment, compute
from talentflow.reference.areas import load_areas, read_tree


@pytest.fixture(scope="module")
def real_db(shared, tmp_path_factory):
    db = tmp_path_factory.mktemp("real-indicators") / "real.duckdb"
    with Store(db) as store:
        load_areas(store, read_tree(shared / "hh-api/dictionaries/areas_2024-12.json"), "areas_2024-12.json")
        ingest([shared / "hh-vacancies-urfu", shared / "innovationgraph", shared / "indeed-hiring-lab"], store=store)
    return db


def test_urfu_country_split_on_2022_12_23(real_db):
    # The 2022-12-23 pull is dated at the end of that day and is the last sighting of the source, so its
    # vacancies (and only they) are still active at the end of 2022-12-24 UTC.
    day = date(2022, 12, 24)
    frame = compute("vacancies_active", Params("day", (Segment("country"),), day, day, min_cell=0), db=real_db).frame
    counts = frame.set_index("country").vacancies.astype(int)
    assert counts.sum() == 3905
    share = (100 * counts / counts.sum()).round(1)
    assert share[["RU", "KZ", "BY", "UZ", "GE"]].to_dict() == {"RU": 93.5, "KZ": 2.9, "BY": 1.7, "UZ": 0.8, "GE": 0.4}


def test_innovation_graph_developer_growth_2021q4_to_2023q4(real_db):
    params = Params(
        "quarter",
        (Segment("country", ("GE", "AM", "RU")),),
        start=date(2023, 10, 1),
        end=date(2023, 10, 1),
        options={"metric": "developers", "lag": "8"},
    )
    frame = compute("population_growth", params, db=real_db).frame
    growth = (100 * frame.set_index("country").growth).round().astype(int).to_dict()
    assert growth == {"GE": 127, "AM": 79, "RU": 51}
    assert set(frame.label) == {"2023Q4"}


def test_hiring_lab_us_software_development_peaks_on_2022_02_28(real_db):
    params = Params(
        "day",
        (Segment("country", ("US",)),),
        options={"metric": "sector_job_postings_index", "segment": "Software Development"},
    )
    frame = compute("series", params, db=real_db).frame
    peak = frame.loc[frame.value.idxmax()]
    assert peak.period == date(2022, 2, 28)
    assert peak.value == pytest.approx(231.25)
    assert frame.period.min() == date(2020, 2, 1)
