"""Destination groups: the regions split the known countries, the EU lies inside Europe, the indicators' Ibis
expression agrees with the reference module, and the migration panel labels its destinations with them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

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


def test_the_panels_emigrants_by_destination_carry_their_region(tmp_path: Path) -> None:
    from talentflow import Store, ingest
    from talentflow.migration import PanelOptions, Population, fit_panel, load_panel
    from talentflow.simulate import load_scenario, simulate

    sim = tmp_path / "sim"
    simulate(load_scenario("exodus-2022"), sim, scale=0.003, seed=2, start=date(2021, 11, 1), end=date(2022, 12, 31))
    ingest([sim], db=tmp_path / "s.duckdb")
    with Store(tmp_path / "s.duckdb", read_only=True) as store:
        panel = load_panel(store, data="simulated")
    fit = fit_panel(panel, Population(1e6, "2021-12", "test"), corrected=False, options=PanelOptions(n_boot=5))
    rows = fit.result("2022-01", "2022-12").rows
    assert list(rows.columns[:5]) == ["flow", "origin", "destination", "group", "period"]
    everywhere = rows[rows.destination == "abroad"]
    assert everywhere.group.isna().all()
    by_country = rows[rows.destination != "abroad"]
    assert len(by_country) >= 5
    assert (by_country.group == by_country.destination.map(region_of)).all()
    assert {"caucasus", "central_asia", "europe", "middle_east"} <= set(by_country.group)
    # The regions split the window's emigrants as the countries do.
    total = everywhere[(everywhere.flow == "emigration") & (everywhere.period == "2022-01/2022-12")].estimate.iloc[0]
    assert by_country.groupby("group").estimate.sum().sum() == pytest.approx(total)
