"""The report page: one HTML file with plotly.js inline, so that it opens with no network."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.offline

from talentflow._format import number
from talentflow.migration.requests import DEFAULT_POPULATION
from talentflow.report import figures
from talentflow.report.data import SHOCKS, ReportData

TITLES = {
    "board": "Vacancies and resumes over time",
    "tension": "Tension: resumes per vacancy",
    "relocation": "Relocation: domestic or abroad, and where to",
    "salary": "Salaries",
    "panel": "Emigration and return flows",
    "excess": "Excess developer growth by economy",
    "claims": "Published claims beside the estimates",
    "series": "External series: Indeed Hiring Lab postings",
    "methods": "Methods, inputs and reproducibility",
}
DOCS = ("indicators.md", "migration.md", "simulator.md", "report.md")
#: The docs beside the installed package, when it is a source checkout.
DOCS_DIR = Path(__file__).resolve().parents[3] / "docs"

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #222; }
header { background: #1f3b57; color: #fff; padding: 18px 32px; }
header h1 { margin: 0 0 4px 0; font-size: 26px; }
header p { margin: 2px 0; opacity: 0.9; }
nav { padding: 8px 32px; background: #eef2f6; font-size: 14px; }
nav a { margin-right: 14px; color: #1f3b57; }
main { padding: 0 32px 40px 32px; max-width: 1280px; }
section { border-bottom: 1px solid #ddd; padding: 12px 0 20px 0; }
h2 { color: #1f3b57; }
p.note { font-size: 14px; color: #444; margin: 4px 0; }
p.absent { background: #fff6e0; border-left: 4px solid #e0a800; padding: 8px 12px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; }
tr.within td.status { color: #1a7f37; font-weight: 600; }
tr.outside td.status { color: #b42318; font-weight: 600; }
tr.no-estimate td.status { color: #777; }
.chart { margin: 8px 0; }
"""


def fmt(x: Any, digits: int = 3) -> str:
    """Numbers for people: thousands separated, small numbers with a few significant digits, a dash if none."""
    return number(x, digits, missing="–")


def _table(header: list[str], rows: list[list[Any]], classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cells = []
        for cell in row:
            if isinstance(cell, tuple):  # (html, css class)
                cells.append(f'<td class="{cell[1]}">{cell[0]}</td>')
            elif isinstance(cell, (int, float)) and not isinstance(cell, bool):
                cells.append(f'<td class="num">{fmt(cell)}</td>')
            else:
                cells.append(f"<td>{escape(str(cell))}</td>")
        cls = f' class="{classes[i]}"' if classes else ""
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class Page:
    def __init__(self) -> None:
        self.charts = 0

    def chart(self, fig: go.Figure) -> str:
        self.charts += 1
        html = fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=f"chart-{self.charts}",
            config={"displaylogo": False, "responsive": True},
        )
        return f'<div class="chart">{html}</div>'


def _notes(notes: list[str]) -> str:
    return "".join(f'<p class="note">{escape(n)}</p>' for n in notes)


def _board(data: ReportData, page: Page) -> str:
    part = data.parts["board"]
    return page.chart(figures.board(part)) + _notes(part.notes)


def _tension(data: ReportData, page: Page) -> str:
    part = data.parts["tension"]
    return page.chart(figures.tension(part)) + _notes(part.notes)


def _relocation(data: ReportData, page: Page) -> str:
    part = data.parts["relocation"]
    html = page.chart(figures.relocation(part))
    if not part.frames["destinations"].empty:
        html += page.chart(figures.destinations(part))
    else:
        html += '<p class="absent">No destination shares: every destination cell is suppressed or empty.</p>'
    return html + _notes(part.notes)


def _salary(data: ReportData, page: Page) -> str:
    part = data.parts["salary"]
    return page.chart(figures.salary(part)) + _notes(part.notes)


def _panel(data: ReportData, page: Page) -> str:
    part = data.parts["panel"]
    result = part.values["result"]
    pop = part.values["population"]
    truth = part.values.get("truth_totals", {})
    html = page.chart(figures.flows(part))
    rows = []
    for year, totals in part.values["totals"].items():
        y0, y1 = totals["window"]
        for flow in ("emigration", "return", "net"):
            est, low, high = totals[flow]
            row: list[Any] = [f"{y0} to {y1}", flow, est, low, high]
            if data.sim:
                t = truth.get(year)
                value = None if t is None else {"emigration": t[0], "return": t[1], "net": t[0] - t[1]}[flow]
                row.append(value)
            rows.append(row)
    header = ["window", "flow", "estimate", "low", "high"] + (["simulator's truth"] if data.sim else [])
    html += f"<h3>Totals ({result.level:.0%} intervals)</h3>" + _table(header, rows)
    dest = part.frames["destinations"]
    if not dest.empty:
        dest = dest.sort_values("estimate", ascending=False).head(10)
        html += f"<h3>Emigrants by destination, {escape(str(dest.period.iloc[0]))}</h3>"
        html += _table(
            ["destination", "estimate", "low", "high"],
            [[r.destination, r.estimate, r.low, r.high] for r in dest.itertuples()],
        )
    population = (
        f"Population: {pop.count:,.0f} IT workers at the end of {pop.month} — "
        + ("a census (the simulator's truth, home and abroad)" if data.sim else f"the default, {pop.source}")
        + "."
    )
    notes = [
        "Hidden Markov model over home/abroad × searching/quiet/stale, fitted by EM to the resume sightings, "
        "scaled to the population (docs/migration.md).",
        population,
        f"Interval: {result.level:.0%} {result.interval}. The report uses {data.options.n_boot} bootstrap "
        "replicates to stay fast; `talentflow migration panel` uses 100 by default.",
        *(f"{k}: {v}" for k, v in result.inputs.items()),
        *part.notes,
    ]
    if data.sim:
        notes.insert(0, "Dashed lines: the simulator's true flows (truth/summary.json), at full population scale.")
    return html + _notes(notes)


def _excess(data: ReportData, page: Page) -> str:
    part = data.parts["excess"]
    result = part.values["result"]
    frame = part.frames["excess"]
    html = page.chart(figures.excess(part))
    html += _table(
        ["economy", "role", "observed", "counterfactual", "excess", "low", "high", "relative"],
        [
            [r.economy, r.role, r.observed, r.counterfactual, r.estimate, r.low, r.high, f"{r.relative:+.1%}"]
            for r in frame.itertuples()
        ],
    )
    notes = [f"Interval: {result.level:.0%} {result.interval}.", *(f"{k}: {v}" for k, v in result.inputs.items())]
    return html + _notes(notes + part.notes)


def _claims(data: ReportData, page: Page) -> str:
    part = data.parts["claims"]
    frame = part.frames["claims"]
    counts = part.values["summary"]
    html = "<p>" + ", ".join(f"{n} {escape(s)}" for s, n in counts.items()) + "</p>"
    rows: list[list[Any]] = []
    classes: list[str] = []
    # pd.isna takes every cell at run time, but pandas-stubs types a row's fields (Period, Interval, np.bool_
    # among them) wider than its scalar overload, hence the ignores below.
    for r in frame.itertuples():
        status = str(r.status)
        period = f"{r.period_start} to {r.period_end}"
        no_interval = pd.isna(r.low) or pd.isna(r.high)  # type: ignore[arg-type]
        interval = "" if no_interval else f"{fmt(r.low)} – {fmt(r.high)}"
        rows.append(
            [
                r.claim_id,
                r.metric,
                r.geography,
                period,
                r.claim,
                r.estimate if not pd.isna(r.estimate) else "–",  # type: ignore[arg-type]
                interval,
                (escape(status), "status"),
                "; ".join(str(x) for x in (r.note, r.inputs) if x),
            ]
        )
        classes.append(status.replace(" ", "-"))
    html += _table(
        ["id", "metric", "where", "period", "claim", "estimate", "interval", "status", "note and inputs"], rows, classes
    )
    notes = [
        "A claim is within when the estimate (or its interval) meets the values the claim allows: its range, or a "
        "single figure ± 10%. Board levels are compared as counted (the board is a sample of the market).",
        *part.notes,
    ]
    return html + _notes(notes)


def _series(data: ReportData, page: Page) -> str:
    part = data.parts["series"]
    html = ""
    if "postings" in part.frames:
        html += page.chart(figures.series(part, "postings", "Indeed job postings index, all postings"))
    if "software" in part.frames:
        html += page.chart(figures.series(part, "software", "Indeed job postings index, Software Development"))
    return html + _notes(part.notes)


def _doc_link(name: str) -> str:
    path = DOCS_DIR / name
    if path.is_file():
        return f'<a href="{escape(path.as_uri())}">docs/{escape(name)}</a>'
    return f"<code>docs/{escape(name)}</code>"


def _methods(data: ReportData, page: Page) -> str:
    opt = data.options
    docs = ", ".join(_doc_link(n) for n in DOCS)
    items = [
        f"talentflow {escape(data.version)}; report generated {escape(data.generated)} from the store "
        f"<code>{escape(data.store)}</code>.",
        f"Methods and formulas: {docs} (in the talentflow source).",
        f"Shocks marked on the charts: {', '.join(f'{d} ({escape(label)})' for d, label in SHOCKS)}.",
        f"Origin {escape(opt.origin)}; cells with fewer than {opt.min_cell} records are suppressed.",
        f"Seeds: panel bootstrap seed {opt.seed} ({opt.n_boot} replicates, {opt.level:.0%} intervals); excess "
        f"growth bootstrap seed {opt.seed}.",
    ]
    if data.sim:
        sim = data.sim
        items.append(
            f"Simulated market: scenario {escape(str(sim.get('scenario')))}, scale {sim.get('scale')}, seed "
            f"{sim.get('seed')}, output in <code>{escape(sim['dir'])}</code>; the truth beside the estimates is its "
            "truth/summary.json."
        )
    else:
        items.append(
            "No simulator output given (--sim): no truth is shown, and the panel is scaled to the default "
            f"population ({escape(DEFAULT_POPULATION.source)})."
        )
    items.append("No PDF output: print this page from a browser if a PDF is needed (see docs/report.md).")
    html = "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
    html += "<h3>Store</h3>" + _table(["table", "rows"], [[k, v] for k, v in data.counts.items()])
    if data.inputs:
        html += "<h3>Inputs ingested</h3>" + _table(
            ["id", "input", "format", "read", "accepted", "duplicates", "quarantined"],
            [
                [
                    str(i["ingest_id"]),
                    i["input"],
                    i["format"],
                    i["read"],
                    i["accepted"],
                    i["duplicates"],
                    i["quarantined"],
                ]
                for i in data.inputs
            ],
        )
    return html


RENDER = {
    "board": _board,
    "tension": _tension,
    "relocation": _relocation,
    "salary": _salary,
    "panel": _panel,
    "excess": _excess,
    "claims": _claims,
    "series": _series,
    "methods": _methods,
}


def render(data: ReportData) -> str:
    page = Page()
    sections = []
    for i, (key, title) in enumerate(TITLES.items(), 1):
        part = data.parts.get(key)
        if part is not None and part.absent:
            body = f'<p class="absent">No data for this section: {escape(part.absent)}.</p>'
        else:
            body = RENDER[key](data, page)
        sections.append(f'<section id="{key}" data-section="{key}"><h2>{i}. {escape(title)}</h2>{body}</section>')
    nav = "".join(f'<a href="#{k}">{escape(t)}</a>' for k, t in TITLES.items())
    sim = ""
    if data.sim:
        sim = (
            f" Simulated market: {escape(str(data.sim.get('scenario')))} at scale {data.sim.get('scale')}, "
            f"seed {data.sim.get('seed')}."
        )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="talentflow {escape(data.version)}">
<title>talentflow report: tech-talent flight</title>
<style>{CSS}</style>
<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>
</head>
<body>
<header>
<h1>Tech-talent flight: {escape(data.options.origin)} IT labour market</h1>
<p>talentflow {escape(data.version)} · store <code>{escape(data.store)}</code> ·
generated {escape(data.generated)}.{sim}</p>
</header>
<nav>{nav}</nav>
<main>
{"".join(sections)}
</main>
</body>
</html>
"""
