"""What every command shares: the consoles, the options that mean one thing everywhere, how errors and
deprecations are said, progress bars, and writing rows.

Kept free of heavy imports: `talentflow --help` loads this module and the command modules, nothing that
computes (pandas, Ibis, pyarrow, FastAPI and plotly load inside the commands that use them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

# Typer 0.29 carries its own copy of Click and raises that copy's exceptions; catching them needs its module
# (pyproject pins typer to 0.29.x for this).
from typer._click.core import Context
from typer._click.exceptions import NoSuchOption
from typer._click.exceptions import UsageError as ClickUsageError
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from talentflow._format import number
from talentflow.errors import Interrupted, TalentflowError, UsageError
from talentflow.store import ENV_DB

if TYPE_CHECKING:
    import pandas as pd
    from rich.progress import Progress

out = Console()
err = Console(stderr=True)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", envvar=ENV_DB, help="Store file [default: ./talentflow.duckdb].", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")]
SeedOption = Annotated[int, typer.Option(help="Random seed: the same seed gives the same answer.")]
#: The nominal coverage of a command's intervals (`talentflow migration`, `talentflow impact`).
LevelOption = Annotated[float, typer.Option(help="Coverage of the intervals.")]
ModelOption = Annotated[
    str,
    typer.Option(
        help="The panel's model: simple (one return rate), durations (returns by time abroad) or full (also two "
        "search types and searchers' own emigration rate; about four times slower). See docs/migration.md, "
        "'The model'."
    ),
]
ScaleOption = Annotated[float, typer.Option(help="Share of the population simulated (counts are scaled back).")]
ScenarioArgument = Annotated[
    str | None, typer.Argument(help="A built-in scenario name or a scenario TOML file.", show_default=False)
]
#: Which records a command reads: one kind at a time (talentflow.indicators.provenance), real by default.
DataKind = Literal["real", "simulated"]
DataOption = Annotated[
    DataKind,
    typer.Option(
        "--data",
        help="real (records observed on a board or read from its files) or simulated (written by `talentflow "
        "simulate`); never the two together.",
    ),
]
OutDirOption = Annotated[Path | None, typer.Option("--out", "-o", help="Output directory (new or empty).")]

#: Output formats: ``--format`` is always one of these, on every command that has it.
RowsFormat = Literal["table", "csv", "json", "parquet"]
ListFormat = Literal["table", "csv", "json"]
ReportFormat = Literal["table", "json"]
FormatOption = Annotated[RowsFormat, typer.Option("--format", "-f", help="Output format.")]
ListFormatOption = Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")]
ReportFormatOption = Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")]


class Command(TyperCommand):
    """A command whose talentflow errors become a message and an exit code, naming the option at fault."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except TalentflowError as exc:
            fail(exc, self)
        except KeyboardInterrupt as exc:
            # A command that writes says whether it stored anything (talentflow.errors.Interrupted).
            say_interrupted(exc.message if isinstance(exc, Interrupted) else "interrupted")
            raise typer.Exit(Interrupted.exit_code) from None

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except NoSuchOption as exc:
            owner = _sibling_with(ctx, exc.option_name)
            if owner is None:
                raise
            raise ClickUsageError(
                f"{exc.option_name} belongs to `{owner}`, not to `{ctx.command_path}`; see `{owner} --help`",
                ctx,
            ) from None


_said: list[str] = []


def say_interrupted(text: str = "interrupted") -> None:
    """Ctrl-C ends a command with one line on stderr (once) and exit code 130 (128 + SIGINT), as shells report it."""
    if not _said:
        _said.append(text)
        err.print(f"[red]{escape(text)}[/]", highlight=False, soft_wrap=True)


def _sibling_with(ctx: Context, option: str) -> str | None:
    """The other command of the same group that takes ``option``, e.g. ``talentflow migration excess``."""
    parent = ctx.parent
    group = parent.command if parent is not None else None
    if parent is None or not isinstance(group, TyperGroup):
        return None
    for name, command in group.commands.items():
        if command is ctx.command:
            continue
        for param in command.params:
            if isinstance(param, TyperOption) and option in param.opts and not param.hidden:
                return f"{parent.command_path} {name}"
    return None


def flag(param: str, command: TyperCommand | None = None) -> str:
    """The command-line spelling of a library parameter: the option the command declares for it, else
    ``--param-name``."""
    if command is not None:
        for p in command.params:
            if p.name == param and isinstance(p, TyperOption):
                return max(p.opts, key=len)
            if p.name == param and isinstance(p, TyperArgument):
                return param.upper()
    return "--" + param.replace("_", "-")


def fail(exc: TalentflowError, command: TyperCommand | None = None) -> NoReturn:
    """Print ``exc`` as the command line words it, and exit with its code (2 for unusable input)."""
    where = f"{flag(exc.param, command)}: " if exc.param else ""
    err.print(f"[red]error[/]: {escape(where + exc.message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(exc.exit_code)


def file_or_flag(file: Path | None, flag_given: bool, flag: str) -> None:
    """A command that reads FILE or, with ``flag``, something else: exactly one of the two."""
    if file is None and not flag_given:
        raise UsageError(f"give either FILE or {flag}")
    if file is not None and flag_given:
        raise UsageError(f"give either FILE or {flag}, not both")


def note(text: str) -> None:
    err.print(f"[yellow]note[/]: {escape(text)}", highlight=False, soft_wrap=True)


def deprecated(old: str, new: str) -> None:
    """Say that ``old`` still works for this release and what replaces it."""
    err.print(
        f"[yellow]deprecated[/]: {old} will be removed in the next release; use {new}",
        highlight=False,
        soft_wrap=True,
    )


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False))


def progress_bar(label: str, count: str, *, enabled: bool, remaining: bool = False) -> Progress:
    """A progress bar on stderr, gone when done: ``label`` before the bar, ``count`` after it, the time taken
    and, with ``remaining``, the time left."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = [TextColumn(label), BarColumn(), TextColumn(count), TimeElapsedColumn()]
    if remaining:
        columns.append(TimeRemainingColumn())
    return Progress(
        *columns,
        console=err,
        transient=True,
        disable=not enabled,
    )


def emit(text: str, output: Path | None) -> None:
    """``text`` to stdout, or into ``output`` with a final newline."""
    if output is None:
        print(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")


def check_output(format: str, output: Path | None) -> None:
    if format == "parquet" and output is None:
        raise UsageError("parquet needs --output FILE", param="format")


def write_rows(
    frame: pd.DataFrame,
    records: list[dict[str, Any]],
    format: str,
    output: Path | None,
    *,
    title: str,
    text: str | None = None,
    styles: dict[str, dict[str, str]] | None = None,
    no_wrap: tuple[str, ...] = (),
    right: tuple[str, ...] = (),
    caption: str = "",
) -> None:
    """``records`` (the JSON-ready rows of ``frame``) as ``format``. A table written to a file is ``text``, or
    the frame as plain text; on a terminal it is a rich table, where ``styles`` colours a column's values,
    columns in ``no_wrap`` are never cut, and those in ``right`` (and numbers) are right-aligned; ``caption`` is
    printed under it."""
    if format == "json":
        emit(json.dumps(records, ensure_ascii=False), output)
    elif format == "csv":
        emit(frame.to_csv(index=False).rstrip("\n"), output)
    elif format == "parquet":
        check_output(format, output)
        frame.to_parquet(output, index=False)
    elif output is not None:
        output.write_text((text if text is not None else frame.to_string(index=False)) + "\n", encoding="utf-8")
    else:
        from rich.table import Table

        table = Table(title=title, title_justify="left", caption=caption or None, caption_justify="left")
        for column in frame.columns:
            numeric = frame[column].dtype.kind in "iuf" or column in right
            table.add_column(column, justify="right" if numeric else "left", no_wrap=column in no_wrap)
        for row in records:
            cells = []
            for column, value in row.items():
                shown = number(value) if isinstance(value, float) else "" if value is None else str(value)
                style = (styles or {}).get(column, {}).get(shown)
                cells.append(f"[{style}]{escape(shown)}[/]" if style else escape(shown))
            table.add_row(*cells)
        out.print(table)
