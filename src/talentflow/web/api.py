"""The JSON API: the same parameters and rows as the CLI's ``--format json`` (see docs/web.md)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from talentflow.claims._terms import DEFAULT_TOLERANCE
from talentflow.errors import UsageError
from talentflow.indicators._compute import request as indicator_request
from talentflow.indicators.params import DEFAULT_MIN_CELL, PERIODS
from talentflow.indicators.provenance import DEFAULT_DATA, check_data
from talentflow.indicators.registry import REGISTRY, catalog
from talentflow.migration.requests import ExcessRequest, NowcastRequest, PanelRequest
from talentflow.web.queries import Answer, Job, StoreService, TooLarge

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


async def _answer(request: Request, job: Job, format: str, filename: str) -> Response:
    answer, hit = await service(request).answer(job, _check_format(format))
    return _respond(answer, hit, format, filename)


def _respond(answer: Answer, hit: bool, format: str, filename: str) -> Response:
    headers = {"X-Talentflow-Cache": "hit" if hit else "miss"}
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
    return await _answer(request, service(request).indicator(name, params), format, name)


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
        int | None, Query(description="Bootstrap replicates [default: the method's, 100 or 2000 for excess]")
    ] = None,
    seed: Annotated[int, Query(description="Seed of the bootstrap")] = 0,
    level: Annotated[float, Query(description="Coverage of the intervals")] = 0.9,
    data: Annotated[
        str, Query(description=DATA_HELP + " (excess: real only)", json_schema_extra=_one_of(DATA))
    ] = DEFAULT_DATA,
    format: Annotated[str, Query(description="json (rows) or csv", json_schema_extra=_one_of(FORMATS))] = "json",
) -> Response:
    """The same rows as `talentflow migration METHOD --format json` (the population is the CLI's default)."""
    _only(request, "method", "origin", "from", "to", "n_boot", "seed", "level", "data", "format")
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
    else:
        given["data"] = data
    wanted = kind(origin=origin, level=level, seed=seed, **{k: v for k, v in given.items() if v is not None})
    return await _answer(request, service(request).migration(wanted), format, f"migration-{method}")


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
    return await _answer(request, service(request).compare(coverage, tolerance, data), format, "claims-compare")


@router.get("/status", summary="Rows per table, inputs and quarantine")
async def get_status(request: Request) -> Response:
    """The same object as `talentflow status --json`, with the store's file name (not its path) in ``store``."""
    _only(request)
    return await _answer(request, service(request).status(), "json", "status")
