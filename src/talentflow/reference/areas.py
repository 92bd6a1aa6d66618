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

from talentflow.errors import InputError
from talentflow.reference.cities import add_builtin_areas
from talentflow.reference.countries import COUNTRY_AREAS
from talentflow.store import Store

API_URL = "https://api.hh.ru/areas"

#: Area names that place an area in one country: the tree's name → (area_id, country, region). A name used in
#: several countries is left out; a name used twice in one country keeps its country but not its region.
AREA_BY_NAME = """
    SELECT name, any_value(area_id) AS area_id, any_value(country) AS country,
           CASE WHEN count(*) = 1 THEN any_value(region) END AS region
    FROM area WHERE name IS NOT NULL
    GROUP BY name HAVING count(DISTINCT country) = 1
"""
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
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a JSON area tree ({exc})") from None
    return _validate(doc, str(path))


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
        WHERE t.area_id IS NULL AND t.country IS NULL AND t.area_name = n.name
        """
    ).fetchone()[0]  # type: ignore[index]
    return int(by_id) + int(by_name)
