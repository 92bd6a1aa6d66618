"""The application: the API, the dashboard, offline API docs, and talentflow's errors as HTTP statuses."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from talentflow._version import __version__
from talentflow.errors import StoreError, TalentflowError, UsageError
from talentflow.web import api, dashboard
from talentflow.web._guard import Guard
from talentflow.web.queries import Limits, StoreService, TooLarge, Unavailable

log = logging.getLogger("talentflow.web")


def _docs_assets() -> Path | None:
    """Swagger UI and ReDoc as shipped by the fastapi-offline package, when it is installed."""
    try:
        folder = Path(str(resources.files("fastapi_offline") / "static"))
    except ModuleNotFoundError:
        return None
    return folder if (folder / "swagger-ui-bundle.js").exists() else None


#: Swagger UI with its start-up script in a file of its own: the Content-Security-Policy runs no inline script.
SWAGGER_PAGE = """<!DOCTYPE html>
<html>
<head>
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link type="text/css" rel="stylesheet" href="/static/docs/swagger-ui.css">
<link rel="shortcut icon" href="/static/docs/favicon.png">
<title>talentflow API</title>
</head>
<body>
<div id="swagger-ui"></div>
<script src="/static/docs/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body>
</html>
"""
SWAGGER_INIT = """SwaggerUIBundle({
  url: "/openapi.json", dom_id: "#swagger-ui", layout: "BaseLayout", deepLinking: true,
  showExtensions: true, showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""

#: Library parameters whose name in the API differs (``from`` is a Python keyword, ``set`` a builtin).
API_NAMES = {"start": "from", "end": "to", "options": "set"}


_PATH = re.compile(r"(?<![\w.:/])(?:/[^\s'\"/:,;()]+)+/([^\s'\"/:,;()]+)")
_PID = re.compile(r"\(?\bPID \d+\)?", re.IGNORECASE)


Rules = list[tuple[re.Pattern[str], str]]


def scrub(text: str, rules: Rules) -> str:
    """``text`` without the paths of this machine's files (each known one by its name, any other by its last part)
    and without process ids: an answer tells no one where files lie or which processes run."""
    for pattern, name in rules:
        text = pattern.sub(name, text)
    return _PID.sub("(another process)", _PATH.sub(r"\1", text))


def _rules(store: Path, snapshots: Path) -> Rules:
    """The snapshots' and the store's own paths, each said as the store's file name."""
    paths = [re.escape(str(snapshots)) + r"/snapshot-\d+\.duckdb", re.escape(str(store.absolute()))]
    paths.append(re.escape(str(store)))
    return [(re.compile(p + r"(?:\.wal)?"), store.name) for p in paths]


def detail(exc: TalentflowError, rules: Rules | None = None) -> str:
    """An error as the API says it: the query parameter at fault, then what is wrong with it."""
    text = f"{API_NAMES.get(exc.param, exc.param)}: {exc.message}" if exc.param else exc.message
    return scrub(text, rules or [])


def create_app(
    db_path: str | os.PathLike[str],
    *,
    limits: Limits | None = None,
    allow_hosts: Iterable[str] = (),
    snapshot_dir: str | os.PathLike[str] | None = None,
) -> FastAPI:
    """A read-only app over the store at ``db_path``, answering from snapshots of it (never writing it), within
    ``limits``, to requests naming loopback or one of ``allow_hosts`` as their Host."""
    assets = _docs_assets()
    app = FastAPI(
        title="talentflow",
        version=__version__,
        description="Read-only JSON API over a talentflow store: indicators, migration estimates, claims.",
        docs_url=None if assets else "/docs",
        redoc_url=None if assets else "/redoc",
    )
    service = StoreService(Path(db_path), limits, Path(snapshot_dir) if snapshot_dir else None)
    app.state.service = service
    app.add_middleware(Guard, allow_hosts=allow_hosts, query_bytes=service.limits.query_bytes)
    app.router.on_shutdown.append(service.close)
    known = _rules(Path(db_path), service.snapshots.folder)
    app.include_router(api.router)
    app.include_router(dashboard.router)

    if assets is not None:
        app.mount("/static/docs", StaticFiles(directory=assets), name="docs-assets")

        @app.get("/docs", include_in_schema=False)
        def swagger() -> HTMLResponse:
            return HTMLResponse(SWAGGER_PAGE)

        @app.get("/static/swagger-init.js", include_in_schema=False)
        def swagger_init() -> Response:
            return Response(SWAGGER_INIT, media_type="text/javascript")

        @app.get("/redoc", include_in_schema=False)
        def redoc() -> HTMLResponse:
            return get_redoc_html(
                openapi_url=app.openapi_url or "/openapi.json",
                title="talentflow API",
                redoc_js_url="/static/docs/redoc.standalone.js",
                redoc_favicon_url="/static/docs/favicon.png",
                with_google_fonts=False,
            )

    @app.exception_handler(UsageError)
    def usage_error(request: Request, exc: UsageError) -> JSONResponse:
        return JSONResponse({"detail": detail(exc, known)}, status_code=413 if isinstance(exc, TooLarge) else 422)

    @app.exception_handler(StoreError)
    def store_error(request: Request, exc: StoreError) -> JSONResponse:
        retry = exc.retry_after if isinstance(exc, Unavailable) else 5
        return JSONResponse({"detail": detail(exc, known)}, status_code=503, headers={"Retry-After": str(retry)})

    @app.exception_handler(TalentflowError)
    def other_error(request: Request, exc: TalentflowError) -> JSONResponse:
        return JSONResponse({"detail": detail(exc, known)}, status_code=500)

    @app.exception_handler(Exception)
    def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The traceback goes to the server's log, never into an answer.
        log.exception("unexpected error answering %s", request.url.path)
        return JSONResponse({"detail": "internal error; the server's log has the details"}, status_code=500)

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own checks (a number that is not one): one message naming each parameter, like ours.
        parts = []
        for e in exc.errors():
            loc = [str(p) for p in e.get("loc", ()) if p not in ("query", "path")]
            value = e.get("input")
            shown = f" (got {value!r})" if value is not None and not isinstance(value, dict) else ""
            parts.append(f"{'.'.join(loc) or 'request'}: {e.get('msg', 'invalid')}{shown}")
        return JSONResponse({"detail": "; ".join(parts)}, status_code=422)

    return app
