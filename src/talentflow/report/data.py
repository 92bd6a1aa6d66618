"""What the report shows, gathered from a store through the indicators, migration and claims APIs.

Every section is a :class:`Part`: frames to draw, notes to print under them, and ``absent`` — the reason the
section has nothing to show — when its data is not in the store. The board sections are gathered once for each
kind of data (:class:`Kind`: real, and the simulated market when the store holds one), each from its own records
only: no part sums the two. Nothing here writes into the store.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from talentflow._version import __version__
from talentflow.errors import TalentflowError
from talentflow.indicators import provenance
from talentflow.indicators._compute import compute_on
from talentflow.indicators.engines import DuckDBEngine
from talentflow.indicators.params import Params, Segment
from talentflow.indicators.provenance import DATA
from talentflow.indicators.salary import stale_note
from talentflow.migration._scaling import board_rows, panel_result, rescale, sensitivity
from talentflow.migration.methods import PANEL_MIN_PEOPLE, fit_for, trim_panel
from talentflow.migration.panel import PanelFit, Population, load_panel
from talentflow.migration.requests import DEFAULT_POPULATION
from talentflow.report.options import KIND_SECTIONS, SHARED_SECTIONS, ReportOptions, Step, part_key
from talentflow.store import Store

#: The two shocks marked on every time chart.
SHOCKS = (("2022-02-24", "invasion of Ukraine"), ("2022-09-21", "mobilisation"))
#: The Hiring Lab countries drawn visible; the others are in the legend, one click away.
SERIES_VISIBLE = ("US", "GB", "DE", "FR", "CA", "AU")


@dataclass
class Part:
    """One section's data: frames by name, notes, and why it is absent (None when it has data)."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    absent: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    #: The data the section rests on, for its charts' titles: "real data", "simulated market".
    label: str = ""
    #: When absent for want of records: the table too short of them (``resume_observation``).
    lacks: str | None = None


@dataclass
class Kind:
    """One kind of data in the report (real or simulated): what the store holds of it and what it lacks."""

    data: str
    title: str
    #: Rows of this kind in the tables the report reads.
    counts: dict[str, int]
    #: What the store holds of this kind, in words.
    held: str
    #: Why none of the kind's sections can be drawn (None when some can).
    absent: str | None = None


@dataclass
class ReportData:
    store: str
    generated: str
    version: str
    counts: dict[str, int]
    inputs: list[dict[str, Any]]
    options: ReportOptions
    sim: dict[str, Any] | None
    parts: dict[str, Part]
    #: The kinds of data drawn, real first; each has its own sections (``parts[part_key(kind, section)]``).
    kinds: dict[str, Kind] = field(default_factory=dict)


def gather(store: Store, options: ReportOptions | None = None, step: Step | None = None) -> ReportData:
    """Everything the report shows; ``step(key)`` is called before each part is gathered (a key of ``STEPS``).

    The board sections are gathered once for each kind of data (real always; simulated when the store holds
    simulated records or ``options.sim`` is given), each from its own records only."""
    opt = options or ReportOptions()
    sim = _read_sim(opt.sim)
    kinds = {k.data: k for k in _kinds(store, opt)}
    parts: dict[str, Part] = {}
    fits: dict[str, PanelFit] = {}
    for kind in kinds.values():
        for section in KIND_SECTIONS:
            key = part_key(kind.data, section)
            if step:
                step(key)
            parts[key] = _gather_kind(store, opt, sim, kind, section, fits)
    for section in SHARED_SECTIONS:
        if step:
            step(section)
        try:
            if section == "claims":
                parts[section] = _claims(store, opt, kinds, fits)
            else:
                parts[section] = SHARED[section](store, opt)
        except TalentflowError as exc:
            parts[section] = Part(absent=str(exc))
    return ReportData(
        store=str(store.path),
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
        counts=store.counts(),
        inputs=store.status()["inputs"],
        options=opt,
        sim=sim,
        parts=parts,
        kinds=kinds,
    )


def _gather_kind(
    store: Store,
    opt: ReportOptions,
    sim: dict[str, Any] | None,
    kind: Kind,
    section: str,
    fits: dict[str, PanelFit],
) -> Part:
    if kind.absent:
        return Part(absent=kind.absent, label=LABELS[kind.data])
    try:
        if section == "panel":
            part = _panel(store, opt, sim if kind.data == "simulated" else None, kind, fits)
        elif section == "ai":
            part = _ai(store, opt, sim if kind.data == "simulated" else None, kind)
        else:
            part = BOARD[section](store, opt, kind)
    except TalentflowError as exc:
        part = Part(absent=str(exc))
    part.label = LABELS[kind.data]
    return part


# -- the kinds of data --------------------------------------------------------------------------------------
#: How the sections of each kind call it, in chart titles.
LABELS = {"real": "real data", "simulated": "simulated market"}


def _kinds(store: Store, opt: ReportOptions) -> list[Kind]:
    """Real data always (the default everywhere); the simulated market when the store holds it or --sim is given."""
    out = []
    for data in DATA:
        counts = provenance.counts(store, data)
        board = counts["vacancy_observation"] + counts["resume_observation"]
        if data == "simulated" and not board and opt.sim is None:
            continue
        title = "Real board data" if data == "real" else _simulated_title(store)
        kind = Kind(data, title, counts, _held(store, data, counts))
        if not board:
            kind.absent = f"the store holds no {data} vacancy or resume sightings" + (
                " (only the simulated market, drawn in its own section)" if data == "real" and _has_sim(store) else ""
            )
        out.append(kind)
    return out


def _has_sim(store: Store) -> bool:
    return any(provenance.count(store, t, "simulated") for t in provenance.MARKED)


def _simulated_title(store: Store) -> str:
    runs = provenance.runs(store)
    if not runs:
        return "Simulated market"
    named = ", ".join(f"{scenario or 'unnamed scenario'}, seed {seed}" for scenario, seed, _ in runs)
    return f"Simulated market ({named})"


def _held(store: Store, data: str, counts: dict[str, int]) -> str:
    """What the store holds of kind ``data``: sightings of each table with their sources and days."""
    parts = []
    for table, what in (("vacancy_observation", "vacancy"), ("resume_observation", "resume")):
        n = counts[table]
        if not n:
            parts.append(f"no {what} sightings")
            continue
        lo, hi = provenance.day_range(store, table, data)
        sources = [
            r[0]
            for r in store.con.execute(
                f"SELECT DISTINCT source FROM {table} WHERE {provenance.WHERE[data]} ORDER BY 1"
            ).fetchall()
        ]
        parts.append(f"{n:,} {what} sighting{'s' * (n != 1)} ({', '.join(sources)}; {lo} to {hi})")
    return " and ".join(parts)


# -- the simulator's output ---------------------------------------------------------------------------------
def _read_sim(sim: Path | None) -> dict[str, Any] | None:
    if sim is None:
        return None
    sim = Path(sim)
    summary = sim / "truth" / "summary.json"
    if not summary.is_file():
        raise TalentflowError(f"{sim}: no truth/summary.json here (give the directory `talentflow simulate` wrote)")
    out: dict[str, Any] = {"dir": str(sim), "summary": pd.DataFrame(json.loads(summary.read_text()))}
    scenario = sim / "scenario.json"
    if scenario.is_file():
        meta = json.loads(scenario.read_text())
        out.update(seed=meta.get("seed"), scale=meta.get("scale"), scenario=meta.get("scenario", {}).get("name"))
    return out


def census(sim: dict[str, Any]) -> Population:
    """The simulated market's IT workers (home + abroad) at the end of 2021: a census of the truth."""
    s = sim["summary"].set_index("month")
    month = "2021-12" if "2021-12" in s.index else str(s.index[0])
    count = float(s.loc[month, "it_workers_home"] + s.loc[month, "abroad"])
    return Population(count, month, f"census: the simulator's IT workers at home and abroad, {sim['dir']}")


# -- board indicators ---------------------------------------------------------------------------------------
def _params(opt: ReportOptions, data: str, **options: str) -> Params:
    by = (Segment("is_it", ("true",)), Segment("country", (opt.origin,)))
    return Params(period="month", by=by, min_cell=opt.min_cell, options=options, data=data)


def _indicator(store: Store, name: str, params: Params) -> pd.DataFrame:
    return compute_on(DuckDBEngine(store), name, params).frame


def trim(frame: pd.DataFrame) -> pd.DataFrame:
    """The months from the first to the last cell that is not suppressed (stray old records make long empty
    heads)."""
    if frame.empty or "suppressed" not in frame.columns:
        return frame
    shown = np.flatnonzero(~frame["suppressed"].astype(bool).to_numpy())
    if not len(shown):
        return frame.iloc[0:0]
    return frame.iloc[shown[0] : shown[-1] + 1].reset_index(drop=True)


#: What each section needs, and why, for the reason it gives when the store lacks it.
NEEDS = {
    "tension": ("resume_observation", "vacancy_observation"),
    "relocation": ("resume_observation",),
    "salary": ("vacancy_observation",),
    "ai": ("vacancy_observation",),
    "panel": ("resume_observation",),
    "impact": ("resume_observation", "vacancy_observation"),
}
#: A board table's records, as the reasons name them.
WHAT = {"vacancy_observation": "vacancy", "resume_observation": "resume"}


def _need(kind: Kind, section: str) -> Part | None:
    """An absent part when ``kind`` has none of the records ``section`` needs (None when it has them)."""
    missing = [t for t in NEEDS[section] if not kind.counts.get(t)]
    if not missing:
        return None
    needs = " and ".join(f"{WHAT[t]}s" for t in NEEDS[section])
    what = " or ".join(WHAT[t] for t in missing)
    return Part(absent=f"no {kind.data} {what} sightings: {NEED_WORDS[section]} {needs}", lacks=missing[0])


#: Each section as its reasons name it.
NEED_WORDS = {
    "tension": "tension needs",
    "relocation": "the relocation shares need",
    "salary": "salaries need",
    "ai": "AI work's share needs",
    "panel": "the migration flows need",
    "impact": "the change points and the interrupted time series need",
}


def _suppressed(kind: Kind, opt: ReportOptions, table: str) -> Part:
    """An absent part: computed from ``kind``'s records, it has no cell to show for want of ``table``'s."""
    n = kind.counts.get(table, 0)
    return Part(
        absent=f"every month has fewer than {opt.min_cell} {kind.data} IT {WHAT[table]}s in {opt.origin} (the "
        f"store holds {n:,} {kind.data} {WHAT[table]} sighting{'s' * (n != 1)} in all): every cell is suppressed",
        lacks=table,
    )


def _board(store: Store, opt: ReportOptions, kind: Kind) -> Part:
    part = Part()
    for table, name, key in (
        ("vacancy_observation", "vacancies_active", "vacancies"),
        ("resume_observation", "resumes_active", "resumes"),
    ):
        if not kind.counts.get(table):
            part.notes.append(f"No {kind.data} {WHAT[table]} sightings: no {key} line.")
            continue
        frame = trim(_indicator(store, name, _params(opt, kind.data)))
        if frame.empty:
            part.notes.append(f"No {key} line: {_suppressed(kind, opt, table).absent}.")
            continue
        part.frames[key] = frame
    if not part.frames:
        return Part(absent="; ".join(n.rstrip(".") for n in part.notes))
    part.notes.insert(
        0,
        f"IT records in {opt.origin}, active at each month's end, as counted in the {LABELS[kind.data]} (a board "
        f"holds a sample of the market); cells under {opt.min_cell} records are suppressed.",
    )
    return part


def _tension(store: Store, opt: ReportOptions, kind: Kind) -> Part:
    if absent := _need(kind, "tension"):
        return absent
    frame = trim(_indicator(store, "tension", _params(opt, kind.data)))
    if frame.empty:
        low = min(("resume_observation", "vacancy_observation"), key=lambda t: kind.counts.get(t, 0))
        return _suppressed(kind, opt, low)
    return Part({"tension": frame}, ["Active IT resumes ÷ active IT vacancies at each month's end (hh.index)."])


def _relocation(store: Store, opt: ReportOptions, kind: Kind) -> Part:
    if absent := _need(kind, "relocation"):
        return absent
    share = trim(_indicator(store, "relocation_share", _params(opt, kind.data)))
    if share.empty:
        return _suppressed(kind, opt, "resume_observation")
    dest = _indicator(store, "destination_share", _params(opt, kind.data))
    dest = dest[~dest["suppressed"].astype(bool)] if not dest.empty else dest
    part = Part({"share": share, "destinations": dest})
    part.notes.append(
        "Shares of active IT resumes stating a relocation type: willing to move at all, to a foreign country, "
        "or within the country only (the press conflated the last two). Destinations: among resumes willing to "
        "move abroad, the share naming each country."
    )
    return part


def _salary(store: Store, opt: ReportOptions, kind: Kind) -> Part:
    if absent := _need(kind, "salary"):
        return absent
    params = dataclasses.replace(_params(opt, kind.data), options={"currency": "RUB", "basis": "gross"})
    frame = trim(_indicator(store, "salary", params))
    if frame.empty:
        return _suppressed(kind, opt, "vacancy_observation")
    if frame["median"].isna().all():
        return Part(absent=f"no {kind.data} IT vacancy in {opt.origin} publishes a salary")
    stale = [note] if (note := stale_note(frame)) else []
    return Part(
        {"salary": frame},
        [
            "Monthly gross salary of IT vacancies published each month, in RUB at the month's rate (net salaries "
            "grossed up by the flat income tax): median and quartiles, and the share publishing a salary.",
            *(note[0].upper() + note[1:] + "." for note in stale),
        ],
    )


# -- AI work -----------------------------------------------------------------------------------------------
def _ai(store: Store, opt: ReportOptions, sim: dict[str, Any] | None, kind: Kind) -> Part:
    """AI work's share of the active IT vacancies and resumes at each month's end (the `ai` segment); beside it
    the simulator's truth (simulated market) or the Indeed AI Tracker (real data)."""
    if absent := _need(kind, "ai"):
        return absent
    part = Part()
    for table, name, key in (
        ("vacancy_observation", "vacancies_active", "vacancies"),
        ("resume_observation", "resumes_active", "resumes"),
    ):
        if kind.counts.get(table):
            share = _ai_share(store, opt, kind, name, key)
            if not share.empty:
                part.frames[key] = share
    if sim and "ai_vacancy_share" in sim["summary"].columns:
        truth = sim["summary"][["month", "ai_vacancy_share", "ai_resume_share"]]
        shown = [f["period"] for f in part.frames.values()]
        if shown:
            first, last = min(p.min() for p in shown), max(p.max() for p in shown)
            months = pd.to_datetime(truth["month"] + "-01")
            part.frames["truth"] = truth[(months >= pd.Timestamp(first)) & (months <= pd.Timestamp(last))]
    if kind.data == "real":
        tracker = _ai_tracker(store)
        if not tracker.empty:
            part.frames["tracker"] = tracker
    if not part.frames:
        return _suppressed(kind, opt, "vacancy_observation")
    part.notes.append(
        f"Share of the active IT records in {opt.origin} that are AI work (is_ai: role 165 or an AI keyword in "
        f"the title or key skills; docs/indicators.md), at each month's end; months with fewer than "
        f"{opt.min_cell} IT records are left out."
    )
    if "truth" in part.frames:
        part.notes.append("Dashed: the simulator's true AI share of open vacancies and of job seekers.")
    if "tracker" in part.frames:
        part.notes.append(
            "Indeed AI Tracker: the share of all job postings (not only IT) that mention AI, per country, weekly "
            "means (Indeed has no Russian series): the markets Russian IT workers moved into or worked for."
        )
    return part


def _ai_share(store: Store, opt: ReportOptions, kind: Kind, name: str, key: str) -> pd.DataFrame:
    """Per month: the IT records counted, and the share that are AI work (NaN where the month is small)."""
    base = _params(opt, kind.data)
    params = dataclasses.replace(base, by=(*base.by, Segment("ai")), min_cell=0)
    frame = _indicator(store, name, params)
    if frame.empty:
        return frame
    counts = frame.pivot_table(index="period", columns="ai", values=key, aggfunc="sum", fill_value=0)
    total = counts.sum(axis=1)
    ai = counts["true"] if "true" in counts.columns else total * 0
    out = pd.DataFrame({"period": counts.index, "records": total.to_numpy(), "share": (ai / total).to_numpy()})
    out = out[out["records"] >= opt.min_cell].reset_index(drop=True)
    return out


def _ai_tracker(store: Store) -> pd.DataFrame:
    """The Indeed AI Tracker's share of postings mentioning AI, per country, weekly means, as a share (not %)."""
    params = Params(
        period="day",
        by=(Segment("country"),),
        min_cell=0,
        options={"metric": "ai_postings_share", "source": "indeed-hiring-lab"},
    )
    frame = _indicator(store, "series", params)
    if frame.empty:
        return frame
    frame["period"] = pd.to_datetime(frame["period"])
    weekly = frame.set_index("period").groupby("country")[["value"]].resample("W-SUN").mean().reset_index()
    weekly["share"] = weekly["value"] / 100
    return weekly.dropna(subset=["share"])


# -- migration ---------------------------------------------------------------------------------------------
def _panel(store: Store, opt: ReportOptions, sim: dict[str, Any] | None, kind: Kind, fits: dict[str, PanelFit]) -> Part:
    """The panel of ``kind``'s resume sightings; ``sim`` (the simulator's output, for the simulated kind only)
    gives the census population and the truth drawn beside the estimates."""
    if absent := _need(kind, "panel"):
        return absent
    full = load_panel(store, origin=opt.origin, data=kind.data)
    panel, _ = trim_panel(full, PANEL_MIN_PEOPLE)
    if len(panel.months) < 3:
        n = kind.counts["resume_observation"]
        return Part(
            absent=f"the {kind.data} resume sightings ({n:,} in all) span {len(panel.months)} month(s): too few for "
            "flows, which need at least three",
            lacks="resume_observation",
        )
    population = census(sim) if sim else DEFAULT_POPULATION
    # The path `talentflow migration panel` takes (trim included): the same store and seed give the same interval.
    fit = fit_for(full, population, level=opt.level, n_boot=opt.n_boot, seed=opt.seed, model=opt.model)
    # The claims' migration metrics use the default population: with a census that is the same fit rescaled,
    # so the EM runs once.
    fits[kind.data] = rescale(fit, DEFAULT_POPULATION) if sim else fit
    start, end = panel.months[1], panel.months[-1]
    result = panel_result(fit, start, end)
    rows = result.rows
    monthly = rows[(rows.destination == "abroad") & ~rows.period.str.contains("/")].copy()
    part = Part({"flows": monthly})
    part.values["result"] = result
    part.values["population"] = fit.population
    part.values["census"] = sim is not None
    windows: dict[str, tuple[str, str]] = {}
    # Per year: (estimate, low, high) by flow, the months summed under "window" and the board-visible totals
    # under "board".
    totals: dict[str, dict[str, Any]] = {}
    for year in ("2022", "2023"):
        y0, y1 = max(f"{year}-01", panel.months[1]), min(f"{year}-12", panel.months[-1])
        if y0 <= y1 and y0.startswith(year):
            windows[year] = (y0, y1)
            totals[year] = {flow: fit.total(flow, y0, y1) for flow in ("emigration", "return", "net")}
            totals[year]["window"] = (y0, y1)
            totals[year]["board"] = {r["flow"]: (r["estimate"], r["low"], r["high"]) for r in board_rows(fit, y0, y1)}
    part.values["totals"] = totals
    if windows:
        # How much the first year's flows rest on the population figure and on a board whose coverage is constant.
        part.values["sensitivity"] = sensitivity(fit, *next(iter(windows.values())))
    window_dest = rows[(rows.destination != "abroad") & (rows.period == f"{start}/{end}")]
    part.frames["destinations"] = window_dest
    if sim:
        truth = sim["summary"][["month", "emigrated", "returned"]].copy()
        part.frames["truth"] = truth[(truth.month >= start) & (truth.month <= end)]
        tt = {}
        for year, (y0, y1) in windows.items():
            t = truth[(truth.month >= y0) & (truth.month <= y1)]
            tt[year] = (float(t.emigrated.sum()), float(t.returned.sum()))
        part.values["truth_totals"] = tt
    part.notes += list(result.notes)
    return part


def _excess(store: Store, opt: ReportOptions) -> Part:
    from talentflow.migration.excess import excess_growth

    has = store.con.execute("SELECT count(*) FROM population WHERE metric = 'developers'").fetchone()[0]  # type: ignore[index]
    if not has:
        return Part(absent="the store has no GitHub Innovation Graph developers (ingest its developers.csv)")
    result = excess_growth(store, origin=opt.origin, level=opt.level, seed=opt.seed)
    part = Part({"excess": result.rows}, label="real data")
    part.values["result"] = result
    part.notes += list(result.notes)
    return part


def _claims(store: Store, opt: ReportOptions, kinds: dict[str, Kind], fits: dict[str, PanelFit]) -> Part:
    """Each claim checked against each kind of data the report draws, apart; one row per claim and kind that gave
    an estimate, or one row saying there is none (``data`` = ``none``) with each kind's reason."""
    from talentflow.claims import builtin_claims, compare, load_claims, summary

    claims = load_claims(store)
    part = Part()
    if claims:
        part.notes.append(f"{len(claims)} claims from the store's ledger.")
    else:
        claims = list(builtin_claims().claims)
        part.notes.append(
            f"The store holds no claims: the {len(claims)} built-in claims (talentflow/reference/claims.toml) are "
            "compared without being written into it (`talentflow claims import --builtin` stores them)."
        )
    frames = {}
    for data in kinds:
        fit = fits.get(data)
        if fit is not None:
            part.notes.append(
                f"Migration claims against {data} data are estimated with the report's panel fit of the {data} "
                f"resume sightings ({opt.n_boot} bootstrap replicates) scaled to the default population "
                f"({DEFAULT_POPULATION.source})."
            )
        frames[data] = compare(store, claims, data=data, panel_fit=fit)
    part.frames["claims"] = merge_comparisons(frames)
    part.values["summary"] = {data: summary(frame) for data, frame in frames.items()}
    return part


def merge_comparisons(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The comparisons of the same claims against each kind of data as one table: for each claim, a row for each
    kind that gave an estimate (real first), or one row without an estimate whose note gives each kind's reason."""
    from talentflow.claims._compare import NO_DATA

    rows = []
    first = next(iter(frames.values()))
    for i in range(len(first)):
        got = [frame.iloc[i] for frame in frames.values() if frame.iloc[i].status != "no estimate"]
        if got:
            rows += got
            continue
        row = first.iloc[i].copy()
        row["data"] = NO_DATA
        if len(frames) > 1:
            row["note"] = "; ".join(f"{data} data: {frame.iloc[i].note}" for data, frame in frames.items())
        rows.append(row)
    return pd.DataFrame(rows, columns=first.columns).reset_index(drop=True)


def _series(store: Store, opt: ReportOptions) -> Part:
    if not store.count("series"):
        return Part(absent="the store has no external series (ingest Indeed Hiring Lab's CSV files)")
    part = Part(label="real data")
    for name, metric, segment in (
        ("postings", "job_postings_index", "total postings"),
        ("software", "sector_job_postings_index", "Software Development"),
    ):
        params = Params(
            period="day",
            by=(Segment("country"),),
            min_cell=0,
            options={"metric": metric, "segment": segment, "source": "indeed-hiring-lab"},
        )
        frame = _indicator(store, "series", params)
        if frame.empty:
            continue
        # Weekly means: the daily series is already a 7-day trailing mean, and a week keeps the page light.
        frame["period"] = pd.to_datetime(frame["period"])
        weekly = (
            frame.set_index("period")
            .groupby("country")[["value", "value_sa"]]
            .resample("W-SUN")
            .mean()
            .reset_index()
            .dropna(subset=["value"])
        )
        part.frames[name] = weekly
    if not part.frames:
        return Part(absent="the store has no Indeed Hiring Lab postings index")
    part.notes.append(
        "Indeed Hiring Lab job postings index (100 = 1 February 2020), seasonally adjusted where published, "
        "drawn as weekly means. Russia has no Indeed series: these are the markets Russian IT workers moved into "
        "or worked for."
    )
    return part


# -- did the market break? -----------------------------------------------------------------------------------
#: The board series searched for breaks, weekly, as the simulated validation has them (docs/impact.md).
IMPACT_SERIES = ("vacancies_active", "resumes_active", "tension")
#: The simulator's first year is its start-up (employers and seekers filling the board): left out of the search.
IMPACT_START = {"simulated": "2021-03-01"}
#: The shock the interrupted time series is set at, and the months after it its effect is read at.
ITS_EVENT, ITS_HORIZON = "2022-02-24", 6
#: The economies the synthetic control is drawn for: the destinations and the origin (docs/impact.md).
SYNTH_UNITS = ("GE", "AM", "KZ", "RU")


def _impact(store: Store, opt: ReportOptions, kind: Kind) -> Part:
    """Breaks of the weekly board series beside the known events, and the ITS effect of the invasion on the
    monthly resume stock: ``kind``'s records only."""
    from talentflow.impact import ChangepointRequest, ItsRequest, estimate

    if absent := _need(kind, "impact"):
        return absent
    common: dict[str, Any] = {
        "by": ("is_it=true", f"country={opt.origin}"),
        "start": IMPACT_START.get(kind.data),
        "data": kind.data,
        "min_cell": opt.min_cell,
        "seed": opt.seed,
        "level": opt.level,
    }
    part = Part()
    breaks, events, fits = [], [], []
    for name in IMPACT_SERIES:
        try:
            result = estimate(ChangepointRequest(indicator=name, n_boot=opt.impact_n_boot, **common), store)
        except TalentflowError as exc:
            part.notes.append(f"No change points in {name}: {exc}.")
            continue
        breaks.append(result.rows.assign(series=name))
        events.append(result.tables["events"].assign(series=name))
        fits.append(result.tables["fit"].assign(series=name))
    if breaks:
        part.frames["breaks"] = pd.concat(breaks, ignore_index=True)
        part.frames["events"] = pd.concat(events, ignore_index=True)
        part.frames["fits"] = pd.concat(fits, ignore_index=True)
    try:
        its = estimate(ItsRequest(indicator="resumes_active", event=ITS_EVENT, n_boot=200, **common), store)
    except TalentflowError as exc:
        part.notes.append(f"No interrupted time series of resumes_active: {exc}.")
    else:
        part.frames["its_fit"] = its.tables["fit"]
        part.frames["its"] = its.rows
        part.values["its"] = its
    if not part.frames:
        # Every series too short or suppressed: said as the other sections say it, for want of the scarcer records.
        low = min(("resume_observation", "vacancy_observation"), key=lambda t: kind.counts.get(t, 0))
        return _suppressed(kind, opt, low)
    start = common["start"]
    part.notes.insert(
        0,
        f"Weekly IT records in {opt.origin} active at each week's end{f' from {start}' if start else ''}; breaks "
        f"(kinks or level shifts) chosen by a BIC-type penalty, {opt.impact_n_boot} block-bootstrap "
        f"re-segmentations for the "
        f"{opt.level:.0%} intervals of each date and size; the ITS counterfactual is a local-level model of the "
        f"monthly resume stock fitted before {ITS_EVENT} (docs/impact.md).",
    )
    return part


def _synth(store: Store, opt: ReportOptions) -> Part:
    """The synthetic control of the developer counts of the destinations and of the origin (Innovation Graph)."""
    from talentflow.impact import SynthRequest, estimate

    has = store.con.execute("SELECT count(*) FROM population WHERE metric = 'developers'").fetchone()[0]  # type: ignore[index]
    if not has:
        return Part(absent="the store has no GitHub Innovation Graph developers (ingest its developers.csv)")
    part = Part(label="real data")
    results = {}
    for unit in SYNTH_UNITS:
        try:
            results[unit] = estimate(SynthRequest(unit=unit, level=opt.level, seed=opt.seed), store)
        except TalentflowError as exc:
            part.notes.append(f"No synthetic control for {unit}: {exc}.")
    if not results:
        return Part(absent="; ".join(n.rstrip(".") for n in part.notes), label="real data")
    part.values["results"] = results
    return part


#: The board sections, each gathered once per kind of data (the panel apart: it takes the simulator's output).
BOARD: dict[str, Callable[[Store, ReportOptions, Kind], Part]] = {
    "board": _board,
    "tension": _tension,
    "relocation": _relocation,
    "salary": _salary,
    "impact": _impact,
}
#: The sections of published, real data.
SHARED: dict[str, Callable[[Store, ReportOptions], Part]] = {
    "excess": _excess,
    "series": _series,
    "synth": _synth,
}
