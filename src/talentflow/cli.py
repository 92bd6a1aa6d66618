"""The ``talentflow`` command line."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from talentflow._version import __version__
from talentflow.errors import TalentflowError, UsageError
from talentflow.indicators.params import parse_date
from talentflow.ingestion import IngestReport, ingest
from talentflow.sources import FORMATS
from talentflow.store import ENV_DB, Store

app = typer.Typer(
    name="talentflow",
    help="Measure, explain and forecast tech-talent flight from job-board records.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)
reference_app = typer.Typer(help="Reference data: the hh.ru area tree.", no_args_is_help=True)
app.add_typer(reference_app, name="reference")

out = Console()
err = Console(stderr=True)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", envvar=ENV_DB, help="Store file [default: ./talentflow.duckdb].", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")]


def _command(fn: Callable[..., None]) -> Callable[..., None]:
    """Turns talentflow's errors into a message and an exit code (2 for unreadable input)."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except TalentflowError as exc:
            err.print(f"[red]error[/]: {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None

    return run


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


def _parse_map(items: list[str]) -> dict[str, str]:
    mapping = {}
    for item in items:
        column, sep, field = item.partition("=")
        if not sep or not column or not field:
            raise UsageError(f"--map {item!r}: expected COLUMN=FIELD, e.g. --map title=name")
        mapping[column] = field
    return mapping


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"--observed-at {value!r}: expected an ISO 8601 time such as 2022-03-01T12:00:00+03:00"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@app.command(
    "ingest",
    epilog="""
**Examples**

    talentflow ingest vacancies.ndjson.gz
    talentflow ingest ../shared/data/hh-vacancies-urfu --json
    talentflow ingest export.csv --map vacancy=vacancy_id --map posted=published_at --map city=area_name
    talentflow ingest page.json --observed-at 2022-03-01T12:00:00+03:00
""",
)
@_command
def ingest_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories (walked); .gz is read as is.")],
    format: Annotated[str, typer.Option("--format", "-f", help=f"Input format: {', '.join(FORMATS)}.")] = "auto",
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", "-m", help="CSV/Parquet column mapping COLUMN=FIELD (repeatable)."),
    ] = None,
    observed_at: Annotated[
        str | None,
        typer.Option(help="When the records were seen, for inputs that do not say (ISO 8601)."),
    ] = None,
    source: Annotated[str | None, typer.Option(help="Name of the board, e.g. hh.ru [default: by format].")] = None,
    force: Annotated[bool, typer.Option(help="Read inputs again even if their content was ingested.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Read job-board records into the store; every record is accepted, a duplicate, or quarantined."""
    mapping = _parse_map(map_ or [])
    when = _parse_time(observed_at)
    show = not as_json and err.is_terminal
    with _IngestProgress(enabled=show) as hook:
        report = ingest(
            paths,
            db=db,
            format=format,
            mapping=mapping,
            observed_at=when,
            source=source,
            force=force,
            progress=hook if show else None,
        )
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        _print_report(report)


def _bar(label: str, count: str, *, enabled: bool) -> Progress:
    """A progress bar on stderr, gone when done: ``label`` before the bar, ``count`` after it."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn(count),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not enabled,
    )


class _IngestProgress:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.progress = _bar("[bold]{task.description}", "{task.percentage:>3.0f}%", enabled=enabled)
        self.task: Any = None

    def __enter__(self) -> _IngestProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, event: str, payload: Any) -> None:
        if event == "start":
            name = Path(payload["input"]).name
            label = f"[{payload['index'] + 1}/{payload['total']}] {name} ({payload['bytes'] / 1e6:,.1f} MB)"
            if self.task is None:
                self.task = self.progress.add_task(label, total=1.0)
            self.progress.update(self.task, description=label, completed=0)
        elif event == "progress" and self.task is not None:
            self.progress.update(self.task, completed=payload)
        elif event == "done" and self.task is not None:
            self.progress.update(self.task, completed=1.0)


def _print_report(report: IngestReport) -> None:
    table = Table(title=f"Ingested into {report.store}", title_justify="left")
    for col in ("input", "format", "read", "accepted", "duplicates", "quarantined"):
        table.add_column(col, justify="right" if col not in ("input", "format") else "left")
    for i in report.inputs:
        fmt = i.format or "-"
        if i.already_ingested:
            fmt += " (seen before)"
        if i.skipped:
            fmt = f"skipped: {i.skipped}"
        table.add_row(i.input, fmt, f"{i.read:,}", f"{i.accepted:,}", f"{i.duplicates:,}", f"{i.quarantined:,}")
    if len(report.inputs) > 1:
        table.add_row(
            "total",
            "",
            f"{report.read:,}",
            f"{report.accepted:,}",
            f"{report.duplicates:,}",
            f"{report.quarantined:,}",
            style="bold",
        )
    out.print(table)
    for i in report.inputs:
        for warning in i.warnings:
            err.print(f"[yellow]note[/]: {i.input}: {warning}", soft_wrap=True)
    if report.quarantined:
        err.print(f"{report.quarantined:,} records quarantined: see `talentflow status` for the reasons.")


@app.command(
    "status",
    epilog="""
**Examples**

    talentflow status
    talentflow status --json --db /data/ru-2022.duckdb
""",
)
@_command
def status_cmd(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Row counts per table, the inputs ingested, and the quarantine by reason."""
    with Store(db, read_only=True) as store:
        status = store.status()
    if as_json:
        print(json.dumps(status, ensure_ascii=False))
        return
    tables = Table(title=f"Store {status['store']}", title_justify="left")
    tables.add_column("table")
    tables.add_column("rows", justify="right")
    for name, n in status["tables"].items():
        tables.add_row(name, f"{n:,}")
    out.print(tables)
    if status["inputs"]:
        inputs = Table(title="Inputs", title_justify="left")
        for col in ("id", "input", "format", "read", "accepted", "duplicates", "quarantined"):
            inputs.add_column(col, justify="left" if col in ("input", "format") else "right")
        for i in status["inputs"]:
            inputs.add_row(
                str(i["ingest_id"]),
                i["input"],
                i["format"],
                *(f"{i[k]:,}" for k in ("read", "accepted", "duplicates", "quarantined")),
            )
        out.print(inputs)
    if status["quarantine_by_reason"]:
        q = Table(title="Quarantine by reason", title_justify="left")
        q.add_column("reason")
        q.add_column("records", justify="right")
        for r in status["quarantine_by_reason"]:
            q.add_row(r["reason"], f"{r['count']:,}")
        out.print(q)


@reference_app.command(
    "areas",
    epilog="""
**Examples**

    talentflow reference areas ../shared/data/hh-api/dictionaries/areas_2024-12.json
    talentflow reference areas --live --json
""",
)
@_command
def areas_cmd(
    file: Annotated[Path | None, typer.Argument(help="A dump of hh.ru's GET /areas.")] = None,
    live: Annotated[bool, typer.Option("--live", help="Fetch the tree from api.hh.ru instead.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Load hh.ru's area tree, so that every area id and name maps to a country and region."""
    from talentflow.reference.areas import API_URL, fetch_tree, load_areas, read_tree

    if (file is None) == (not live):
        raise UsageError("give either FILE or --live")
    roots = fetch_tree() if live else read_tree(file)  # type: ignore[arg-type]
    with Store(db) as store:
        result = load_areas(store, roots, API_URL if live else str(file))
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        out.print(
            f"Loaded {result.nodes:,} areas in {result.countries} countries from {result.source}; "
            f"re-derived the country of {result.updated_vacancies:,} vacancy and "
            f"{result.updated_resumes:,} resume records."
        )


@app.command(
    "simulate",
    epilog="""
**Examples**

    talentflow simulate --list
    talentflow simulate exodus-2022 --out sim --scale 0.05 --seed 7
    talentflow simulate my-scenario.toml --out sim --start 2021-06-01 --end 2022-12-31 --json
    talentflow ingest sim        # the board records go into the store like any other hh.ru data
""",
)
@_command
def simulate_cmd(
    scenario: Annotated[
        str | None, typer.Argument(help="A built-in scenario name or a scenario TOML file.", show_default=False)
    ] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="Output directory (new or empty).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives byte-identical output.")] = 0,
    scale: Annotated[float, typer.Option(help="Share of the population simulated (counts are scaled back).")] = 0.01,
    start: Annotated[str | None, typer.Option(help="First week (ISO date) [default: the scenario's].")] = None,
    end: Annotated[str | None, typer.Option(help="Last day (ISO date) [default: the scenario's].")] = None,
    truth_only: Annotated[
        bool, typer.Option("--truth-only", help="Write the truth tables only, no board records (faster).")
    ] = False,
    list_: Annotated[bool, typer.Option("--list", help="List the built-in scenarios.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Simulate an IT labour market under a talent-flight shock: board records (hh.ru JSON) plus the truth."""
    from talentflow import simulate as sim

    if list_:
        rows = [{"name": n, "description": sim.load_scenario(n).description} for n in sim.builtin_names()]
        if as_json:
            print(json.dumps(rows, ensure_ascii=False))
        else:
            for row in rows:
                out.print(f"[bold]{row['name']}[/]  {row['description']}", highlight=False)
        return
    if scenario is None or out_dir is None:
        raise UsageError("give a SCENARIO and --out DIR (or --list); see talentflow simulate --help")
    chosen = sim.load_scenario(scenario)
    show = not as_json and err.is_terminal
    progress = _bar("[bold]simulating {task.fields[name]}", "week {task.completed}/{task.total}", enabled=show)
    with progress:
        task = progress.add_task("simulate", total=chosen.weeks(), name=chosen.name)
        result = sim.simulate(
            chosen,
            out_dir,
            seed=seed,
            scale=scale,
            start=parse_date(start, "--start"),
            end=parse_date(end, "--end"),
            progress=lambda done, total: progress.update(task, completed=done, total=total),
            board=not truth_only,
        )
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    last = result.summary[-1]
    out.print(
        f"Simulated [bold]{result.scenario}[/] for {result.weeks} weeks at scale {result.scale} (seed {result.seed}): "
        f"{result.records.get('vacancy_records', 0):,} vacancy and {result.records.get('resume_records', 0):,} "
        f"resume records in {result.out}.\nAt {last['month']}: {last['it_workers_home']:,.0f} IT workers at home, "
        f"{last['abroad']:,.0f} abroad. Truth in {result.out / 'truth'}; ingest with: talentflow ingest {result.out}",
        highlight=False,
    )


def main() -> None:
    app()


from talentflow.indicators.cli import register as _register_indicators  # noqa: E402 (needs _command above)

_register_indicators(app, _command)
from talentflow.claims.cli import register as _register_claims  # noqa: E402

_register_claims(app, _command)
from talentflow.migration.cli import register as _register_migration  # noqa: E402

_register_migration(app, _command)
from talentflow.web.cli import register as _register_web  # noqa: E402

_register_web(app, _command)
from talentflow.report.cli import register as _register_report  # noqa: E402

_register_report(app, _command)
