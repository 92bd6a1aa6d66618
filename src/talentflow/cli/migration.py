"""``talentflow migration panel|stocks|excess|nowcast``: how many left, where to, how many came back — with
intervals. Each method is a subcommand with only its own options; the old ``--method`` form still works for one
release and says what replaces it."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer._click.core import ParameterSource  # Typer's own Click (see cli/_common.py)
from typer._click.exceptions import UsageError as ClickUsageError

from talentflow.cli._common import (
    Command,
    DataOption,
    DbOption,
    FormatOption,
    LevelOption,
    ModelOption,
    OutputOption,
    check_output,
    deprecated,
    err,
    fail,
    note,
    progress_bar,
    write_rows,
)
from talentflow.errors import TalentflowError, UsageError
from talentflow.migration import requests as rq
from talentflow.store import ENV_DB, Store

if TYPE_CHECKING:
    import pandas as pd

    from talentflow.migration.results import MigrationResult

app = typer.Typer(
    help="Emigration and return flows with intervals: from resume sightings (panel), bilateral stock tables "
    "(stocks), developer accounts (excess), or all of them and the published claims pooled (nowcast).",
    invoke_without_command=True,
)

OriginOption = Annotated[str, typer.Option(help="The country people leave (ISO2).")]
SeedOption = Annotated[int, typer.Option(help="Seed of the bootstrap.")]
_PANEL = rq.PanelRequest()
_EXCESS = rq.ExcessRequest()
_POP = rq.DEFAULT_POPULATION


def _population(count: float | None, month: str | None, source: str | None, cv: float | None) -> rq.Population:
    """The population asked for. Without a count or a month, the default one (about a million, cv 10%); a count
    the user gives is exact unless a cv is given too."""
    if count is None and month is None:
        return _POP if cv is None else dataclasses.replace(_POP, cv=cv)
    return rq.Population(
        count if count is not None else _POP.count,
        month if month is not None else _POP.month,
        source or "given",
        cv if cv is not None else 0.0,
    )


def _run(request: rq.Request, db: Path | None, format: str, output: Path | None) -> None:
    from talentflow.migration import estimate

    check_output(format, output)
    # Quiet with --format json or off a terminal, like the other long commands.
    show = format != "json" and err.is_terminal
    if isinstance(request, rq.StocksRequest):  # stock tables come from files: no store to open
        result = estimate(request)
        _write(result, format, output)
        return
    bar = progress_bar("[bold]{task.description}", "{task.fields[text]}", enabled=show, remaining=True)
    with Store(db, read_only=True) as store, bar:
        first = "reading resume sightings" if isinstance(request, rq.PanelRequest | rq.NowcastRequest) else "estimating"
        task = bar.add_task(f"{request.method}: {first}", total=None, text="")

        def progress(stage: str, done: float, total: float, text: str) -> None:
            bar.update(task, description=f"{request.method}: {stage}", completed=done, total=total, text=text)

        result = estimate(request, store, progress=progress)
    _write(result, format, output)


def _write(result: MigrationResult, format: str, output: Path | None) -> None:
    title = f"migration: {result.method} ({result.level:.0%} intervals)"
    if format == "table" and output is None and "placebo_relative" in result.rows.columns:
        # Seventeen columns do not read at 80: the terminal gets the excess and its placebo, the files every field.
        frame = _excess_table(result)
        records = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
        write_rows(frame, records, format, output, title=title, caption=result.covers)
    else:
        frame = result.to_frame()
        write_rows(
            frame,
            result.records(),
            format,
            output,
            title=title,
            text=result.summary(),
            caption=result.covers,
            no_wrap=tuple(c for c in ("period", "scale") if c in frame.columns),
        )
    if format != "table" and result.covers:
        note(result.covers)
    for text in result.notes:
        note(text)


def _excess_table(result: MigrationResult) -> pd.DataFrame:
    """One row per economy: its role, the excess over its interval, the excess relative to the counterfactual and
    the placebo in time over its interval, each cell short enough to wrap into an 80-column terminal."""
    import pandas as pd

    from talentflow._format import number

    def signed(value: Any) -> str:
        text = number(value, 3, missing="–")
        return text if text.startswith(("-", "–")) else "+" + text

    def percent(value: Any) -> str:
        return "–" if value is None or pd.isna(value) else f"{value:+.0%}"

    level = f"{result.level:.0%}"
    rows = []
    for r in result.rows.itertuples():
        rows.append(
            {
                "economy": r.economy,
                "role": r.role,
                f"excess [{level}]": f"{signed(r.estimate)}\n[{signed(r.low)}, {signed(r.high)}]",
                "relative": percent(r.relative),
                f"placebo {r.placebo_period}": f"{percent(r.placebo_relative)}\n"
                f"[{signed(r.placebo_low)}, {signed(r.placebo_high)}]",
            }
        )
    return pd.DataFrame(rows)


# -- panel and nowcast: a window of months and the population -------------------------------------------
def _monthly_options(
    origin: OriginOption = _PANEL.origin,
    start: Annotated[str, typer.Option("--from", help="First month (YYYY-MM).")] = _PANEL.start,
    end: Annotated[str, typer.Option("--to", help="Last month (YYYY-MM).")] = _PANEL.end,
    level: LevelOption = _PANEL.level,
    seed: SeedOption = _PANEL.seed,
    n_boot: Annotated[int, typer.Option(help="Bootstrap replicates of the panel.")] = _PANEL.n_boot,
    population: Annotated[
        float | None,
        typer.Option(
            help="IT workers of the origin, home and abroad, that the board's profiles are scaled to "
            f"[default: {_POP.count:,.0f}, {_POP.source}]."
        ),
    ] = None,
    population_month: Annotated[
        str | None, typer.Option(help=f"Month (YYYY-MM) the population count is for [default: {_POP.month}].")
    ] = None,
    population_source: Annotated[
        str | None, typer.Option(help="Where the population count comes from [default: given].")
    ] = None,
    population_cv: Annotated[
        float | None,
        typer.Option(
            help=f"Relative standard error of the population count [default: {_POP.cv} for the default "
            "population, 0 for a count given]."
        ),
    ] = None,
    data: DataOption = "real",
    model: ModelOption = _PANEL.model,
    format: FormatOption = "table",
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """The options `panel` and `nowcast` share: a signature that both commands take (never called)."""


def _monthly_command(
    kind: type[rq.PanelRequest] | type[rq.NowcastRequest], doc: str, *extra: inspect.Parameter
) -> Callable[..., None]:
    """A command taking the shared options (and ``extra``) that runs a request of ``kind``."""

    def command(**options: Any) -> None:
        pop = _population(
            *(options.pop(k) for k in ("population", "population_month", "population_source", "population_cv"))
        )
        db, format, output = options.pop("db"), options.pop("format"), options.pop("output")
        _run(kind(population=pop, **options), db, format, output)

    shared = list(inspect.signature(_monthly_options, eval_str=True).parameters.values())
    command.__signature__ = inspect.Signature([*shared, *extra])  # type: ignore[attr-defined]
    command.__doc__ = doc
    return command


_NAIVE = inspect.Parameter(
    "naive",
    inspect.Parameter.KEYWORD_ONLY,
    default=False,
    annotation=Annotated[bool, typer.Option(help="Count only the moves seen, without the model.")],
)

_SENSITIVITY = inspect.Parameter(
    "sensitivity",
    inspect.Parameter.KEYWORD_ONLY,
    default=False,
    annotation=Annotated[
        bool,
        typer.Option(
            help="Instead of the flows, the window's totals for populations 0.8-1.2 × N and board coverage "
            "changes 0.85-1.15: how much the answer rests on the population figure."
        ),
    ],
)

app.command(
    "panel",
    cls=Command,
    epilog="""
**Examples**

    talentflow migration panel --from 2022-01 --to 2022-12 --population 1016000 --population-month 2021-12
    talentflow migration panel --naive --format json
    talentflow migration panel --data simulated --from 2022-01 --to 2022-12
    talentflow migration panel --data simulated --sensitivity --format json
""",
)(
    _monthly_command(
        rq.PanelRequest,
        "Flows from resume sightings (real ones, or with --data simulated the simulator's): a hidden Markov model "
        "of where each person lives, fitted by EM, scaled to the population, with a bootstrap over people. The "
        "window's totals come twice: workforce (scaled to the population) and board-visible movers (no population).",
        _NAIVE,
        _SENSITIVITY,
    )
)

_PER_ACCOUNT = inspect.Parameter(
    "people_per_account",
    inspect.Parameter.KEYWORD_ONLY,
    default=None,
    annotation=Annotated[
        float | None,
        typer.Option(
            help="IT workers per developer account: pools the Innovation Graph shortfall (left out without it: "
            "accounts are not people)."
        ),
    ],
)
_PER_ACCOUNT_CV = inspect.Parameter(
    "people_per_account_cv",
    inspect.Parameter.KEYWORD_ONLY,
    default=rq.NowcastRequest.people_per_account_cv,
    annotation=Annotated[float, typer.Option(help="Relative standard error of --people-per-account.")],
)

app.command(
    "nowcast",
    cls=Command,
    epilog="""
**Examples**

    talentflow migration nowcast --from 2022-01 --to 2022-12 --format json
    talentflow migration nowcast --data simulated --from 2022-01 --to 2022-12
    talentflow migration nowcast --people-per-account 0.5 --people-per-account-cv 0.5
""",
)(
    _monthly_command(
        rq.NowcastRequest,
        "Net and gross emigration pooled from the panel, the claims in the ledger and (given IT workers per "
        "account) the developer-account shortfall, each with its own bias and coverage, into one estimate with an "
        "interval (with --data simulated, the simulated panel alone: the other inputs are real).",
        _PER_ACCOUNT,
        _PER_ACCOUNT_CV,
    )
)


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
        typer.Option("--economy", help=f"A destination economy (repeatable) [default: {', '.join(rq.DESTINATIONS)}]."),
    ] = None,
    controls: Annotated[
        list[str] | None,
        typer.Option("--control", help=f"A control economy (repeatable) [default: {', '.join(rq.CONTROLS)}]."),
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
    request = rq.ExcessRequest(
        origin=origin,
        start=start,
        end=end,
        economies=tuple(economies or rq.DESTINATIONS),
        controls=tuple(controls or rq.CONTROLS),
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
    estimator: Annotated[
        str, typer.Option("--stock-method", help=f"{', '.join(rq.STOCK_ESTIMATORS)}.")
    ] = "demographic",
    stayers: Annotated[str, typer.Option(help="demographic: max, none or a weight in [0, 1].")] = "max",
    origin: Annotated[
        str | None, typer.Option(help="Keep only flows out of or into this region [default: every flow].")
    ] = None,
    level: LevelOption = 0.9,
    seed: SeedOption = 0,
    n_boot: Annotated[int, typer.Option(help="Bootstrap draws of the stock tables.")] = 200,
    format: FormatOption = "table",
    output: OutputOption = None,
) -> None:
    """Flows from two bilateral stock tables: stock differencing, Beine & Parsons, Dennett's rates, or
    demographic accounting by IPF."""
    request = rq.StocksRequest(
        stocks=tuple(stocks), estimator=estimator, stayers=stayers, origin=origin, level=level, seed=seed, n_boot=n_boot
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
    "data": ("panel", "nowcast"),
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
    data: Annotated[str | None, typer.Option(hidden=True)] = None,
    format: Annotated[str | None, typer.Option("--format", "-f", hidden=True)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", hidden=True)] = None,
    db: Annotated[Path | None, typer.Option("--db", envvar=ENV_DB, hidden=True)] = None,
) -> None:
    """The old `talentflow migration --method METHOD …` form: deprecated, routed to the method's subcommand."""
    # Repeatable options arrive as an empty tuple when not given.
    given = {k: v for k, v in ctx.params.items() if v not in (None, ()) and k not in ("method", "db")}
    if ctx.invoked_subcommand is not None:
        if given or method is not None or ctx.get_parameter_source("db") == ParameterSource.COMMANDLINE:
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
    if method not in rq.METHODS:
        raise UsageError(f"unknown method {method!r}; choose one of: {', '.join(rq.METHODS)}", param="method")
    for name in given:
        owners = _LEGACY_OWNERS.get(name)
        if owners is not None and method not in owners:
            raise UsageError(f"belongs to `talentflow migration {owners[0]}`, not to {method}", param=name)
    format, output = given.pop("format", "table"), given.pop("output", None)
    if format not in ("table", "csv", "json", "parquet"):
        raise UsageError(f"unknown format {format!r}; choose one of: table, csv, json, parquet", param="format")
    # The old names of the options, as the requests name them; options not given keep the request's defaults.
    renamed = {"economy": "economies", "control": "controls", "stock_method": "estimator"}
    args: dict[str, Any] = {renamed.get(k, k): v for k, v in given.items() if not k.startswith("population")}
    for key in ("economies", "controls", "stocks"):
        if key in args:
            args[key] = tuple(args[key])
    request: rq.Request
    if method in ("panel", "nowcast"):
        pop = _population(
            *(given.get(k) for k in ("population", "population_month", "population_source", "population_cv"))
        )
        request = (rq.PanelRequest if method == "panel" else rq.NowcastRequest)(population=pop, **args)
    elif method == "excess":
        request = rq.ExcessRequest(**args)
    else:
        request = rq.StocksRequest(**{"stocks": (), **args})
    _run(request, db, format, output)
