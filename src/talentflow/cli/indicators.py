"""``talentflow indicators``: list the indicators, or compute one and print or write it."""

from __future__ import annotations

from typing import Annotated

import typer

from talentflow.cli._common import (
    Command,
    DataOption,
    DbOption,
    FormatOption,
    OutputOption,
    check_output,
    note,
    write_rows,
)
from talentflow.indicators.params import DEFAULT_MIN_CELL, DEFAULT_SPARK_MASTER, ENGINES

app = typer.Typer()

EPILOG = """
**Examples**

    talentflow indicators list --format json
    talentflow indicators vacancies_active --period month --by country --from 2022-01-01 --to 2022-12-31
    talentflow indicators tension --by is_it=true --data simulated
    talentflow indicators tension --by is_it=true --by country=RU,KZ --format csv --output tension.csv
    talentflow indicators salary --by country --set currency=USD --set basis=net --format json
    talentflow indicators postings_index --set base=2022-02-01 --engine spark
    talentflow indicators population_growth --by country=GE,AM,RU --set lag=8 --min-cell 0
"""


@app.command("indicators", cls=Command, epilog=EPILOG)
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
    format: FormatOption = "table",
    output: OutputOption = None,
    engine: Annotated[str, typer.Option(help=f"{' or '.join(ENGINES)}.")] = "duckdb",
    spark_master: Annotated[str, typer.Option(help="Spark master URL.")] = DEFAULT_SPARK_MASTER,
    min_cell: Annotated[int, typer.Option(help="Suppress cells counting fewer records.")] = DEFAULT_MIN_CELL,
    options: Annotated[list[str] | None, typer.Option("--set", help="Indicator option KEY=VALUE (see `list`).")] = None,
    data: DataOption = "real",
    db: DbOption = None,
) -> None:
    """Job-market indicators by period and segment, on DuckDB or Spark, from real data or (--data simulated) the
    simulator's; `list` shows them."""
    import pandas as pd

    from talentflow.indicators import compute
    from talentflow.indicators._compute import request
    from talentflow.indicators.registry import catalog

    if name == "list":
        rows = catalog()
        short = [{"name": r["name"], "description": r["description"]} for r in rows]
        write_rows(pd.DataFrame(short), rows if format == "json" else short, format, output, title="Indicators")
        return
    params = request(
        name, period=period, by=by or [], start=start, end=end, min_cell=min_cell, options=options or [], data=data
    )
    check_output(format, output)
    result = compute(name, params, db=db, engine=engine, spark_master=spark_master)
    write_rows(result.frame, result.records(), format, output, title=f"{result.indicator} ({result.engine})")
    for text in result.notes:
        note(text)
