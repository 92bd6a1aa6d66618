"""Groups of destination countries: where emigrants and relocation wishes go, by region (docs/indicators.md,
"Destination groups").

Six **regions** split the world with ``other`` for the rest (Africa but Egypt, Oceania), so that every known
country is in exactly one region and the regions of a set of destinations add up to the whole; ``eu`` is laid
over them (every EU member is also in ``europe``). Membership is by ISO 3166-1 alpha-2 code, written from the UN's
M49 regions with four choices of our own, because the migration literature on Russia's 2022 emigration groups
countries so (the Caucasus and Central Asia are the first destinations, the Gulf and Turkey the next):

- ``caucasus`` is the South Caucasus states (AM, AZ, GE), which M49 puts in Western Asia;
- ``middle_east`` is the rest of M49's Western Asia (Turkey included) plus Iran (M49: Southern Asia) and Egypt
  (M49: Northern Africa);
- ``europe`` is M49's Europe plus Cyprus (M49: Western Asia; an EU member);
- ``asia`` is M49's Eastern, South-eastern and Southern Asia without Iran; Central Asia has its own group.

``ZZ`` (hh.ru's «Другие регионы»: abroad, country not stated) is in no group and no region.
"""

from __future__ import annotations


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: The European Union's 27 members (since 2020-02-01).
EU: frozenset[str] = _codes("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE")

#: Regions: each known country is in exactly one of them, or in ``other``. Order is the order of output.
REGIONS: dict[str, frozenset[str]] = {
    # M49 Europe (Russia, Belarus, Ukraine and Moldova included) plus Cyprus; a few territories (Faroes,
    # Gibraltar, the Crown dependencies, Åland, Svalbard) and Kosovo (XK, a user-assigned code).
    "europe": EU | _codes("AL AD BA BY CH FO GB GG GI IM IS JE LI MC MD ME MK NO RS RU SM UA VA XK AX SJ"),
    "caucasus": _codes("AM AZ GE"),
    "central_asia": _codes("KZ KG TJ TM UZ"),
    "middle_east": _codes("AE BH EG IL IQ IR JO KW LB OM PS QA SA SY TR YE"),
    # M49 Americas: Northern America, Central America, the Caribbean, South America.
    "americas": _codes(
        "US CA MX BM GL PM BZ CR SV GT HN NI PA AG BS BB CU DM DO GD HT JM KN LC VC TT PR KY AW CW SX BQ VG VI "
        "TC AI MS GP MQ BL MF AR BO BR CL CO EC GY PY PE SR UY VE GF FK"
    ),
    "asia": _codes("CN HK MO TW JP KR KP MN BN KH ID LA MY MM PH SG TH TL VN AF BD BT IN MV NP PK LK"),
}
#: The region of a known country in none of REGIONS.
OTHER = "other"

#: Every group a destination can be counted in: the regions, ``other`` and the EU.
GROUPS: tuple[str, ...] = (*REGIONS, OTHER, "eu")

#: Display names.
NAMES: dict[str, str] = {
    "europe": "Europe",
    "eu": "EU",
    "caucasus": "Caucasus",
    "central_asia": "Central Asia",
    "middle_east": "Middle East",
    "americas": "Americas",
    "asia": "Asia",
    "other": "other countries",
}

#: Countries that are not a place: no group.
_NOWHERE = frozenset({"ZZ"})


def region_of(country: str | None) -> str | None:
    """The region of an ISO2 code (``other`` for a country in no region); None for none or ``ZZ``."""
    if not country or country in _NOWHERE:
        return None
    return next((name for name, members in REGIONS.items() if country in members), OTHER)


def groups_of(country: str | None) -> tuple[str, ...]:
    """Every group of an ISO2 code: its region, and ``eu`` for EU members."""
    region = region_of(country)
    if region is None:
        return ()
    return (region, "eu") if country in EU else (region,)
