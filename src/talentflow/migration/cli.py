"""``talentflow migration``: how many left, where to, how many came back — with intervals."""

# No ``from __future__ import annotations``: typer reads the option annotations of the nested command at run time.
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from talentflow._output import write_rows
from talentflow.errors import UsageError
from talentflow.migration.panel import Population
from talentflow.migration.results import MigrationResult
from talentflow.migration.run import DEFAULT_POPULATION, METHODS, STOCK_METHODS, Request, month_of, run
from talentflow.migration.run import stocks as run_stocks
from talentflow.store import ENV_DB, Store

DbOption = Annotated[
    Path | None,
    typer.Option("--db", envvar=ENV_DB, help="Store file [default: ./talentflow.duckdb].", show_default=False),
]
FORMATS = ("table", "csv", "parquet", "json")

EPILOG = """
**Examples**

    talentflow migration --method panel --from 2022-01 --to 2022-12 --population 1016000 --population-month 2021-12
    talentflow migration --method panel --naive --format json
    talentflow migration --method excess --from 2022Q2 --to 2023Q1 --format csv --output excess.csv
    talentflow migration --method excess --economy GE --economy AM --control DE --control US --control GB
    talentflow migration --method stocks --stocks stocks-2020.csv --stocks stocks-2022.csv --stock-method beine-parsons
    talentflow migration --method nowcast --from 2022-01 --to 2022-12 --format json
"""


def register(app: typer.Typer, command: Callable[[Callable[..., None]], Callable[..., None]]) -> None:
    """Add ``talentflow migration`` to ``app``; ``command`` maps talentflow errors to exit codes."""
    from talentflow.cli import err, out

    @app.command("migration", epilog=EPILOG)
    @command
    def migration_cmd(
        method: Annotated[str, typer.Option(help=f"{', '.join(METHODS)}.")] = "panel",
        origin: Annotated[str, typer.Option(help="The country people leave (ISO2).")] = "RU",
        start: Annotated[
            str | None, typer.Option("--from", help="First month (YYYY-MM), or quarter for excess (2022Q2).")
        ] = None,
        end: Annotated[str | None, typer.Option("--to", help="Last month (YYYY-MM), or quarter for excess.")] = None,
        level: Annotated[float, typer.Option(help="Coverage of the intervals.")] = 0.9,
        seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
        population: Annotated[
            float | None,
            typer.Option(help="IT workers of the origin, home and abroad, to scale the panel to [default: 1e6]."),
        ] = None,
        population_month: Annotated[
            str | None, typer.Option(help="Month (YYYY-MM) the population count is for [default: 2021-12].")
        ] = None,
        population_source: Annotated[str, typer.Option(help="Where the population count comes from.")] = "given",
        population_cv: Annotated[float, typer.Option(help="Relative standard error of the population.")] = 0.0,
        n_boot: Annotated[int, typer.Option(help="Bootstrap replicates of the panel.")] = 100,
        naive: Annotated[bool, typer.Option(help="Panel: count only the moves seen, without the model.")] = False,
        economy: Annotated[list[str] | None, typer.Option(help="Excess: a destination economy (repeatable).")] = None,
        control: Annotated[list[str] | None, typer.Option(help="Excess: a control economy (repeatable).")] = None,
        stocks: Annotated[
            list[Path] | None, typer.Option(help="Stocks: a long-form stock table CSV; give two, t0 then t1.")
        ] = None,
        stock_method: Annotated[str, typer.Option(help=f"Stocks: {', '.join(STOCK_METHODS)}.")] = "demographic",
        stayers: Annotated[str, typer.Option(help="Stocks, demographic: max, none or a weight in [0, 1].")] = "max",
        format: Annotated[str, typer.Option("--format", "-f", help=f"{', '.join(FORMATS)}.")] = "table",
        output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
        db: DbOption = None,
    ) -> None:
        """Emigration and return flows with intervals: from resume sightings (panel), bilateral stock tables
        (stocks), developer accounts (excess), or all of them and the published claims pooled (nowcast)."""
        if format not in FORMATS:
            raise UsageError(f"unknown format {format!r}; choose one of: {', '.join(FORMATS)}")
        if format == "parquet" and output is None:
            raise UsageError("--format parquet needs --output FILE")
        req = Request(
            method=method,
            origin=origin.strip().upper(),
            start=start,
            end=end,
            level=level,
            seed=seed,
            population=_population(population, population_month, population_source, population_cv),
            n_boot=n_boot,
            naive=naive,
            stocks=tuple(stocks or ()),
            stock_method=stock_method,
            stock_options={"stayers": _stayers(stayers)},
        )
        if economy:
            req.economies = tuple(e.strip().upper() for e in economy)
        if control:
            req.controls = tuple(c.strip().upper() for c in control)
        if method == "stocks":  # stock tables come from files: no store to open
            result = run_stocks(req)
        else:
            with Store(db, read_only=True) as store, err.status(f"estimating ({method})…"):
                result = run(store, req)
        _write(result, format, output, out)
        for note in result.notes:
            err.print(f"[yellow]note[/]: {note}", soft_wrap=True, highlight=False)


def _population(count: float | None, month: str | None, source: str, cv: float) -> Population:
    if count is None and month is None:
        return DEFAULT_POPULATION if cv == 0 else replace(DEFAULT_POPULATION, cv=cv)
    return Population(
        count if count is not None else DEFAULT_POPULATION.count,
        month_of(month, DEFAULT_POPULATION.month, "--population-month"),
        source,
        cv,
    )


def _stayers(text: str) -> str | float:
    if text in ("max", "none"):
        return text
    try:
        w = float(text)
    except ValueError:
        raise UsageError(f"--stayers: expected max, none or a weight in [0, 1], got {text!r}") from None
    if not 0 <= w <= 1:
        raise UsageError(f"--stayers: a weight lies in [0, 1], not {w}")
    return w


def _write(result: MigrationResult, format: str, output: Path | None, out: Console) -> None:
    title = f"migration: {result.method} ({result.level:.0%} intervals)"
    write_rows(result.to_frame(), result.records(), format, output, out, title=title, text=result.summary())
