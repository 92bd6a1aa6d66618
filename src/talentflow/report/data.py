"""What the report shows, gathered from a store through the indicators, migration and claims APIs.

Every section is a :class:`Part`: frames to draw, notes to print under them, and ``absent`` — the reason the
section has nothing to show — when its data is not in the store. Nothing here writes into the store.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from talentflow._version import __version__
from talentflow.errors import TalentflowError
from talentflow.indicators._compute import compute_on
from talentflow.indicators.engines import DuckDBEngine
from talentflow.indicators.params import Params, Segment
from talentflow.indicators.salary import stale_note
from talentflow.migration.panel import Panel, PanelFit, PanelOptions, Population, fit_panel, load_panel
from talentflow.migration.requests import DEFAULT_POPULATION
from talentflow.report.options import STEPS, ReportOptions, Step
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


def gather(store: Store, options: ReportOptions | None = None, step: Step | None = None) -> ReportData:
    """Everything the report shows; ``step(key)`` is called before each section is gathered."""
    opt = options or ReportOptions()
    sim = _read_sim(opt.sim)
    counts = store.counts()
    parts: dict[str, Part] = {}
    fits: dict[str, PanelFit] = {}
    for key in STEPS:
        if step:
            step(key)
        try:
            if key == "panel":
                parts[key] = _panel(store, opt, sim, counts, fits)
            elif key == "claims":
                parts[key] = _claims(store, opt, counts, fits)
            else:
                parts[key] = GATHER[key](store, opt, counts)
        except TalentflowError as exc:
            parts[key] = Part(absent=str(exc))
    return ReportData(
        store=str(store.path),
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
        counts=counts,
        inputs=store.status()["inputs"],
        options=opt,
        sim=sim,
        parts=parts,
    )


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
def _params(opt: ReportOptions, **options: str) -> Params:
    by = (Segment("is_it", ("true",)), Segment("country", (opt.origin,)))
    return Params(period="month", by=by, min_cell=opt.min_cell, options=options)


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


def _need(counts: dict[str, int], *tables: str) -> str | None:
    missing = [t for t in tables if not counts.get(t)]
    return f"the store has no {' and no '.join(missing)} records" if missing else None


def _board(store: Store, opt: ReportOptions, counts: dict[str, int]) -> Part:
    if not counts.get("vacancy_observation") and not counts.get("resume_observation"):
        return Part(absent=_need(counts, "vacancy_observation", "resume_observation"))
    part = Part()
    if counts.get("vacancy_observation"):
        part.frames["vacancies"] = trim(_indicator(store, "vacancies_active", _params(opt)))
    if counts.get("resume_observation"):
        part.frames["resumes"] = trim(_indicator(store, "resumes_active", _params(opt)))
    part.notes.append(
        f"IT records in {opt.origin}, active at each month's end, as counted on the board (a sample of the market); "
        f"cells under {opt.min_cell} records are suppressed."
    )
    return part


def _tension(store: Store, opt: ReportOptions, counts: dict[str, int]) -> Part:
    if absent := _need(counts, "vacancy_observation", "resume_observation"):
        return Part(absent=absent)
    frame = trim(_indicator(store, "tension", _params(opt)))
    return Part({"tension": frame}, ["Active IT resumes ÷ active IT vacancies at each month's end (hh.index)."])


def _relocation(store: Store, opt: ReportOptions, counts: dict[str, int]) -> Part:
    if absent := _need(counts, "resume_observation"):
        return Part(absent=absent)
    share = trim(_indicator(store, "relocation_share", _params(opt)))
    dest = _indicator(store, "destination_share", _params(opt))
    dest = dest[~dest["suppressed"].astype(bool)] if not dest.empty else dest
    part = Part({"share": share, "destinations": dest})
    part.notes.append(
        "Shares of active IT resumes stating a relocation type: willing to move at all, to a foreign country, "
        "or within the country only (the press conflated the last two). Destinations: among resumes willing to "
        "move abroad, the share naming each country."
    )
    return part


def _salary(store: Store, opt: ReportOptions, counts: dict[str, int]) -> Part:
    if absent := _need(counts, "vacancy_observation"):
        return Part(absent=absent)
    params = dataclasses.replace(_params(opt), options={"currency": "RUB", "basis": "gross"})
    frame = trim(_indicator(store, "salary", params))
    if frame.empty or frame["median"].isna().all():
        return Part(absent="no IT vacancy in the store publishes a salary")
    stale = [note] if (note := stale_note(frame)) else []
    return Part(
        {"salary": frame},
        [
            "Monthly gross salary of IT vacancies published each month, in RUB at the month's rate (net salaries "
            "grossed up by the flat income tax): median and quartiles, and the share publishing a salary.",
            *(note[0].upper() + note[1:] + "." for note in stale),
        ],
    )


# -- migration ---------------------------------------------------------------------------------------------
def trim_panel(panel: Panel, min_people: int) -> tuple[Panel, str | None]:
    """The panel cut to the months from the first to the last with at least ``min_people`` resumes seen.

    A handful of resumes seen years before the rest (e.g. API examples ingested beside a simulated market)
    would otherwise add empty months that the model must fit and the reader must scroll past."""
    seen = (panel.obs >= 0).sum(axis=0)
    dense = np.flatnonzero(seen >= min_people)
    if not len(dense) or (dense[0] == 0 and dense[-1] == len(panel.months) - 1):
        return panel, None
    a, b = int(dense[0]), int(dense[-1])
    obs = panel.obs[:, a : b + 1]
    # cast: numpy's stubs type any(axis=...) as a scalar or an array; on the 2-D obs it is always an array.
    keep = cast(npt.NDArray[np.bool_], (obs >= 0).any(axis=1))
    new_index = np.cumsum(keep) - 1
    dest = panel.destinations
    if not dest.empty:
        dest = dest[(dest.month >= a) & (dest.month <= b) & keep[dest.person.to_numpy()]].copy()
        dest["person"] = new_index[dest.person.to_numpy()]
        dest["month"] = dest.month - a
    cut = Panel(
        months=panel.months[a : b + 1],
        obs=obs[keep],
        start=np.clip(panel.start[keep] - a, 0, None),
        origin=panel.origin,
        destinations=dest.reset_index(drop=True),
        sightings=panel.sightings,
    )
    dropped = panel.people - cut.people
    note = (
        f"months with fewer than {min_people} resumes seen are left out: the panel runs {cut.months[0]} to "
        f"{cut.months[-1]} ({dropped:,} resumes seen only outside it dropped)"
    )
    return cut, note


def _panel(
    store: Store, opt: ReportOptions, sim: dict[str, Any] | None, counts: dict[str, int], fits: dict[str, PanelFit]
) -> Part:
    if absent := _need(counts, "resume_observation"):
        return Part(absent=absent)
    panel, trimmed = trim_panel(load_panel(store, origin=opt.origin), opt.min_cell)
    if len(panel.months) < 3:
        return Part(absent=f"the resume sightings span {len(panel.months)} month(s): too few for flows")
    population = census(sim) if sim else DEFAULT_POPULATION
    options = PanelOptions(level=opt.level, n_boot=opt.n_boot, seed=opt.seed)
    fit = fit_panel(panel, population, options=options)
    # The claims' migration metrics use the default population: with a census that is the same fit rescaled,
    # so the EM runs once.
    fits["default"] = fit.rescaled(DEFAULT_POPULATION, opt.seed) if sim else fit
    start, end = panel.months[1], panel.months[-1]
    result = fit.result(start, end)
    rows = result.rows
    monthly = rows[(rows.destination == "abroad") & ~rows.period.str.contains("/")].copy()
    part = Part({"flows": monthly})
    part.values["result"] = result
    part.values["population"] = fit.population
    windows: dict[str, tuple[str, str]] = {}
    # Per year: (estimate, low, high) by flow, and the months summed under "window".
    totals: dict[str, dict[str, tuple[float, float, float] | tuple[str, str]]] = {}
    for year in ("2022", "2023"):
        y0, y1 = max(f"{year}-01", panel.months[1]), min(f"{year}-12", panel.months[-1])
        if y0 <= y1 and y0.startswith(year):
            windows[year] = (y0, y1)
            totals[year] = {flow: fit.total(flow, y0, y1) for flow in ("emigration", "return", "net")}
            totals[year]["window"] = (y0, y1)
    part.values["totals"] = totals
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
    if trimmed:
        part.notes.append(trimmed)
    return part


def _excess(store: Store, opt: ReportOptions, counts: dict[str, int]) -> Part:
    from talentflow.migration.excess import excess_growth

    has = store.con.execute("SELECT count(*) FROM population WHERE metric = 'developers'").fetchone()[0]  # type: ignore[index]
    if not has:
        return Part(absent="the store has no GitHub Innovation Graph developers (ingest its developers.csv)")
    result = excess_growth(store, origin=opt.origin, level=opt.level, seed=opt.seed)
    part = Part({"excess": result.rows})
    part.values["result"] = result
    part.notes += list(result.notes)
    return part


def _claims(store: Store, opt: ReportOptions, counts: dict[str, int], fits: dict[str, PanelFit]) -> Part:
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
    fit = fits.get("default") if counts.get("resume_observation") else None
    if fit is not None:
        part.notes.append(
            f"Migration claims are estimated with the report's panel fit ({opt.n_boot} bootstrap replicates) scaled "
            f"to the default population ({DEFAULT_POPULATION.source})."
        )
    frame = compare(store, claims, panel_fit=fit)
    part.frames["claims"] = frame
    part.values["summary"] = summary(frame)
    return part


def _series(store: Store, opt: ReportOptions, counts: dict[str, int]) -> Part:
    if not counts.get("series"):
        return Part(absent="the store has no external series (ingest Indeed Hiring Lab's CSV files)")
    part = Part()
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


GATHER: dict[str, Callable[[Store, ReportOptions, dict[str, int]], Part]] = {
    "board": _board,
    "tension": _tension,
    "relocation": _relocation,
    "salary": _salary,
    "excess": _excess,
    "series": _series,
}
