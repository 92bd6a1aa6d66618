"""``talentflow reference``: reference data the records are read against (hh.ru's area tree and dictionaries)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from talentflow.cli._common import Command, DbOption, JsonOption, file_or_flag, out, print_json
from talentflow.store import Store

app = typer.Typer(help="Reference data: the hh.ru area tree and dictionaries.", no_args_is_help=True)


@app.command(
    "areas",
    cls=Command,
    epilog="""
**Examples**

    talentflow reference areas ../shared/data/hh-api/dictionaries/areas_2024-12.json
    talentflow reference areas --live --json
""",
)
def areas_cmd(
    file: Annotated[Path | None, typer.Argument(help="A dump of hh.ru's GET /areas.")] = None,
    live: Annotated[bool, typer.Option("--live", help="Fetch the tree from api.hh.ru instead.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Load hh.ru's area tree, so that every area id and name maps to a country and region."""
    from talentflow.reference.areas import API_URL, fetch_tree, load_areas, read_tree

    file_or_flag(file, live, "--live")
    roots = read_tree(file) if file is not None else fetch_tree()
    with Store(db) as store:
        result = load_areas(store, roots, str(file) if file is not None else API_URL)
    if as_json:
        print_json(result.to_dict())
    else:
        out.print(
            f"Loaded {result.nodes:,} areas in {result.countries} countries from {result.source}; "
            f"re-derived the country of {result.updated_vacancies:,} vacancy and "
            f"{result.updated_resumes:,} resume records."
        )


@app.command(
    "dictionaries",
    cls=Command,
    epilog="""
**Examples**

    talentflow reference dictionaries ../shared/data/hh-api/dictionaries/dictionaries_2024-12.json
    talentflow reference dictionaries ../shared/data/hh-api/dictionaries/professional_roles_2024-12.json --json

Without a loaded file, flat files are read with the copy shipped with talentflow (schedule, experience, employment
and work format names in Russian and English, role names of 2022-07 and 2024-12).
""",
)
def dictionaries_cmd(
    file: Annotated[Path, typer.Argument(help="A dump of hh.ru's GET /dictionaries or GET /professional_roles.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Load hh.ru's display names of ids, so that names in flat files («Удаленная работа») map to ids."""
    from talentflow.reference.dictionaries import load, read_answer

    kind, found = read_answer(file)
    with Store(db) as store, store.transaction() as con:
        result = load(con, kind, found, str(file))
    if as_json:
        print_json(result.to_dict())
    else:
        counts = ", ".join(f"{n:,} {d}" for d, n in result.entries.items())
        out.print(
            f"Loaded {counts} names from {result.source}; turned names into ids in "
            f"{result.updated_vacancies:,} stored vacancy records."
        )
