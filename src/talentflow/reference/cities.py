"""A few hh.ru city areas known without the full area tree: id → (name, parent id, ISO2 country, region).

The store starts with these beside the country rows, so records from these cities (the simulator's among them)
get a country and region even before `talentflow reference areas` has loaded the tree. Checked against the
2024-12 dump of ``GET /areas`` in the tests.
"""

from __future__ import annotations

import duckdb

from talentflow.reference.countries import COUNTRY_AREAS

CITY_AREAS: dict[str, tuple[str, str, str, str]] = {
    "1": ("Москва", "113", "RU", "Москва"),
    "2": ("Санкт-Петербург", "113", "RU", "Санкт-Петербург"),
    "3": ("Екатеринбург", "1261", "RU", "Свердловская область"),
    "4": ("Новосибирск", "1202", "RU", "Новосибирская область"),
    "26": ("Воронеж", "1844", "RU", "Воронежская область"),
    "53": ("Краснодар", "1438", "RU", "Краснодарский край"),
    "66": ("Нижний Новгород", "1679", "RU", "Нижегородская область"),
    "68": ("Омск", "1249", "RU", "Омская область"),
    "72": ("Пермь", "1317", "RU", "Пермский край"),
    "76": ("Ростов-на-Дону", "1530", "RU", "Ростовская область"),
    "78": ("Самара", "1586", "RU", "Самарская область"),
    "88": ("Казань", "1624", "RU", "Республика Татарстан"),
    "90": ("Томск", "1255", "RU", "Томская область"),
    "99": ("Уфа", "1347", "RU", "Республика Башкортостан"),
    "104": ("Челябинск", "1384", "RU", "Челябинская область"),
    "159": ("Астана", "40", "KZ", "Астана"),
    "160": ("Алматы", "40", "KZ", "Алматы"),
    "1002": ("Минск", "16", "BY", "Минск"),
    "2492": ("Баку", "9", "AZ", "Баку"),
    "2758": ("Тбилиси", "28", "GE", "Тбилиси"),
    "2759": ("Ташкент", "97", "UZ", "Ташкент"),
    "2760": ("Бишкек", "48", "KG", "Бишкек"),
    "2814": ("Батуми", "28", "GE", "Батуми"),
}


#: A row of the ``area`` table: (area_id, parent_id, name, country, region, depth).
AreaRow = tuple[str, str | None, str | None, str, str | None, int]


def builtin_areas() -> list[AreaRow]:
    """The area rows a store starts with: every country, then the cities above.

    (area_id, parent_id, name, country, region, depth), as in the ``area`` table.
    """
    countries: list[AreaRow] = [(area_id, None, None, iso2, None, 0) for area_id, iso2 in COUNTRY_AREAS.items()]
    cities: list[AreaRow] = [
        (area_id, parent, name, country, region, 1 if parent in COUNTRY_AREAS else 2)
        for area_id, (name, parent, country, region) in CITY_AREAS.items()
    ]
    return countries + cities


def add_builtin_areas(con: duckdb.DuckDBPyConnection) -> None:
    """Insert the built-in areas a store's ``area`` table lacks (source ``builtin``)."""
    con.executemany(
        "INSERT INTO area SELECT ?, ?, ?, ?, ?, ?, 'builtin' WHERE NOT EXISTS (SELECT 1 FROM area WHERE area_id = ?)",
        [(*row, row[0]) for row in builtin_areas()],
    )
