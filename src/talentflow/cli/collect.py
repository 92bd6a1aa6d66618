"""``talentflow collect``: collectors of live job boards (hh.ru's API)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from talentflow.cli._common import Command, DbOption, JsonOption, err, note, out, print_json, progress_bar

app = typer.Typer(help="Collect vacancies from a live job board (hh.ru's API).", no_args_is_help=True)

EXAMPLES = """
**Examples**

    export TALENTFLOW_HH_USER_AGENT='MyStudy/1.0 (me@example.org)'
    export TALENTFLOW_HH_TOKEN=...   # or TALENTFLOW_HH_CLIENT_ID and TALENTFLOW_HH_CLIENT_SECRET
    talentflow collect hh --it --area 113
    talentflow collect hh --text python --role 96 --area 1 --area 2 --json
    talentflow collect hh --it --param schedule=remote --full --max-requests 500
    talentflow collect hh --resume
    talentflow collect hh --it --area 113 --api-url http://127.0.0.1:8080 --rate 5

A run counts the search, splits it until every slice holds at most 2,000 results (hh.ru's cap), reads every page,
and stores each vacancy seen as a sighting. A stopped run continues with --resume. Exit codes: 2 a usage error,
3 hh.ru or the network failed (try --resume later), 4 hh.ru refused access (a person must act: see the message),
5 another collection is running on the store. See docs/collect.md.
"""


@app.command("hh", cls=Command, epilog=EXAMPLES)
def hh_cmd(
    text: Annotated[str | None, typer.Option("--text", help="Search text (hh.ru's query language).")] = None,
    roles: Annotated[
        list[str] | None, typer.Option("--role", help="Professional role id (repeatable), e.g. 96.")
    ] = None,
    areas: Annotated[list[str] | None, typer.Option("--area", help="Area id (repeatable), e.g. 113 Russia.")] = None,
    it: Annotated[bool, typer.Option("--it", help="Every IT professional role.")] = False,
    params: Annotated[
        list[str] | None,
        typer.Option("--param", help="Another hh.ru search parameter, KEY=VALUE (repeatable), checked."),
    ] = None,
    api_url: Annotated[
        str | None,
        typer.Option(envvar="TALENTFLOW_HH_API_URL", help="The API's address [default: https://api.hh.ru]."),
    ] = None,
    user_agent: Annotated[
        str | None,
        typer.Option(envvar="TALENTFLOW_HH_USER_AGENT", help="HH-User-Agent: 'Name/Version (contact)' (required)."),
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the store's unfinished run.")] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="Abandon the store's unfinished run, start anew.")] = False,
    full: Annotated[bool, typer.Option("--full", help="Also GET /vacancies/{id} for new or changed ids.")] = False,
    max_requests: Annotated[int, typer.Option(help="At most this many full-vacancy requests (--full).")] = 1000,
    rate: Annotated[float, typer.Option(help="Requests per second, at most.")] = 3.0,
    retries: Annotated[int, typer.Option(help="Retries of a failed request (429, 5xx, network).")] = 5,
    backoff: Annotated[float, typer.Option(help="First retry's wait ceiling in seconds (doubles).")] = 1.0,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for an answer.")] = 30.0,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder of the sightings files [default: hh-collect/ by the store]."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the retries' jitter.")] = 0,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Collect every hh.ru vacancy a search matches, past the 2,000-result cap, into the store."""
    from talentflow.collect import Politeness, Query, collect_hh

    given = bool(text or roles or areas or it or params)
    query = Query.build(text, roles or (), areas or (), it, params or ()) if given else None
    polite = Politeness(rate=rate, retries=retries, backoff=backoff, timeout=timeout)
    show = not as_json and err.is_terminal
    with progress_bar("[bold]collecting", "{task.completed:,.0f}/{task.total:,.0f} slices", enabled=show) as bar:
        task = bar.add_task("hh.ru", total=1)

        def progress(event: str, payload: dict[str, Any]) -> None:
            bar.update(task, completed=payload["done"], total=payload["known"])

        result = collect_hh(
            query,
            db=db,
            api_url=api_url,
            user_agent=user_agent,
            politeness=polite,
            resume=resume,
            fresh=fresh,
            full=full,
            max_requests=max_requests,
            out=out_dir,
            seed=seed,
            progress=progress,
        )
    if as_json:
        print_json(result.to_dict())
        return
    _print(result)


def _print(r: Any) -> None:
    coverage = f"{r.coverage:.1%}" if r.coverage is not None else "n/a"
    failures = ", ".join(f"{n} {k}" for k, n in r.failures.items()) or "none"
    out.print(f"Run {r.run_id} ({r.query}): {r.status}, attempt {r.attempts}, {r.seconds:,.1f} s")
    out.print(f"  found (whole query)   {r.found if r.found is not None else 'n/a':>10}")
    out.print(f"  found (sum of slices) {r.leaf_found:>10,}")
    out.print(f"  retrieved ids         {r.retrieved:>10,}   coverage {coverage}")
    out.print(f"  requests              {r.requests:>10,}   retries {r.retries:,}; failures: {failures}")
    splits = ", ".join(f"{n} by {k}" for k, n in r.split.items()) or "none"
    out.print(f"  slices                {r.slices:>10,}   splits: {splits}")
    if r.full_fetched:
        out.print(f"  full vacancies        {r.full_fetched:>10,}")
    if r.ingest:
        out.print(
            f"  stored: {r.ingest['accepted']:,} sightings, {r.ingest['duplicates']:,} duplicates, "
            f"{r.ingest['quarantined']:,} quarantined ({r.pages_file})"
        )
    for t in r.truncated:
        note(
            f"slice {t['slice_id']} ({t['date_from']} to {t['date_to']}, areas {t['areas'] or 'all'}, roles "
            f"{t['roles'] or 'all'}) holds {t['found']:,} vacancies and cannot be split below hh.ru's cap of 2,000: "
            "only its first 2,000 were read; narrow the query (--area, --role, --param)"
        )
