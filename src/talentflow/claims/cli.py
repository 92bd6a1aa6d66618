"""``talentflow claims``: list, add and import published claims, and compare them with talentflow's estimates."""

# No ``from __future__ import annotations``: typer reads the option annotations of the nested commands at run time.
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from talentflow.claims.compare import DEFAULT_TOLERANCE, compare, records, summary
from talentflow.claims.ledger import (
    COLUMNS,
    ImportReport,
    builtin_claims,
    claims_from_command,
    load_claims,
    read_claims,
    store_claims,
)
from talentflow.errors import UsageError
from talentflow.store import ENV_DB, Store

DbOption = Annotated[
    Path | None,
    typer.Option("--db", envvar=ENV_DB, help="Store file [default: ./talentflow.duckdb].", show_default=False),
]
FORMATS = ("table", "csv", "json")
FormatOption = Annotated[str, typer.Option("--format", "-f", help=f"{', '.join(FORMATS)}.")]
REPORT_FORMATS = ("table", "json")


def register(app: typer.Typer, command: Callable[[Callable[..., None]], Callable[..., None]]) -> None:
    """Add ``talentflow claims`` to ``app``; ``command`` maps talentflow errors to exit codes."""
    from talentflow.cli import err, out

    claims_app = typer.Typer(
        help="Published claims (who said how many left, when): keep them, and check them against the data.",
        no_args_is_help=True,
    )
    app.add_typer(claims_app, name="claims")

    @claims_app.command(
        "list",
        epilog="""
**Examples**

    talentflow claims list
    talentflow claims list --metric it_vacancies --format json
    talentflow claims list --format csv > claims.csv
""",
    )
    @command
    def list_cmd(
        metric: Annotated[str | None, typer.Option(help="Only claims about this metric.")] = None,
        format: FormatOption = "table",
        db: DbOption = None,
    ) -> None:
        """The claims in the store, by id."""
        _check_format(format, FORMATS)
        with Store(db, read_only=True) as store:
            claims = load_claims(store, metric)
        rows = [c.record() for c in claims]
        if format == "json":
            print(json.dumps(rows, ensure_ascii=False))
        elif format == "csv":
            print(pd.DataFrame(rows, columns=list(COLUMNS)).to_csv(index=False).rstrip("\n"))
        else:
            table = Table(title=f"Claims ({len(rows)})", title_justify="left")
            for col in ("claim_id", "metric", "geography", "period", "claim", "unit", "who"):
                table.add_column(col)
            for c in claims:
                period = f"{c.period_start} → {c.period_end}"
                table.add_row(c.claim_id, c.metric, c.geography, period, c.stated, c.unit, c.who)
            out.print(table)

    @claims_app.command(
        "add",
        epilog="""
**Examples**

    talentflow claims add --id my-1 --metric it_vacancies --geography RU --from 2022-03-31 --to 2022-03-31 \\
        --value 95000 --unit vacancies --who "CNews" --said-on 2022-04-01 --url https://example.org/a
    talentflow claims add --id my-2 --metric it_emigrants --geography RU --from 2022-02-24 --to 2022-03-22 \\
        --low 50000 --high 70000 --unit people --who RAEC --url https://example.org/b --format json
""",
    )
    @command
    def add_cmd(
        claim_id: Annotated[str, typer.Option("--id", help="Claim id, e.g. A5.")],
        metric: Annotated[str, typer.Option(help="Metric, e.g. it_emigrants (see docs/migration.md).")],
        geography: Annotated[str, typer.Option(help="ISO2 country, e.g. RU.")],
        period_start: Annotated[str, typer.Option("--from", help="First day the figure covers (YYYY-MM-DD).")],
        period_end: Annotated[str, typer.Option("--to", help="Last day the figure covers (YYYY-MM-DD).")],
        unit: Annotated[str, typer.Option(help="people, vacancies, resumes, share or ratio.")],
        who: Annotated[str, typer.Option(help="Who made the claim.")],
        url: Annotated[str, typer.Option(help="Where it was published.")],
        value: Annotated[float | None, typer.Option(help="The figure, for a single value.")] = None,
        low: Annotated[float | None, typer.Option(help="Lower end of a range (alone: 'more than').")] = None,
        high: Annotated[float | None, typer.Option(help="Upper end of a range (alone: 'up to').")] = None,
        said_on: Annotated[str | None, typer.Option(help="When it was said (YYYY-MM-DD).")] = None,
        replace: Annotated[bool, typer.Option(help="Overwrite a stored claim with the same id.")] = False,
        format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
        db: DbOption = None,
    ) -> None:
        """Add one claim (a value, or a range) to the store."""
        _check_format(format, REPORT_FORMATS)
        if value is not None and (low is not None or high is not None):
            raise UsageError("give either --value or --low/--high, not both")
        raw = {
            "claim_id": claim_id,
            "metric": metric,
            "geography": geography,
            "period_start": period_start,
            "period_end": period_end,
            "value": value,
            "value_low": low,
            "value_high": high,
            "unit": unit,
            "who": who,
            "said_on": said_on,
            "url": url,
        }
        source = claims_from_command(raw)
        with Store(db) as store:
            report = store_claims(store, source, replace=replace)
        _print_report(report, format, out)

    @claims_app.command(
        "import",
        epilog="""
**Examples**

    talentflow claims import --builtin
    talentflow claims import my-claims.toml
    talentflow claims import my-claims.csv --format json

A file is checked whole first: one bad entry rejects it, and every problem is listed as file:line: claim: field.
A claim id already stored is updated when its fields differ, and counted as unchanged when they do not.
""",
    )
    @command
    def import_cmd(
        file: Annotated[Path | None, typer.Argument(help="A .toml ([[claim]] tables) or .csv claims file.")] = None,
        builtin: Annotated[bool, typer.Option("--builtin", help="Import the claims shipped with talentflow.")] = False,
        format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
        db: DbOption = None,
    ) -> None:
        """Import claims from a file, or the built-in ones; every claim read is inserted, updated or unchanged."""
        _check_format(format, REPORT_FORMATS)
        if (file is None) == (not builtin):
            raise UsageError("give either FILE or --builtin")
        source = builtin_claims() if builtin else read_claims(file)  # type: ignore[arg-type]
        with Store(db) as store:
            report = store_claims(store, source)
        _print_report(report, format, out)

    @claims_app.command(
        "compare",
        epilog=f"""
**Examples**

    talentflow claims compare
    talentflow claims compare --format json
    talentflow claims compare --coverage 0.002 --tolerance 0.05 --format csv

Every claim gets a row: `within`, `outside` (in red; never hidden) or `no estimate` with the reason. A claim
stated as one value allows ±tolerance (default {DEFAULT_TOLERANCE:.0%}); a range or a bound is used as stated.
""",
    )
    @command
    def compare_cmd(
        coverage: Annotated[
            float, typer.Option(help="Share of the market the board records hold; board levels are divided by it.")
        ] = 1.0,
        tolerance: Annotated[
            float, typer.Option(help="Relative margin around a claim stated as a single value.")
        ] = DEFAULT_TOLERANCE,
        format: FormatOption = "table",
        db: DbOption = None,
    ) -> None:
        """Set each stored claim beside talentflow's estimate for the same metric, place and period."""
        _check_format(format, FORMATS)
        with Store(db, read_only=True) as store:
            if not load_claims(store):
                raise UsageError(f"{store.path}: no claims stored; start with `talentflow claims import --builtin`")
            frame = compare(store, coverage=coverage, tolerance=tolerance)
        counts = summary(frame)
        if format == "json":
            print(json.dumps(records(frame), ensure_ascii=False))
        elif format == "csv":
            print(frame.to_csv(index=False).rstrip("\n"))
        else:
            _print_comparison(frame, out)
        err.print(", ".join(f"{n} {s}" for s, n in counts.items()), highlight=False)


def _check_format(format: str, allowed: tuple[str, ...]) -> None:
    if format not in allowed:
        raise UsageError(f"unknown format {format!r}; choose one of: {', '.join(allowed)}")


def _print_report(report: ImportReport, format: str, out: Any) -> None:
    if format == "json":
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    text = (
        f"{report.input}: read {report.read}, inserted {report.inserted}, updated {report.updated}, "
        f"unchanged {report.unchanged} (store {report.store})"
    )
    if report.updated_ids:
        text += f"\nupdated: {', '.join(report.updated_ids)}"
    out.print(text, highlight=False)


_STYLE = {"within": "green", "outside": "bold red", "no estimate": "dim"}


def _print_comparison(frame: pd.DataFrame, out: Any) -> None:
    table = Table(title="Claims against estimates", title_justify="left")
    for col in ("claim_id", "metric", "period_end", "claim", "estimate", "interval", "status", "note"):
        table.add_column(
            col, justify="right" if col in ("estimate", "interval") else "left", no_wrap=col in ("claim_id", "status")
        )
    for row in records(frame):
        interval = "" if row["low"] is None else f"{_cell(row['low'])}–{_cell(row['high'])}"
        status = row["status"]
        table.add_row(
            row["claim_id"],
            row["metric"],
            row["period_end"],
            row["claim"],
            _cell(row["estimate"]),
            interval,
            f"[{_STYLE[status]}]{status}[/]",
            row["note"],
        )
    out.print(table)


def _cell(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
