"""``talentflow serve``: the JSON API and the dashboard on a local port."""

from __future__ import annotations

from typing import Annotated

import typer

from talentflow.cli._common import Command, DbOption, err, note
from talentflow.store import default_path

app = typer.Typer()

EPILOG = """
**Examples**

    talentflow serve                      # http://127.0.0.1:8000/ (dashboard), /docs (API)
    talentflow serve --db demo/talentflow.duckdb --port 8080
    curl 'http://127.0.0.1:8000/api/indicators/tension?by=is_it=true&from=2022-01-01'

    talentflow serve --host 0.0.0.0 --allow-host myhost.lan --time-limit 120

The server answers from a private copy of the store, taken again after each ingest, so `talentflow ingest` can
write while it runs. It listens on loopback unless told otherwise and has no authentication, so give
`--host 0.0.0.0` only on a network you trust; it answers only requests whose Host is loopback, the --host
address, or a name given with --allow-host.
"""


@app.command("serve", cls=Command, epilog=EPILOG)
def serve_cmd(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    db: DbOption = None,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "info",
    allow_host: Annotated[
        list[str] | None,
        typer.Option(help="Also answer requests naming this host (repeatable); loopback names always.", metavar="NAME"),
    ] = None,
    time_limit: Annotated[
        float, typer.Option(help="Seconds a request may take before it is answered 503.", min=1, max=3600)
    ] = 60.0,
    cache_mb: Annotated[int, typer.Option(help="Megabytes of answers kept in memory.", min=1, max=65536)] = 128,
) -> None:
    """Serve a read-only JSON API over the store, and a dashboard, with uvicorn."""
    import uvicorn

    from talentflow.web import create_app
    from talentflow.web.queries import Limits

    path = db or default_path()
    names = list(allow_host or [])
    if host not in ("0.0.0.0", "::", ""):
        names.append(host)  # the address it listens on is a name it answers to
    limits = Limits(seconds=time_limit, cache_bytes=cache_mb * 1024 * 1024)
    web = create_app(path, limits=limits, allow_hosts=names)
    if host not in ("127.0.0.1", "localhost", "::1"):
        note(f"listening on {host}: anyone who reaches it can read the store")
    err.print(f"serving {path} (read-only) at http://{host}:{port}/", highlight=False)
    uvicorn.run(web, host=host, port=port, log_level=log_level)
