"""`talentflow fetch fx`: the Bank of Russia's official rates (its XML service, faked on loopback by
tests/fake_sources.py) into the store, and the salary indicator converting with them; until a rate covers a
month, salaries that need one are left out and counted."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from fake_sources import CBR_CURRENCIES, CBR_DAILY, FakeSources, cbr_daily, cbr_rate, cbr_set_on

from talentflow import ingest
from talentflow.errors import InputError
from talentflow.fetch.sources import SOURCES
from talentflow.indicators import DuckDBEngine, Params, SparkEngine, compute_on, export_parquet

#: The months the shipped table has no rouble rates for: 2022-03 to 2024-11.
MONTHS = [date(y, m, 1) for y in (2022, 2023, 2024) for m in range(1, 13) if (2022, 3) <= (y, m) <= (2024, 11)]


@pytest.fixture
def fake() -> Iterator[FakeSources]:
    with FakeSources(None) as server:
        yield server


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


RATES = "SELECT segment, date, value FROM series WHERE source = 'cbr' AND metric = 'official_rate' ORDER BY 2, 1"


def test_online_fills_every_month_of_the_gap_then_offline_stores_the_same(cli, fake, cache, db, tmp_path) -> None:
    report = cli.json("fetch", "fx", "--to", cache, "--db", db, "--url-base", fake.url)
    assert len(MONTHS) == 33 and report["downloaded"] == 33
    assert report["ingest"]["read"] == report["ingest"]["accepted"] == 33 * len(CBR_CURRENCIES)
    asked = sorted(h.path for h in fake.hits)
    assert asked == [CBR_DAILY] * 33
    stored = rows(db, RATES)
    codes = [c[2] for c in CBR_CURRENCIES]
    expected = sorted(
        ((code, cbr_set_on(first), cbr_rate(code, cbr_set_on(first))) for first in MONTHS for code in codes),
        key=lambda r: (r[1], r[0]),
    )
    assert [(c, d) for c, d, _ in stored] == [(c, d) for c, d, _ in expected]
    for (_, _, got), (_, _, want) in zip(stored, expected, strict=True):
        assert got == pytest.approx(want, rel=1e-12)
    # 2022-05-01 was a Sunday: the rates in force are Saturday's.
    assert ("USD", date(2022, 4, 30)) in {(c, d) for c, d, _ in stored}

    hits = len(fake.hits)
    other = tmp_path / "offline.duckdb"
    offline = cli.json("fetch", "fx", "--offline", "--to", cache, "--db", other)
    assert len(fake.hits) == hits, "--offline asked the network"
    assert offline["ingest"]["accepted"] == 33 * len(CBR_CURRENCIES)
    assert rows(other, RATES) == stored


def _vacancies(path: Path) -> None:
    """One 2,000 USD vacancy opened each month of the gap, and a 100,000 KZT one in 2023-06."""
    records = []
    for i, first in enumerate(MONTHS):
        records.append((f"u{i}", first, {"from": 2000, "to": 2000, "currency": "USD", "gross": True}))
    records.append(("k1", date(2023, 6, 1), {"from": 100_000, "to": 100_000, "currency": "KZT", "gross": True}))
    lines = []
    for vid, first, salary in records:
        day = first.replace(day=10).isoformat()
        lines.append(
            json.dumps(
                {
                    "id": vid,
                    "name": "Разработчик",
                    "area": {"id": "1"},
                    "salary": salary,
                    "published_at": f"{day}T10:00:00+0300",
                    "observed_at": f"{day}T12:00:00+0300",
                    "professional_roles": [{"id": "96"}],
                },
                ensure_ascii=False,
            )
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _salary(db: Path) -> tuple[dict[date, tuple[int, int, float]], list[str]]:
    params = Params("month", min_cell=0, options={"basis": "published"})
    with DuckDBEngine.open(db) as engine:
        result = compute_on(engine, "salary", params)
    by_month = {r.period: (int(r.n), int(r.n_stale), r.median) for r in result.frame.itertuples()}
    return by_month, result.notes


def test_salaries_needing_a_stale_rate_are_left_out_until_fx_fills_the_gap(
    cli, fake, cache, tmp_path, spark_local
) -> None:
    db = tmp_path / "s.duckdb"
    path = tmp_path / "vacancies.ndjson"
    _vacancies(path)
    ingest([path], db=db)
    before, notes = _salary(db)
    assert len(before) == 33
    # 2022-03 still has the ECB's February rate (28 days old); from April on, every rate is over a month old.
    assert before[MONTHS[0]][:2] == (1, 0)
    for first in MONTHS[1:]:
        n, stale, median = before[first]
        assert (n, stale) == ((0, 2) if first == date(2023, 6, 1) else (0, 1)), first
        assert median != median, f"{first}: a salary converted at a stale rate was shown"  # NaN: suppressed
    assert any(n.startswith("33 of 34 salaries were left out: their conversion needs a rate") for n in notes)

    cli.json("fetch", "fx", "--to", cache, "--db", db, "--url-base", fake.url)
    after, notes = _salary(db)
    assert not [n for n in notes if "left out" in n]
    for first in MONTHS:
        usd = 2000 * cbr_rate("USD", cbr_set_on(first))
        n, stale, median = after[first]
        if first == date(2023, 6, 1):
            kzt = 100_000 * cbr_rate("KZT", cbr_set_on(first))
            assert (n, stale) == (2, 0) and median == pytest.approx((usd + kzt) / 2, rel=1e-9)
        else:
            assert (n, stale) == (1, 0) and median == pytest.approx(usd, rel=1e-9), first
    # Spark reads the same rates from the export.
    params = Params("month", min_cell=0, options={"basis": "published"})
    spark = compute_on(SparkEngine(export_parquet(db), spark_local), "salary", params).frame
    assert spark["median"].tolist() == pytest.approx([after[d][2] for d in sorted(after)], rel=1e-9)


def test_a_server_error_is_retried_and_a_doctype_refused_naming_the_file(cli, fake, cache, db) -> None:
    fake.fail(CBR_DAILY, "500")
    first = cli.json("fetch", "fx", "--to", cache, "--db", db, "--url-base", fake.url)
    assert first["files"][0]["attempts"] == 2 and first["downloaded"] == 33

    query = "date_req=01/07/2023"
    body = cbr_daily(query)
    assert body is not None
    fake.cbr[query] = body.replace(b"?>", b'?>\n<!DOCTYPE ValCurs [<!ENTITY a "aaaa">]>', 1)
    result = cli("fetch", "fx", "--to", cache, "--db", db, "--url-base", fake.url, code=2)
    message = " ".join(result.output.split())
    assert "XML_daily_2023-07.xml" in message and "a document type declaration (DOCTYPE)" in message
    assert "nothing was ingested" in message


def test_bad_rates_are_quarantined_with_their_line_and_foreign_xml_is_refused(tmp_path) -> None:
    good = cbr_daily("date_req=01/03/2022")
    assert good is not None
    text = re.sub(r"(<CharCode>USD</CharCode>.*?<Value>)[^<]*", r"\1n/a", good.decode("cp1251"))
    text = text.replace("<Nominal>100</Nominal><Name>Казахстанских", "<Nominal>0</Nominal><Name>Казахстанских")
    path = tmp_path / "rates.xml"
    path.write_bytes(text.encode("cp1251"))
    db = tmp_path / "s.duckdb"
    report = ingest([path], db=db)
    assert (report.read, report.accepted, report.quarantined) == (8, 6, 2)
    reasons = dict(rows(db, "SELECT location, reason FROM quarantine ORDER BY location"))
    usd_line = text.splitlines().index(next(x for x in text.splitlines() if ">USD<" in x)) + 1
    assert reasons[f"{path}:{usd_line}"] == "Value: expected a price in roubles above 0 such as 95,9618, got 'n/a'"
    assert any(r.startswith("Nominal: expected a whole number of units above 0, got '0'") for r in reasons.values())

    cut = tmp_path / "cut.xml"
    cut.write_bytes(good[: len(good) // 2])
    report = ingest([cut], db=tmp_path / "c.duckdb")
    assert report.quarantined == 1 and report.read == report.accepted + 1
    (reason,) = [r for (r,) in rows(tmp_path / "c.duckdb", "SELECT reason FROM quarantine")]
    assert reason.startswith("not well-formed XML")

    other = tmp_path / "feed.xml"
    other.write_text('<?xml version="1.0"?><rss><channel/></rss>', encoding="utf-8")
    with pytest.raises(InputError, match="XML other than the Bank of Russia's daily rates"):
        ingest([other], db=tmp_path / "o.duckdb")


def test_the_source_asks_for_the_first_day_of_each_month_of_the_gap() -> None:
    files = SOURCES["fx"].files
    assert [f.name for f in files][:2] == ["XML_daily_2022-03.xml", "XML_daily_2022-04.xml"]
    assert files[-1].url() == "https://www.cbr.ru/scripts/XML_daily.asp?date_req=01/11/2024"
    assert len(files) == len(MONTHS)
