"""``talentflow ingest`` and ``talentflow status``: records into the store, and what the store holds."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from talentflow.cli._common import Command, DbOption, JsonOption, deprecated, err, note, out, print_json, progress_bar
from talentflow.errors import Interrupted, UsageError
from talentflow.sources import FORMATS
from talentflow.store import DEFAULT_WAIT, Store

if TYPE_CHECKING:
    from talentflow.ingestion import IngestReport

app = typer.Typer()


def _fields_help() -> str:
    from talentflow.sources._flat_layout import FIELDS

    rows = "\n".join(f"    {name:<14} {meaning}" for name, meaning in FIELDS.items())
    return f"""
**Fields** a CSV or Parquet column can hold (`--map COLUMN=FIELD`, a mapping file's `[map]` and `[defaults]`):

{rows}
"""


@app.command(
    "ingest",
    cls=Command,
    epilog="""
**Examples**

    talentflow ingest vacancies.ndjson.gz
    talentflow ingest ../shared/data/hh-vacancies-urfu --json
    talentflow ingest export.csv --map vacancy=vacancy_id --map posted=published_at --map city=area_name
    talentflow ingest scraped.csv --currency RUB
    talentflow ingest moscow.csv --currency RUB --area Москва --it
    talentflow ingest --suggest-map export.csv > mapping.toml
    talentflow ingest export.csv --map-file mapping.toml
    talentflow ingest page.json --observed-at 2022-03-01T12:00:00+03:00
    zcat vacancies.ndjson.gz | talentflow ingest -
    talentflow ingest vacancies.ndjson --wait 300
    talentflow ingest export.parquet --input-format csv --map id=vacancy_id --map date=published_at

A CSV or Parquet file is read by the layout its header shows (the UrFU extracts, or an hh.ru vacancy flattened
by pandas with `_` or `.`); the result says which, column by column. `--map` overrides a column's field.
"""
    + _fields_help(),
)
def ingest_cmd(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or directories (walked); .gz is read as is.", show_default=False)
    ] = None,
    input_format: Annotated[str, typer.Option("--input-format", help=f"Input format: {', '.join(FORMATS)}.")] = "auto",
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map", "-m", help="CSV/Parquet column mapping COLUMN=FIELD (repeatable; FIELD ignore drops it)."
        ),
    ] = None,
    map_file: Annotated[
        Path | None,
        typer.Option("--map-file", help="A TOML mapping file: [map] COLUMN = FIELD, [defaults] FIELD = value."),
    ] = None,
    suggest_map: Annotated[
        Path | None,
        typer.Option("--suggest-map", help="Print a mapping file for this CSV/Parquet file's header; ingest nothing."),
    ] = None,
    currency: Annotated[
        str | None, typer.Option(help="CSV/Parquet: the currency of amounts without one (ISO 4217, e.g. RUB).")
    ] = None,
    area: Annotated[
        str | None, typer.Option(help="CSV/Parquet: the area (id or name) of rows without one: a file of one city.")
    ] = None,
    country: Annotated[
        str | None, typer.Option(help="CSV/Parquet: the country (ISO2) of rows the area tree does not place.")
    ] = None,
    it: Annotated[bool, typer.Option("--it", help="CSV/Parquet: every row is an IT vacancy.")] = False,
    observed_at: Annotated[
        str | None,
        typer.Option(help="When the records were seen, for inputs that do not say (ISO 8601)."),
    ] = None,
    source: Annotated[str | None, typer.Option(help="Name of the board, e.g. hh.ru [default: by format].")] = None,
    force: Annotated[bool, typer.Option(help="Read inputs again even if their content was ingested.")] = False,
    wait: Annotated[
        float,
        typer.Option(
            "--wait", help="Seconds to wait for the store while another process (a dashboard) holds it.", min=0
        ),
    ] = DEFAULT_WAIT,
    db: DbOption = None,
    as_json: JsonOption = False,
    legacy_format: Annotated[str | None, typer.Option("--format", "-f", hidden=True)] = None,
) -> None:
    """Read job-board records into the store; every record is accepted, a duplicate, or quarantined."""
    if suggest_map is not None:
        _suggest(suggest_map, paths)
        return
    if not paths:
        raise UsageError("give the files or directories to ingest (or --suggest-map FILE)", param="paths")
    with _nothing_stored_if_interrupted():
        _ingest(paths, input_format, mapping, map_file, currency, area, country, it, observed_at, source, force,
                wait, db, as_json, legacy_format)  # fmt: skip


def _is_ctrl_c(exc: BaseException) -> bool:
    """What Ctrl-C raises: Python's KeyboardInterrupt, or, when it lands inside a DuckDB query, DuckDB's own
    exception (or a RuntimeError "Query interrupted" from its Arrow reader), which must not read as a failure."""
    import duckdb

    if isinstance(exc, KeyboardInterrupt | duckdb.InterruptException):
        return True
    return isinstance(exc, RuntimeError) and "Query interrupted" in str(exc)


@contextlib.contextmanager
def _nothing_stored_if_interrupted() -> Iterator[None]:
    """Ctrl-C before the ingest's transaction (importing, planning, reading) stored nothing, and says so."""
    try:
        yield
    except (KeyboardInterrupt, Exception) as exc:
        if isinstance(exc, Interrupted) or not _is_ctrl_c(exc):
            raise
        raise Interrupted("interrupted: nothing was stored (the store is as it was)", stored=False) from None


def _ingest(
    paths: list[Path],
    input_format: str,
    mapping: list[str] | None,
    map_file: Path | None,
    currency: str | None,
    area: str | None,
    country: str | None,
    it: bool,
    observed_at: str | None,
    source: str | None,
    force: bool,
    wait: float,
    db: Path | None,
    as_json: bool,
    legacy_format: str | None,
) -> None:
    from talentflow.ingestion import ingest

    if legacy_format is not None:
        input_format = _legacy_input_format(legacy_format)
    columns = _parse_map(mapping or [])
    when = _parse_time(observed_at)
    show = not as_json and err.is_terminal
    report: IngestReport | None = None
    try:
        with _IngestProgress(enabled=show) as hook:
            report = ingest(
                paths,
                db=db,
                format=input_format,
                mapping=columns,
                map_file=map_file,
                currency=currency,
                area=area,
                country=country,
                it=it,
                observed_at=when,
                source=source,
                force=force,
                progress=hook if show else None,
                wait=wait,
            )
        if as_json:
            print_json(report.to_dict())
        else:
            _print_report(report)
    except (KeyboardInterrupt, Exception) as exc:
        if isinstance(exc, Interrupted) or report is None or not _is_ctrl_c(exc):
            raise
        raise Interrupted(_stored(report), stored=True) from None


def _stored(report: IngestReport) -> str:
    return (
        f"interrupted after the commit: the ingest was stored ({report.accepted:,} records accepted, "
        f"{report.quarantined:,} quarantined; see `talentflow status`)"
    )


def _suggest(path: Path, paths: list[Path] | None) -> None:
    from talentflow.sources._flat_layout import suggest
    from talentflow.sources.flat import columns_of

    if paths:
        raise UsageError("prints a mapping for one file and ingests nothing: give no other inputs", param="suggest_map")
    if not path.is_file():
        raise UsageError(f"{path}: no such file", param="suggest_map")
    columns = columns_of(path)
    if not columns:
        raise UsageError(f"{path}: no header (an empty file?)", param="suggest_map")
    print(suggest(columns, path.name), end="")


def _legacy_input_format(value: str) -> str:
    if value not in FORMATS:
        raise UsageError(
            f"on `talentflow ingest` the input format is --input-format ({', '.join(FORMATS)}); --format is "
            f"the output format of the other commands, and ingest prints JSON with --json (got --format {value})"
        )
    deprecated(f"`talentflow ingest --format {value}`", f"`--input-format {value}`")
    return value


def _parse_map(items: list[str]) -> dict[str, str]:
    mapping = {}
    for item in items:
        column, sep, field = item.rpartition("=")  # a field name holds no "=", a column name may
        if not sep or not column or not field:
            raise UsageError(f"{item!r}: expected COLUMN=FIELD, e.g. --map title=name", param="mapping")
        mapping[column] = field
    return mapping


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{value!r}: expected an ISO 8601 time such as 2022-03-01T12:00:00+03:00", param="observed_at"
        ) from None
    offset = parsed.utcoffset()
    if offset is not None and not timedelta(hours=-12) <= offset <= timedelta(hours=14):
        raise UsageError(f"{value!r}: a time-zone offset outside UTC-12:00 to UTC+14:00", param="observed_at")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class _IngestProgress:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.progress = progress_bar("[bold]{task.description}", "{task.percentage:>3.0f}%", enabled=enabled)
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
    from rich.table import Table

    table = Table(title=f"Ingested into {report.store}", title_justify="left")
    for col in ("input", "format", "read", "accepted", "duplicates", "quarantined"):
        table.add_column(col, justify="right" if col not in ("input", "format") else "left")
    for i in report.inputs:
        fmt = i.format or "-"
        if i.already_ingested:
            fmt += " (seen before)"
        if i.skipped:
            fmt = f"skipped: {i.skipped}"
        table.add_row(i.input, fmt, *_counts(i))
    if len(report.inputs) > 1:
        table.add_row("total", "", *_counts(report), style="bold")
    out.print(table)
    for i in report.inputs:
        if i.mapping:
            note(f"{i.input}: {_mapping_text(i.mapping)}")
        for warning in i.warnings:
            note(f"{i.input}: {warning}")
    if report.quarantined:
        err.print(f"{report.quarantined:,} records quarantined: see `talentflow status` for the reasons.")


def _mapping_text(mapping: dict[str, Any]) -> str:
    """How a flat file was read, in one line: the layout, column → field, fields derived, defaults, unused."""
    columns = ", ".join(f"{c or '(unnamed)'} → {f}" for c, f in mapping["columns"].items())
    parts = [f"read as {mapping['layout']}: {columns or 'no columns'}"]
    if mapping.get("derived"):
        parts.append("; ".join(f"{f} from {src}" for f, src in mapping["derived"].items()))
    if mapping.get("defaults"):
        parts.append("defaults " + ", ".join(f"{f}={v}" for f, v in mapping["defaults"].items()))
    unused = mapping.get("unused") or []
    if unused:
        shown = ", ".join(unused[:8]) + (f" and {len(unused) - 8} more" if len(unused) > 8 else "")
        parts.append(f"not read: {shown}")
    return "; ".join(parts)


def _counts(counted: Any) -> list[str]:
    return [f"{getattr(counted, k):,}" for k in ("read", "accepted", "duplicates", "quarantined")]


@app.command(
    "status",
    cls=Command,
    epilog="""
**Examples**

    talentflow status
    talentflow status --json --db /data/ru-2022.duckdb
""",
)
def status_cmd(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Row counts per table, the inputs ingested, and the quarantine by reason."""
    with Store(db, read_only=True) as store:
        status = store.status()
    if as_json:
        print_json(status)
        return
    from rich.table import Table

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
            counts = (f"{i[k]:,}" for k in ("read", "accepted", "duplicates", "quarantined"))
            inputs.add_row(str(i["ingest_id"]), i["input"], i["format"], *counts)
        out.print(inputs)
    if status["quarantine_by_reason"]:
        q = Table(title="Quarantine by reason", title_justify="left")
        q.add_column("reason")
        q.add_column("records", justify="right")
        for r in status["quarantine_by_reason"]:
            q.add_row(r["reason"], f"{r['count']:,}")
        out.print(q)
