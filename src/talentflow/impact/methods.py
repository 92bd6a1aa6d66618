"""`estimate`: run the method a request names on the store, reading its series through the indicators."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pandas as pd

from talentflow.errors import UsageError
from talentflow.impact import _series
from talentflow.impact._changepoints import changepoints
from talentflow.impact._its import its
from talentflow.impact._synth import synth
from talentflow.impact.requests import STOCK_INFLOWS, ChangepointRequest, ItsRequest, SynthRequest
from talentflow.impact.results import ImpactResult
from talentflow.migration.requests import Request
from talentflow.store import Store

#: Innovation Graph metrics (the ``population`` table, by quarter); any other metric is a published series.
POPULATION_METRICS = ("developers", "organizations", "repositories", "git_pushes", "economy_collaborators")


def _load(store: Store, request: ChangepointRequest | ItsRequest, by: tuple[str, ...]) -> tuple[pd.DataFrame, str]:
    frame, column, _ = _series.load(
        store,
        request.indicator,
        value=request.value,
        by=by,
        options=request.options,
        period=request.period,
        start=request.start,
        end=request.end,
        data=request.data,
        min_cell=request.min_cell,
    )
    return frame, column


#: Told of a method's progress: (steps done, steps in all).
Progress = Callable[[int, int], None]


def run_changepoints(request: ChangepointRequest, store: Store, progress: Progress | None = None) -> ImpactResult:
    frame, column = _load(store, request, request.by)
    if request.resolved_model() == "stock":
        inflow, _ = _load(store, replace(request, indicator=STOCK_INFLOWS[request.indicator], model="line"), request.by)
        frame = frame.merge(
            inflow[["key", "period", "value"]].rename(columns={"value": "inflow"}), on=["key", "period"], how="left"
        )
        frame["inflow"] = frame["inflow"].fillna(0.0)
    return changepoints(frame, request, column, progress)


def run_its(request: ItsRequest, store: Store, progress: Progress | None = None) -> ImpactResult:
    frame, column = _load(store, request, request.by)
    if frame["key"].nunique() != 1:
        keys = ", ".join(sorted(frame["key"].unique())[:5])
        raise UsageError(f"one series at a time: filter --by to a single value (got {keys}, …)", param="by")
    controls = {}
    for text in request.controls:
        other, _ = _load(store, request, (text,))
        if other["key"].nunique() != 1:
            raise UsageError(f"{text!r} gives {other['key'].nunique()} series: name one value", param="controls")
        controls[text] = other.set_index("period")["value"]
    return its(frame, request, controls, column)


def run_synth(request: SynthRequest, store: Store, progress: Progress | None = None) -> ImpactResult:
    start = _quarter_start(request.start)
    options: tuple[str, ...]
    if request.metric in POPULATION_METRICS:
        name, options = "population_growth", (f"metric={request.metric}",)
    else:
        name, options = "series", (f"metric={request.metric}", f"segment={request.segment}")
    frame, _, _ = _series.load(
        store, name, value="value", by=("country",), options=options, period="quarter", start=start, data="real"
    )
    frame = frame.assign(key=frame["key"].str.removeprefix("country="))
    return synth(frame, request)


def _quarter_start(label: str) -> str:
    from talentflow.migration.requests import parse_quarter

    q = parse_quarter(label)
    return f"{q // 4}-{q % 4 * 3 + 1:02d}-01"


_RUN: dict[type[Request], Callable[..., ImpactResult]] = {
    ChangepointRequest: run_changepoints,
    ItsRequest: run_its,
    SynthRequest: run_synth,
}


def estimate(request: Request, store: Store, progress: Progress | None = None) -> ImpactResult:
    """The impact estimate ``request`` asks for, from ``store``; ``progress(done, total)`` is told of the
    change points' bootstrap re-segmentations (the other methods have no long loop to report).

    >>> from talentflow import Store
    >>> from talentflow.impact import ItsRequest, estimate
    >>> with Store("talentflow.duckdb", read_only=True) as store:
    ...     request = ItsRequest(indicator="resumes_active", event="2022-02-24", data="simulated", min_cell=0)
    ...     result = estimate(request, store)
    >>> bool(result.select(kind="cumulative").iloc[-1]["estimate"] > 0)
    True
    """
    run = _RUN.get(type(request))
    if run is None:
        raise UsageError(f"not an impact request: {type(request).__name__}")
    return run(request, store, progress)
