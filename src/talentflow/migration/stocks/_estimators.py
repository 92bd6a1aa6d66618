"""The four estimators of flows from two stock tables, and the demographic account's births, deaths and margins."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from typing_extensions import Unpack

from talentflow.errors import UsageError
from talentflow.migration.results import MigrationResult
from talentflow.migration.stocks._bootstrap import Method, StockOptions, _result
from talentflow.migration.stocks._ipf import Stayers, ipf_tables
from talentflow.migration.stocks._tables import StockTable, _pair

Balance = Literal["error", "scale"]
#: A stock table as the estimators take it (see ``as_stock_table``).
Stocks = StockTable | pd.DataFrame | np.ndarray


def _differences(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    return {"emigration": _off_diagonal(np.maximum(b - a, 0.0))}


def _differences_and_returns(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    # A fall in the i-born living in j is people going home: a flow from j (row) to i (column).
    return {**_differences(a, b), "return": _off_diagonal(np.maximum(a - b, 0.0)).T}


_DIFFERENCE = Method(
    "stock differencing (Bertoli & Fernández-Huertas Moraga 2015)",
    _differences,
    (
        "Every rise in the number of people born in i living in j is a move i → j made in the period; falls "
        "are ignored (set to zero), so deaths and returns of earlier migrants do not offset new moves.",
        "Moves between two foreign countries, and moves that cancel within the period, are invisible.",
    ),
)
_BEINE_PARSONS = Method(
    "stock differencing with returns (Beine & Parsons 2015)",
    _differences_and_returns,
    (
        "A rise in the i-born living in j is emigration i → j; a fall is a return j → i. Deaths of migrants "
        "count as returns unless the stocks are net of deaths.",
        "Onward moves between two foreign countries are read as a return plus a new emigration.",
    ),
)


def flows_stock_difference(s0: Stocks, s1: Stocks, **options: Unpack[StockOptions]) -> MigrationResult:
    """Flow birthplace i → residence j = max(0, S1[i,j] − S0[i,j]) off the diagonal."""
    return _result(*_pair(s0, s1, options.get("labels")), _DIFFERENCE, options)


def flows_beine_parsons(s0: Stocks, s1: Stocks, **options: Unpack[StockOptions]) -> MigrationResult:
    """Emigration i → j = max(0, S1[i,j] − S0[i,j]); return j → i = max(0, S0[i,j] − S1[i,j]) (i the birthplace)."""
    return _result(*_pair(s0, s1, options.get("labels")), _BEINE_PARSONS, options)


def flows_dennett(
    s0: Stocks,
    s1: Stocks,
    *,
    total: float | None = None,
    **options: Unpack[StockOptions],
) -> MigrationResult:
    """Flow i → j = M · S0[i,j] / Σ_{k≠l} S0[k,l]: M movers shared out like the foreign-born stocks at t0.

    ``total`` is M, the number of movers in the period, taken from outside the stock tables (Dennett used published
    totals). Without it M = ½ Σ_j |ΔP_j|, ΔP_j the change in region j's population across all birthplaces: the
    fewest moves that explain the net changes, a lower bound and talentflow's choice, not Dennett's."""
    t0, t1 = _pair(s0, s1, options.get("labels"))
    if total is not None and (not math.isfinite(total) or total < 0):
        raise UsageError(f"total={total!r}: expected a number of movers >= 0")

    def estimate(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
        movers = total if total is not None else 0.5 * np.abs(b.sum(0) - a.sum(0)).sum()
        foreign = _off_diagonal(a)
        share = foreign / foreign.sum() if foreign.sum() > 0 else foreign
        return {"emigration": movers * share}

    notes = (
        "Each corridor's share of all movers equals its share of the foreign-born stock at t0: migrants follow "
        "existing diasporas, with one rate for every corridor.",
        "Return moves and moves into corridors with no stock at t0 get no flow.",
    )
    given = {"total": f"{total:,.6g} movers (given)" if total is not None else "½ Σ|net change by region|"}
    method = Method("migration rates (Dennett 2016)", estimate, notes, given)
    return _result(t0, t1, method, options)


def flows_demographic(
    s0: Stocks,
    s1: Stocks,
    *,
    births: np.ndarray | Sequence[float] | None = None,
    deaths: np.ndarray | Sequence[float] | None = None,
    stayers: Stayers = "max",
    offset: np.ndarray | pd.DataFrame | None = None,
    balance: Balance = "error",
    by_birthplace: bool = False,
    tol: float = 1e-6,
    maxit: int = 1000,
    **options: Unpack[StockOptions],
) -> MigrationResult:
    """Closed demographic accounting: per birthplace, where people lived at t0 × where they live at t1, by IPF.

    ``births`` and ``deaths`` are per region (a vector: births all to the natives of the region they happen in,
    deaths shared across birthplaces in proportion to the region's stocks at t0) or per birthplace × residence
    (a matrix). ``stayers`` is ``"max"`` (Abel 2013: as many stay as the margins allow), ``"none"`` (no stayer
    assumption: the diagonal is fitted like any cell) or a weight w in [0, 1] for w·max + (1 − w)·none, the form of
    Azose & Raftery's (2019) pseudo-Bayes mixture (talentflow ships no calibrated weight). ``offset`` is the prior
    table m_od (e.g. inverse distance); each birthplace's residual totals must balance (``balance="error"``) or the
    t1 table is rescaled to the t0 totals (``balance="scale"``)."""
    t0, t1 = _pair(s0, s1, options.get("labels"))
    birth_mat = _vital(births, t0.labels, "births")
    death_given = _vital(deaths, t0.labels, "deaths")
    if birth_mat.ndim == 1:
        birth_mat = np.diag(birth_mat)

    def death_mat(a: np.ndarray) -> np.ndarray:
        # Deaths per region are shared out again for every bootstrap draw, so they follow the drawn stocks.
        return _share_deaths(a, death_given) if death_given.ndim == 1 else death_given

    m = _offset(offset, t0.labels)
    _check_accounting(stayers, balance, tol, maxit)
    # Fail on the published tables themselves before any bootstrap draw can hide the problem.
    _margins(t0.values, t1.values, birth_mat, death_mat(t0.values), t0.labels, balance)

    def estimate(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
        rows, cols = _margins(a, b, birth_mat, death_mat(a), t0.labels, balance)
        mu = ipf_tables(rows, cols, m, stayers=stayers, tol=tol, maxit=maxit)
        if by_birthplace:
            # One fit per draw; _result keeps, for each kind, only the cells that can hold it.
            return {"emigration": mu, "return": mu, "transit": mu}
        return {"migration": _off_diagonal(mu.sum(0))}

    stayer_text = _stayer_text(stayers)
    inputs = {
        "births": _describe(births, "births"),
        "deaths": _describe(deaths, "deaths"),
        "offset": "given table" if offset is not None else "1 for every cell",
        "stayers": stayer_text,
    }
    method = Method(
        f"demographic accounting by IPF (Abel 2013; Abel & Sander 2014; Azose & Raftery 2019), stayers {stayer_text}",
        estimate,
        _accounting_notes(stayers, balance, by_birthplace),
        inputs,
        birthplace=by_birthplace,
        keep_row_totals=True,
    )
    return _result(t0, t1, method, options)


def _check_accounting(stayers: Stayers, balance: Balance, tol: float, maxit: int) -> None:
    if isinstance(stayers, str) and stayers not in ("max", "none"):
        raise UsageError(f"stayers={stayers!r}: expected 'max', 'none' or a weight between 0 and 1")
    if balance not in ("error", "scale"):
        raise UsageError(f"balance={balance!r}: expected 'error' or 'scale'")
    if tol <= 0 or maxit < 1:
        raise UsageError(f"tol={tol!r}, maxit={maxit!r}: expected tol > 0 and maxit >= 1")


def _stayer_text(stayers: Stayers) -> str:
    return {"max": "maximised (Abel 2013)", "none": "no stayer assumption"}.get(
        stayers if isinstance(stayers, str) else "", f"mixture, weight {stayers} on stayers maximised"
    )


def _accounting_notes(stayers: Stayers, balance: Balance, by_birthplace: bool) -> tuple[str, ...]:
    notes = [
        "Each birthplace's people at t0 (less deaths) are the row totals and at t1 (less births) the column totals "
        "of a residence-at-t0 × residence-at-t1 table fitted by IPF to the offset; flows are its off-diagonal cells, "
        "summed over birthplaces. One move per person per period at most: a transition count, not a count of moves.",
    ]
    if stayers == "max":
        notes.append("Stayers maximised: the fewest moves consistent with the stocks, so flows are a lower bound.")
    if balance == "scale":
        notes.append("balance='scale': t1 stocks rescaled per birthplace to the t0 totals after births and deaths.")
    if by_birthplace:
        notes.append("Flows by birthplace: emigration leaves the birthplace, return ends there, transit neither.")
    return tuple(notes)


def _off_diagonal(values: np.ndarray) -> np.ndarray:
    out = values.copy()
    np.fill_diagonal(out, 0.0)
    return out


def _vital(given: np.ndarray | Sequence[float] | None, labels: Sequence[str], name: str) -> np.ndarray:
    n = len(labels)
    if given is None:
        return np.zeros((n, n))
    values = np.asarray(given, dtype=float)
    if values.shape not in ((n,), (n, n)):
        raise UsageError(f"{name}: expected {n} values (one per region) or a {n}×{n} table, got shape {values.shape}")
    if not np.isfinite(values).all() or (values < 0).any():
        raise UsageError(f"{name}: expected finite counts >= 0")
    return values


def _share_deaths(s0: np.ndarray, deaths: np.ndarray) -> np.ndarray:
    # One death rate for every birthplace group living in a region: the only assumption the tables support.
    residents = s0.sum(0)
    if ((residents == 0) & (deaths > 0)).any():
        raise UsageError("deaths: a region with no residents at t0 has deaths")
    rate = np.divide(deaths, residents, out=np.zeros_like(deaths), where=residents > 0)
    return s0 * rate[None, :]


def _offset(offset: np.ndarray | pd.DataFrame | None, labels: Sequence[str]) -> np.ndarray | None:
    if offset is None:
        return None
    if isinstance(offset, pd.DataFrame):
        try:
            offset = offset.loc[list(labels), list(labels)]
        except KeyError as exc:
            raise UsageError(f"offset: labels do not cover the stock tables' regions ({exc})") from None
    values = np.asarray(offset, dtype=float)
    n = len(labels)
    if values.shape not in ((n, n), (n, n, n)):
        raise UsageError(f"offset: expected a {n}×{n} (or {n}×{n}×{n} per birthplace) table, got {values.shape}")
    if not np.isfinite(values).all() or (values < 0).any():
        raise UsageError("offset: expected finite values >= 0")
    return values


def _margins(
    a: np.ndarray, b: np.ndarray, births: np.ndarray, deaths: np.ndarray, labels: Sequence[str], balance: Balance
) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = a - deaths, b - births
    for what, table, cause in (("t0", rows, "deaths"), ("t1", cols, "births")):
        if (table < -1e-9).any():
            i, j = np.argwhere(table < -1e-9)[0]
            raise UsageError(
                f"{cause} exceed the {what} stock of people born in {labels[i]!r} living in {labels[j]!r} "
                f"({table[i, j]:.6g} left)"
            )
    rows, cols = np.maximum(rows, 0.0), np.maximum(cols, 0.0)
    r, c = rows.sum(1), cols.sum(1)
    if balance == "scale":
        empty = (c == 0) & (r > 0)
        if empty.any():
            i = int(np.flatnonzero(empty)[0])
            raise UsageError(f"balance='scale': nobody born in {labels[i]!r} at t1 to rescale to {r[i]:.6g}")
        return rows, cols * np.divide(r, c, out=np.zeros_like(r), where=c > 0)[:, None]
    gap = np.abs(r - c)
    bad = np.flatnonzero(gap > 1e-6 * np.maximum(1.0, r))
    if bad.size:
        i = int(bad[0])
        raise UsageError(
            f"totals do not balance for {bad.size} birthplace(s): people born in {labels[i]!r} number {r[i]:,.6g} "
            f"at t0 less deaths but {c[i]:,.6g} at t1 less births; give births/deaths that close the account "
            "or balance='scale'"
        )
    return rows, cols


def _describe(given: np.ndarray | Sequence[float] | None, name: str) -> str:
    if given is None:
        return f"none given (no {name} in the period)"
    values = np.asarray(given, dtype=float)
    kind = "per region" if values.ndim == 1 else "per birthplace × residence"
    return f"{kind}, total {values.sum():,.6g}"
