"""The Indeed AI Tracker (AI_posting.csv): detected by its header, every row stored as the ai_postings_share
series, bad rows quarantined with a reason."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from talentflow import Store, ingest
from talentflow.indicators import Params, Segment, compute
from talentflow.sources import detect


def test_the_shared_ai_tracker_is_stored_whole(shared: Path, tmp_path: Path) -> None:
    path = shared / "indeed-hiring-lab" / "AI_posting.csv"
    assert detect(path) == "hiring-lab"
    db = tmp_path / "ai.duckdb"
    (report,) = ingest([path], db=db).inputs
    assert (report.format, report.read, report.accepted, report.duplicates, report.quarantined) == (
        "hiring-lab",
        24_642,
        24_642,
        0,
        0,
    )
    with Store(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT geography, count(*), min(date), max(date) FROM series "
            "WHERE source = 'indeed-hiring-lab' AND metric = 'ai_postings_share' AND segment IS NULL "
            "AND value_sa IS NULL GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert [r[0] for r in rows] == ["AU", "CA", "DE", "FR", "GB", "IE", "IT", "NL", "US"]
    assert {r[1:] for r in rows} == {(2_738, date(2019, 1, 1), date(2026, 6, 30))}
    # Re-ingesting changes nothing: every row is a duplicate of a stored one.
    (again,) = ingest([path], db=db).inputs
    assert (again.read, again.accepted, again.duplicates) == (24_642, 0, 24_642)
    # The series indicator passes it through, in percent as published.
    germany = (Segment("country", ("DE",)),)
    options = {"metric": "ai_postings_share"}
    params = Params("day", germany, start=date(2022, 1, 1), end=date(2022, 12, 31), options=options)
    frame = compute("series", params, db=db).frame
    assert len(frame) == 365 and set(frame.metric) == {"ai_postings_share"}
    assert frame.value.mean() == pytest.approx(2.52, abs=0.01)  # percent: Germany averaged 2.52% in 2022


def test_bad_rows_are_quarantined_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "AI_posting.csv"
    path.write_text(
        "date,jobcountry,AI_share_postings\n"
        "2022-01-01,DE,2.5\n"
        "2022-01-02,DE,abc\n"
        "2022-01-03,DE,-1\n"
        "2022-01-04,DE,150\n"
        "2022-13-01,DE,2.5\n"
        "2022-01-06,,2.5\n"
        "2022-01-07,DE,\n"
    )
    db = tmp_path / "bad.duckdb"
    (report,) = ingest([path], db=db).inputs
    assert (report.read, report.accepted, report.quarantined) == (7, 1, 6)
    with Store(db, read_only=True) as store:
        reasons = [r[0] for r in store.con.execute("SELECT reason FROM quarantine ORDER BY location").fetchall()]
    assert reasons == [
        "AI_share_postings: expected a number, got 'abc'",
        "AI_share_postings: negative amount -1",
        "AI_share_postings: a percentage above 100: 150",
        "date: expected YYYY-MM-DD, got '2022-13-01'",
        "missing required field jobcountry",
        "missing required field AI_share_postings",
    ]
