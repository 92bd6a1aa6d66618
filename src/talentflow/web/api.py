"""The JSON API: the same parameters and rows as the CLI's ``--format json`` (see docs/web.md)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from talentflow.claims._terms import DEFAULT_TOLERANCE
from talentflow.errors import UsageError
from talentflow.impact import requests as impact_requests
from talentflow.indicators._compute import request as indicator_request
from talentflow.indicators.params import DEFAULT_MIN_CELL, PERIODS
from talentflow.indicators.provenance import DEFAULT_DATA, check_data
from talentflow.indicators.registry import REGISTRY, catalog
from talentflow.migration.requests import PANEL_MODELS, ExcessRequest, NowcastRequest, PanelRequest
from talentflow.web.queries import Answer, Job, Limits, StoreService, TooLarge

FORMATS = ("json", "csv")
DATA = ("real", "simulated")
#: Migration methods the server runs: ``stocks`` reads stock tables from files, not the store.
MIGRATION = {"panel": PanelRequest, "excess": ExcessRequest, "nowcast": NowcastRequest}

router = APIRouter(prefix="/api")

DATA_HELP = "real (observed records) or simulated (the simulator's); never both"


def _one_of(values: Any) -> dict[str, Any]:
    """The OpenAPI description of a parameter taking one of ``values``: clients and the fuzzer know them. The
    check itself is talentflow's, so that a wrong value gets its message (naming the choices), not pydantic's."""
    return {"enum": list(values)}


#: What the OpenAPI description says of dates: the fuzzer then sends dates, not only strings.
DATE = {"format": "date"}
BY_EXAMPLES = ["country", "is_it=true", "country=RU,KZ", "experience"]


def service(request: Request) -> StoreService:
    return request.app.state.service


def _only(request: Request, *allowed: str) -> None:
    """Refuse parameters the endpoint does not know: a typo must not be silently ignored."""
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        raise UsageError(f"unknown parameter; this endpoint takes: {', '.join(allowed)}", param=unknown[0])
    limit = service(request).limits.parameters
    if len(request.query_params.multi_items()) > limit:
        raise TooLarge(f"{len(request.query_params.multi_items())} parameters, more than the limit of {limit}")


def _check_format(format: str) -> str:
    if format not in FORMATS:
        raise UsageError(f"unknown format {format!r}; choose one of: {', '.join(FORMATS)}", param="format")
    return format


async def _answer(request: Request, job: Job, format: str, filename: str, data: str | None = None) -> Response:
    answer, hit = await service(request).answer(job, _check_format(format))
    return _respond(answer, hit, format, filename, data)


def _respond(answer: Answer, hit: bool, format: str, filename: str, data: str | None = None) -> Response:
    """The answer with its headers: whether the cache held it, its notes, and which kind of data its rows are
    (``X-Talentflow-Data: real`` or ``simulated``), so that a page can say when what it shows is simulated."""
    headers = {"X-Talentflow-Cache": "hit" if hit else "miss"}
    if data is not None:
        headers["X-Talentflow-Data"] = data
    if answer.notes:
        headers["X-Talentflow-Notes"] = json.dumps(list(answer.notes))  # ASCII: a header must be latin-1
    if format == "csv":
        headers["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return Response(answer.body, media_type=answer.media_type, headers=headers)


@router.get("/indicators", summary="The indicators, their periods, segments and options")
def list_indicators(request: Request) -> JSONResponse:
    """The same rows as `talentflow indicators list --format json`."""
    _only(request)
    return JSONResponse(catalog())


@router.get("/indicators/{name}", summary="One indicator by period and segment")
async def get_indicator(
    request: Request,
    name: Annotated[str, Path(description="An indicator", json_schema_extra=_one_of(REGISTRY))],
    period: Annotated[
        str | None,
        Query(description="day, week, month or quarter [default: the indicator's]", json_schema_extra=_one_of(PERIODS)),
    ] = None,
    by: Annotated[
        list[str] | None, Query(description="SEGMENT or SEGMENT=VALUE[,VALUE] (repeatable)", examples=BY_EXAMPLES)
    ] = None,
    from_: Annotated[
        str | None, Query(alias="from", description="First day (YYYY-MM-DD)", json_schema_extra=DATE)
    ] = None,
    to: Annotated[str | None, Query(description="Last day (YYYY-MM-DD)", json_schema_extra=DATE)] = None,
    min_cell: Annotated[int, Query(description="Suppress cells counting fewer records")] = DEFAULT_MIN_CELL,
    set_: Annotated[list[str] | None, Query(alias="set", description="Option KEY=VALUE (repeatable)")] = None,
    data: Annotated[str, Query(description=DATA_HELP, json_schema_extra=_one_of(DATA))] = DEFAULT_DATA,
    format: Annotated[str, Query(description="json (rows) or csv", json_schema_extra=_one_of(FORMATS))] = "json",
) -> Response:
    """The same rows as `talentflow indicators NAME --format json` with the same options."""
    _only(request, "period", "by", "from", "to", "min_cell", "set", "data", "format")
    _check_format(format)
    params = indicator_request(
        name, period=period, by=by or [], start=from_, end=to, min_cell=min_cell, options=set_ or [], data=data
    )
    return await _answer(request, service(request).indicator(name, params), format, name, params.data)


@router.get("/migration", summary="Emigration and return flows with intervals")
async def get_migration(
    request: Request,
    method: Annotated[
        str, Query(description="panel, excess or nowcast", json_schema_extra=_one_of(MIGRATION))
    ] = "panel",
    origin: Annotated[str, Query(description="Origin country (ISO2)")] = "RU",
    from_: Annotated[str | None, Query(alias="from", description="First month (YYYY-MM), or quarter")] = None,
    to: Annotated[str | None, Query(description="Last month (YYYY-MM), or quarter for excess (2023Q1)")] = None,
    n_boot: Annotated[
        int | None, Query(description="Bootstrap replicates [default: the method's, 50 or 2000 for excess]")
    ] = None,
    model: Annotated[
        str | None,
        Query(
            description="The panel's model (panel and nowcast) [default: durations]",
            json_schema_extra=_one_of(PANEL_MODELS),
        ),
    ] = None,
    seed: Annotated[int, Query(description="Seed of the bootstrap")] = 0,
    level: Annotated[float, Query(description="Coverage of the intervals")] = 0.9,
    data: Annotated[
        str, Query(description=DATA_HELP + " (excess: real only)", json_schema_extra=_one_of(DATA))
    ] = DEFAULT_DATA,
    format: Annotated[str, Query(description="json (rows) or csv", json_schema_extra=_one_of(FORMATS))] = "json",
) -> Response:
    """The same rows as `talentflow migration METHOD --format json` (the population is the CLI's default)."""
    _only(request, "method", "origin", "from", "to", "n_boot", "seed", "level", "data", "model", "format")
    kind = MIGRATION.get(method)
    if kind is None:
        extra = " (stocks reads stock-table files: use the CLI)" if method == "stocks" else ""
        raise UsageError(f"unknown method {method!r}; choose one of: {', '.join(MIGRATION)}{extra}", param="method")
    _check_format(format)
    most = service(request).limits.max_boot(method)
    if n_boot is not None and not 1 <= n_boot <= most:
        raise UsageError(f"must be between 1 and {most}, not {n_boot}", param="n_boot")
    given: dict[str, Any] = {"start": from_, "end": to, "n_boot": n_boot}
    if kind is ExcessRequest:
        if check_data(data) != "real":
            raise UsageError("excess reads the GitHub Innovation Graph, published real data only", param="data")
        if model is not None:
            raise UsageError("excess fits no panel: the model is for panel and nowcast", param="model")
    else:
        given.update(data=data, model=model)
    wanted = kind(origin=origin, level=level, seed=seed, **{k: v for k, v in given.items() if v is not None})
    shown = str(getattr(wanted, "data", "real"))
    return await _answer(request, service(request).migration(wanted), format, f"migration-{method}", shown)


#: The parameters each impact method takes (besides ``method`` and ``format``), as the CLI's options.
SERIES = ("indicator", "value", "by", "option", "period", "from", "to", "min_cell", "data", "level", "seed", "n_boot")
IMPACT = {
    "changepoints": (*SERIES, "event", "penalty", "seasonal", "min_size"),
    "its": (*SERIES, "event", "trend", "season", "control", "seasonal"),
    "synth": (
        "metric",
        "unit",
        "event",
        "from",
        "to",
        "donor",
        "n_donors",
        "transform",
        "segment",
        "placebo_shift",
        "level",
    ),
}
IMPACT_NAMES = tuple(dict.fromkeys(n for names in IMPACT.values() for n in names))
#: Bounds on the impact parameters that set how much work a request is (besides ``Limits``): a value, or the
#: number of times a repeatable parameter is given.
IMPACT_BOUNDS = {
    "penalty": (1e-3, 100.0),
    "min_size": (3, 52),
    "season": (0, 53),
    "n_donors": (2, 60),
    "placebo_shift": (1, 40),
    "seed": (0, 2**32 - 1),
    "event": (1, 10),
    "control": (1, 5),
    "donor": (1, 60),
}
#: API names of the request fields whose name differs.
IMPACT_FIELDS = {
    "option": "options",
    "from": "start",
    "to": "end",
    "event": "events",
    "control": "controls",
    "donor": "donors",
}
#: The API's name of each request field named otherwise, so that an error names the parameter the client sent.
API_OF_FIELD = {"options": "option", "events": "event", "controls": "control", "donors": "donor", "name": "indicator"}


def _check_impact(method: str, given: dict[str, Any], limits: Limits) -> None:
    for name, value in given.items():
        if name not in IMPACT[method]:
            raise UsageError(f"{method} takes no {name}; it takes: {', '.join(IMPACT[method])}", param=name)
        low, high = IMPACT_BOUNDS.get(name, (None, None))
        size = len(value) if isinstance(value, list) else value
        if low is not None and high is not None and not low <= size <= high:
            what = "values" if isinstance(value, list) else "a value"
            raise UsageError(f"{what} between {low:g} and {high:g}, not {size}", param=name)
    most = limits.max_boot(method)
    if "n_boot" in given and not 1 <= given["n_boot"] <= most:
        raise UsageError(f"must be between 1 and {most}, not {given['n_boot']}", param="n_boot")
    if method != "synth" and given.get("indicator") not in REGISTRY:
        raise UsageError(
            f"name one of the indicators ({', '.join(REGISTRY)}), not {given.get('indicator')!r}", param="indicator"
        )


def impact_request(method: str, given: dict[str, Any], limits: Limits) -> Any:
    """The impact request the API's parameters name, bounded; an error names the parameter (in API terms)."""
    kind = impact_requests.REQUESTS.get(method)
    if kind is None:
        raise UsageError(f"unknown method {method!r}; choose one of: {', '.join(IMPACT)}", param="method")
    _check_impact(method, given, limits)
    fields: dict[str, Any] = {IMPACT_FIELDS.get(k, k): tuple(v) if isinstance(v, list) else v for k, v in given.items()}
    if method in ("its", "synth") and "events" in fields:
        events = fields.pop("events")
        if len(events) != 1:
            raise UsageError(f"{method} takes one event, not {len(events)}", param="event")
        fields["event"] = events[0]
    if method == "its" and "event" not in fields:
        raise UsageError("its needs the first day of the shock, e.g. 2022-02-24", param="event")
    if method in ("changepoints", "its") and "n_boot" not in fields:
        fields["n_boot"] = min(limits.max_boot(method), kind.n_boot)
    try:
        return kind(**fields)
    except UsageError as exc:
        param = API_OF_FIELD.get(exc.param or "", exc.param)
        raise UsageError(exc.message, param=param) from None


@router.get("/impact", summary="Change points, an interrupted time series or a synthetic control")
async def get_impact(
    request: Request,
    method: Annotated[str, Query(description="changepoints, its or synth", json_schema_extra=_one_of(IMPACT))],
    indicator: Annotated[
        str | None, Query(description="changepoints, its: an indicator", json_schema_extra=_one_of(REGISTRY))
    ] = None,
    metric: Annotated[str | None, Query(description="synth: an Innovation Graph metric or a series metric")] = None,
    value: Annotated[str | None, Query(description="The indicator's column [default: its first value]")] = None,
    by: Annotated[
        list[str] | None, Query(description="Segment filter or split (repeatable)", examples=BY_EXAMPLES)
    ] = None,
    option: Annotated[list[str] | None, Query(description="Indicator option KEY=VALUE (repeatable)")] = None,
    period: Annotated[
        str | None, Query(description="week, month or quarter", json_schema_extra=_one_of(PERIODS))
    ] = None,
    from_: Annotated[str | None, Query(alias="from", description="First day (synth: first quarter, 2020Q1)")] = None,
    to: Annotated[str | None, Query(description="Last day (synth: last quarter)")] = None,
    event: Annotated[list[str] | None, Query(description="A date (its: the shock's day; synth: its quarter)")] = None,
    penalty: Annotated[float | None, Query(description="changepoints: multiplier on the penalty per break")] = None,
    seasonal: Annotated[str | None, Query(description="auto, none or month-phase")] = None,
    min_size: Annotated[int | None, Query(description="changepoints: fewest periods in a segment")] = None,
    trend: Annotated[str | None, Query(description="its: llevel, lltrend, rwdrift or dtrend")] = None,
    season: Annotated[int | None, Query(description="its: periods in a seasonal cycle (0: none)")] = None,
    control: Annotated[list[str] | None, Query(description="its: a regressor, e.g. country=US (repeatable)")] = None,
    unit: Annotated[str | None, Query(description="synth: the shocked economy (ISO2)")] = None,
    donor: Annotated[list[str] | None, Query(description="synth: a donor economy (repeatable)")] = None,
    n_donors: Annotated[int | None, Query(description="synth: donors chosen when none is given")] = None,
    transform: Annotated[str | None, Query(description="synth: index, log or level")] = None,
    segment: Annotated[str | None, Query(description="synth: sub-series of a series metric")] = None,
    placebo_shift: Annotated[int | None, Query(description="synth: quarters the in-time placebo moves")] = None,
    level: Annotated[float | None, Query(description="Coverage of the intervals [default: 0.9]")] = None,
    seed: Annotated[int | None, Query(description="Seed of the bootstrap or of the simulated paths")] = None,
    n_boot: Annotated[int | None, Query(description="Bootstrap replicates or simulated paths")] = None,
    min_cell: Annotated[int | None, Query(description="Blank cells whose base count is below this")] = None,
    data: Annotated[str | None, Query(description=DATA_HELP, json_schema_extra=_one_of(DATA))] = None,
    format: Annotated[
        str, Query(description="json (an object) or csv (its rows)", json_schema_extra=_one_of(FORMATS))
    ] = "json",
) -> Response:
    """The same estimate as `talentflow impact METHOD --format json`: ``rows`` (each with ``estimate``, ``low``,
    ``high``), ``stats``, the ``tables`` the charts draw (``fit``, ``events``, ``placebos``, …), ``inputs`` and
    ``notes``; with ``format=csv`` the rows alone."""
    given = {k: v for k, v in locals().items() if k not in ("request", "method", "format") and v is not None}
    given = {("from" if k == "from_" else k): v for k, v in given.items()}
    _only(request, "method", "format", *IMPACT_NAMES)
    _check_format(format)
    wanted = impact_request(method, given, service(request).limits)
    kind = getattr(wanted, "data", "real")  # synth reads published (real) series only
    return await _answer(request, service(request).impact(wanted), format, f"impact-{method}", kind)


@router.get("/range", summary="Where the data are dense: the dashboard's default window")
async def get_range(
    request: Request,
    data: Annotated[str, Query(description=DATA_HELP, json_schema_extra=_one_of(DATA))] = DEFAULT_DATA,
) -> Response:
    """``from`` and ``to``: the first and the last month holding at least a tenth of the median month's board
    records of that kind, so a stray record years before the others does not stretch the window."""
    _only(request, "data")
    return await _answer(request, service(request).dense_range(data), "json", "range", data)


@router.get("/claims", summary="The published claims in the store")
async def get_claims(
    request: Request,
    metric: Annotated[str | None, Query(description="Only claims about this metric")] = None,
    format: Annotated[str, Query(description="json (rows) or csv", json_schema_extra=_one_of(FORMATS))] = "json",
) -> Response:
    """The same rows as `talentflow claims list --format json`."""
    _only(request, "metric", "format")
    return await _answer(request, service(request).claims(metric), format, "claims")


@router.get("/claims/compare", summary="Each claim beside talentflow's estimate")
async def get_compare(
    request: Request,
    coverage: Annotated[float, Query(description="Share of the market the board records hold")] = 1.0,
    tolerance: Annotated[float, Query(description="Relative margin around a single-value claim")] = DEFAULT_TOLERANCE,
    data: Annotated[str, Query(description=DATA_HELP, json_schema_extra=_one_of(DATA))] = DEFAULT_DATA,
    format: Annotated[str, Query(description="json (rows) or csv", json_schema_extra=_one_of(FORMATS))] = "json",
) -> Response:
    """The same rows as `talentflow claims compare --format json`."""
    _only(request, "coverage", "tolerance", "data", "format")
    job = service(request).compare(coverage, tolerance, data)
    return await _answer(request, job, format, "claims-compare", data)


@router.get("/status", summary="Rows per table, inputs and quarantine")
async def get_status(request: Request) -> Response:
    """The same object as `talentflow status --json`, with the store's file name (not its path) in ``store``."""
    _only(request)
    return await _answer(request, service(request).status(), "json", "status")
