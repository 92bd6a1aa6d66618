"""Destination groups: the regions split the known countries, the EU lies inside Europe, and the indicators'
Ibis expression agrees with the reference module."""

from __future__ import annotations

import ibis
import pytest

from talentflow.indicators.segments import destination_groups
from talentflow.reference.countries import COUNTRY_AREAS, UNKNOWN_COUNTRY
from talentflow.reference.groups import EU, GROUPS, NAMES, REGIONS, groups_of, region_of


def test_regions_are_disjoint_and_the_eu_is_in_europe() -> None:
    seen: dict[str, str] = {}
    for name, members in REGIONS.items():
        for code in members:
            assert code not in seen, f"{code} is in {seen.get(code)} and {name}"
            seen[code] = name
            assert len(code) == 2 and code.isupper()
    assert len(EU) == 27 and EU.issubset(REGIONS["europe"])
    assert set(NAMES) == set(GROUPS)


@pytest.mark.parametrize(
    ("country", "groups"),
    [
        ("GE", ("caucasus",)),
        ("AM", ("caucasus",)),
        ("KZ", ("central_asia",)),
        ("TR", ("middle_east",)),
        ("AE", ("middle_east",)),
        ("IL", ("middle_east",)),
        ("CY", ("europe", "eu")),
        ("DE", ("europe", "eu")),
        ("RS", ("europe",)),
        ("ME", ("europe",)),
        ("BY", ("europe",)),
        ("US", ("americas",)),
        ("TH", ("asia",)),
        ("AU", ("other",)),
        ("ZZ", ()),
        (None, ()),
    ],
)
def test_groups_of_a_country(country: str | None, groups: tuple[str, ...]) -> None:
    assert groups_of(country) == groups
    assert region_of(country) == (groups[0] if groups else None)


def test_the_ibis_expression_agrees_with_the_reference() -> None:
    codes = sorted({*COUNTRY_AREAS.values(), *(c for m in REGIONS.values() for c in m)})
    t = ibis.memtable({"destination": [*codes, None]})
    out = t.mutate(groups=destination_groups(t.destination)).execute()
    got = {row.destination: tuple(row.groups) for row in out.itertuples()}
    for code in codes:
        expected = groups_of(code) or (None,)
        assert got[code] == expected, code
    assert got[UNKNOWN_COUNTRY] == (None,)
