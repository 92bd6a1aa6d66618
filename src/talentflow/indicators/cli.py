"""``talentflow indicators``: list the indicators, or compute one and print or write it."""

# No ``from __future__ import annotations``: typer reads the option annotations of the nested command at run time.
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from talentflow._output import emit, write_rows
from talentflow.errors import UsageError
from talentflow.indicators.compute import Result, compute, indicator
from talentflow.indicators.engines import DEFAULT_SPARK_MASTER, ENGINES
from talentflow.indicators.params import DEFAULT_MIN_CELL, Params, Segment, parse_date, parse_options
from talentflow.indicators.registry import catalog
from talentflow.store import ENV_DB

DbOption = Annotated[
    Path | None,
    typer.Option("--db", envvar=ENV_DB, help="Store file [default: ./talentflow.duckdb].", show_default=False),
]

FORMATS = ("table", "csv", "parquet", "json")

EPILOG = """
**Examples**

    talentflow indicators list --format json
    talentflow indicators vacancies_active --period month --by country --from 2022-01-01 --to 2022-12-31
    talentflow indicators tension --by is_it=true --by country=RU,KZ --format csv --output tension.csv
    talentflow indicators salary --by country --set currency=USD --set basis=net --format json
    talentflow indicators postings_index --set base=2022-02-01 --engine spark
    talentflow indicators population_growth --by country=GE,AM,RU --set lag=8 --min-cell 0
"""


def register(app: typer.Typer, command: Callable[[Callable[..., None]], Callable[..., None]]) -> None:
    """Add ``talentflow indicators`` to ``app``; ``command`` maps talentflow errors to exit codes."""
    from talentflow.cli import err, out

    @app.command("indicators", epilog=EPILOG)
    @command
    def indicators_cmd(
        name: Annotated[str, typer.Argument(help="An indicator, or `list` to list them.")],
        period: Annotated[
            str | None, typer.Option(help="day, week, month or quarter [default: the indicator's own].")
        ] = None,
        by: Annotated[
            list[str] | None,
            typer.Option(help="Segment, or SEGMENT=VALUE[,VALUE] to keep only those (repeatable)."),
        ] = None,
        start: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
        end: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
        format: Annotated[str, typer.Option("--format", "-f", help=f"{', '.join(FORMATS)}.")] = "table",
        output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
        engine: Annotated[str, typer.Option(help=f"{' or '.join(ENGINES)}.")] = "duckdb",
        spark_master: Annotated[str, typer.Option(help="Spark master URL.")] = DEFAULT_SPARK_MASTER,
        min_cell: Annotated[int, typer.Option(help="Suppress cells counting fewer records.")] = DEFAULT_MIN_CELL,
        set_: Annotated[
            list[str] | None, typer.Option("--set", help="Indicator option KEY=VALUE (see `list`).")
        ] = None,
        db: DbOption = None,
    ) -> None:
        """Job-market indicators by period and segment, on DuckDB or Spark; `list` shows them."""
        if format not in FORMATS:
            raise UsageError(f"unknown format {format!r}; choose one of: {', '.join(FORMATS)}")
        if name == "list":
            _print_list(format, output, out)
            return
        ind = indicator(name)
        params = Params(
            period=period or ind.default_period,
            by=tuple(Segment.parse(b) for b in by or []),
            start=parse_date(start, "--from"),
            end=parse_date(end, "--to"),
            min_cell=min_cell,
            options=parse_options(set_ or []),
        )
        if format == "parquet" and output is None:
            raise UsageError("--format parquet needs --output FILE")
        result = compute(name, params, db=db, engine=engine, spark_master=spark_master)
        _write(result, format, output, out)
        for note in result.notes:
            err.print(f"[yellow]note[/]: {note}", soft_wrap=True, highlight=False)


def _print_list(format: str, output: Path | None, out: Console) -> None:
    rows = catalog()
    if format == "json":
        emit(json.dumps(rows, ensure_ascii=False), output)
        return
    if format != "table":
        raise UsageError("indicators list prints a table or JSON (--format json)")
    table = Table(title="Indicators", title_justify="left")
    table.add_column("name")
    table.add_column("description")
    for row in rows:
        table.add_row(row["name"], row["description"])
    out.print(table)


def _write(result: Result, format: str, output: Path | None, out: Console) -> None:
    title = f"{result.indicator} ({result.engine})"
    write_rows(result.frame, result.records(), format, output, out, title=title)
