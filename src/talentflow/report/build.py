"""`build_report`: gather a store's data and write the one-file HTML report."""

from __future__ import annotations

import os
from pathlib import Path

from talentflow.errors import UsageError
from talentflow.report.data import ReportData, gather
from talentflow.report.html import render
from talentflow.report.options import ReportOptions, Step
from talentflow.store import Store

__all__ = ["build_report"]


def build_report(
    out: str | os.PathLike[str],
    *,
    db: str | os.PathLike[str] | None = None,
    store: Store | None = None,
    options: ReportOptions | None = None,
    step: Step | None = None,
) -> ReportData:
    """Write the report of ``store`` (or the store file ``db``) to ``out``; the store is opened read-only."""
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"{out}: the report is one HTML file (.html); there is no PDF output", param="out")
    if store is None:
        with Store(db, read_only=True) as opened:
            data = gather(opened, options, step)
    else:
        data = gather(store, options, step)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(render(data), encoding="utf-8")
    tmp.replace(out)
    return data
