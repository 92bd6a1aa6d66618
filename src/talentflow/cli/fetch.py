"""``talentflow fetch``: download a public source into the local cache (or take it from there), then ingest it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from talentflow.cli._common import Command, DbOption, JsonOption, err, note, out, print_json, progress_bar
from talentflow.fetch._cache import ENV_CACHE
from talentflow.fetch.sources import ENV_HH_TOKEN, ENV_HH_USER_AGENT, ENV_URL_BASE

if TYPE_CHECKING:
    from talentflow.fetch import FetchReport
    from talentflow.ingestion import InputReport

app = typer.Typer()

SourceName = Literal["innovation-graph", "hiring-lab", "ai-tracker", "hh-dictionaries", "fx"]


@app.command(
    "fetch",
    cls=Command,
    epilog="""
**Examples**

    talentflow fetch ai-tracker
    talentflow fetch innovation-graph --db ru-2022.duckdb --json
    talentflow fetch hiring-lab --to /data/talentflow-cache
    talentflow fetch hh-dictionaries --user-agent 'talentflow-study/1.0 (you@example.org)'
    talentflow fetch hiring-lab --offline
    talentflow fetch fx
    talentflow fetch ai-tracker --url-base http://mirror.example.org:8080

Sources: `innovation-graph` (GitHub Innovation Graph, 6 CSV files), `hiring-lab` (Indeed Hiring Lab job postings
index: 11 country and 6 sector files), `ai-tracker` (Indeed AI Tracker, AI_posting.csv), `hh-dictionaries`
(hh.ru's GET /areas and GET /dictionaries; an application token in $TALENTFLOW_HH_TOKEN is sent along when set),
`fx` (the Bank of Russia's official rates on the first day of each month, 2022-03 to 2024-11, for the salary
indicator's conversions).
A second fetch asks with If-None-Match / If-Modified-Since and downloads nothing that did not change; the ingest
skips content it has stored. The URLs, the cache and its manifest: docs/fetch.md.
""",
)
def fetch_cmd(
    source: Annotated[SourceName, typer.Argument(help="The source to fetch.", show_default=False)],
    cache: Annotated[
        Path | None,
        typer.Option(
            "--to",
            envvar=ENV_CACHE,
            help="Cache folder (a folder per source inside) [default: $XDG_CACHE_HOME/talentflow or "
            "~/.cache/talentflow].",
            show_default=False,
        ),
    ] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Use the cached copies only; no network.")] = False,
    url_base: Annotated[
        str | None,
        typer.Option(
            "--url-base",
            envvar=ENV_URL_BASE,
            help="A mirror's address in place of each source's host (the paths stay the canonical ones).",
            show_default=False,
        ),
    ] = None,
    user_agent: Annotated[
        str | None,
        typer.Option(
            "--user-agent",
            envvar=ENV_HH_USER_AGENT,
            help="hh-dictionaries: the HH-User-Agent hh.ru asks for, 'AppName/1.0 (contact@example.org)'.",
            show_default=False,
        ),
    ] = None,
    retries: Annotated[int, typer.Option(help="Attempts after the first on 5xx, 429, timeouts, cut downloads.")] = 3,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the server between bytes.")] = 60.0,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Download a public source (conditional GETs, into a local cache), check its layout, and ingest it."""
    from talentflow.fetch import fetch

    show = not as_json and err.is_terminal
    with _FetchProgress(enabled=show) as hook:
        report = fetch(
            source,
            cache=cache,
            offline=offline,
            url_base=url_base,
            user_agent=user_agent,
            token=os.environ.get(ENV_HH_TOKEN) or None,
            db=db,
            retries=retries,
            timeout=timeout,
            progress=hook if show else None,
        )
    if as_json:
        print_json(report.to_dict())
    else:
        _print_report(report)


class _FetchProgress:
    """One bar on stderr: each file's bytes as it arrives, then each input as the ingest reads it."""

    def __init__(self, enabled: bool) -> None:
        self.progress = progress_bar("[bold]{task.description}", "{task.fields[size]}", enabled=enabled)
        self.task: Any = None

    def __enter__(self) -> _FetchProgress:
        self.progress.start()
        self.task = self.progress.add_task("", total=None, size="")
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, event: str, payload: Any) -> None:
        update = self.progress.update
        if event == "download":
            label = f"download [{payload['index'] + 1}/{payload['total']}] {payload['name']}"
            update(self.task, description=label, total=None, completed=0, size="")
        elif event == "bytes":
            got, total = payload
            update(self.task, total=total, completed=got, size=f"{got / 1e6:,.1f} MB")
        elif event == "start":
            label = f"ingest [{payload['index'] + 1}/{payload['total']}] {Path(payload['input']).name}"
            update(self.task, description=label, total=1.0, completed=0, size=f"{payload['bytes'] / 1e6:,.1f} MB")
        elif event == "progress":
            update(self.task, completed=payload)


def _print_report(report: FetchReport) -> None:
    from rich.table import Table

    where = "the cache" if report.offline else "the network"
    table = Table(title=f"{report.source} from {where}, cached in {report.cache}", title_justify="left")
    # A status or a size is never cut (a status cut in two reads as another status); on a narrow terminal a
    # long file name folds and the records wrap instead.
    table.add_column("file", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("records" if report.ingest else "stored", min_width=10)
    inputs = report.ingest.inputs if report.ingest else [None] * len(report.files)
    for file, done in zip(report.files, inputs, strict=True):
        status = "same content" if file.status == "downloaded" and not file.changed else file.status
        stored = _records(done) if done is not None else _stored(report.reference, file.name)
        table.add_row(file.name, status, _size(file.bytes), stored)
    out.print(table)
    out.print(_summary(report))
    if report.ingest is not None:
        for done in report.ingest.inputs:
            for warning in done.warnings:
                note(f"{done.input}: {warning}")
        if report.ingest.quarantined:
            err.print(f"{report.ingest.quarantined:,} records quarantined: see `talentflow status` for the reasons.")


def _records(done: InputReport) -> str:
    """An input's accounting in words: ``24,642 new``, ``24,642 duplicates``, ``10 new, 3 quarantined``."""
    parts = [f"{n:,} {what}" for n, what in ((done.accepted, "new"), (done.duplicates, "duplicates")) if n]
    if done.quarantined:
        parts.append(f"{done.quarantined:,} quarantined")
    return ", ".join(parts) or "0 new"


def _summary(report: FetchReport) -> str:
    fetched = sum(f.bytes for f in report.files if f.status == "downloaded")
    n = len(report.files)
    if report.offline:
        text = f"{n} file{'s' if n > 1 else ''} from the cache, nothing downloaded"
    elif report.downloaded:
        text = f"{report.downloaded} of {n} files downloaded ({_size(fetched)})"
    else:
        text = "nothing downloaded: upstream has not changed"
    if report.ingest is not None:
        i = report.ingest
        text += f"; {i.accepted:,} new records stored in {i.store} ({i.duplicates:,} duplicates, "
        text += f"{i.quarantined:,} quarantined)"
        if seen := sum(1 for done in i.inputs if done.already_ingested):
            text += f"; the content of {seen} file{'s' if seen > 1 else ''} was stored before"
    elif any(part.get("loaded") for part in report.reference.values()):
        text += "; loaded into the store: " + ", ".join(k for k, v in report.reference.items() if v.get("loaded"))
    else:
        text += "; the store holds this area tree and these dictionaries already"
    return text + "."


def _stored(reference: dict[str, dict[str, Any]], name: str) -> str:
    part = reference.get(name.removesuffix(".json"), {})
    if not part:
        return "-"
    if not part.get("loaded"):
        return "already in the store"
    if "nodes" in part:
        return f"{part['nodes']:,} areas in {part['countries']} countries"
    return ", ".join(f"{n:,} {d}" for d, n in part["entries"].items())


def _size(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 100_000 else f"{n / 1e3:,.1f} kB"
