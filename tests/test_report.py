"""The HTML report and `talentflow run`: one self-contained file, every section, numbers as the API gives them."""

from __future__ import annotations

import re
from pathlib import Path

import plotly.offline
import pytest

from talentflow import ingest
from talentflow.claims import compare, summary
from talentflow.claims.ledger import builtin_claims
from talentflow.errors import UsageError
from talentflow.migration.panel import PanelOptions, fit_panel, load_panel
from talentflow.report import ReportOptions, build_report
from talentflow.report.data import census, trim_panel
from talentflow.report.html import TITLES, fmt
from talentflow.simulate import load_scenario, simulate
from talentflow.store import Store

N_BOOT = 8


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A small simulated market, its store, and the report written from them."""
    root = tmp_path_factory.mktemp("report")
    sim = root / "sim"
    simulate(load_scenario("exodus-2022"), sim, scale=0.003, seed=2)
    db = root / "store.duckdb"
    ingest([sim], db=db)
    out = root / "report.html"
    data = build_report(out, db=db, options=ReportOptions(sim=sim, n_boot=N_BOOT, seed=0))
    return {"sim": sim, "db": db, "out": out, "html": out.read_text(encoding="utf-8"), "data": data}


def test_self_contained(market: dict) -> None:
    html = market["html"]
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?(https?:)?//", html, re.I)
    assert not re.search(r"\bsrc\s*=\s*[\"']?(https?:)?//", html, re.I)
    assert plotly.offline.get_plotlyjs()[:500] in html  # plotly.js inline, once
    assert html.count("plotly.js v") <= 2


def test_every_section_present(market: dict) -> None:
    html = market["html"]
    for key, title in TITLES.items():
        assert f'data-section="{key}"' in html
        assert title in html
    # Board sections drawn; Innovation Graph and Hiring Lab absent from this store, and said so.
    for key in ("board", "tension", "relocation", "salary", "panel", "claims"):
        assert market["data"].parts[key].absent is None, (key, market["data"].parts[key].absent)
    for key in ("excess", "series"):
        assert market["data"].parts[key].absent
    assert html.count("No data for this section") == 2
    for day in ("2022-02-24", "2022-09-21"):
        assert day in html
    for band in (
        "acute shortage (\\u003c 2)",
        "shortage (2\\u20134)",
        "balanced (4\\u20138)",
    ):  # as plotly's JSON has them
        assert band in html
    assert "talentflow 0." in html and "a census" in html


def test_panel_numbers_match_the_api(market: dict) -> None:
    with Store(market["db"], read_only=True) as store:
        panel, _ = trim_panel(load_panel(store), 50)
    sim = {"dir": str(market["sim"]), **_summary(market["sim"])}
    fit = fit_panel(panel, census(sim), options=PanelOptions(n_boot=N_BOOT, seed=0))
    html = market["html"]
    for flow in ("emigration", "return", "net"):
        est, low, high = fit.total(flow, "2022-01", "2022-12")
        row = re.search(rf"<td>2022-01 to 2022-12</td><td>{flow}</td>(.*?)</tr>", html)
        assert row, flow
        assert f">{fmt(est)}<" in row.group(1) and f">{fmt(low)}<" in row.group(1) and f">{fmt(high)}<" in row.group(1)
    truth = sim["summary"]
    true_2022 = truth[truth.month.str.startswith("2022")].emigrated.sum()
    row = re.search(r"<td>2022-01 to 2022-12</td><td>emigration</td>(.*?)</tr>", html).group(1)
    assert f">{fmt(float(true_2022))}<" in row


def test_claims_match_the_api(market: dict) -> None:
    """The report's comparison is the API's given the report's panel fit: the census fit of the simulated market
    with the report's replicates, rescaled to the default population (the fit is passed, never cached)."""
    from talentflow.migration.requests import DEFAULT_POPULATION

    with Store(market["db"], read_only=True) as store:
        assert store.counts()["claim"] == 0  # the report did not write the built-in claims into the store
        panel, _ = trim_panel(load_panel(store), 50)
        fit = fit_panel(panel, census(_summary(market["sim"])), options=PanelOptions(n_boot=N_BOOT, seed=0))
        frame = compare(store, builtin_claims().claims, panel_fit=fit.rescaled(DEFAULT_POPULATION, 0))
    counts = summary(frame)
    html = market["html"]
    assert "<p>" + ", ".join(f"{n} {s}" for s, n in counts.items()) + "</p>" in html
    assert summary(market["data"].parts["claims"].frames["claims"]) == counts
    assert "compared without being written into it" in html


def _summary(sim: Path) -> dict:
    import json

    import pandas as pd

    return {"summary": pd.DataFrame(json.loads((sim / "truth" / "summary.json").read_text())), "dir": str(sim)}


def test_empty_store_says_so(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    Store(db).close()
    out = tmp_path / "empty.html"
    data = build_report(out, db=db)
    html = out.read_text(encoding="utf-8")
    absent = [k for k, p in data.parts.items() if p.absent]
    assert absent == ["board", "tension", "relocation", "salary", "panel", "excess", "series"]
    assert html.count("No data for this section") == len(absent)
    assert "no estimate" in html  # the claims are listed, each with why it has no estimate


def test_no_pdf(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no PDF"):
        build_report(tmp_path / "report.pdf", db=tmp_path / "x.duckdb")


def test_run_command(cli, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = cli("run", "exodus-2022", "--out", out, "--scale", "0.002", "--seed", "3", "--n-boot", "4")
    assert "report.html" in result.stdout
    assert (out / "report.html").stat().st_size > 1_000_000  # plotly.js inline
    with Store(out / "talentflow.duckdb", read_only=True) as store:
        status = store.status()
        counts = store.counts()
    assert counts["claim"] == len(builtin_claims().claims)
    records = sum(i["read"] for i in status["inputs"])
    assert records > 0
    for i in status["inputs"]:
        assert i["read"] == i["accepted"] + i["duplicates"] + i["quarantined"]
    # Every record accepted is stored: the board's records and the claims (their import is logged as an input).
    stored = counts["vacancy_observation"] + counts["resume_observation"] + counts["claim"]
    assert stored == sum(i["accepted"] for i in status["inputs"])
    # Not into a used directory; not without something to work on.
    cli("run", "exodus-2022", "--out", out, code=2)
    cli("run", "--out", tmp_path / "none", code=2)


def test_report_command(cli, market: dict, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = cli("report", "--out", out, "--db", market["db"], "--n-boot", "2")
    assert "sections without data: excess, series" in result.stdout
    assert "No data for this section" in out.read_text(encoding="utf-8")


def test_report_opens_offline(browser, market: dict) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.route("**/*", lambda r: r.abort() if not r.request.url.startswith("file:") else r.continue_())
    try:
        page.goto(market["out"].resolve().as_uri())
        page.wait_for_load_state("load")
        charts = page.locator("div.js-plotly-plot")
        expected = market["html"].count('<div class="chart">')
        assert expected >= 6
        page.wait_for_function(
            f"document.querySelectorAll('div.js-plotly-plot .main-svg').length >= {expected}", timeout=15000
        )
        assert charts.count() == expected
        for i in range(expected):
            assert charts.nth(i).locator(".main-svg").count() >= 1
        assert not errors, errors
        assert all(u.startswith("file:") for u in requests), requests
    finally:
        page.close()


def test_salary_section_notes_stale_rates_only_when_there_are_some(market: dict) -> None:
    # The section shows vacancies in the home country, which the simulator posts in roubles: no rate needed.
    part = market["data"].parts["salary"]
    assert int(part.frames["salary"].n_stale.sum()) == 0
    assert not [note for note in part.notes if "rate more than a month old" in note]
    assert part.frames["salary"].n.sum() > 0
