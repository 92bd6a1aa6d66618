"""The dashboard: one page with four views (an indicator, the impact methods, the migration flows, the claims
ledger), charted with plotly.js from the installed plotly package and, for the destinations' Sankey diagram,
plain SVG. It shows one kind of data at a time, real (the default) or simulated, chosen in its first selector.

Nothing is loaded from the network: the page, its scripts and plotly.js all come from this server.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response

from talentflow.web._views import VIEWS_SCRIPT

router = APIRouter()

#: The value column drawn first for each indicator (the user can pick any numeric column).
VALUE_HINTS = {
    "vacancies_active": "vacancies",
    "vacancies_new": "vacancies",
    "vacancies_closed": "vacancies",
    "postings_index": "index_sa",
    "resumes_active": "resumes",
    "resumes_new": "resumes",
    "tension": "tension",
    "relocation_share": "abroad_share",
    "destination_share": "share",
    "salary": "median",
    "remote_share": "remote_share",
    "employer_exits": "exit_share",
    "employer_relocations": "relocations",
    "population_growth": "growth",
    "series": "value",
}


@cache
def plotly_js() -> Path:
    path = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
    if not path.exists():
        raise FileNotFoundError(f"{path}: the plotly package ships no plotly.min.js")
    return path


@router.get("/", include_in_schema=False)
def page() -> HTMLResponse:
    return HTMLResponse(PAGE.replace("__HINTS__", json.dumps(VALUE_HINTS)))


@router.get("/static/dashboard.js", include_in_schema=False)
def script() -> Response:
    return Response(SCRIPT, media_type="text/javascript")


@router.get("/static/views.js", include_in_schema=False)
def views_script() -> Response:
    return Response(VIEWS_SCRIPT, media_type="text/javascript")


@router.get("/static/dashboard.css", include_in_schema=False)
def style() -> Response:
    return Response(CSS, media_type="text/css")


@router.get("/static/plotly.min.js", include_in_schema=False)
def plotly() -> FileResponse:
    try:
        path = plotly_js()
    except FileNotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})


#: The page's style and scripts are files of their own: the Content-Security-Policy lets the page run no inline
#: script.
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>talentflow dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/dashboard.css">
</head>
<body data-view="indicators">
<header><h1>talentflow</h1>
  <nav id="tabs">
    <button type="button" data-view="indicators">Indicators</button>
    <button type="button" data-view="impact">Impact</button>
    <button type="button" data-view="flows">Flows</button>
    <button type="button" data-view="claims">Claims</button>
  </nav>
  <label class="global">Data <select id="data" title="One kind at a time: never the two summed">
    <option value="real">real (observed)</option><option value="simulated">simulated</option></select></label>
  <span id="store"></span><a href="/docs">API docs</a></header>
<div id="banner" hidden>Simulated data: the numbers shown come from talentflow's simulator, not from a job board.</div>
<main>
<section id="view-indicators" class="view">
<form id="controls">
  <label>Indicator <select id="indicator"></select></label>
  <label>Period <select id="period"></select></label>
  <label>Split by <select id="by"></select></label>
  <label class="check"><span>IT only</span><input id="it" type="checkbox"></label>
  <label>Country <input id="country" list="countries" size="6" placeholder="any" title="ISO2 code(s): RU or RU,KZ">
  </label>
  <label>From <input id="from" type="date"></label>
  <label>To <input id="to" type="date"></label>
  <label>Min cell <input id="min_cell" type="number" min="0" value="50"></label>
  <label>Value <select id="value"></select></label>
  <a id="csv" href="#" download>Download CSV</a>
</form>
<div id="description"></div>
<div id="error" class="error"></div>
<div id="chart" class="chart"></div>
<div id="meta"><span id="count"></span><span id="cache"></span><span id="range"></span><span id="notes"></span></div>
<div class="table-wrap"><table id="rows"></table></div>
</section>
<section id="view-impact" class="view" hidden>
<form id="im-controls">
  <label>Method <select id="im-method"><option value="changepoints">change points</option>
    <option value="its">interrupted time series</option><option value="synth">synthetic control</option>
  </select></label>
  <label class="series">Indicator <select id="im-indicator"></select></label>
  <label class="series">Filter <input id="im-by" size="12" placeholder="e.g. is_it=true"></label>
  <label class="series">Event <input id="im-event" type="date" value="2022-02-24"></label>
  <label class="series">From <input id="im-from" type="date"></label>
  <label class="series">To <input id="im-to" type="date"></label>
  <label class="series">Min cell <input id="im-min_cell" type="number" min="0" value="0"></label>
  <label class="series">Replicates <input id="im-n_boot" type="number" min="1" value="49"></label>
  <label class="synth">Metric <input id="im-metric" value="developers" size="12"></label>
  <label class="synth">Unit <input id="im-unit" value="GE" size="4"></label>
  <label class="synth">Event quarter <input id="im-quarter" value="2022Q1" size="7"></label>
</form>
<div id="im-error" class="error"></div>
<div id="im-chart" class="chart tall"></div>
<div id="im-stats" class="stats"></div>
<div class="table-wrap"><table id="im-rows"></table></div>
</section>
<section id="view-flows" class="view" hidden>
<form id="fl-controls">
  <label>Origin <input id="fl-origin" value="RU" size="4"></label>
  <label>From <input id="fl-from" type="month" value="2022-01"></label>
  <label>To <input id="fl-to" type="month" value="2022-12"></label>
  <label>Replicates <input id="fl-n_boot" type="number" min="1" value="20"></label>
  <label>Seed <input id="fl-seed" type="number" min="0" value="0"></label>
</form>
<div id="fl-error" class="error"></div>
<div id="fl-chart" class="chart"></div>
<h2>Emigrants by destination, <span id="fl-window"></span></h2>
<div id="fl-sankey"></div>
<div class="table-wrap"><table id="fl-rows"></table></div>
</section>
<section id="view-claims" class="view" hidden>
<form id="cl-controls">
  <label>Coverage <input id="cl-coverage" type="number" min="0.001" max="1" step="any" value="1"></label>
  <label>Tolerance <input id="cl-tolerance" type="number" min="0" step="any" value="0.1"></label>
</form>
<div id="cl-error" class="error"></div>
<div class="table-wrap"><table id="cl-rows"></table></div>
</section>
</main>
<datalist id="countries"></datalist>
<script id="hints" type="application/json">__HINTS__</script>
<script src="/static/plotly.min.js"></script>
<script src="/static/dashboard.js"></script>
<script src="/static/views.js"></script>
</body>
</html>
"""

CSS = """  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2733; background: #f6f7f9; }
  header { background: #1d2733; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: center; }
  header h1 { font-size: 18px; margin: 0; }
  header a { color: #9cc3ff; }
  header label.global { color: #cfd8e3; flex-direction: row; align-items: center; gap: 6px; }
  nav button { font: inherit; background: none; color: #cfd8e3; border: 0; padding: 4px 10px; cursor: pointer; }
  nav button.active { color: #fff; border-bottom: 2px solid #9cc3ff; }
  #banner { background: #fff3cd; color: #664d03; border-bottom: 1px solid #ffe69c; padding: 6px 20px;
            font-weight: 600; }
  main { padding: 12px 20px; }
  h2 { font-size: 15px; margin: 14px 0 6px; }
  form { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; background: #fff; padding: 10px 12px;
         border: 1px solid #dde1e6; border-radius: 6px; }
  label { display: flex; flex-direction: column; font-size: 12px; color: #555; gap: 2px; }
  label.check { align-items: center; }
  select, input { font: inherit; padding: 3px 4px; }
  #min_cell, #im-min_cell, #im-n_boot, #fl-n_boot, #fl-seed { width: 5em; }
  #description, .stats { margin: 8px 0; color: #444; }
  .chart { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; height: 440px; margin-top: 10px; }
  .chart.tall { height: 560px; }
  #fl-sankey { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; }
  #fl-sankey svg { display: block; width: 100%; height: auto; }
  #fl-sankey .link { fill-opacity: 0.35; }
  #fl-sankey .link:hover { fill-opacity: 0.6; }
  #fl-sankey text { font-size: 12px; fill: #1d2733; }
  #meta { margin: 8px 0; font-size: 12px; color: #555; display: flex; gap: 16px; }
  .error { color: #b00020; white-space: pre-wrap; }
  .table-wrap { max-height: 360px; overflow: auto; background: #fff; border: 1px solid #dde1e6; border-radius: 6px;
                margin-top: 10px; }
  table { border-collapse: collapse; width: 100%; font-size: 12px; }
  th, td { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
  th { position: sticky; top: 0; background: #eef1f5; }
  td.text, th.text { text-align: left; }
  td.status-consistent { color: #0a7a32; font-weight: 600; }
  td.status-contradicted { color: #b00020; font-weight: 600; }
  td.status-inconclusive { color: #8a6100; }
  td.status-calibration-target { color: #777; font-style: italic; }
"""

#: The shared helpers (numbers, shocks, the banner, the views' switching) and the indicator view; the other views
#: are in ``web/_views.py``.
SCRIPT = """"use strict";
const HINTS = JSON.parse(document.getElementById("hints").textContent);
const $ = (id) => document.getElementById(id);
const NOT_GROUPS = new Set(["period", "period_end", "band", "label", "suppressed", "adjusted", "base", "currency",
                            "basis"]);
const MAX_TRACES = 20, MAX_TABLE_ROWS = 1000;
//: The shocks drawn on every chart of dates: the invasion of Ukraine and Russia's mobilisation.
const SHOCKS = [["2022-02-24", "invasion"], ["2022-09-21", "mobilisation"]];
const COUNTRIES = ["RU", "BY", "UA", "KZ", "GE", "AM", "UZ", "KG", "TR", "RS", "ME", "AE", "CY", "IL", "DE", "US"];
let indicators = {};
let rows = [];
let generation = 0;
let autoRange = false;

// Numbers as people write them: 133,300 (grouped), 0.1234 (four significant digits), never 1.333e+5.
const WHOLE = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const SIGNIFICANT = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 4 });
function fmt(v) {
  if (v === null || v === undefined) return "";
  if (typeof v !== "number") return String(v);
  return Number.isInteger(v) || Math.abs(v) >= 1000 ? WHOLE.format(v) : SIGNIFICANT.format(v);
}
// The same rule for plotly's axes and tooltips (d3-format: grouped, up to 6 significant digits, no exponent).
const AXIS = { tickformat: ",~r", hoverformat: ",~r", separatethousands: true, exponentformat: "none" };

function option(select, value, text) {
  const o = document.createElement("option");
  o.value = value; o.textContent = text ?? value; select.appendChild(o);
}

// Vertical lines with labels at the shocks within [first, last] (ISO dates), and any other dated events; the labels
// alternate between two heights so that two close dates do not print over each other.
function eventLines(first, last, extra = []) {
  const seen = new Set(), shapes = [], annotations = [];
  const all = [...SHOCKS, ...extra].filter(([d]) => d >= first && d <= last && !seen.has(d) && seen.add(d));
  all.sort((a, b) => (a[0] < b[0] ? -1 : 1)).forEach(([day, label], i) => {
    shapes.push({ type: "line", name: label, x0: day, x1: day, yref: "paper", y0: 0, y1: 1,
                  line: { color: "#6b7280", width: 1, dash: "dash" } });
    annotations.push({ x: day, yref: "paper", y: i % 2 ? 0.93 : 1, yanchor: "bottom", text: `${label} ${day}`,
                       showarrow: false, font: { size: 11, color: "#374151" }, xanchor: "left" });
  });
  return { shapes, annotations };
}

// The banner says when the data shown are simulated: the API tells which kind its rows are (X-Talentflow-Data).
function markData(resp) {
  const kind = resp.headers.get("X-Talentflow-Data");
  if (kind) $("banner").hidden = kind !== "simulated";
}

async function getJson(url) {
  const resp = await fetch(url);
  const body = await resp.json().catch(() => ({ detail: resp.statusText }));
  return { resp, body };
}

function setState(state) { document.body.dataset.state = state; }

function fillTable(table, cols, data, classes = {}) {
  table.innerHTML = "";
  const head = table.createTHead().insertRow();
  for (const [key, title] of cols) {
    const th = document.createElement("th"); th.textContent = title;
    if (!data.some((r) => typeof r[key] === "number")) th.className = "text";
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const r of data.slice(0, MAX_TABLE_ROWS)) {
    const tr = body.insertRow();
    for (const [key] of cols) {
      const td = tr.insertCell(), v = r[key];
      td.textContent = fmt(v);
      td.dataset.col = key;
      if (typeof v !== "number") td.className = "text";
      if (classes[key]) td.classList.add(`${key}-${String(v).replace(/\\s+/g, "-")}`);
    }
  }
}

function fillIndicator(name, initial) {
  const ind = indicators[name];
  $("description").textContent = ind.description;
  const period = $("period"), by = $("by");
  period.innerHTML = ""; by.innerHTML = "";
  ind.periods.forEach((p) => option(period, p));
  period.value = initial.period && ind.periods.includes(initial.period) ? initial.period
    : (ind.periods.includes("month") ? "month" : ind.periods[0]);
  option(by, "", "(none)");
  ind.segments.forEach((s) => option(by, s));
  by.value = initial.by && ind.segments.includes(initial.by) ? initial.by : "";
  $("it").disabled = !ind.segments.includes("is_it");
  $("country").disabled = !ind.segments.includes("country");
  $("value").innerHTML = "";
}

// Filters combine: a split (by=SEGMENT), IT only (by=is_it=true) and countries (by=country=RU,KZ) at once.
function query() {
  const q = new URLSearchParams();
  q.set("data", $("data").value);
  q.set("period", $("period").value);
  if ($("by").value) q.append("by", $("by").value);
  if ($("it").checked && !$("it").disabled && $("by").value !== "is_it") q.append("by", "is_it=true");
  const country = $("country").value.trim().toUpperCase();
  if (country && !$("country").disabled && $("by").value !== "country") q.append("by", `country=${country}`);
  if ($("from").value) q.set("from", $("from").value);
  if ($("to").value) q.set("to", $("to").value);
  if ($("min_cell").value !== "") q.set("min_cell", $("min_cell").value);
  return q;
}

function columnsOf(rows) {
  const cols = rows.length ? Object.keys(rows[0]) : [];
  const numeric = cols.filter((c) => c !== "suppressed" && c !== "lag" &&
    rows.some((r) => typeof r[c] === "number"));
  const groups = cols.filter((c) => !NOT_GROUPS.has(c) && !numeric.includes(c) &&
    rows.some((r) => typeof r[c] === "string") && c !== "period");
  return { cols, numeric, groups };
}

function draw() {
  const name = $("indicator").value, value = $("value").value;
  const { groups } = columnsOf(rows);
  const series = new Map();
  for (const r of rows) {
    const key = groups.map((g) => r[g]).join(" · ") || value;
    if (!series.has(key)) series.set(key, { x: [], y: [], total: 0, values: 0 });
    const s = series.get(key);
    s.x.push(r.period); s.y.push(r[value]);
    if (typeof r[value] === "number") { s.total += Math.abs(r[value]); s.values += 1; }
  }
  // A series with no value at all (every cell suppressed) is left out, legend included.
  let keys = [...series.keys()].filter((k) => series.get(k).values > 0);
  const hidden = series.size - keys.length;
  const notes = hidden ? [`${hidden} series entirely suppressed, not drawn`] : [];
  if (keys.length > MAX_TRACES) {
    keys.sort((a, b) => series.get(b).total - series.get(a).total);
    notes.push(`showing the ${MAX_TRACES} largest of ${keys.length} series`);
    keys = keys.slice(0, MAX_TRACES);
  }
  const traces = keys.map((k) => ({ type: "scatter", mode: "lines", name: k, x: series.get(k).x, y: series.get(k).y,
                                    connectgaps: false }));
  const kind = $("data").value === "simulated" ? "simulated data" : "real data";
  const xs = rows.map((r) => r.period).filter(Boolean).sort();
  const lastEnd = rows.map((r) => r.period_end || r.period).filter(Boolean).sort().pop();
  const layout = { title: { text: `${name}: ${value}, ${kind}` + (notes.length ? ` (${notes.join("; ")})` : "") },
                   margin: { l: 70, r: 20, t: 50, b: 40 }, showlegend: traces.length > 1,
                   yaxis: { title: { text: value }, rangemode: "tozero", ...AXIS },
                   xaxis: { type: "date" }, ...(xs.length && traces.length ? eventLines(xs[0], lastEnd) : {}) };
  return Plotly.react("chart", traces, layout, { responsive: true, displaylogo: false });
}

function table() {
  const { cols } = columnsOf(rows);
  fillTable($("rows"), cols.map((c) => [c, c]), rows);
}

async function load() {
  const mine = ++generation;
  setState("loading");
  const name = $("indicator").value, q = query();
  const url = `/api/indicators/${encodeURIComponent(name)}?${q}`;
  const qcsv = new URLSearchParams(q); qcsv.set("format", "csv");
  $("csv").href = `/api/indicators/${encodeURIComponent(name)}?${qcsv}`;
  $("csv").setAttribute("download", `${name}.csv`);
  history.replaceState(null, "", `?indicator=${encodeURIComponent(name)}&${q}`);
  const resp = await fetch(url);
  if (mine !== generation) return;
  if (!resp.ok) {
    const body = await resp.json().catch(() => ({ detail: resp.statusText }));
    $("error").textContent = `${resp.status}: ${body.detail}`;
    rows = [];
    Plotly.purge("chart"); $("rows").innerHTML = "";
    setState("error");
    return;
  }
  $("error").textContent = "";
  markData(resp);
  rows = await resp.json();
  if (mine !== generation) return;
  const { numeric } = columnsOf(rows);
  const select = $("value"), previous = select.value;
  select.innerHTML = "";
  numeric.forEach((c) => option(select, c));
  select.value = numeric.includes(previous) ? previous : numeric.includes(HINTS[name]) ? HINTS[name] : numeric[0] || "";
  $("count").textContent = `${fmt(rows.length)} rows`;
  $("cache").textContent = `cache: ${resp.headers.get("X-Talentflow-Cache")}`;
  const notes = resp.headers.get("X-Talentflow-Notes");
  $("notes").textContent = notes ? JSON.parse(notes).join("; ") : "";
  await draw();
  table();
  setState("ready");
}

// The default window: where the data are dense (/api/range), not from a stray record years before the others.
async function defaultRange() {
  const { resp, body } = await getJson(`/api/range?data=${$("data").value}`);
  if (!resp.ok || !body.from) return null;
  $("from").value = body.from; $("to").value = body.to;
  $("range").textContent = `default range: ${body.rule}`;
  return body;
}

//: The views: each has load(), called when it is shown and again when a parameter changes.
const VIEWS = { indicators: { load, stale: true } };
let current = "indicators";

async function show(name) {
  current = VIEWS[name] ? name : "indicators";
  document.body.dataset.view = current;
  for (const v of Object.keys(VIEWS)) $(`view-${v}`).hidden = v !== current;
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.view === current);
  VIEWS[current].stale = false;
  await VIEWS[current].load();
}

async function dataChanged() {
  setState("loading");
  for (const v of Object.values(VIEWS)) v.stale = true;
  if (autoRange) await defaultRange();
  await show(current);
}

async function init() {
  for (const f of document.querySelectorAll("form")) f.addEventListener("submit", (e) => e.preventDefault());
  COUNTRIES.forEach((c) => option($("countries"), c));
  const initial = Object.fromEntries(new URLSearchParams(location.search));
  const byAll = new URLSearchParams(location.search).getAll("by");
  const list = await (await fetch("/api/indicators")).json();
  for (const ind of list) { indicators[ind.name] = ind; option($("indicator"), ind.name); }
  $("indicator").value = indicators[initial.indicator] ? initial.indicator : "vacancies_active";
  for (const k of ["from", "to", "min_cell"]) if (initial[k] !== undefined) $(k).value = initial[k];
  $("data").value = initial.data === "simulated" ? "simulated" : "real";
  const split = byAll.find((b) => !b.includes("="));
  fillIndicator($("indicator").value, { ...initial, by: split });
  $("it").checked = byAll.includes("is_it=true");
  const country = byAll.find((b) => b.startsWith("country="));
  if (country) $("country").value = country.slice(8);
  if (initial.from === undefined && initial.to === undefined) autoRange = (await defaultRange()) !== null;
  fetch("/api/status").then((r) => r.json()).then((s) => {
    $("store").textContent = s.store.split("/").pop(); $("store").title = s.store; }).catch(() => {});
  $("indicator").addEventListener("change", () => { fillIndicator($("indicator").value, {}); load(); });
  for (const id of ["period", "by", "it", "country", "min_cell"]) $(id).addEventListener("change", load);
  for (const id of ["from", "to"]) $(id).addEventListener("change", () => { autoRange = false; load(); });
  $("data").addEventListener("change", dataChanged);
  $("value").addEventListener("change", () => draw());
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => show(b.dataset.view));
  if (typeof setupViews === "function") setupViews(initial);
  await show(initial.view || "indicators");
}
window.addEventListener("DOMContentLoaded", init);
"""
