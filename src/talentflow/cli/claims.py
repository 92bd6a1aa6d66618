"""``talentflow claims``: list, add and import published claims, and compare them with talentflow's estimates."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from talentflow._format import number
from talentflow.claims._terms import DEFAULT_TOLERANCE
from talentflow.cli._common import (
    Command,
    DataOption,
    DbOption,
    ListFormatOption,
    ReportFormatOption,
    err,
    file_or_flag,
    out,
    print_json,
    write_rows,
)
from talentflow.errors import UsageError
from talentflow.store import Store

if TYPE_CHECKING:
    from talentflow.claims.ledger import ClaimFile, ImportReport

app = typer.Typer(
    help="Published claims (who said how many left, when): keep them, and check them against the data.",
    no_args_is_help=True,
)


@app.command(
    "list",
    cls=Command,
    epilog="""
**Examples**

    talentflow claims list
    talentflow claims list --metric it_vacancies --format json
    talentflow claims list --format csv > claims.csv
""",
)
def list_cmd(
    metric: Annotated[str | None, typer.Option(help="Only claims about this metric.")] = None,
    format: ListFormatOption = "table",
    db: DbOption = None,
) -> None:
    """The claims in the store, by id."""
    import pandas as pd

    from talentflow.claims.ledger import COLUMNS, load_claims

    with Store(db, read_only=True) as store:
        claims = load_claims(store, metric)
    if format != "table":
        rows = [c.record() for c in claims]
        write_rows(pd.DataFrame(rows, columns=list(COLUMNS)), rows, format, None, title="Claims")
        return
    shown = [
        {
            "claim_id": c.claim_id,
            "metric": c.metric,
            "geography": c.geography,
            "period": f"{c.period_start} → {c.period_end}",
            "claim": c.stated,
            "unit": c.unit,
            "who": c.who,
        }
        for c in claims
    ]
    write_rows(pd.DataFrame(shown), shown, "table", None, title=f"Claims ({len(shown)})")


@app.command(
    "add",
    cls=Command,
    epilog="""
**Examples**

    talentflow claims add --id my-1 --metric it_vacancies --geography RU --from 2022-03-31 --to 2022-03-31 \\
        --value 95000 --unit vacancies --who "CNews" --said-on 2022-04-01 --url https://example.org/a
    talentflow claims add --id my-2 --metric it_emigrants --geography RU --from 2022-02-24 --to 2022-03-22 \\
        --low 50000 --high 70000 --unit people --who RAEC --url https://example.org/b --format json
""",
)
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
    format: ReportFormatOption = "table",
    db: DbOption = None,
) -> None:
    """Add one claim (a value, or a range) to the store."""
    from talentflow.claims.ledger import claims_from_command

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
    _store(claims_from_command(raw), db, format, replace=replace)  # a typed claim never overwrites by accident


@app.command(
    "import",
    cls=Command,
    epilog="""
**Examples**

    talentflow claims import --builtin
    talentflow claims import my-claims.toml
    talentflow claims import my-claims.csv --format json

A file is checked whole first: one bad entry rejects it, and every problem is listed as file:line: claim: field.
A claim id already stored is updated when its fields differ, and counted as unchanged when they do not.
""",
)
def import_cmd(
    file: Annotated[Path | None, typer.Argument(help="A .toml ([[claim]] tables) or .csv claims file.")] = None,
    builtin: Annotated[bool, typer.Option("--builtin", help="Import the claims shipped with talentflow.")] = False,
    format: ReportFormatOption = "table",
    db: DbOption = None,
) -> None:
    """Import claims from a file, or the built-in ones; every claim read is inserted, updated or unchanged."""
    from talentflow.claims.ledger import builtin_claims, read_claims

    file_or_flag(file, builtin, "--builtin")
    _store(builtin_claims() if file is None else read_claims(file), db, format, replace=True)


def _store(source: ClaimFile, db: Path | None, format: str, *, replace: bool) -> None:
    from talentflow.claims.ledger import store_claims

    with Store(db) as store:
        report = store_claims(store, source, replace=replace)
    _print_report(report, format)


def _print_report(report: ImportReport, format: str) -> None:
    if format == "json":
        print_json(report.to_dict())
        return
    text = (
        f"{report.input}: read {report.read}, inserted {report.inserted}, updated {report.updated}, "
        f"unchanged {report.unchanged} (store {report.store})"
    )
    if report.updated_ids:
        text += f"\nupdated: {', '.join(report.updated_ids)}"
    out.print(text, highlight=False)


@app.command(
    "compare",
    cls=Command,
    epilog=f"""
**Examples**

    talentflow claims compare
    talentflow claims compare --format json
    talentflow claims compare --coverage 0.002 --tolerance 0.05 --format csv
    talentflow claims compare --data simulated --coverage 0.002

Every claim gets a row and a verdict: `consistent` (the estimate's 90% interval inside the values the claim
allows), `contradicted` (wholly outside them; in red, never hidden), `inconclusive` (across a bound: a wide
interval alone never makes a claim consistent), `calibration target` (simulated data from a scenario calibrated
to the claim: no evidence) or `no estimate` with the reason. A claim stated as one value allows ±tolerance
(default {DEFAULT_TOLERANCE:.0%}); a range or a bound is used as stated.
The estimates come from real data unless `--data simulated` is given, never from both; the `data` column says
which kind each estimate came from (`none`: no estimate).
""",
)
def compare_cmd(
    coverage: Annotated[
        float, typer.Option(help="Share of the market the board records hold; board levels are divided by it.")
    ] = 1.0,
    tolerance: Annotated[
        float, typer.Option(help="Relative margin around a claim stated as a single value.")
    ] = DEFAULT_TOLERANCE,
    data: DataOption = "real",
    format: ListFormatOption = "table",
    db: DbOption = None,
) -> None:
    """Set each stored claim beside talentflow's estimate for the same metric, place and period, from real data
    or (--data simulated) the simulator's."""
    import pandas as pd

    from talentflow.claims import compare, load_claims, records, summary

    with Store(db, read_only=True) as store:
        if not load_claims(store):
            raise UsageError(f"{store.path}: no claims stored; start with `talentflow claims import --builtin`")
        frame = compare(store, data=data, coverage=coverage, tolerance=tolerance)
    rows = records(frame)
    if format != "table":
        write_rows(frame, rows, format, None, title="Claims against estimates")
    else:
        shown = [
            {
                "claim_id": r["claim_id"],
                "metric": r["metric"],
                "period_end": r["period_end"],
                "claim": r["claim"],
                "estimate": number(r["estimate"], 3),
                "interval": "" if r["low"] is None else f"{number(r['low'], 3)}–{number(r['high'], 3)}",
                "status": r["status"],
                "data": r["data"],
                "note": r["note"],
            }
            for r in rows
        ]
        styles = {
            "status": {
                "consistent": "green",
                "contradicted": "bold red",
                "inconclusive": "yellow",
                "calibration target": "dim",
                "no estimate": "dim",
            }
        }
        write_rows(
            pd.DataFrame(shown),
            shown,
            "table",
            None,
            title=f"Claims against estimates ({data} data)",
            styles=styles,
            no_wrap=("claim_id", "status", "data"),
            right=("estimate", "interval"),
        )
    err.print(f"{data} data: " + ", ".join(f"{n} {s}" for s, n in summary(frame).items()), highlight=False)
