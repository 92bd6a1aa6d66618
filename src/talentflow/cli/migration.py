"""``talentflow migration panel|stocks|excess|nowcast``: how many left, where to, how many came back — with
intervals. Each method is a subcommand with only its own options; the old ``--method`` form still works for one
release and says what replaces it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer._click.core import ParameterSource  # Typer's own Click (see cli/_common.py)
from typer._click.exceptions import UsageError as ClickUsageError

from talentflow.cli._common import (
    Command,
    DbOption,
    FormatOption,
    OutputOption,
    check_output,
    deprecated,
    err,
    fail,
    note,
    write_rows,
)
from talentflow.errors import TalentflowError, UsageError
from talentflow.migration.requests import (
    CONTROLS,
    DEFAULT_POPULATION,
    DESTINATIONS,
    METHODS,
    STOCK_ESTIMATORS,
    ExcessRequest,
    NowcastRequest,
    PanelRequest,
    Population,
    Request,
    StocksRequest,
)
from talentflow.store import ENV_DB, Store

if TYPE_CHECKING:
    from talentflow.migration.results import MigrationResult

app = typer.Typer(
    help="Emigration and return flows with intervals: from resume sightings (panel), bilateral stock tables "
    "(stocks), developer accounts (excess), or all of them and the published claims pooled (nowcast).",
    invoke_without_command=True,
)

OriginOption = Annotated[str, typer.Option(help="The country people leave (ISO2).")]
LevelOption = Annotated[float, typer.Option(help="Coverage of the intervals.")]
SeedOption = Annotated[int, typer.Option(help="Seed of the bootstrap.")]
MonthFrom = Annotated[str, typer.Option("--from", help="First month (YYYY-MM).")]
MonthTo = Annotated[str, typer.Option("--to", help="Last month (YYYY-MM).")]
PanelBoot = Annotated[int, typer.Option(help="Bootstrap replicates of the panel.")]
PopulationOption = Annotated[
    float | None,
    typer.Option(
        help="IT workers of the origin, home and abroad, that the board's profiles are scaled to "
        f"[default: {DEFAULT_POPULATION.count:,.0f}, {DEFAULT_POPULATION.source}]."
    ),
]
PopulationMonth = Annotated[
    str | None,
    typer.Option(help=f"Month (YYYY-MM) the population count is for [default: {DEFAULT_POPULATION.month}]."),
]
PopulationSource = Annotated[str | None, typer.Option(help="Where the population count comes from [default: given].")]
PopulationCv = Annotated[
    float | None,
    typer.Option(
        help="Relative standard error of the population count "
        f"[default: {DEFAULT_POPULATION.cv} for the default population, 0 for a count given]."
    ),
]

_PANEL = PanelRequest()
_EXCESS = ExcessRequest()
_STOCKS_N_BOOT = 200


def _population(count: float | None, month: str | None, source: str | None, cv: float | None) -> Population:
    """The population asked for. Without a count or a month, the default one (about a million, cv 10%); a count
    the user gives is exact unless a cv is given too."""
    if count is None and month is None:
        if cv is None:
            return DEFAULT_POPULATION
        return Population(DEFAULT_POPULATION.count, DEFAULT_POPULATION.month, DEFAULT_POPULATION.source, cv)
    return Population(
        count if count is not None else DEFAULT_POPULATION.count,
        month if month is not None else DEFAULT_POPULATION.month,
        source or "given",
        cv if cv is not None else 0.0,
    )


def _run(request: Request, db: Path | None, format: str, output: Path | None) -> None:
    from talentflow.migration import estimate

    check_output(format, output)
    if isinstance(request, StocksRequest):  # stock tables come from files: no store to open
        result = estimate(request)
    else:
        with Store(db, read_only=True) as store, err.status(f"estimating ({request.method})…"):
            result = estimate(request, store)
    _write(result, format, output)


def _write(result: MigrationResult, format: str, output: Path | None) -> None:
    title = f"migration: {result.method} ({result.level:.0%} intervals)"
    write_rows(result.to_frame(), result.records(), format, output, title=title, text=result.summary())
    for text in result.notes:
        note(text)


@app.command(
    "panel",
    cls=Command,
    epilog="""
**Examples**

    talentflow migration panel --from 2022-01 --to 2022-12 --population 1016000 --population-month 2021-12
    talentflow migration panel --naive --format json
""",
)
def panel_cmd(
    origin: OriginOption = _PANEL.origin,
    start: MonthFrom = _PANEL.start,
    end: MonthTo = _PANEL.end,
    level: LevelOption = _PANEL.level,
    seed: SeedOption = _PANEL.seed,
    n_boot: PanelBoot = _PANEL.n_boot,
    population: PopulationOption = None,
    population_month: PopulationMonth = None,
    population_source: PopulationSource = None,
    population_cv: PopulationCv = None,
    naive: Annotated[bool, typer.Option(help="Count only the moves seen, without the model.")] = False,
    format: FormatOption = "table",
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """Flows from resume sightings: a hidden Markov model of where each person lives, fitted by EM, scaled to
    the population, with a bootstrap over people."""
    pop = _population(population, population_month, population_source, population_cv)
    request = PanelRequest(
        origin=origin, start=start, end=end, level=level, seed=seed, n_boot=n_boot, population=pop, naive=naive
    )
    _run(request, db, format, output)


@app.command(
    "nowcast",
    cls=Command,
    epilog="""
**Examples**

    talentflow migration nowcast --from 2022-01 --to 2022-12 --format json
""",
)
def nowcast_cmd(
    origin: OriginOption = _PANEL.origin,
    start: MonthFrom = _PANEL.start,
    end: MonthTo = _PANEL.end,
    level: LevelOption = _PANEL.level,
    seed: SeedOption = _PANEL.seed,
    n_boot: PanelBoot = _PANEL.n_boot,
    population: PopulationOption = None,
    population_month: PopulationMonth = None,
    population_source: PopulationSource = None,
    population_cv: PopulationCv = None,
    format: FormatOption = "table",
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """Net and gross emigration pooled from the panel, the developer-account shortfall and the claims in the
    ledger, each with its own bias and coverage, into one estimate with an interval."""
    pop = _population(population, population_month, population_source, population_cv)
    request = NowcastRequest(origin=origin, start=start, end=end, level=level, seed=seed, n_boot=n_boot, population=pop)
    _run(request, db, format, output)


@app.command(
    "excess",
    cls=Command,
    epilog="""
**Examples**

    talentflow migration excess --from 2022Q2 --to 2023Q1 --format csv --output excess.csv
    talentflow migration excess --economy GE --economy AM --control DE --control US --control GB
""",
)
def excess_cmd(
    origin: OriginOption = _EXCESS.origin,
    start: Annotated[str, typer.Option("--from", help="First quarter of the window (2022Q2).")] = _EXCESS.start,
    end: Annotated[str, typer.Option("--to", help="Last quarter of the window.")] = _EXCESS.end,
    economies: Annotated[
        list[str] | None,
        typer.Option("--economy", help=f"A destination economy (repeatable) [default: {', '.join(DESTINATIONS)}]."),
    ] = None,
    controls: Annotated[
        list[str] | None,
        typer.Option("--control", help=f"A control economy (repeatable) [default: {', '.join(CONTROLS)}]."),
    ] = None,
    level: LevelOption = _EXCESS.level,
    seed: SeedOption = _EXCESS.seed,
    n_boot: Annotated[int, typer.Option(help="Bootstrap replicates (100 or more).")] = _EXCESS.n_boot,
    format: FormatOption = "table",
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """Developer accounts added beyond the counterfactual in destination economies (GitHub Innovation Graph),
    and the origin's shortfall."""
    request = ExcessRequest(
        origin=origin,
        start=start,
        end=end,
        economies=tuple(economies or DESTINATIONS),
        controls=tuple(controls or CONTROLS),
        level=level,
        seed=seed,
        n_boot=n_boot,
    )
    _run(request, db, format, output)


@app.command(
    "stocks",
    cls=Command,
    epilog="""
**Examples**

    talentflow migration stocks --stocks stocks-2020.csv --stocks stocks-2022.csv
    talentflow migration stocks --stocks stocks-2020.csv --stocks stocks-2022.csv --stock-method beine-parsons
""",
)
def stocks_cmd(
    stocks: Annotated[
        list[Path], typer.Option(help="A long-form stock table CSV (birthplace, residence, stock); t0 then t1.")
    ],
    estimator: Annotated[str, typer.Option("--stock-method", help=f"{', '.join(STOCK_ESTIMATORS)}.")] = "demographic",
    stayers: Annotated[str, typer.Option(help="demographic: max, none or a weight in [0, 1].")] = "max",
    origin: Annotated[
        str | None, typer.Option(help="Keep only flows out of or into this region [default: every flow].")
    ] = None,
    level: LevelOption = 0.9,
    seed: SeedOption = 0,
    n_boot: Annotated[int, typer.Option(help="Bootstrap draws of the stock tables.")] = _STOCKS_N_BOOT,
    format: FormatOption = "table",
    output: OutputOption = None,
) -> None:
    """Flows from two bilateral stock tables: stock differencing, Beine & Parsons, Dennett's rates, or
    demographic accounting by IPF."""
    if len(stocks) != 2:
        raise UsageError(f"give two stock tables, t0 then t1; got {len(stocks)}", param="stocks")
    request = StocksRequest(
        stocks=(stocks[0], stocks[1]),
        estimator=estimator,
        stayers=stayers,
        origin=origin,
        level=level,
        seed=seed,
        n_boot=n_boot,
    )
    _run(request, None, format, output)


# -- the old form: one command, --method ----------------------------------------------------------------
#: The old options and the methods they belong to (the ones every method took are not listed).
_LEGACY_OWNERS = {
    "population": ("panel", "nowcast"),
    "population_month": ("panel", "nowcast"),
    "population_source": ("panel", "nowcast"),
    "population_cv": ("panel", "nowcast"),
    "naive": ("panel",),
    "economy": ("excess",),
    "control": ("excess",),
    "stocks": ("stocks",),
    "stock_method": ("stocks",),
    "stayers": ("stocks",),
}


@app.callback()
def legacy(
    ctx: typer.Context,
    method: Annotated[str | None, typer.Option(hidden=True)] = None,
    origin: Annotated[str | None, typer.Option(hidden=True)] = None,
    start: Annotated[str | None, typer.Option("--from", hidden=True)] = None,
    end: Annotated[str | None, typer.Option("--to", hidden=True)] = None,
    level: Annotated[float | None, typer.Option(hidden=True)] = None,
    seed: Annotated[int | None, typer.Option(hidden=True)] = None,
    population: Annotated[float | None, typer.Option(hidden=True)] = None,
    population_month: Annotated[str | None, typer.Option(hidden=True)] = None,
    population_source: Annotated[str | None, typer.Option(hidden=True)] = None,
    population_cv: Annotated[float | None, typer.Option(hidden=True)] = None,
    n_boot: Annotated[int | None, typer.Option(hidden=True)] = None,
    naive: Annotated[bool | None, typer.Option("--naive", hidden=True)] = None,
    economy: Annotated[list[str] | None, typer.Option(hidden=True)] = None,
    control: Annotated[list[str] | None, typer.Option(hidden=True)] = None,
    stocks: Annotated[list[Path] | None, typer.Option(hidden=True)] = None,
    stock_method: Annotated[str | None, typer.Option(hidden=True)] = None,
    stayers: Annotated[str | None, typer.Option(hidden=True)] = None,
    format: Annotated[str | None, typer.Option("--format", "-f", hidden=True)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", hidden=True)] = None,
    db: Annotated[Path | None, typer.Option("--db", envvar=ENV_DB, hidden=True)] = None,
) -> None:
    """The old `talentflow migration --method METHOD …` form: deprecated, routed to the method's subcommand."""
    # Repeatable options arrive as an empty tuple when not given.
    given = {k: v for k, v in ctx.params.items() if v not in (None, ()) and k not in ("method", "db")}
    if ctx.invoked_subcommand is not None:
        typed = given or method is not None
        if typed or ctx.get_parameter_source("db") == ParameterSource.COMMANDLINE:
            raise ClickUsageError(
                f"options go after the method: `talentflow migration {ctx.invoked_subcommand} --help`", ctx
            )
        return
    chosen = method or "panel"
    deprecated(
        f"`talentflow migration{' --method ' + method if method else ''}`",
        f"`talentflow migration {chosen}` (see `talentflow migration --help`)",
    )
    try:
        _legacy_run(chosen, given, db)
    except TalentflowError as exc:
        fail(exc)


def _legacy_run(method: str, given: dict[str, Any], db: Path | None) -> None:
    if method not in METHODS:
        raise UsageError(f"unknown method {method!r}; choose one of: {', '.join(METHODS)}", param="method")
    for name in given:
        owners = _LEGACY_OWNERS.get(name)
        if owners is not None and method not in owners:
            raise UsageError(
                f"belongs to `talentflow migration {owners[0]}`, not to {method}", param=name.replace("_", "-")
            )
    format, output = given.pop("format", "table"), given.pop("output", None)
    if format not in ("table", "csv", "json", "parquet"):
        raise UsageError(f"unknown format {format!r}; choose one of: table, csv, json, parquet", param="format")
    # The old names of the options, as the requests name them; options not given keep the request's defaults.
    renamed = {"economy": "economies", "control": "controls", "stock_method": "estimator"}
    args: dict[str, Any] = {renamed.get(k, k): v for k, v in given.items() if not k.startswith("population")}
    if method in ("panel", "nowcast"):
        pop = _population(
            given.get("population"),
            given.get("population_month"),
            given.get("population_source"),
            given.get("population_cv"),
        )
        request: Request = (PanelRequest if method == "panel" else NowcastRequest)(population=pop, **args)
    elif method == "excess":
        for key in ("economies", "controls"):
            if key in args:
                args[key] = tuple(args[key])
        request = ExcessRequest(**args)
    else:
        files = args.pop("stocks", [])
        if len(files) != 2:
            raise UsageError(f"give two stock tables, t0 then t1; got {len(files)}", param="stocks")
        request = StocksRequest(stocks=(files[0], files[1]), **args)
    _run(request, db, format, output)
