"""Reading files inside DuckDB: lines of NDJSON and rows of CSV, with the bad ones kept and located.

The fast path scans without line numbers (numbering every row costs a serial pass). Lines DuckDB cannot
read at all (bad UTF-8, longer than the limit, wrong column count) come back from its rejects table with
their line numbers. Records that read but fail validation are located afterwards by a second scan that
numbers rows, only when there are any.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from talentflow._sql import ident, literal
from talentflow.sources._text import is_gzip, max_line_bytes

RAW_LIMIT = 64 << 10

_REJECTS = "rejects_table='tf_rej', rejects_scan='tf_rej_scan'"

LONG_LINE = "line longer than the {limit} limit"


def limit_text() -> str:
    """The line limit as a reason says it, e.g. ``16 MiB``."""
    n = max_line_bytes()
    return f"{n / (1 << 20):g} MiB" if n >= 1 << 20 else f"{n:,} bytes"


_REJECT_REASONS = {
    "INVALID ENCODING": "not valid UTF-8 text",
    "LINE SIZE OVER MAXIMUM": LONG_LINE,
    "TOO MANY COLUMNS": "more columns than the header",
    "MISSING COLUMNS": "fewer columns than the header",
    "UNQUOTED VALUE": "a quote character inside an unquoted value",
    "CAST ERROR": "a value of the wrong type",
}


@dataclass
class Scan:
    """One DuckDB scan of a file, as lines (NDJSON) or as CSV rows with a header."""

    path: Path
    kind: str  # "lines" or "csv"
    columns: list[str] = field(default_factory=list)
    delimiter: str = ","
    #: Lines DuckDB could not read, filled by ``rejects``; ``locate`` skips past them.
    rejected_lines: list[int] = field(default_factory=list)

    def relation(self) -> str:
        p = literal(str(self.path))
        # The buffer is set as DuckDB sets it by default (16 times the line limit), so that a smaller limit set
        # for a test behaves as the default one does.
        limit = max_line_bytes()
        common = f"store_rejects=true, {_REJECTS}, max_line_size={limit}, buffer_size={16 * limit}"
        compression = "gzip" if is_gzip(self.path) else "none"  # by content: a .gz name on plain text is read
        common += f", compression='{compression}'"
        if self.kind == "lines":
            # No quoting, so strict mode has nothing to find; off, it takes CR LF and LF line ends mixed.
            return (
                f"read_csv({p}, columns={{'text': 'VARCHAR'}}, header=false, delim='\\x01', quote='', "
                f"escape='', auto_detect=false, strict_mode=false, {common})"
            )
        cols = ", ".join(f"{literal(c)}: 'VARCHAR'" for c in self.columns)
        return (
            f"read_csv({p}, columns={{{cols}}}, header=true, delim={literal(self.delimiter)}, quote='\"', "
            f"escape='\"', auto_detect=false, strict_mode=true, null_padding=false, {common})"
        )

    @property
    def header_lines(self) -> int:
        return 0 if self.kind == "lines" else 1

    @property
    def row_ref(self) -> str:
        """SQL identifying a CSV row by its values, the same in the first scan and in ``locate``."""
        return "hash(" + ", ".join(ident(c) for c in self.columns) + ")"

    @property
    def row_text(self) -> str:
        """SQL giving a CSV row back as text, for the quarantine."""
        return "concat_ws(',', " + ", ".join(f"coalesce({ident(c)}, '')" for c in self.columns) + ")"

    def reset_rejects(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute("DROP TABLE IF EXISTS tf_rej")
        con.execute("DROP TABLE IF EXISTS tf_rej_scan")

    def rejects(self, con: duckdb.DuckDBPyConnection, display: str) -> list[tuple[str, str, str]]:
        """(``display:line``, raw, reason) of every line the scan could not read."""
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'tf_rej' AND temporary"
        ).fetchone()[0]  # type: ignore[index]
        if not exists:
            return []
        rows = con.execute(
            "SELECT line, any_value(csv_line), string_agg(DISTINCT error_type, ', '), "
            "any_value(error_message) FROM tf_rej GROUP BY line ORDER BY line"
        ).fetchall()
        out = []
        for line, raw, types, message in rows:
            reasons = [_REJECT_REASONS.get(t, "unreadable").format(limit=limit_text()) for t in types.split(", ")]
            reason = "; ".join(reasons)
            if "TOO MANY" in types or "MISSING" in types:
                reason += f" ({message.strip()})"
            out.append((int(line), raw or "", reason))
        self.rejected_lines = [line for line, _, _ in out]
        return [(f"{display}:{line}", raw, reason) for line, raw, reason in out]

    def locate(
        self,
        con: duckdb.DuckDBPyConnection,
        ref_sql: str,
        refs: list[int],
    ) -> dict[int, list[tuple[int, str | None]]]:
        """(line number, line text) of the rows whose ``ref_sql`` value is in ``refs``, in file order.

        Rows are numbered by a serial rescan; a line DuckDB rejected is not a row, so the numbers are shifted
        past ``rejected_lines`` (exact unless a quoted CSV value spans lines).
        """
        if not refs:
            return {}
        con.execute("CREATE OR REPLACE TEMP TABLE tf_refs (ref UBIGINT)")
        con.executemany("INSERT INTO tf_refs VALUES (?)", [(r,) for r in set(refs)])
        self.reset_rejects(con)
        line_sql = "text" if self.kind == "lines" else "NULL::VARCHAR"
        rows = con.execute(
            f"SELECT n, ref, line FROM (SELECT row_number() OVER () AS n, ({ref_sql}) AS ref, {line_sql} AS line "
            f"FROM {self.relation()}) WHERE ref IN (SELECT ref FROM tf_refs) ORDER BY n"
        ).fetchall()
        rejected = sorted(self.rejected_lines)
        found: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
        for n, ref, line in rows:
            found[ref].append((_physical_line(n + self.header_lines, rejected), line))
        return found


def _physical_line(row_line: int, rejected: list[int]) -> int:
    """The physical line of the ``row_line``-th readable line, skipping the rejected ones."""
    line = row_line
    while True:
        shifted = row_line + bisect_right(rejected, line)
        if shifted == line:
            return line
        line = shifted


def cut(raw: str | None) -> str | None:
    if raw is None or len(raw) <= RAW_LIMIT:
        return raw
    return raw[:RAW_LIMIT] + f"… [cut: {len(raw):,} characters in all]"
