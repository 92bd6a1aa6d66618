"""``talentflow cluster``: a standalone Spark cluster on this machine (a master and workers on loopback), for
``talentflow indicators --engine spark --spark-master spark://127.0.0.1:7077``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from talentflow.cli._common import Command, JsonOption, out, print_json
from talentflow.indicators._cluster import DEFAULT_DIR, DEFAULT_PORT, DEFAULT_UI_PORT, Layout

app = typer.Typer(
    help="A standalone Spark cluster on this machine: a master and workers, each its own process on loopback.",
    no_args_is_help=True,
)

DirOption = Annotated[Path, typer.Option("--dir", help="Folder of the cluster's pid files, logs and work files.")]
PortOption = Annotated[int, typer.Option("--port", help="The master's port (spark://127.0.0.1:PORT).")]
UiPortOption = Annotated[int, typer.Option("--ui-port", help="The master's web UI port; worker i's UI is on PORT + i.")]


def _say(result: dict[str, Any], as_json: bool, text: str) -> None:
    if as_json:
        print_json(result)
    else:
        out.print(text, highlight=False)


@app.command(
    "up",
    cls=Command,
    epilog="""
**Examples**

    talentflow cluster up
    talentflow cluster up --workers 2 --cores 1 --memory 1g --json
    talentflow indicators tension --engine spark --spark-master spark://127.0.0.1:7077
""",
)
def up_cmd(
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    cores: Annotated[int, typer.Option(help="Cores each worker offers.")] = 1,
    memory: Annotated[str, typer.Option(help="Memory each worker offers (e.g. 512m, 1g).")] = "1g",
    folder: DirOption = DEFAULT_DIR,
    port: PortOption = DEFAULT_PORT,
    ui_port: UiPortOption = DEFAULT_UI_PORT,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for every worker to register.")] = 90.0,
    as_json: JsonOption = False,
) -> None:
    """Start a master and its workers (unless they run), and wait until the master counts every worker ALIVE."""
    from talentflow.indicators._cluster import up

    layout = Layout(folder, port, ui_port, workers, cores, memory)
    result = up(layout, timeout=timeout)
    text = f"{result['master']}: {result['workers_alive']} workers ALIVE, {result['cores']} cores; UI {result['ui']}"
    _say(result, as_json, text)


@app.command(
    "status",
    cls=Command,
    epilog="""
**Examples**

    talentflow cluster status
    talentflow cluster status --dir .spark-cluster --json
""",
)
def status_cmd(
    folder: DirOption = DEFAULT_DIR,
    port: PortOption = DEFAULT_PORT,
    ui_port: UiPortOption = DEFAULT_UI_PORT,
    as_json: JsonOption = False,
) -> None:
    """Whether the master answers, how many workers it counts ALIVE, and which of the processes run."""
    from talentflow.indicators._cluster import status

    result = status(Layout(folder, port, ui_port))
    state = f"up, {result['workers_alive']} workers ALIVE" if result["running"] else "not running"
    _say(result, as_json, f"{result['master']}: {state}")


@app.command(
    "down",
    cls=Command,
    epilog="""
**Examples**

    talentflow cluster down
    talentflow cluster down --dir .spark-cluster --json
""",
)
def down_cmd(folder: DirOption = DEFAULT_DIR, as_json: JsonOption = False) -> None:
    """Stop the processes `up` started (by the ids in the folder's pid files), workers first."""
    from talentflow.indicators._cluster import down

    result = down(Layout(folder))
    _say(result, as_json, f"stopped {len(result['stopped'])} processes")
