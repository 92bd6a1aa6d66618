"""The report page: one HTML file with plotly.js inline, so that it opens with no network."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.offline

from talentflow._format import number
from talentflow.impact.results import has_size
from talentflow.migration.requests import DEFAULT_POPULATION
from talentflow.report import figures
from talentflow.report.data import SHOCKS, WHAT, Kind, Part, ReportData
from talentflow.report.options import part_key

#: The sections drawn for each kind of data, in order.
KIND_TITLES = {
    "board": "Vacancies and resumes over time",
    "tension": "Tension: resumes per vacancy",
    "relocation": "Relocation: domestic or abroad, and where to",
    "salary": "Salaries",
    "ai": "AI work: its share of IT vacancies and resumes",
    "panel": "Emigration and return flows",
    "impact": "Did the market break? Change points and the effect of the invasion",
}
#: The published series (real data), drawn once.
PUBLISHED_TITLE = "Published series (real data)"
PUBLISHED_TITLES = {
    "excess": "Excess developer growth by economy",
    "series": "External series: Indeed Hiring Lab postings",
    "synth": "Did the market break? A synthetic control of developer counts",
}
#: The sections after the data.
CLOSING_TITLES = {
    "claims": "Published claims beside the estimates",
    "methods": "Methods, inputs and reproducibility",
}
TITLES = {**KIND_TITLES, **PUBLISHED_TITLES, **CLOSING_TITLES}
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
p.held { font-size: 14px; background: #eef2f6; padding: 6px 12px; }
h3 { color: #1f3b57; }
section.group { border-bottom: 3px solid #1f3b57; }
section.group > section:last-child { border-bottom: none; }
td.data-real { color: #1f3b57; font-weight: 600; }
td.data-simulated { color: #7a4ea3; font-weight: 600; }
td.data-none { color: #777; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; }
tr.consistent td.status { color: #1a7f37; font-weight: 600; }
tr.contradicted td.status { color: #b42318; font-weight: 600; }
tr.inconclusive td.status { color: #9a6700; }
tr.calibration-target td.status { color: #777; font-style: italic; }
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


def _board(data: ReportData, part: Part, page: Page) -> str:
    return page.chart(figures.board(part)) + _notes(part.notes)


def _tension(data: ReportData, part: Part, page: Page) -> str:
    return page.chart(figures.tension(part)) + _notes(part.notes)


def _relocation(data: ReportData, part: Part, page: Page) -> str:
    html = page.chart(figures.relocation(part))
    if not part.frames["destinations"].empty:
        html += page.chart(figures.destinations(part))
    else:
        html += '<p class="absent">No destination shares: every destination cell is suppressed or empty.</p>'
    return html + _notes(part.notes)


def _salary(data: ReportData, part: Part, page: Page) -> str:
    return page.chart(figures.salary(part)) + _notes(part.notes)


def _ai(data: ReportData, part: Part, page: Page) -> str:
    html = page.chart(figures.ai(part)) if {"vacancies", "resumes"} & set(part.frames) else ""
    if "tracker" in part.frames:
        html += page.chart(figures.ai_tracker(part))
    return html + _notes(part.notes)


def _panel(data: ReportData, part: Part, page: Page) -> str:
    result = part.values["result"]
    pop = part.values["population"]
    census = part.values.get("census", False)
    truth = part.values.get("truth_totals")
    html = page.chart(figures.flows(part))
    rows = []
    for year, totals in part.values["totals"].items():
        y0, y1 = totals["window"]
        for flow in ("emigration", "return", "net"):
            est, low, high = totals[flow]
            row: list[Any] = [f"{y0} to {y1}", flow, est, low, high]
            if truth is not None:
                t = truth.get(year)
                value = None if t is None else {"emigration": t[0], "return": t[1], "net": t[0] - t[1]}[flow]
                row.append(value)
            board = totals.get("board", {}).get(flow)
            row.append("–" if board is None else f"{fmt(board[0])} ({fmt(board[1])} – {fmt(board[2])})")
            rows.append(row)
    header = ["window", "flow", "workforce", "low", "high"] + (["simulator's truth"] if truth is not None else [])
    header.append("board-visible movers (interval)")
    html += f"<h4>Totals ({result.level:.0%} intervals)</h4>" + _table(header, rows)
    html += f'<p class="covers">{escape(result.covers)}</p>' if result.covers else ""
    html += _sensitivity(part)
    dest = part.frames["destinations"]
    if not dest.empty:
        dest = dest.sort_values("estimate", ascending=False).head(10)
        html += f"<h4>Emigrants by destination, {escape(str(dest.period.iloc[0]))}</h4>"
        html += _table(
            ["destination", "estimate", "low", "high"],
            [[r.destination, r.estimate, r.low, r.high] for r in dest.itertuples()],
        )
    population = (
        f"Population: {pop.count:,.0f} IT workers at the end of {pop.month} — "
        + ("a census (the simulator's truth, home and abroad)" if census else f"the default, {pop.source}")
        + "."
    )
    notes = [
        f"Hidden Markov model over home/abroad × searching/quiet/stale, fitted by EM to the {part.label}'s resume "
        "sightings only, scaled to the population (docs/migration.md).",
        population,
        f"Interval: {result.level:.0%} {result.interval}: the interval `talentflow migration panel` gives for the "
        "same store, population and seed.",
        "Workforce flows are scaled to the population figure and move one for one with it; board-visible movers "
        "are the moves among the board's own profiles, with no population figure.",
        *(f"{k}: {v}" for k, v in result.inputs.items()),
        *part.notes,
    ]
    if truth is not None:
        notes.insert(0, "Dashed lines: the simulator's true flows (truth/summary.json), at full population scale.")
    return html + _notes(notes)


def _sensitivity(part: Part) -> str:
    """The first year's workforce totals over populations (columns) and board coverage changes (rows)."""
    sens = part.values.get("sensitivity")
    if sens is None:
        return ""
    rows = sens.rows
    factors = sorted(rows.population_factor.unique())
    body = []
    for (flow, change), group in rows.groupby(["flow", "coverage_change"], sort=False):
        cells = group.set_index("population_factor")
        body.append(
            [
                flow,
                f"{change:g}",
                *(f"{fmt(cells.estimate[f])} ({fmt(cells.low[f])} – {fmt(cells.high[f])})" for f in factors),
            ]
        )
    period = str(rows.period.iloc[0]).replace("/", " to ")
    header = [
        "flow",
        "coverage change",
        *(f"N × {f:g} = {fmt(float(n))}" for f, n in zip(factors, sorted(rows.population.unique()), strict=True)),
    ]
    return (
        f"<h4>Sensitivity, {escape(period)}: the population N and the board's coverage</h4>"
        + _table(header, body)
        + _notes([sens.notes[0], sens.covers])
    )


def _excess(data: ReportData, part: Part, page: Page) -> str:
    result = part.values["result"]
    frame = part.frames["excess"]
    html = page.chart(figures.excess(part))
    placebo = "placebo_relative" in frame.columns
    period = str(frame["placebo_period"].iloc[0]) if placebo and len(frame) else ""
    html += _table(
        [
            "economy",
            "role",
            "observed",
            "counterfactual",
            "excess",
            "low",
            "high",
            "relative",
            *([f"placebo {period}", "placebo interval"] if placebo else []),
        ],
        [
            [
                r.economy,
                r.role,
                r.observed,
                r.counterfactual,
                r.estimate,
                r.low,
                r.high,
                f"{r.relative:+.1%}",
                *(_placebo_cells(r) if placebo else []),
            ]
            for r in frame.itertuples()
        ],
    )
    notes = [f"Interval: {result.level:.0%} {result.interval}.", *(f"{k}: {v}" for k, v in result.inputs.items())]
    notes.insert(0, result.covers)
    notes += [n for n in result.notes if n.startswith("placebo in time") or n.startswith("no placebo")]
    return html + _notes(notes + part.notes)


def _placebo_cells(r: Any) -> list[Any]:
    """The placebo's relative excess and its interval; the interval bold when it leaves out zero."""
    if r.placebo_relative is None or pd.isna(r.placebo_relative):
        return ["–", ""]
    interval = f"{fmt(r.placebo_low)} – {fmt(r.placebo_high)}"
    strays = r.placebo_low > 0 or r.placebo_high < 0
    return [f"{r.placebo_relative:+.1%}", (f"<b>{escape(interval)}</b>", "num") if strays else interval]


#: How the claims table says which data an estimate came from.
CHECKED = {"real": "real data", "simulated": "simulated data", "none": "nothing"}


def _claims(data: ReportData, part: Part, page: Page) -> str:
    frame = part.frames["claims"]
    html = "".join(
        f"<p>Against {escape(kind)} data: " + ", ".join(f"{n} {escape(s)}" for s, n in counts.items()) + ".</p>"
        for kind, counts in part.values["summary"].items()
    )
    rows: list[list[Any]] = []
    classes: list[str] = []
    # pd.isna takes every cell at run time, but pandas-stubs types a row's fields (Period, Interval, np.bool_
    # among them) wider than its scalar overload, hence the ignores below.
    for r in frame.itertuples():
        status = str(r.status)
        period = f"{r.period_start} to {r.period_end}"
        no_interval = pd.isna(r.low) or pd.isna(r.high)  # type: ignore[arg-type]
        interval = "" if no_interval else f"{fmt(r.low)} – {fmt(r.high)}"
        kind = str(r.data)
        rows.append(
            [
                r.claim_id,
                r.metric,
                r.geography,
                period,
                r.claim,
                (escape(CHECKED.get(kind, kind)), f"data-{kind}"),
                r.estimate if not pd.isna(r.estimate) else "–",  # type: ignore[arg-type]
                interval,
                (escape(status), "status"),
                "; ".join(str(x) for x in (r.note, r.inputs) if x),
            ]
        )
        classes.append(status.replace(" ", "-"))
    html += _table(
        [
            "id",
            "metric",
            "where",
            "period",
            "claim",
            "checked against",
            "estimate",
            "interval",
            "status",
            "note and inputs",
        ],
        rows,
        classes,
    )
    notes = [
        "Each claim is checked against each kind of data apart, never the two summed: a row per kind that gave an "
        'estimate ("checked against"), or one row checked against nothing, with each kind\'s reason.',
        "The values a claim allows are its range, its bound, or its single figure ± 10%. A claim is consistent when "
        "the estimate's 90% interval lies inside them, contradicted when it lies wholly outside, inconclusive when "
        "it crosses a bound (two one-sided tests of equivalence, Schuirmann 1987): a wide interval alone never "
        "makes a claim consistent. Board levels are compared as counted (the board is a sample of the market).",
        "On simulated data, a claim the scenario was calibrated to is a calibration target, not a verdict: the "
        "simulated market reproduces it by construction, so agreeing or not says nothing about the claim.",
        *part.notes,
    ]
    return html + _notes(notes)


def _series(data: ReportData, part: Part, page: Page) -> str:
    html = ""
    if "postings" in part.frames:
        html += page.chart(figures.series(part, "postings", "Indeed job postings index, all postings"))
    if "software" in part.frames:
        html += page.chart(figures.series(part, "software", "Indeed job postings index, Software Development"))
    return html + _notes(part.notes)


def _interval(low: Any, high: Any) -> str:
    return "–" if pd.isna(low) or pd.isna(high) else f"{fmt(low)} – {fmt(high)}"


def _impact(data: ReportData, part: Part, page: Page) -> str:
    html = ""
    if "breaks" in part.frames:
        html += _breaks(part)
        html += page.chart(figures.changepoint_fits(part))
    if "its" in part.frames:
        html += page.chart(figures.its_effect(part)) + _its_table(part)
    return html + _notes(part.notes)


def _breaks(part: Part) -> str:
    """The breaks found, each beside the nearest event, and each event beside each series' nearest break."""
    frame = part.frames["breaks"]
    level = frame[frame["change"] == "level"].reset_index(drop=True)
    slope = frame[frame["change"] == "slope"].reset_index(drop=True)
    # Only a stock's breaks have pulses (entries removed at once): their columns appear when one does.
    pulses = {(r.series, r.date): r for r in frame[frame["change"] == "pulse"].itertuples()}
    rows = []
    for r, s in zip(level.itertuples(), slope.itertuples(), strict=True):
        row = [
            r.series,
            str(r.date),
            f"{r.date_low} – {r.date_high}",
            r.found_share,
            r.p_value,
            "yes" if r.significant else "no",
            f"{r.event} ({r.days_from_event:+d} days)",
            r.estimate,
            _interval(r.low, r.high),
            s.estimate,
            _interval(s.low, s.high),
        ]
        if pulses:
            p = pulses.get((r.series, r.date))
            if p is not None and has_size(str(p.shape), "pulse"):
                row += [p.estimate, _interval(p.low, p.high)]
            else:
                row += ["–", "–"]
        rows.append(row)
    lvl = float(frame["level"].iloc[0]) if len(frame) else 0.9
    heads = ["jump", "interval", "slope change per week", "interval"]
    if pulses:
        heads += ["pulse (entries at once)", "interval"]
    html = f"<h4>Breaks found ({lvl:.0%} intervals)</h4>" + _table(
        [
            "series",
            "break (new segment from)",
            "interval of the date",
            "found share",
            "p",
            f"significant at {lvl:.0%}",
            "nearest event",
            *heads,
        ],
        rows,
    )
    events = part.frames["events"]
    html += "<h4>Events against the breaks</h4>" + _table(
        ["event", "what", "series", "nearest break", "days from the event", "significant"],
        [
            [
                r.event,
                r.label,
                r.series,
                "none found" if r.nearest_break is None else str(r.nearest_break),
                _days(r.days),
                "–" if r.significant is None else ("yes" if r.significant else "no"),
            ]
            for r in events.itertuples()
        ],
    )
    return html


def _days(days: Any) -> str:
    return "–" if days is None or pd.isna(days) else f"{int(days):+d}"


def _its_table(part: Part) -> str:
    result = part.values["its"]
    rows = part.frames["its"]
    picked = []
    for kind in ("effect", "cumulative"):
        k = rows[rows["kind"] == kind].reset_index(drop=True)
        for i in sorted({min(5, len(k) - 1), len(k) - 1}):
            r = k.iloc[i]
            picked.append([kind, str(r.period), r.actual, r.counterfactual, r.estimate, _interval(r.low, r.high)])
    html = f"<h4>Effect on the IT resume stock ({result.level:.0%} intervals)</h4>" + _table(
        ["effect", "month", "actual", "counterfactual", "estimate", "interval"], picked
    )
    p = result.stats.get("cumulative_p")
    return html + _notes(
        [
            f"Cumulative effect's two-sided p-value: {fmt(p)}. Interval: {result.level:.0%} {result.interval}.",
            *(f"{k}: {v}" for k, v in result.inputs.items()),
        ]
    )


def _synth(data: ReportData, part: Part, page: Page) -> str:
    results = part.values["results"]
    rows = []
    for unit, result in results.items():
        mean = result.select(kind="mean gap").iloc[0]
        last = result.select(kind="gap").iloc[-1]
        st = result.stats
        top = result.tables["weights"].head(3)
        rows.append(
            [
                unit,
                f"{result.rows['period'].iloc[0]} – {last.period}",
                st["pre_rmspe"],
                last.estimate,
                _interval(last.low, last.high),
                last.in_units,
                mean.estimate,
                _interval(mean.low, mean.high),
                st["p_value"],
                st["in_time_mean_gap"],
                st["conformal_p_no_effect"],
                ", ".join(f"{w.donor} {w.weight:.2f}" for w in top.itertuples()),
            ]
        )
    level = next(iter(results.values())).level
    html = _table(
        [
            "unit",
            "event – end",
            "pre RMSPE",
            "gap, last quarter (index)",
            "interval",
            "in accounts",
            "mean gap",
            "interval",
            "placebo p",
            "in-time placebo gap",
            "conformal p (no effect)",
            "largest weights",
        ],
        rows,
    )
    for unit, result in results.items():
        html += page.chart(figures.synth_fit(result, unit, result.rows["period"].iloc[0]))
    notes = [
        "Developer accounts (GitHub Innovation Graph) as an index = 100 in the quarter before the event; the "
        "synthetic control is a convex mix of donor economies that were not destinations (docs/impact.md); grey: "
        "each donor's gap when treated as if shocked (in-space placebos).",
        f"Intervals: {level:.0%} {next(iter(results.values())).interval}; the placebo p-value ranks the unit's "
        "post/pre RMSPE ratio among the donors'.",
        *part.notes,
    ]
    return html + _notes(notes)


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
    items.append(
        "One kind of data at a time: the real board records (observed on a board, or read from a file of one) and "
        "the simulated market (written by <code>talentflow simulate</code>) are drawn in separate sections, each "
        "from its own records, and never summed; the published series are real data."
    )
    if "simulated" not in data.kinds:
        items.append("The store holds no simulated records: the report shows real data only.")
    if data.sim:
        sim = data.sim
        items.append(
            f"Simulated market: scenario {escape(str(sim.get('scenario')))}, scale {sim.get('scale')}, seed "
            f"{sim.get('seed')}, output in <code>{escape(sim['dir'])}</code>; the truth beside its estimates is its "
            "truth/summary.json, and its panel is scaled to the truth's IT workers (a census)."
        )
    else:
        items.append(
            "No simulator output given (--sim): no truth is shown, and every panel is scaled to the default "
            f"population ({escape(DEFAULT_POPULATION.source)})."
        )
    if "real" in data.kinds and "simulated" in data.kinds:
        items.append(
            "The real panel is always scaled to the default population "
            f"({escape(DEFAULT_POPULATION.source)}): a simulation's census says nothing of the real market."
        )
    items.append("No PDF output: print this page from a browser if a PDF is needed (see docs/report.md).")
    html = "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
    kinds = list(data.kinds.values())
    html += "<h3>Store</h3>" + _table(
        ["table", "rows", *(f"{k.data} data" for k in kinds)],
        [[t, n, *(k.counts.get(t, "") for k in kinds)] for t, n in data.counts.items()],
    )
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
    "ai": _ai,
    "panel": _panel,
    "excess": _excess,
    "claims": _claims,
    "series": _series,
    "impact": _impact,
    "synth": _synth,
}


def _absent(what: str, reason: str) -> str:
    return f'<p class="absent">No {escape(what)} for this section: {escape(reason)}.</p>'


def _subsection(data: ReportData, page: Page, key: str, section: str, number: str, title: str) -> str:
    part = data.parts[key]
    what = f"{part.label}" if part.label else "data"
    body = _absent(what, part.absent) if part.absent else RENDER[section](data, part, page)
    return f'<section id="{key}" data-section="{key}"><h3>{number} {escape(title)}</h3>{body}</section>'


#: The sections as a sentence names them.
SHORT = {
    "board": "the vacancy and resume counts",
    "tension": "tension",
    "relocation": "relocation",
    "salary": "salaries",
    "ai": "AI work's share",
    "panel": "migration flows",
    "impact": "the change points",
}


def lacking(data: ReportData, kind: Kind) -> list[str]:
    """What ``kind``'s sections lack, in plain words; the sections short of the same records said together."""
    by_table: dict[str, list[str]] = {}
    reasons: list[str] = []
    for section, title in KIND_TITLES.items():
        part = data.parts[part_key(kind.data, section)]
        if not part.absent:
            continue
        if part.lacks is None:
            reasons.append(f"{title.split(':')[0]}: {part.absent}")
        else:
            by_table.setdefault(part.lacks, []).append(SHORT[section])
    out = []
    for table, titles in by_table.items():
        n = kind.counts.get(table, 0)
        held = f"the store holds only {n:,}" if n else "the store holds none"
        names = titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " and " + titles[-1]
        out.append(
            f"{names[0].upper()}{names[1:]} need{'s' * (len(titles) == 1)} {kind.data} {WHAT[table]} sightings (at "
            f"least {data.options.min_cell} IT {WHAT[table]}s in {data.options.origin} a month), and {held}"
        )
    return out + reasons


def _kind_group(data: ReportData, page: Page, kind: Kind, number: int) -> str:
    """One kind's sections under its own heading: what the store holds of it, what it lacks and why."""
    intro = f'<p class="held">The store holds {escape(kind.held)} of {escape(kind.data)} data.</p>'
    if kind.absent:
        body = f'<p class="absent">No {escape(kind.data)} board data: {escape(kind.absent)}.</p>'
    else:
        if lacks := lacking(data, kind):
            intro += (
                f'<p class="absent">Without {escape(kind.data)} data: '
                + "; ".join(escape(text) for text in lacks)
                + ".</p>"
            )
        body = "".join(
            _subsection(data, page, part_key(kind.data, s), s, f"{number}.{j}", t)
            for j, (s, t) in enumerate(KIND_TITLES.items(), 1)
        )
    return (
        f'<section class="group" id="{kind.data}" data-group="{kind.data}">'
        f"<h2>{number}. {escape(kind.title)}</h2>{intro}{body}</section>"
    )


def _sections(data: ReportData, page: Page) -> tuple[list[str], list[tuple[str, str]]]:
    """The page's sections in order, and the navigation's (anchor, title) pairs."""
    sections, nav = [], []
    number = 0
    for kind in data.kinds.values():
        number += 1
        sections.append(_kind_group(data, page, kind, number))
        nav.append((kind.data, kind.title))
    number += 1
    published = "".join(
        _subsection(data, page, key, key, f"{number}.{j}", title)
        for j, (key, title) in enumerate(PUBLISHED_TITLES.items(), 1)
    )
    sections.append(
        f'<section class="group" id="published" data-group="published"><h2>{number}. {PUBLISHED_TITLE}</h2>'
        f"{published}</section>"
    )
    nav.append(("published", PUBLISHED_TITLE))
    for key, title in CLOSING_TITLES.items():
        number += 1
        part = data.parts.get(key)
        if key == "methods":
            body = _methods(data, page)
        elif part is not None and part.absent:
            body = _absent("data", part.absent)
        else:
            body = RENDER[key](data, data.parts[key], page)
        sections.append(f'<section id="{key}" data-section="{key}"><h2>{number}. {escape(title)}</h2>{body}</section>')
        nav.append((key, title))
    return sections, nav


def render(data: ReportData) -> str:
    page = Page()
    sections, anchors = _sections(data, page)
    nav = "".join(f'<a href="#{k}">{escape(t)}</a>' for k, t in anchors)
    kinds = " and ".join(k.title for k in data.kinds.values())
    sim = f" Drawn apart, never summed: {escape(kinds)}." if len(data.kinds) > 1 else ""
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
