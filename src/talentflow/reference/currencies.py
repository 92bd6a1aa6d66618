"""Currency codes accepted in salaries.

hh.ru writes ``RUR`` for the Russian rouble and ``BYR`` for the Belarusian rouble; its own rate table
(``/dictionaries``, 2024-12: BYR ≈ 0.035 per RUR) shows that ``BYR`` amounts are in today's rouble, so both
are stored as their ISO 4217 codes, RUB and BYN.
"""

from __future__ import annotations

ALIASES: dict[str, str] = {"RUR": "RUB", "BYR": "BYN"}

ISO_CODES: frozenset[str] = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "AOA",
        "ARS",
        "AUD",
        "AZN",
        "BAM",
        "BDT",
        "BGN",
        "BHD",
        "BRL",
        "BYN",
        "CAD",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CZK",
        "DKK",
        "DZD",
        "EGP",
        "EUR",
        "GBP",
        "GEL",
        "HKD",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KRW",
        "KWD",
        "KZT",
        "LBP",
        "LKR",
        "MAD",
        "MDL",
        "MKD",
        "MNT",
        "MXN",
        "MYR",
        "NGN",
        "NOK",
        "NZD",
        "OMR",
        "PEN",
        "PHP",
        "PKR",
        "PLN",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "SAR",
        "SEK",
        "SGD",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TRY",
        "TWD",
        "UAH",
        "USD",
        "UZS",
        "VND",
        "ZAR",
    ]
)

KNOWN: frozenset[str] = ISO_CODES | frozenset(ALIASES)


def normalise(code: str | None) -> str | None:
    """The ISO 4217 code for an hh.ru or ISO currency code; None if it is unknown."""
    if code is None:
        return None
    code = code.strip().upper()
    code = ALIASES.get(code, code)
    return code if code in ISO_CODES else None
