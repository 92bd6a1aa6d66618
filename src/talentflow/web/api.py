"""The JSON API: the same parameters and rows as the CLI's ``--format json`` (see docs/web.md)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from talentflow.claims._terms import DEFAULT_TOLERANCE
from talentflow.errors import UsageError
from talentflow.indicators._compute import request as indicator_request
from talentflow.indicators.params import DEFAULT_MIN_CELL
from talentflow.indicators.provenance import DEFAULT_DATA, check_data
from talentflow.indicators.registry import catalog
from talentflow.migration.requests import ExcessRequest, NowcastRequest, PanelRequest
from talentflow.web.queries import Payload, StoreService

FORMATS = ("json", "csv")
#: Migration methods the server runs: ``stocks`` reads stock tables from files, not the store.
MIGRATION = {"panel": PanelRequest, "excess": ExcessRequest, "nowcast": NowcastRequest}
#: Upper bound on the bootstrap replicates a request may ask for: each one refits the panel (the excess
#: bootstrap is cheap).
MAX_N_BOOT = {"panel": 1000, "nowcast": 1000, "excess": 10_000}

router = APIRouter(prefix="/api")

DATA_HELP = "real (observed records) or simulated (the simulator's); never both"


def service(request: Request) -> StoreService:
    return request.app.state.service


def _only(request: Request, *allowed: str) -> None:
    """Refuse parameters the endpoint does not know: a typo must not be silently ignored."""
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        raise UsageError(f"unknown parameter; this endpoint takes: {', '.join(allowed)}", param=unknown[0])


def _respond(payload: Payload, hit: bool, format: str, filename: str) -> Response:
    if format not in FORMATS:
        raise UsageError(f"unknown format {format!r}; choose one of: {', '.join(FORMATS)}", param="format")
    headers = {"X-Talentflow-Cache": "hit" if hit else "miss"}
    if payload.notes:
        headers["X-Talentflow-Notes"] = json.dumps(payload.notes)  # ASCII: a header must be latin-1
    if format == "csv":
        headers["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return Response(payload.csv, media_type="text/csv; charset=utf-8", headers=headers)
    return Response(payload.json, media_type="application/json", headers=headers)


@router.get("/indicators", summary="The indicators, their periods, segments and options")
def list_indicators(request: Request) -> JSONResponse:
    """The same rows as `talentflow indicators list --format json`."""
    _only(request)
    return JSONResponse(catalog())


@router.get("/indicators/{name}", summary="One indicator by period and segment")
async def get_indicator(
    request: Request,
    name: str,
    period: Annotated[str | None, Query(description="day, week, month or quarter [default: the indicator's]")] = None,
    by: Annotated[list[str] | None, Query(description="SEGMENT or SEGMENT=VALUE[,VALUE] (repeatable)")] = None,
    from_: Annotated[str | None, Query(alias="from", description="First day (YYYY-MM-DD)")] = None,
    to: Annotated[str | None, Query(description="Last day (YYYY-MM-DD)")] = None,
    min_cell: Annotated[int, Query(description="Suppress cells counting fewer records")] = DEFAULT_MIN_CELL,
    set_: Annotated[list[str] | None, Query(alias="set", description="Option KEY=VALUE (repeatable)")] = None,
    data: Annotated[str, Query(description=DATA_HELP)] = DEFAULT_DATA,
    format: Annotated[str, Query(description="json (rows) or csv")] = "json",
) -> Response:
    """The same rows as `talentflow indicators NAME --format json` with the same options."""
    _only(request, "period", "by", "from", "to", "min_cell", "set", "data", "format")
    params = indicator_request(
        name, period=period, by=by or [], start=from_, end=to, min_cell=min_cell, options=set_ or [], data=data
    )
    svc = service(request)
    payload, hit = await svc.answer(svc.indicator(name, params))
    return _respond(payload, hit, format, name)


@router.get("/migration", summary="Emigration and return flows with intervals")
async def get_migration(
    request: Request,
    method: Annotated[str, Query(description="panel, excess or nowcast")] = "panel",
    origin: Annotated[str, Query(description="Origin country (ISO2)")] = "RU",
    from_: Annotated[str | None, Query(alias="from", description="First month (YYYY-MM), or quarter")] = None,
    to: Annotated[str | None, Query(description="Last month (YYYY-MM), or quarter for excess (2023Q1)")] = None,
    n_boot: Annotated[
        int | None, Query(description="Bootstrap replicates [default: the method's, 100 or 2000 for excess]")
    ] = None,
    seed: Annotated[int, Query(description="Seed of the bootstrap")] = 0,
    level: Annotated[float, Query(description="Coverage of the intervals")] = 0.9,
    data: Annotated[str, Query(description=DATA_HELP + " (excess: real only)")] = DEFAULT_DATA,
    format: Annotated[str, Query(description="json (rows) or csv")] = "json",
) -> Response:
    """The same rows as `talentflow migration METHOD --format json` (the population is the CLI's default)."""
    _only(request, "method", "origin", "from", "to", "n_boot", "seed", "level", "data", "format")
    kind = MIGRATION.get(method)
    if kind is None:
        extra = " (stocks reads stock-table files: use the CLI)" if method == "stocks" else ""
        raise UsageError(f"unknown method {method!r}; choose one of: {', '.join(MIGRATION)}{extra}", param="method")
    if n_boot is not None and not 1 <= n_boot <= MAX_N_BOOT[method]:
        raise UsageError(f"must be between 1 and {MAX_N_BOOT[method]}, not {n_boot}", param="n_boot")
    given: dict[str, Any] = {"start": from_, "end": to, "n_boot": n_boot}
    if kind is ExcessRequest:
        if check_data(data) != "real":
            raise UsageError("excess reads the GitHub Innovation Graph, published real data only", param="data")
    else:
        given["data"] = data
    wanted = kind(origin=origin, level=level, seed=seed, **{k: v for k, v in given.items() if v is not None})
    svc = service(request)
    payload, hit = await svc.answer(svc.migration(wanted))
    return _respond(payload, hit, format, f"migration-{method}")


@router.get("/claims", summary="The published claims in the store")
async def get_claims(
    request: Request,
    metric: Annotated[str | None, Query(description="Only claims about this metric")] = None,
    format: Annotated[str, Query(description="json (rows) or csv")] = "json",
) -> Response:
    """The same rows as `talentflow claims list --format json`."""
    _only(request, "metric", "format")
    svc = service(request)
    payload, hit = await svc.answer(svc.claims(metric))
    return _respond(payload, hit, format, "claims")


@router.get("/claims/compare", summary="Each claim beside talentflow's estimate")
async def get_compare(
    request: Request,
    coverage: Annotated[float, Query(description="Share of the market the board records hold")] = 1.0,
    tolerance: Annotated[float, Query(description="Relative margin around a single-value claim")] = DEFAULT_TOLERANCE,
    data: Annotated[str, Query(description=DATA_HELP)] = DEFAULT_DATA,
    format: Annotated[str, Query(description="json (rows) or csv")] = "json",
) -> Response:
    """The same rows as `talentflow claims compare --format json`."""
    _only(request, "coverage", "tolerance", "data", "format")
    svc = service(request)
    payload, hit = await svc.answer(svc.compare(coverage, tolerance, data))
    return _respond(payload, hit, format, "claims-compare")


@router.get("/status", summary="Rows per table, inputs and quarantine")
def get_status(request: Request) -> Any:
    """The same object as `talentflow status --json`."""
    _only(request)
    return service(request).status()
