"""The ``talentflow`` command line: the top level that gathers the command groups.

Each group is a module-level Typer app in its own module; they share `_common` (consoles, options, errors,
row writing) and never import this module or each other. A new command goes into the module of its group,
or a new module added to the list below (docs/architecture.md).
"""

from __future__ import annotations

import signal
import sys
from typing import Annotated

import typer

from talentflow._version import __version__
from talentflow.cli import (
    claims,
    cluster,
    collect,
    fetch,
    impact,
    indicators,
    ingest,
    migration,
    reference,
    report,
    serve,
    simulate,
)
from talentflow.cli._common import out, say_interrupted
from talentflow.errors import Interrupted

app = typer.Typer(
    name="talentflow",
    help="Measure, explain and forecast tech-talent flight from job-board records.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)

# The order of the help's command list: the data flow, sources to outputs.
app.add_typer(ingest.app)
app.add_typer(collect.app, name="collect")
app.add_typer(fetch.app)
app.add_typer(reference.app, name="reference")
app.add_typer(simulate.app)
app.add_typer(indicators.app)
app.add_typer(cluster.app, name="cluster")
app.add_typer(migration.app, name="migration")
app.add_typer(impact.app, name="impact")
app.add_typer(claims.app, name="claims")
app.add_typer(report.app)
app.add_typer(serve.app)


def _version(value: bool) -> None:
    if value:
        out.print(f"talentflow {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """talentflow: reproducible indicators and migration estimates from job-board records."""


def main() -> None:
    # Ctrl-C outside a command (while the command line is built or its options parsed) is said as inside one;
    # typer turns it into exit code 130 without a word.
    try:
        app()
    except KeyboardInterrupt:
        say_interrupted(_BEFORE)
        sys.exit(Interrupted.exit_code)
    except SystemExit as exc:
        if exc.code == Interrupted.exit_code:
            say_interrupted(_BEFORE)
        raise
    finally:
        # The command has finished: an interrupt while the interpreter shuts down changes nothing, and would
        # otherwise end the process by SIGINT after its answer was given.
        signal.signal(signal.SIGINT, signal.SIG_IGN)


_BEFORE = "interrupted before the command began: nothing was done"
