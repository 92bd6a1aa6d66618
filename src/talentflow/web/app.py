"""The application: the API, the dashboard, offline API docs, and talentflow's errors as HTTP statuses."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from talentflow._version import __version__
from talentflow.errors import StoreError, TalentflowError, UsageError
from talentflow.web import api, dashboard
from talentflow.web.cache import DEFAULT_SIZE
from talentflow.web.queries import StoreService


def _docs_assets() -> Path | None:
    """Swagger UI and ReDoc as shipped by the fastapi-offline package, when it is installed."""
    try:
        folder = Path(str(resources.files("fastapi_offline") / "static"))
    except ModuleNotFoundError:
        return None
    return folder if (folder / "swagger-ui-bundle.js").exists() else None


#: Library parameters whose name in the API differs (``from`` is a Python keyword, ``set`` a builtin).
API_NAMES = {"start": "from", "end": "to", "options": "set"}


def detail(exc: TalentflowError) -> str:
    """An error as the API says it: the query parameter at fault, then what is wrong with it."""
    return f"{API_NAMES.get(exc.param, exc.param)}: {exc.message}" if exc.param else exc.message


def create_app(db_path: str | os.PathLike[str], *, cache_size: int = DEFAULT_SIZE) -> FastAPI:
    """A read-only app over the store at ``db_path`` (opened read-only, never written)."""
    assets = _docs_assets()
    app = FastAPI(
        title="talentflow",
        version=__version__,
        description="Read-only JSON API over a talentflow store: indicators, migration estimates, claims.",
        docs_url=None if assets else "/docs",
        redoc_url=None if assets else "/redoc",
    )
    app.state.service = StoreService(Path(db_path), cache_size=cache_size)
    app.include_router(api.router)
    app.include_router(dashboard.router)

    if assets is not None:
        app.mount("/static/docs", StaticFiles(directory=assets), name="docs-assets")

        @app.get("/docs", include_in_schema=False)
        def swagger() -> HTMLResponse:
            return get_swagger_ui_html(
                openapi_url=app.openapi_url or "/openapi.json",
                title="talentflow API",
                swagger_js_url="/static/docs/swagger-ui-bundle.js",
                swagger_css_url="/static/docs/swagger-ui.css",
                swagger_favicon_url="/static/docs/favicon.png",
            )

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
        return JSONResponse({"detail": detail(exc)}, status_code=422)

    @app.exception_handler(StoreError)
    def store_error(request: Request, exc: StoreError) -> JSONResponse:
        return JSONResponse({"detail": detail(exc)}, status_code=503)

    @app.exception_handler(TalentflowError)
    def other_error(request: Request, exc: TalentflowError) -> JSONResponse:
        return JSONResponse({"detail": detail(exc)}, status_code=500)

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
