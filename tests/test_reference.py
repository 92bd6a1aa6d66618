from talentflow.reference import currencies, roles
from talentflow.reference.countries import COUNTRY_AREAS, country_of_area


def test_country_table_has_the_facts_from_the_area_tree():
    facts = {
        "113": "RU",
        "5": "UA",
        "40": "KZ",
        "16": "BY",
        "28": "GE",
        "9": "AZ",
        "48": "KG",
        "97": "UZ",
        "13": "AM",
        "146": "RS",
        "94": "TR",
        "33": "IL",
        "236": "CY",
        "208": "AE",
        "5046": "ME",
        "2375": "NA",
    }
    assert {k: country_of_area(k) for k in facts} == facts
    assert country_of_area(1) is None  # Moscow is a city, not a country
    assert len(COUNTRY_AREAS) == 164


def test_currency_codes():
    assert [currencies.normalise(c) for c in ("RUR", "byr", " usd ", "XYZ", None)] == ["RUB", "BYN", "USD", None, None]


def test_it_roles():
    assert len(roles.IT_ROLES_STABLE) == 17
    assert len(roles.IT_ROLES_CURRENT) == 25
    assert "96" in roles.IT_ROLES_STABLE and "160" not in roles.IT_ROLES_STABLE


def test_builtin_cities_match_the_area_tree(shared):
    from talentflow.reference.areas import flatten, read_tree
    from talentflow.reference.cities import CITY_AREAS

    tree = {r[0]: r for r in flatten(read_tree(shared / "hh-api" / "dictionaries" / "areas_2024-12.json"))}
    for area_id, (name, parent, country, region) in CITY_AREAS.items():
        assert tree[area_id][1:5] == (parent, name, country, region), area_id
