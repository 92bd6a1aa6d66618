"""Staging for CSV files whose layout is fixed by their source (population and external series)."""

from __future__ import annotations

from talentflow._sql import ident
from talentflow.model import Table
from talentflow.sources import _checks as ck
from talentflow.sources._base import Context, Staged, StageResult
from talentflow.sources._checks import Expr
from talentflow.sources._flat_layout import internal
from talentflow.sources._scan import Scan


def by_name(header: list[str]) -> dict[str, str]:
    """Each column of a header as the SQL that reads it: by position (``c0``, ``c1``, …), so that a name from the
    file never reaches a statement. A repeated name reads its first column."""
    out: dict[str, str] = {}
    for i, name in enumerate(header):
        out.setdefault(name, ident(internal(i)))
    return out


def stage_csv(
    ctx: Context,
    table: Table,
    columns: list[str],
    select: dict[str, str],
    checks: list[ck.Check],
    name: str,
) -> StageResult:
    """Stage a CSV whose header is ``columns``; ``select`` gives each canonical column as SQL over the columns
    read by position (``by_name``)."""
    scan = Scan(ctx.path, "csv", [internal(i) for i in range(len(columns))])
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


def year_quarter_checks(year: str, quarter: str) -> list[ck.Check]:
    return [
        ck.required(year, "year"),
        ck.required(quarter, "quarter"),
        (
            f"try_cast({year} AS INTEGER) IS NULL OR try_cast({year} AS INTEGER) NOT BETWEEN 1990 AND 2100",
            ck.msg("year: expected a year such as 2022, got ", Expr(f"tf_quote({year})")),
        ),
        (
            f"try_cast({quarter} AS INTEGER) IS NULL OR try_cast({quarter} AS INTEGER) NOT BETWEEN 1 AND 4",
            ck.msg("quarter: expected 1 to 4, got ", Expr(f"tf_quote({quarter})")),
        ),
    ]


def quarter_start(year: str, quarter: str) -> str:
    """The first day of a quarter; NULL (the row is quarantined by ``year_quarter_checks``) when the year or the
    quarter is out of range, which ``make_date`` would otherwise fail the whole file on."""
    y, q = f"try_cast({year} AS INTEGER)", f"try_cast({quarter} AS INTEGER)"
    return f"CASE WHEN {y} BETWEEN 1990 AND 2100 AND {q} BETWEEN 1 AND 4 THEN make_date({y}, 3 * {q} - 2, 1) END"
