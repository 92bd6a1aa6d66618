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

The store is opened read-only. The server listens on loopback unless told otherwise: it has no authentication,
so give `--host 0.0.0.0` only on a network you trust.
"""


@app.command("serve", cls=Command, epilog=EPILOG)
def serve_cmd(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    db: DbOption = None,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "info",
) -> None:
    """Serve a read-only JSON API over the store, and a dashboard, with uvicorn."""
    import uvicorn

    from talentflow.web import create_app

    path = db or default_path()
    web = create_app(path)
    if host not in ("127.0.0.1", "localhost", "::1"):
        note(f"listening on {host}: anyone who reaches it can read the store")
    err.print(f"serving {path} (read-only) at http://{host}:{port}/", highlight=False)
    uvicorn.run(web, host=host, port=port, log_level=log_level)
