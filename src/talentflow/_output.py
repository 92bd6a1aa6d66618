"""Printing or writing a command's rows: a rich table, CSV, Parquet or a JSON array (shared by the commands)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table


def emit(text: str, output: Path | None) -> None:
    """``text`` to stdout, or into ``output`` with a final newline."""
    if output is None:
        print(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")


def write_rows(
    frame: pd.DataFrame,
    records: list[dict[str, Any]],
    format: str,
    output: Path | None,
    out: Console,
    *,
    title: str,
    text: str | None = None,
) -> None:
    """``records`` (the JSON-ready rows of ``frame``) as ``format``; a table written to a file is ``text``, or the
    frame as plain text."""
    if format == "json":
        emit(json.dumps(records, ensure_ascii=False), output)
    elif format == "csv":
        emit(frame.to_csv(index=False).rstrip("\n"), output)
    elif format == "parquet":
        frame.to_parquet(output, index=False)  # type: ignore[arg-type]
    elif output is not None:
        output.write_text((text if text is not None else frame.to_string(index=False)) + "\n", encoding="utf-8")
    else:
        table = Table(title=title, title_justify="left")
        for column in frame.columns:
            table.add_column(column, justify="right" if frame[column].dtype.kind in "iuf" else "left")
        for row in records:
            table.add_row(*("" if v is None else cell(v) for v in row.values()))
        out.print(table)


def cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)
