"""The dashboard: one page that charts an indicator with plotly.js, served from the installed plotly package.
It shows one kind of data at a time, real (the default) or simulated, chosen in its first selector.

Nothing is loaded from the network: the page, its script and plotly.js all come from this server.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response

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


#: The page's style and script are files of their own: the Content-Security-Policy lets the page run no inline
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
<body>
<header><h1>talentflow</h1><span id="store"></span><a href="/docs">API docs</a></header>
<main>
<form id="controls">
  <label>Data <select id="data" title="One kind at a time: never the two summed">
    <option value="real">real (observed)</option><option value="simulated">simulated</option></select></label>
  <label>Indicator <select id="indicator"></select></label>
  <label>Period <select id="period"></select></label>
  <label>Segment <select id="by"></select></label>
  <label>From <input id="from" type="date"></label>
  <label>To <input id="to" type="date"></label>
  <label>Min cell <input id="min_cell" type="number" min="0" value="50"></label>
  <label>Value <select id="value"></select></label>
  <a id="csv" href="#" download>Download CSV</a>
</form>
<div id="description"></div>
<div id="error"></div>
<div id="chart"></div>
<div id="meta"><span id="count"></span><span id="cache"></span><span id="notes"></span></div>
<div class="table-wrap"><table id="rows"></table></div>
</main>
<script id="hints" type="application/json">__HINTS__</script>
<script src="/static/plotly.min.js"></script>
<script src="/static/dashboard.js"></script>
</body>
</html>
"""

CSS = """  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2733; background: #f6f7f9; }
  header { background: #1d2733; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  header a { color: #9cc3ff; }
  main { padding: 12px 20px; }
  form { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; background: #fff; padding: 10px 12px;
         border: 1px solid #dde1e6; border-radius: 6px; }
  label { display: flex; flex-direction: column; font-size: 12px; color: #555; gap: 2px; }
  select, input { font: inherit; padding: 3px 4px; }
  #min_cell { width: 5em; }
  #description { margin: 8px 0; color: #444; }
  #chart { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; height: 440px; margin-top: 10px; }
  #meta { margin: 8px 0; font-size: 12px; color: #555; display: flex; gap: 16px; }
  #error { color: #b00020; white-space: pre-wrap; }
  .table-wrap { max-height: 360px; overflow: auto; background: #fff; border: 1px solid #dde1e6; border-radius: 6px; }
  table { border-collapse: collapse; width: 100%; font-size: 12px; }
  th, td { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
  th { position: sticky; top: 0; background: #eef1f5; }
  td.text, th.text { text-align: left; }
"""

SCRIPT = """"use strict";
const HINTS = JSON.parse(document.getElementById("hints").textContent);
const $ = (id) => document.getElementById(id);
const NOT_GROUPS = new Set(["period", "period_end", "band", "label", "suppressed", "adjusted", "base", "currency",
                            "basis"]);
const MAX_TRACES = 20, MAX_TABLE_ROWS = 1000;
let indicators = {};
let rows = [];
let generation = 0;

function option(select, value, text) {
  const o = document.createElement("option");
  o.value = value; o.textContent = text ?? value; select.appendChild(o);
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
  $("value").innerHTML = "";
}

function query() {
  const q = new URLSearchParams();
  q.set("data", $("data").value);
  q.set("period", $("period").value);
  if ($("by").value) q.append("by", $("by").value);
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
    if (!series.has(key)) series.set(key, { x: [], y: [], total: 0 });
    const s = series.get(key);
    s.x.push(r.period); s.y.push(r[value]);
    s.total += typeof r[value] === "number" ? Math.abs(r[value]) : 0;
  }
  let keys = [...series.keys()];
  let note = "";
  if (keys.length > MAX_TRACES) {
    keys.sort((a, b) => series.get(b).total - series.get(a).total);
    note = `showing the ${MAX_TRACES} largest of ${keys.length} series`;
    keys = keys.slice(0, MAX_TRACES);
  }
  const traces = keys.map((k) => ({ type: "scatter", mode: "lines", name: k, x: series.get(k).x, y: series.get(k).y,
                                    connectgaps: false }));
  const kind = $("data").value === "simulated" ? "simulated data" : "real data";
  const layout = { title: { text: `${name}: ${value}, ${kind}` + (note ? ` (${note})` : "") },
                   margin: { l: 60, r: 20, t: 40, b: 40 }, showlegend: traces.length > 1,
                   yaxis: { title: { text: value }, rangemode: "tozero" } };
  return Plotly.react("chart", traces, layout, { responsive: true, displaylogo: false });
}

function table() {
  const { cols, numeric } = columnsOf(rows);
  const t = $("rows");
  t.innerHTML = "";
  const head = t.createTHead().insertRow();
  for (const c of cols) {
    const th = document.createElement("th"); th.textContent = c;
    if (!numeric.includes(c)) th.className = "text";
    head.appendChild(th);
  }
  const body = t.createTBody();
  for (const r of rows.slice(0, MAX_TABLE_ROWS)) {
    const tr = body.insertRow();
    for (const c of cols) {
      const td = tr.insertCell(), v = r[c];
      td.textContent = v === null ? "" : typeof v === "number" && !Number.isInteger(v) ? v.toPrecision(4) : String(v);
      if (!numeric.includes(c)) td.className = "text";
    }
  }
}

async function load() {
  const mine = ++generation;
  document.body.dataset.state = "loading";
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
    document.body.dataset.state = "error";
    return;
  }
  $("error").textContent = "";
  rows = await resp.json();
  if (mine !== generation) return;
  const { numeric } = columnsOf(rows);
  const select = $("value"), previous = select.value;
  select.innerHTML = "";
  numeric.forEach((c) => option(select, c));
  select.value = numeric.includes(previous) ? previous : numeric.includes(HINTS[name]) ? HINTS[name] : numeric[0] || "";
  $("count").textContent = `${rows.length.toLocaleString()} rows`;
  $("cache").textContent = `cache: ${resp.headers.get("X-Talentflow-Cache")}`;
  const notes = resp.headers.get("X-Talentflow-Notes");
  $("notes").textContent = notes ? JSON.parse(notes).join("; ") : "";
  await draw();
  table();
  document.body.dataset.state = "ready";
}

async function init() {
  $("controls").addEventListener("submit", (e) => e.preventDefault());
  const initial = Object.fromEntries(new URLSearchParams(location.search));
  const list = await (await fetch("/api/indicators")).json();
  for (const ind of list) { indicators[ind.name] = ind; option($("indicator"), ind.name); }
  $("indicator").value = indicators[initial.indicator] ? initial.indicator : "vacancies_active";
  for (const k of ["from", "to", "min_cell"]) if (initial[k] !== undefined) $(k).value = initial[k];
  $("data").value = initial.data === "simulated" ? "simulated" : "real";
  fillIndicator($("indicator").value, initial);
  fetch("/api/status").then((r) => r.json()).then((s) => {
    $("store").textContent = s.store.split("/").pop(); $("store").title = s.store; }).catch(() => {});
  $("indicator").addEventListener("change", () => { fillIndicator($("indicator").value, {}); load(); });
  for (const id of ["data", "period", "by", "from", "to", "min_cell"]) $(id).addEventListener("change", load);
  $("value").addEventListener("change", () => draw());
  await load();
}
init();
"""
