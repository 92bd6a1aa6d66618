"""Staging for CSV files whose layout is fixed by their source (population and external series)."""

from __future__ import annotations

from talentflow.model import Table
from talentflow.sources import _checks as ck
from talentflow.sources._base import Context, Staged, StageResult
from talentflow.sources._scan import Scan


def stage_csv(
    ctx: Context,
    table: Table,
    columns: list[str],
    select: dict[str, str],
    checks: list[ck.Check],
    name: str,
) -> StageResult:
    """Stage a CSV whose header is ``columns``; ``select`` gives each canonical column as SQL."""
    scan = Scan(ctx.path, "csv", columns)
    scan.reset_rejects(ctx.con)
    ref_sql, raw_sql = scan.row_ref, scan.row_text
    outputs = ",\n        ".join(
        f"CAST({select.get(c.name, 'NULL')} AS {c.type}) AS {c.name}" for c in table.columns[:-1]
    )
    ctx.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {name} AS
        WITH checked AS (SELECT *, {ck.reason(checks)} AS _reason FROM {scan.relation()})
        SELECT
        {outputs},
        _reason,
        CASE WHEN _reason IS NOT NULL THEN {raw_sql} END AS _raw,
        NULL::VARCHAR AS _loc,
        {ref_sql} AS _ref,
        '' AS _ptr
        FROM checked
        """
    )
    return StageResult([Staged(table, name, scan, ref_sql)], scan.rejects(ctx.con, ctx.display))


def year_quarter_checks(year: str = '"year"', quarter: str = '"quarter"') -> list[ck.Check]:
    return [
        ck.required(year, "year"),
        ck.required(quarter, "quarter"),
        (
            f"try_cast({year} AS INTEGER) IS NULL OR try_cast({year} AS INTEGER) NOT BETWEEN 1990 AND 2100",
            ck.msg("year: expected a year such as 2022, got ", f"{{tf_quote({year})}}"),
        ),
        (
            f"try_cast({quarter} AS INTEGER) IS NULL OR try_cast({quarter} AS INTEGER) NOT BETWEEN 1 AND 4",
            ck.msg("quarter: expected 1 to 4, got ", f"{{tf_quote({quarter})}}"),
        ),
    ]


def quarter_start(year: str = '"year"', quarter: str = '"quarter"') -> str:
    return f"make_date(try_cast({year} AS INTEGER), 3 * try_cast({quarter} AS INTEGER) - 2, 1)"
