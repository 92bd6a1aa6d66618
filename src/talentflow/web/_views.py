"""The dashboard's views beyond one indicator, all drawn from the API: the impact methods (``/api/impact``), the
migration flows with their destinations as a Sankey diagram in plain SVG (``/api/migration``), and the claims
ledger beside talentflow's estimates (``/api/claims/compare``). It uses the helpers of ``dashboard.js``."""

from __future__ import annotations

VIEWS_SCRIPT = """"use strict";
const BAND = "rgba(37, 99, 235, 0.18)", BREAK_BAND = "rgba(234, 88, 12, 0.2)";
const PALETTE = ["#2563eb", "#dc2626", "#059669", "#7c3aed", "#d97706", "#0891b2", "#db2777", "#4b5563"];
const views = { impact: null, flows: null, claims: null };
const generations = { impact: 0, flows: 0, claims: 0 };

// Fetches `url` for `view`, shows its error or marks the data kind; null when a newer request has been made.
async function fetchView(view, url) {
  const mine = ++generations[view];
  setState("loading");
  const { resp, body } = await getJson(url);
  if (mine !== generations[view]) return null;
  const prefix = { impact: "im", flows: "fl", claims: "cl" }[view];
  if (!resp.ok) {
    $(`${prefix}-error`).textContent = `${resp.status}: ${body.detail}`;
    setState("error");
    return null;
  }
  $(`${prefix}-error`).textContent = "";
  markData(resp);
  return body;
}

function bandTraces(x, low, high, name, color, yaxis = "y") {
  return [
    { type: "scatter", mode: "lines", x, y: high, line: { width: 0 }, hoverinfo: "skip", showlegend: false, yaxis,
      name: `${name} high` },
    { type: "scatter", mode: "lines", x, y: low, line: { width: 0 }, fill: "tonexty", fillcolor: color, yaxis,
      name: `${name} (interval)`, hoverinfo: "skip" },
  ];
}

// -- impact ----------------------------------------------------------------------------------------------------
function impactQuery() {
  const method = $("im-method").value, q = new URLSearchParams({ method });
  if (method === "synth") {
    q.set("metric", $("im-metric").value.trim()); q.set("unit", $("im-unit").value.trim().toUpperCase());
    q.set("event", $("im-quarter").value.trim());
    return q;
  }
  q.set("indicator", $("im-indicator").value);
  q.set("data", $("data").value);
  if ($("im-by").value.trim()) q.append("by", $("im-by").value.trim());
  if ($("im-event").value) q.set("event", $("im-event").value);
  for (const k of ["from", "to", "min_cell", "n_boot"]) if ($(`im-${k}`).value !== "") q.set(k, $(`im-${k}`).value);
  return q;
}

function drawChangepoints(res) {
  const fit = res.tables.fit || [], traces = [], shapes = [], annotations = [];
  const series = [...new Set(fit.map((r) => r.series))];
  series.forEach((s, i) => {
    const part = fit.filter((r) => r.series === s), color = PALETTE[i % PALETTE.length];
    const name = series.length > 1 ? s : res.inputs.series;
    traces.push({ type: "scatter", mode: "lines+markers", name, x: part.map((r) => r.period),
                  y: part.map((r) => r.value), line: { color, width: 1 }, marker: { size: 3 } });
    traces.push({ type: "scatter", mode: "lines", name: `${series.length > 1 ? s + " " : ""}segments`,
                  x: part.map((r) => r.period), y: part.map((r) => r.fitted), line: { color, width: 2, dash: "dot" } });
  });
  const breaks = new Map();
  for (const r of res.rows) breaks.set(`${r.series}/${r.break}`, r);
  [...breaks.values()].forEach((b, i) => {
    shapes.push({ type: "rect", name: `break ${b.series} ${b.break}`, x0: b.date_low, x1: b.date_high, yref: "paper",
                  y0: 0, y1: 1, fillcolor: BREAK_BAND, line: { width: 0 }, layer: "below" });
    shapes.push({ type: "line", name: `break ${b.series} ${b.break} date`, x0: b.date, x1: b.date, yref: "paper",
                  y0: 0, y1: 1,
                  line: { color: "#ea580c", width: b.significant ? 2 : 1, dash: b.significant ? "solid" : "dot" } });
    annotations.push({ x: b.date, yref: "paper", y: i % 2 ? -0.12 : -0.06, yanchor: "top", showarrow: false,
                       text: `${b.date}${b.significant ? " *" : ""}`, font: { size: 10, color: "#c2410c" } });
  });
  const days = fit.map((r) => r.period).sort();
  const extra = (res.tables.events || []).map((e) => [e.event, e.label]);
  const events = days.length ? eventLines(days[0], days[days.length - 1], extra) : { shapes: [], annotations: [] };
  const s = res.stats;
  return { traces, layout: {
    shapes: [...shapes, ...events.shapes], annotations: [...annotations, ...events.annotations],
    title: { text: `Breaks (${fmt(s.breaks)} found, ${fmt(s.significant)} significant) with date intervals` },
    yaxis: { ...AXIS, title: { text: res.inputs.series } } } };
}

function drawIts(res) {
  const fit = res.tables.fit || [], x = fit.map((r) => r.period);
  const effect = res.rows.filter((r) => r.kind === "effect"), ex = effect.map((r) => r.period);
  const traces = [
    ...bandTraces(x, fit.map((r) => r.low), fit.map((r) => r.high), "counterfactual", BAND),
    { type: "scatter", mode: "lines", name: "counterfactual", x, y: fit.map((r) => r.counterfactual),
      line: { color: "#2563eb", dash: "dash" } },
    { type: "scatter", mode: "lines+markers", name: "actual", x, y: fit.map((r) => r.actual),
      line: { color: "#111827" } },
    ...bandTraces(ex, effect.map((r) => r.low), effect.map((r) => r.high), "effect", "rgba(220, 38, 38, 0.18)", "y2"),
    { type: "scatter", mode: "lines+markers", name: "effect", x: ex, y: effect.map((r) => r.estimate), yaxis: "y2",
      line: { color: "#dc2626" } },
  ];
  const s = res.stats;
  const events = x.length ? eventLines(x[0], x[x.length - 1], [[s.event, "event"]]) : {};
  return { traces, layout: { ...events,
    title: { text: `Effect of ${s.event}: ${fmt(s.mean_effect)} a period on average, ` +
                   `${fmt(s.cumulative_effect)} in all` },
    yaxis: { ...AXIS, domain: [0.38, 1], title: { text: res.inputs.series } },
    yaxis2: { ...AXIS, domain: [0, 0.28], title: { text: "actual − counterfactual" }, zeroline: true } } };
}

function drawSynth(res, event) {
  const fit = res.tables.fit || [], x = fit.map((r) => r.period), unit = res.rows.length ? res.rows[0].unit : "";
  const traces = [
    { type: "scatter", mode: "lines+markers", name: unit, x, y: fit.map((r) => r.actual), line: { color: "#111827" } },
    { type: "scatter", mode: "lines", name: `synthetic ${unit}`, x, y: fit.map((r) => r.synthetic),
      line: { color: "#2563eb", dash: "dash" } },
  ];
  const placebos = res.tables.placebo_gaps || [];
  [...new Set(placebos.map((r) => r.unit))].forEach((u, i) => {
    const part = placebos.filter((r) => r.unit === u);
    traces.push({ type: "scatter", mode: "lines", name: "placebos", legendgroup: "placebos", showlegend: i === 0,
                  x: part.map((r) => r.period), y: part.map((r) => r.gap), yaxis: "y2",
                  line: { color: "rgba(107, 114, 128, 0.35)", width: 1 } });
  });
  traces.push({ type: "scatter", mode: "lines+markers", name: `gap ${unit}`, x, y: fit.map((r) => r.gap), yaxis: "y2",
                line: { color: "#dc2626", width: 2 } });
  const at = x.indexOf(event);
  const shapes = at < 0 ? [] : [{ type: "line", name: "event", x0: at - 0.5, x1: at - 0.5, yref: "paper", y0: 0, y1: 1,
                                  line: { color: "#6b7280", dash: "dash", width: 1 } }];
  const s = res.stats;
  return { traces, layout: { shapes, xaxis: { type: "category" },
    title: { text: `${unit} against its synthetic control: mean gap ${fmt(s.mean_gap)}, placebo p ${fmt(s.p_value)}` },
    yaxis: { ...AXIS, domain: [0.42, 1], title: { text: res.inputs.series } },
    yaxis2: { ...AXIS, domain: [0, 0.34], title: { text: "gap (placebos grey)" } } } };
}

async function loadImpact() {
  const method = $("im-method").value;
  document.querySelectorAll("#im-controls .series").forEach((e) => { e.hidden = method === "synth"; });
  document.querySelectorAll("#im-controls .synth").forEach((e) => { e.hidden = method !== "synth"; });
  const q = impactQuery();
  history.replaceState(null, "", `?view=impact&${q}`);
  const res = await fetchView("impact", `/api/impact?${q}`);
  if (res === null) {
    if (document.body.dataset.state === "error") { Plotly.purge("im-chart"); $("im-rows").innerHTML = ""; }
    return;
  }
  views.impact = res;
  const drawn = method === "changepoints" ? drawChangepoints(res) : method === "its" ? drawIts(res)
    : drawSynth(res, $("im-quarter").value.trim());
  const layout = { margin: { l: 80, r: 20, t: 50, b: 60 }, legend: { orientation: "h" }, ...drawn.layout };
  await Plotly.react("im-chart", drawn.traces, layout, { responsive: true, displaylogo: false });
  $("im-stats").textContent = Object.entries(res.stats).map(([k, v]) => `${k}: ${fmt(v)}`).join(" · ");
  const cols = res.rows.length ? Object.keys(res.rows[0]) : [];
  fillTable($("im-rows"), cols.map((c) => [c, c]), res.rows);
  setState("ready");
}

// -- flows -----------------------------------------------------------------------------------------------------
function flowsQuery() {
  const q = new URLSearchParams({ method: "panel", data: $("data").value });
  q.set("origin", $("fl-origin").value.trim().toUpperCase() || "RU");
  for (const k of ["from", "to", "n_boot", "seed"]) if ($(`fl-${k}`).value !== "") q.set(k, $(`fl-${k}`).value);
  return q;
}

function svg(tag, attrs, parent) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

// A Sankey diagram in three columns, origin → region → country, each band as wide as its emigrants.
function sankey(origin, dests) {
  const W = 960, pad = 8, nodeW = 14, top = 10;
  const groups = new Map();
  for (const d of dests) {
    const g = d.group || "unknown";
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(d);
  }
  const order = [...groups.entries()].map(([g, ds]) => [g, ds.sort((a, b) => b.estimate - a.estimate),
                                                         ds.reduce((t, d) => t + d.estimate, 0)]);
  order.sort((a, b) => b[2] - a[2]);
  const total = dests.reduce((t, d) => t + d.estimate, 0);
  const H = Math.max(260, dests.length * 26 + 2 * top);
  const scale = (H - 2 * top - pad * Math.max(dests.length - 1, 0)) / (total || 1);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `emigrants from ${origin}` });
  const cols = [150, 470, 790];
  const node = (x, y, h, name, value, kind) => {
    const r = svg("rect", { class: `node ${kind}`, x, y, width: nodeW, height: Math.max(h, 1), fill: "#1d2733",
                            "data-name": name, "data-value": value }, root);
    svg("title", {}, r).textContent = `${name}: ${fmt(value)}`;
    const left = kind === "origin";
    const t = svg("text", { x: left ? x - 6 : x + nodeW + 6, y: y + h / 2 + 4,
                            "text-anchor": left ? "end" : "start" }, root);
    t.textContent = `${name} ${fmt(value)}`;
  };
  const link = (x0, y0, x1, y1, h, source, target, row, color) => {
    const xm = (x0 + x1) / 2;
    const d = `M${x0},${y0} C${xm},${y0} ${xm},${y1} ${x1},${y1} ` +
              `L${x1},${y1 + h} C${xm},${y1 + h} ${xm},${y0 + h} ${x0},${y0 + h} Z`;
    const p = svg("path", { class: "link", d, fill: color, "data-source": source, "data-target": target,
                            "data-value": row.estimate }, root);
    const interval = row.low === undefined ? "" : ` (interval ${fmt(row.low)} to ${fmt(row.high)})`;
    svg("title", {}, p).textContent = `${source} → ${target}: ${fmt(row.estimate)}${interval}`;
  };
  const groupGap = (H - 2 * top - total * scale) / Math.max(order.length + 1, 2);
  node(cols[0], top, total * scale, origin, total, "origin");
  let yOrigin = top, yGroup = top + groupGap / 2, yCountry = top;
  order.forEach(([g, ds, sum], i) => {
    const color = PALETTE[i % PALETTE.length];
    link(cols[0] + nodeW, yOrigin, cols[1], yGroup, sum * scale, origin, g, { estimate: sum }, color);
    node(cols[1], yGroup, sum * scale, g, sum, "group");
    let yOut = yGroup;
    for (const d of ds) {
      link(cols[1] + nodeW, yOut, cols[2], yCountry, d.estimate * scale, g, d.destination, d, color);
      node(cols[2], yCountry, d.estimate * scale, d.destination, d.estimate, "country");
      yOut += d.estimate * scale; yCountry += d.estimate * scale + pad;
    }
    yOrigin += sum * scale; yGroup += sum * scale + groupGap;
  });
  return root;
}

async function loadFlows() {
  const q = flowsQuery();
  history.replaceState(null, "", `?view=flows&${q}`);
  const rows = await fetchView("flows", `/api/migration?${q}`);
  if (rows === null) {
    if (document.body.dataset.state === "error") {
      Plotly.purge("fl-chart"); $("fl-sankey").replaceChildren(); $("fl-rows").innerHTML = "";
    }
    return;
  }
  views.flows = rows;
  const monthly = rows.filter((r) => r.destination === "abroad" && !String(r.period).includes("/"));
  const traces = [];
  [["emigration", "#dc2626", "rgba(220, 38, 38, 0.18)"], ["return", "#059669", "rgba(5, 150, 105, 0.18)"]]
    .forEach(([flow, color, band]) => {
      const part = monthly.filter((r) => r.flow === flow), x = part.map((r) => `${r.period}-01`);
      traces.push(...bandTraces(x, part.map((r) => r.low), part.map((r) => r.high), flow, band));
      traces.push({ type: "scatter", mode: "lines+markers", name: flow, x, y: part.map((r) => r.estimate),
                    line: { color } });
    });
  const x = monthly.map((r) => `${r.period}-01`).sort();
  const last = x.length ? `${monthly.map((r) => r.period).sort().pop()}-31` : "";
  const layout = { margin: { l: 80, r: 20, t: 50, b: 40 }, legend: { orientation: "h" },
                   title: { text: `Monthly emigration and return of IT workers, ${q.get("origin")}, with intervals` },
                   yaxis: { ...AXIS, title: { text: "people" } }, ...(x.length ? eventLines(x[0], last) : {}) };
  await Plotly.react("fl-chart", traces, layout, { responsive: true, displaylogo: false });
  const dests = rows.filter((r) => r.flow === "emigration" && String(r.period).includes("/") &&
                            r.destination !== "abroad" && r.estimate > 0);
  $("fl-window").textContent = dests.length ? dests[0].period.replace("/", " to ") : "none";
  $("fl-sankey").replaceChildren(sankey(q.get("origin"), dests));
  const cols = ["flow", "destination", "group", "period", "estimate", "low", "high"];
  fillTable($("fl-rows"), cols.map((c) => [c, c]), rows);
  setState("ready");
}

// -- claims ----------------------------------------------------------------------------------------------------
async function loadClaims() {
  const q = new URLSearchParams({ data: $("data").value, coverage: $("cl-coverage").value,
                                  tolerance: $("cl-tolerance").value });
  history.replaceState(null, "", `?view=claims&${q}`);
  const rows = await fetchView("claims", `/api/claims/compare?${q}`);
  if (rows === null) { if (document.body.dataset.state === "error") $("cl-rows").innerHTML = ""; return; }
  views.claims = rows;
  const cols = [["claim_id", "claim"], ["metric", "metric"], ["geography", "where"], ["period_start", "from"],
                ["period_end", "to"], ["claim", "claimed"], ["estimate", "estimate"], ["low", "low"],
                ["high", "high"], ["status", "status"], ["note", "note"]];
  fillTable($("cl-rows"), cols, rows, { status: true });
  setState("ready");
}

function setupViews(initial) {
  VIEWS.impact = { load: loadImpact, stale: true };
  VIEWS.flows = { load: loadFlows, stale: true };
  VIEWS.claims = { load: loadClaims, stale: true };
  for (const name of Object.keys(indicators)) option($("im-indicator"), name);
  $("im-indicator").value = indicators[initial.indicator] ? initial.indicator : "vacancies_active";
  if (initial.view === "impact") {
    if (["changepoints", "its", "synth"].includes(initial.method)) $("im-method").value = initial.method;
    for (const k of ["from", "to", "min_cell", "n_boot"]) if (initial[k] !== undefined) $(`im-${k}`).value = initial[k];
    if (initial.by) $("im-by").value = initial.by;
    if (initial.method === "synth") {
      for (const k of ["metric", "unit"]) if (initial[k]) $(`im-${k}`).value = initial[k];
      if (initial.event) $("im-quarter").value = initial.event;
    } else if (initial.event) $("im-event").value = initial.event;
  }
  if (initial.view === "flows") {
    for (const k of ["origin", "from", "to", "n_boot", "seed"]) {
      if (initial[k] !== undefined) $(`fl-${k}`).value = initial[k];
    }
  }
  if (initial.view === "claims") {
    for (const k of ["coverage", "tolerance"]) if (initial[k] !== undefined) $(`cl-${k}`).value = initial[k];
  }
  // The impact window starts as the indicators' default (where the data are dense), unless the address gave one.
  if (initial.view !== "impact" || initial.from === undefined) {
    if (!$("im-from").value) $("im-from").value = $("from").value;
    if (!$("im-to").value) $("im-to").value = $("to").value;
  }
  $("im-method").addEventListener("change", () => {
    $("im-n_boot").value = $("im-method").value === "its" ? 200 : 49;
    loadImpact();
  });
  for (const id of ["im-indicator", "im-by", "im-event", "im-from", "im-to", "im-min_cell", "im-n_boot", "im-metric",
                    "im-unit", "im-quarter"]) $(id).addEventListener("change", loadImpact);
  for (const id of ["fl-origin", "fl-from", "fl-to", "fl-n_boot", "fl-seed"]) {
    $(id).addEventListener("change", loadFlows);
  }
  for (const id of ["cl-coverage", "cl-tolerance"]) $(id).addEventListener("change", loadClaims);
}
"""
