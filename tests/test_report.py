"""The HTML report and `talentflow run`: one self-contained file, every section, numbers as the API gives them;
real data and the simulated market in sections of their own, never summed; what a store of real data only
shows and lacks."""

from __future__ import annotations

import re
from pathlib import Path

import kinds_fixture
import pandas as pd
import plotly.offline
import pytest

from talentflow import ingest
from talentflow.claims import compare, summary
from talentflow.claims.ledger import builtin_claims
from talentflow.errors import UsageError
from talentflow.impact import SynthRequest, estimate
from talentflow.migration.panel import PanelOptions, fit_panel, load_panel
from talentflow.report import ReportOptions, build_report
from talentflow.report.data import census, trim_panel
from talentflow.report.html import CLOSING_TITLES, KIND_TITLES, PUBLISHED_TITLES, fmt
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
    for key, title in {**PUBLISHED_TITLES, **CLOSING_TITLES}.items():
        assert f'data-section="{key}"' in html and title in html
    for key, title in KIND_TITLES.items():
        assert f'data-section="simulated-{key}"' in html and title in html
    # The simulated market's sections drawn under its own heading; the real data's group says it has none.
    assert "<h2>2. Simulated market (exodus-2022, seed 2)</h2>" in html
    for key in (*(f"simulated-{k}" for k in KIND_TITLES), "claims"):
        assert market["data"].parts[key].absent is None, (key, market["data"].parts[key].absent)
    assert "<h2>1. Real board data</h2>" in html and 'data-section="real-board"' not in html
    assert "No real board data: the store holds no real vacancy or resume sightings (only the simulated" in html
    # Innovation Graph and Hiring Lab absent from this store, and said so.
    for key in ("excess", "series", "synth"):
        assert market["data"].parts[key].absent
    assert html.count("No data for this section") == 3
    for day in ("2022-02-24", "2022-09-21"):
        assert day in html
    for band in (
        "acute shortage (\\u003c 2)",
        "shortage (2\\u20134)",
        "balanced (4\\u20138)",
    ):  # as plotly's JSON has them
        assert band in html
    assert "talentflow 0." in html and "a census" in html


def test_ai_share_beside_the_simulators_truth(market: dict) -> None:
    """The board's AI share of active IT vacancies follows the truth the simulator drew (a 5% default)."""
    ai = market["data"].parts["simulated-ai"]
    assert {"vacancies", "resumes", "truth"} <= set(ai.frames) and "tracker" not in ai.frames
    board = ai.frames["vacancies"].assign(month=lambda f: f.period.astype(str).str[:7]).set_index("month")
    truth = ai.frames["truth"].set_index("month")
    both = board.join(truth, how="inner")
    assert len(both) >= 24
    # A sample of a few hundred IT vacancies a month: months scatter, their mean does not.
    assert both.share.mean() == pytest.approx(both.ai_vacancy_share.mean(), rel=0.15)
    assert "true AI share" in market["html"]


def test_panel_numbers_match_the_api(market: dict) -> None:
    with Store(market["db"], read_only=True) as store:
        panel, _ = trim_panel(load_panel(store, data="simulated"), 50)
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


def test_did_the_market_break_matches_the_api(market: dict) -> None:
    """The section's breaks and ITS effect are the impact API's on the same store, with the report's settings; the
    invasion is found in the resume stock within two weeks, with an interval holding it, and the effect on the
    stock 6 months on is positive."""
    from talentflow.impact import ChangepointRequest, ItsRequest, estimate
    from talentflow.report.data import IMPACT_START, ITS_EVENT

    part = market["data"].parts["simulated-impact"]
    assert part.absent is None and {"breaks", "events", "fits", "its", "its_fit"} <= set(part.frames)
    common = {"by": ("is_it=true", "country=RU"), "start": IMPACT_START["simulated"], "data": "simulated"}
    with Store(market["db"], read_only=True) as store:
        breaks = estimate(ChangepointRequest(indicator="resumes_active", n_boot=99, **common), store)
        its = estimate(ItsRequest(indicator="resumes_active", event=ITS_EVENT, n_boot=200, **common), store)
    shown = part.frames["breaks"].query("series == 'resumes_active' and change == 'level'")
    api = breaks.select(change="level")
    assert list(shown["date"]) == list(api["date"]) and list(shown["p_value"]) == list(api["p_value"])
    invasion = shown[(pd.to_datetime(shown["date"]) - pd.Timestamp("2022-02-24")).abs().dt.days <= 14]
    # Found, and its interval holds the invasion's week (at this small scale it is not always significant).
    assert len(invasion) == 1, shown
    low, high = (pd.Timestamp(invasion[c].iloc[0]) for c in ("date_low", "date_high"))
    assert low <= pd.Timestamp("2022-02-24") <= high + pd.Timedelta(days=6), (low, high)
    html = market["html"]
    for r in api.itertuples():
        assert f"<td>resumes_active</td><td>{r.date}</td><td>{r.date_low} – {r.date_high}</td>" in html
    six = its.select(kind="effect").iloc[5]
    assert six.estimate > 0 and six.low > 0
    row = re.search(rf"<td>effect</td><td>{six.period}</td>(.*?)</tr>", html)
    assert row and f">{fmt(six.estimate)}<" in row.group(1) and f"{fmt(six.low)} – {fmt(six.high)}" in row.group(1)
    assert "Did the market break? Change points and the effect of the invasion" in html
    # The vacancy stock's breaks (the stock model) have pulses, postings taken down at once: their own column.
    vacancies = part.frames["breaks"].query("series == 'vacancies_active'")
    assert set(vacancies["change"]) == {"level", "slope", "pulse"} and ">pulse (entries at once)<" in html


def test_no_two_series_share_a_colour_and_event_labels_do_not_overlap(market: dict) -> None:
    from talentflow.report import figures

    parts = market["data"].parts
    built = [
        figures.board(parts["simulated-board"]),
        figures.relocation(parts["simulated-relocation"]),
        figures.destinations(parts["simulated-relocation"]),
        figures.flows(parts["simulated-panel"]),
        figures.ai(parts["simulated-ai"]),
        figures.its_effect(parts["simulated-impact"]),
        figures.changepoint_fits(parts["simulated-impact"]),
    ]
    for fig in built:
        colours = figures.distinct_colours(fig)
        assert len(colours) >= 2 and len(set(colours)) == len(colours), (fig.layout.title.text, colours)
        labels = [a for a in fig.layout.annotations if a.text and a.text.startswith("2022-")]
        assert len(labels) == 2 and labels[0].yshift != labels[1].yshift, fig.layout.title.text
    assert len(set(figures.MANY)) == len(figures.MANY) >= 40


def test_claims_match_the_api(market: dict) -> None:
    """The report's comparison is the API's given the report's panel fit: the census fit of the simulated market
    with the report's replicates, rescaled to the default population (the fit is passed, never cached)."""
    from talentflow.migration._scaling import rescale
    from talentflow.migration.requests import DEFAULT_POPULATION

    with Store(market["db"], read_only=True) as store:
        assert store.counts()["claim"] == 0  # the report did not write the built-in claims into the store
        panel, _ = trim_panel(load_panel(store, data="simulated"), 50)
        fit = fit_panel(panel, census(_summary(market["sim"])), options=PanelOptions(n_boot=N_BOOT, seed=0))
        frame = compare(store, builtin_claims().claims, data="simulated", panel_fit=rescale(fit, DEFAULT_POPULATION))
        real = compare(store, builtin_claims().claims)
    counts = summary(frame)
    html = market["html"]
    assert "<p>Against simulated data: " + ", ".join(f"{n} {s}" for s, n in counts.items()) + ".</p>" in html
    assert market["data"].parts["claims"].values["summary"] == {"real": summary(real), "simulated": counts}
    # One row per claim: this store holds no real records, so every estimate is the simulated market's.
    shown = market["data"].parts["claims"].frames["claims"]
    assert len(shown) == len(frame) and summary(shown) == counts
    assert list(shown.data) == ["simulated" if s != "no estimate" else "none" for s in frame.status]
    assert '<td class="data-simulated">simulated data</td>' in html and '<td class="data-none">nothing</td>' in html
    assert "compared without being written into it" in html


def test_one_default_number_of_replicates() -> None:
    """The report, the command, the web API's request and the claims default to one number of replicates and one
    model."""
    from talentflow.claims.estimators import CLAIM_MODEL, CLAIM_N_BOOT
    from talentflow.migration.requests import DEFAULT_N_BOOT, NowcastRequest, PanelRequest

    assert ReportOptions().n_boot == PanelRequest().n_boot == NowcastRequest().n_boot == CLAIM_N_BOOT == DEFAULT_N_BOOT
    # And to one model; a name the command would refuse, the report refuses too.
    assert ReportOptions().model == PanelRequest().model == CLAIM_MODEL == "durations"
    with pytest.raises(UsageError, match="model: expected one of simple, durations, full, not 'fastest'"):
        ReportOptions(model="fastest")


def test_the_report_and_the_command_give_one_interval(cli, market: dict) -> None:
    """One answer per question: `talentflow migration panel` on the report's store, window and seed gives the
    report's 2022 intervals, both for the census the report is scaled to and (through the population's own error)
    for the default population its claims are judged with."""
    import json

    from talentflow.migration.requests import DEFAULT_POPULATION

    data = market["data"]
    panel = data.parts["simulated-panel"].values
    command = ("migration", "panel", "--data", "simulated", "--db", market["db"], "--from", "2022-01", "--to")
    command += ("2022-12", "--n-boot", N_BOOT, "--seed", 0, "--format", "json")

    def totals(*population: object) -> dict[str, tuple[float, float, float]]:
        rows = json.loads(cli(*command, *population).stdout)
        window = [r for r in rows if r["period"] == "2022-01/2022-12" and r["destination"] == "abroad"]
        window = [r for r in window if r["scale"] == "workforce"]
        return {r["flow"]: (r["estimate"], r["low"], r["high"]) for r in window}

    census_pop = panel["population"]
    shown = totals("--population", repr(census_pop.count), "--population-month", census_pop.month)
    assert {flow: shown[flow] for flow in ("emigration", "return", "net")} == {
        flow: panel["totals"]["2022"][flow] for flow in ("emigration", "return", "net")
    }
    # The claims' fit is the census fit rescaled to the default population, whose 10% error widens the replicates:
    # the command fitted at that population draws the same errors (equal up to rounding in the rescaling).
    claims = data.parts["claims"].frames["claims"].set_index("claim_id")
    net = totals()["net"]
    assert DEFAULT_POPULATION.cv > 0 and net[2] - net[1] > shown["net"][2] - shown["net"][1]
    claim = claims.loc["A5-abroad"]
    assert (claim.estimate, claim.low, claim.high) == pytest.approx(net, rel=1e-9)


def test_the_panel_section_says_what_its_interval_covers_and_how_it_rests_on_the_population(market: dict) -> None:
    from html import escape

    html = market["html"]
    part = market["data"].parts["simulated-panel"]
    result = part.values["result"]
    assert result.covers.startswith("The 90% interval covers the sampling of people on the board (bootstrap over ")
    assert "it leaves out the population figure's error (" in result.covers  # the census is taken as exact
    assert escape(result.covers) in html
    # Totals beside the board-visible movers, and the first year's totals over N and the board's coverage.
    assert "<th>board-visible movers (interval)</th>" in html
    emigration = part.values["totals"]["2022"]["emigration"][0]
    board = part.values["totals"]["2022"]["board"]["emigration"]
    assert 0 < board[0] < emigration and board[1] <= board[0] <= board[2]
    sens = part.values["sensitivity"].rows.set_index(["flow", "population_factor", "coverage_change"])
    assert sens.loc[("emigration", 1.0, 1.0)].estimate == pytest.approx(emigration)
    assert sens.loc[("emigration", 0.8, 1.15)].estimate == pytest.approx(emigration * 0.8 / 1.15)
    assert "Sensitivity, 2022-01 to 2022-12: the population N and the board" in html


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
    assert absent == [*(f"real-{k}" for k in KIND_TITLES), "excess", "series", "synth"]
    assert list(data.kinds) == ["real"]  # no simulated records, no --sim: no simulated section
    assert "No real board data: the store holds no real vacancy or resume sightings." in html
    assert html.count("No data for this section") == 3
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
    without = (
        "real-board, real-tension, real-relocation, real-salary, real-ai, real-panel, real-impact, excess, series, "
        "synth"
    )
    assert f"sections without data: {without}" in " ".join(result.stdout.split())
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
    part = market["data"].parts["simulated-salary"]
    assert int(part.frames["salary"].n_stale.sum()) == 0
    assert not [note for note in part.notes if "rate more than a month old" in note]
    assert part.frames["salary"].n.sum() > 0


# -- real data and the simulated market, apart ---------------------------------------------------------------
@pytest.fixture(scope="module")
def kinds(tmp_path_factory: pytest.TempPathFactory) -> kinds_fixture.Stores:
    return kinds_fixture.build(tmp_path_factory.mktemp("report-kinds"), claims=False)


def _frames(data, prefix: str) -> dict[str, pd.DataFrame]:
    return {
        f"{section}/{name}": frame
        for section in KIND_TITLES
        if not (part := data.parts[f"{prefix}-{section}"]).absent
        for name, frame in part.frames.items()
    }


def test_each_kind_has_its_own_sections_never_summed(kinds: kinds_fixture.Stores, tmp_path: Path) -> None:
    # The simplest panel model is the quickest: the test is about which records each section reads.
    options = ReportOptions(n_boot=3, model="simple")
    mixed = build_report(tmp_path / "mixed.html", db=kinds.mixed, options=options)
    real = build_report(tmp_path / "real.html", db=kinds.real, options=options)
    simulated = build_report(tmp_path / "simulated.html", db=kinds.simulated, options=options)
    assert list(mixed.kinds) == ["real", "simulated"] and list(real.kinds) == ["real"]
    # Each kind's charts on the store holding both are that kind's charts on the store holding it alone.
    for data, alone in (("real", real), ("simulated", simulated)):
        got, expected = _frames(mixed, data), _frames(alone, data)
        assert set(got) == set(expected) and len(got) >= 8, (data, sorted(got))
        for key, frame in got.items():
            if "level" in frame.columns or key.startswith("panel/"):
                continue  # the panel's bootstrap rows: checked below by their point estimates
            pd.testing.assert_frame_equal(frame, expected[key], obj=f"{data} {key}")
        point = mixed.parts[f"{data}-panel"].values["totals"]["2022"]["emigration"][0]
        assert point == pytest.approx(alone.parts[f"{data}-panel"].values["totals"]["2022"]["emigration"][0])
    board = {d: mixed.parts[f"{d}-board"].frames["vacancies"] for d in ("real", "simulated")}
    assert not board["real"]["vacancies"].equals(board["simulated"]["vacancies"])
    html = (tmp_path / "mixed.html").read_text(encoding="utf-8")
    assert "<h2>1. Real board data</h2>" in html and "<h2>2. Simulated market (exodus-2022, seed 5)</h2>" in html
    # Every chart says which data it shows (plotly's JSON writes the dash as \u2014).
    assert "\\u2014 real data" in html and "\\u2014 simulated market" in html
    # The claims: checked against each kind apart, each row saying which.
    claims = mixed.parts["claims"].frames["claims"]
    assert set(claims.data) == {"real", "simulated", "none"}
    assert set(mixed.parts["claims"].values["summary"]) == {"real", "simulated"}
    b1 = claims[claims.claim_id == "B1-vacancies-jan"].set_index("data")
    assert set(b1.index) == {"real", "simulated"}
    # Each kind's figure is the one its records alone give (a figure over both would be their sum).
    for data, alone in (("real", real), ("simulated", simulated)):
        own = alone.parts["claims"].frames["claims"]
        own = own[(own.claim_id == "B1-vacancies-jan") & (own.data == data)]
        assert len(own) == 1 and b1.loc[data].estimate == own.estimate.iloc[0], (data, own)
    a6 = claims[claims.claim_id == "A6"].iloc[0]
    assert a6.data == "none" and a6.note.startswith("real data: no estimator registered")


@pytest.fixture(scope="module")
def real_only(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The real data of ../shared/data only: UrFU vacancies, hh.ru API examples, Innovation Graph, Hiring Lab.

    The December 2022 UrFU pulls are IT vacancies by construction and their layout says so at ingest; the January
    to July sample mixes IT and other jobs (its SOURCE.md), so its rows stay unknown and out of the IT charts."""
    from talentflow.reference.areas import load_areas, read_tree

    root = tmp_path_factory.mktemp("report-real")
    db = root / "real.duckdb"
    with Store(db) as store:
        load_areas(store, read_tree(shared / "hh-api/dictionaries/areas_2024-12.json"), "areas_2024-12.json")
        inputs = [shared / "hh-api/examples", shared / "hh-vacancies-urfu", shared / "innovationgraph"]
        ingest([*inputs, shared / "indeed-hiring-lab"], store=store)
    out = root / "report.html"
    data = build_report(out, db=db, options=ReportOptions(n_boot=3))
    return {"db": db, "data": data, "html": out.read_text(encoding="utf-8")}


def test_real_data_only_draws_the_urfu_vacancies_and_says_what_it_lacks(real_only: dict) -> None:
    data, html = real_only["data"], real_only["html"]
    assert list(data.kinds) == ["real"]
    assert "Simulated market" not in html and "The store holds no simulated records" in html
    # The UrFU vacancies in the IT vacancy and salary charts: the December 2022 pulls (IT by construction).
    vacancies = data.parts["real-board"].frames["vacancies"]
    shown = vacancies[~vacancies.suppressed.astype(bool)]
    active = dict(zip((str(p)[:7] for p in shown.period), shown.vacancies.astype(int), strict=True))
    assert "2022-12" in active and active["2022-12"] > 3000, active
    salary = data.parts["real-salary"].frames["salary"]
    published = {str(p)[:7] for p in salary[salary["median"].notna()].period}
    assert "2022-12" in published, published
    # AI work: the board's share in December 2022, beside the Indeed AI Tracker (real data both).
    ai = data.parts["real-ai"]
    assert ai.absent is None and set(ai.frames) == {"vacancies", "tracker"}, (ai.absent, set(ai.frames))
    december = ai.frames["vacancies"].set_index(ai.frames["vacancies"].period.astype(str).str[:7]).loc["2022-12"]
    assert 0.002 < december.share < 0.05 and december.records > 3000
    assert {"US", "GB", "DE"} <= set(ai.frames["tracker"].country) and ai.frames["tracker"].share.max() < 0.2
    assert "Indeed AI Tracker: share of all job postings mentioning AI" in html
    # No real resumes worth the name (two API examples): the sections that need them say so, and why.
    for section in ("tension", "relocation", "panel"):
        part = data.parts[f"real-{section}"]
        assert part.absent and part.lacks == "resume_observation", (section, part.absent)
    assert "No resumes line" in " ".join(data.parts["real-board"].notes)
    assert (
        "Without real data: Tension, relocation, migration flows and the change points need real resume sightings "
        "(at least 50 IT resumes in RU a month), and the store holds only 2." in html
    )
    # The published series are real data: drawn.
    assert data.parts["excess"].absent is None and data.parts["series"].absent is None
    # Did the market break? The synthetic control of developer counts: the destinations gained, Russia lost.
    synth = data.parts["synth"]
    assert synth.absent is None and list(synth.values["results"]) == ["GE", "AM", "KZ", "RU"]
    with Store(real_only["db"], read_only=True) as store:
        ge = estimate(SynthRequest(unit="GE"), store).select(kind="mean gap").iloc[0]
    shown = synth.values["results"]["GE"].select(kind="mean gap").iloc[0]
    assert shown.estimate == pytest.approx(ge.estimate) and ge.low > 0
    assert synth.values["results"]["RU"].select(kind="mean gap").iloc[0].estimate < 0
    assert f"{fmt(ge.low)} – {fmt(ge.high)}" in html and "placebo gaps (20 donors)" in html
    # Every claim says what it was checked against.
    claims = data.parts["claims"].frames["claims"]
    assert set(claims.data) <= {"real", "none"} and "checked against" in html


def test_run_with_real_data_draws_both_kinds(cli, shared: Path, tmp_path: Path) -> None:
    """`talentflow run` with real data beside the simulation (as `make demo` does): a store with both kinds, and a
    report that shows both, apart."""
    out = tmp_path / "run"
    args = ["--with", shared / "hh-api/examples", "--with", shared / "hh-vacancies-urfu"]
    result = cli("run", "exodus-2022", "--out", out, "--scale", "0.001", "--seed", "3", "--n-boot", "2", *args)
    assert "claims checked (real data)" in result.stdout and "claims checked (simulated data)" in result.stdout
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<h2>1. Real board data</h2>" in html and "<h2>2. Simulated market (exodus-2022, seed 3)</h2>" in html
    assert 'data-section="real-board"' in html and 'data-section="simulated-board"' in html
    with Store(out / "talentflow.duckdb", read_only=True) as store:
        kinds = dict(store.con.execute("SELECT provenance, count(*) FROM vacancy_observation GROUP BY ALL").fetchall())
    assert set(kinds) == {"observed", "simulated"}


def test_run_takes_input_files_and_the_old_data_option_still(cli, shared: Path, tmp_path: Path) -> None:
    """`talentflow run --input PATH` ingests files instead of simulating; `--data PATH`, its old name (`--data`
    now names the kind of data everywhere), still works in this release and says what replaces it."""
    examples = shared / "hh-api/examples"
    new = cli("run", "--input", examples, "--out", tmp_path / "new", "--n-boot", "2")
    old = cli("run", "--data", examples, "--out", tmp_path / "old", "--n-boot", "2")
    assert "deprecated" in old.stderr and "--input PATH" in old.stderr and "deprecated" not in new.stderr
    for out in ("new", "old"):
        with Store(tmp_path / out / "talentflow.duckdb", read_only=True) as store:
            assert store.count("vacancy_observation") > 0
    html = (tmp_path / "new" / "report.html").read_text(encoding="utf-8")
    assert "Real board data" in html and "Simulated market" not in html
