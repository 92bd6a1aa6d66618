"""The hh.ru area tree (``GET /areas``): every area with its country and first-level region.

Loaded from a file (a dump of the endpoint) or from the live API. Loading it also re-derives country and
region for stored observations, so records ingested before the tree was known get their country.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from talentflow._sql import literal
from talentflow.errors import InputError
from talentflow.reference._json import load as load_json
from talentflow.reference.cities import add_builtin_areas
from talentflow.reference.countries import COUNTRY_AREAS
from talentflow.reference.dictionaries import name_key_sql
from talentflow.store import Store

API_URL = "https://api.hh.ru/areas"

#: English names of the areas the store knows from the start (the built-in cities and the countries people
#: moved to most): hh.ru's area tree is in Russian only. Written by talentflow.
AREA_NAMES_EN: dict[str, tuple[str, ...]] = {
    "1": ("Moscow",),
    "2": ("Saint Petersburg", "St. Petersburg", "St Petersburg"),
    "3": ("Yekaterinburg", "Ekaterinburg"),
    "4": ("Novosibirsk",),
    "26": ("Voronezh",),
    "53": ("Krasnodar",),
    "66": ("Nizhny Novgorod",),
    "68": ("Omsk",),
    "72": ("Perm",),
    "76": ("Rostov-on-Don",),
    "78": ("Samara",),
    "88": ("Kazan",),
    "90": ("Tomsk",),
    "99": ("Ufa",),
    "104": ("Chelyabinsk",),
    "159": ("Astana",),
    "160": ("Almaty",),
    "1002": ("Minsk",),
    "2492": ("Baku",),
    "2758": ("Tbilisi",),
    "2759": ("Tashkent",),
    "2760": ("Bishkek",),
    "2814": ("Batumi",),
    "113": ("Russia",),
    "5": ("Ukraine",),
    "40": ("Kazakhstan",),
    "9": ("Azerbaijan",),
    "16": ("Belarus",),
    "28": ("Georgia",),
    "48": ("Kyrgyzstan",),
    "97": ("Uzbekistan",),
    "13": ("Armenia",),
    "146": ("Serbia",),
    "94": ("Turkey", "Türkiye"),
    "236": ("Cyprus",),
    "33": ("Israel",),
    "208": ("United Arab Emirates", "UAE"),
    "5046": ("Montenegro",),
}


def _english_rows() -> str:
    rows = [f"({literal(name)}, {literal(area_id)})" for area_id, names in AREA_NAMES_EN.items() for name in names]
    return f"SELECT * FROM (VALUES {', '.join(rows)}) e(name, area_id)"


def names_sql(country: str | None = None) -> str:
    """Area names that place an area in one country: key → (area_id, country, region). The names of the tree and
    the English names above, matched by ``name_key_sql``. A name used in several countries is left out (unless
    ``country`` is given: then only that country's areas are looked at); a name used twice in one country keeps
    its country but not its region."""
    within = f"AND a.country = {literal(country)}" if country else ""
    return f"""
    SELECT key, any_value(area_id) AS area_id, any_value(country) AS country,
           CASE WHEN count(*) = 1 THEN any_value(region) END AS region
    FROM (
        SELECT {name_key_sql("n.name")} AS key, a.area_id, a.country, a.region
        FROM (SELECT name, area_id FROM area WHERE name IS NOT NULL AND name <> '' UNION ALL {_english_rows()}) n
        JOIN area a ON a.area_id = n.area_id
        WHERE a.country IS NOT NULL {within}
    )
    GROUP BY key HAVING count(DISTINCT country) = 1
"""


#: Area names that place an area in one country, in every country (see ``names_sql``).
AREA_BY_NAME = names_sql()
USER_AGENT = "talentflow/0.1 (https://github.com/talentflow)"


@dataclass
class AreaLoad:
    source: str
    nodes: int
    countries: int
    without_country: int
    updated_vacancies: int
    updated_resumes: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def read_tree(path: Path) -> list[dict[str, Any]]:
    return _validate(load_json(path, "a JSON area tree"), str(path))


def fetch_tree(url: str = API_URL, timeout: float = 30) -> list[dict[str, Any]]:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            doc = json.load(response)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise InputError(f"{url}: cannot fetch the area tree ({exc}); pass a dump of it as FILE instead") from None
    return _validate(doc, url)


def _validate(doc: Any, where: str) -> list[dict[str, Any]]:
    roots = doc if isinstance(doc, list) else [doc]
    if not roots or not all(isinstance(r, dict) and "id" in r and "areas" in r for r in roots):
        raise InputError(f"{where}: expected the hh.ru area tree: a list of {{id, name, areas: [...]}} nodes")
    return roots


def flatten(
    roots: list[dict[str, Any]],
) -> Iterator[tuple[str, str | None, str, str | None, str | None, int]]:
    """(area_id, parent_id, name, country, region, depth) for every node."""

    def walk(
        node: dict[str, Any],
        parent: str | None,
        country: str | None,
        country_depth: int | None,
        region: str | None,
        depth: int,
    ) -> Iterator[tuple[str, str | None, str, str | None, str | None, int]]:
        area_id = str(node["id"])
        if area_id in COUNTRY_AREAS:
            # A country; the children of 1001 are countries in their own right.
            country, country_depth, region = COUNTRY_AREAS[area_id], depth, None
        elif country_depth is not None and depth == country_depth + 1:
            region = node.get("name")
        yield area_id, parent, str(node.get("name") or ""), country, region, depth
        for child in node.get("areas") or []:
            yield from walk(child, area_id, country, country_depth, region, depth + 1)

    for root in roots:
        yield from walk(root, None, None, None, None, 0)


def load_areas(store: Store, roots: list[dict[str, Any]], source: str) -> AreaLoad:
    rows = list(flatten(roots))
    table = pa.table(
        {
            "area_id": [r[0] for r in rows],
            "parent_id": [r[1] for r in rows],
            "name": [r[2] for r in rows],
            "country": [r[3] for r in rows],
            "region": [r[4] for r in rows],
            "depth": pa.array([r[5] for r in rows], pa.int32()),
        }
    )
    con = store.con
    with store.transaction():
        con.register("tf_tree", table)
        con.execute("DELETE FROM area")
        con.execute("INSERT INTO area SELECT *, ? FROM tf_tree", [source])
        add_builtin_areas(con)
        con.unregister("tf_tree")
        updated = [_backfill(store, t) for t in ("vacancy_observation", "resume_observation")]
        con.execute(
            "UPDATE resume_observation r SET relocation_countries = list_transform(r.relocation_area_ids, "
            "x -> amap.m[x]) FROM (SELECT map_from_entries(list(struct_pack(k := area_id, v := country))) "
            "AS m FROM area) amap WHERE r.relocation_area_ids IS NOT NULL"
        )
    return AreaLoad(
        source=source,
        nodes=len(rows),
        countries=len({r[3] for r in rows if r[3]}),
        without_country=sum(1 for r in rows if r[3] is None),
        updated_vacancies=updated[0],
        updated_resumes=updated[1],
    )


def _backfill(store: Store, table: str) -> int:
    """Re-derive country and region of stored records from the tree: by area id, else by unique name."""
    by_id = store.con.execute(
        f"""
        UPDATE {table} t SET country = a.country, region = a.region
        FROM area a
        WHERE t.area_id = a.area_id AND a.source <> 'builtin'
          AND (t.country IS DISTINCT FROM a.country OR t.region IS DISTINCT FROM a.region)
        """
    ).fetchone()[0]  # type: ignore[index]
    by_name = store.con.execute(
        f"""
        UPDATE {table} t SET area_id = n.area_id, country = n.country, region = n.region
        FROM ({AREA_BY_NAME}) n
        WHERE t.area_id IS NULL AND t.country IS NULL AND {name_key_sql("t.area_name")} = n.key
        """
    ).fetchone()[0]  # type: ignore[index]
    return int(by_id) + int(by_name)
