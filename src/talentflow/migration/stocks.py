"""Migration flows from two bilateral stock tables (people by birthplace and residence at t0 and t1).

Four estimators, written from the papers cited in docs/migration.md ("Flows from stocks"):

- ``flows_stock_difference``: growth of each birthplace-by-residence stock, negatives set to zero
  (Bertoli & Fernández-Huertas Moraga 2015).
- ``flows_beine_parsons``: the same, with falls booked as return flows to the birthplace (Beine & Parsons 2015).
- ``flows_dennett``: a total number of movers shared out in proportion to the bilateral stocks at t0 (Dennett 2016).
- ``flows_demographic``: for each birthplace, a residence-at-t0 × residence-at-t1 table whose margins are the stocks
  after births and deaths, fitted by iterative proportional fitting to an offset, stayers maximised (Abel 2013;
  Abel & Sander 2014) or not (Azose & Raftery 2019).

Stock tables are ``birthplace × residence`` with the same labels in the same order on both axes. Intervals come from a
seeded parametric bootstrap of the stock counts: they show counting noise only, never coverage or definition error.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from talentflow.errors import InputError, UsageError
from talentflow.migration.results import MigrationResult

Stayers = Literal["max", "none"] | float
Balance = Literal["error", "scale"]

BIRTHPLACE_COLUMNS = ("birthplace", "origin")
RESIDENCE_COLUMNS = ("residence", "destination")

BOOTSTRAP_NOTE = (
    "Interval: parametric bootstrap of the stock tables (each cell Poisson with variance = dispersion × count, "
    "seeded). It reflects counting noise in the stocks only, not census coverage, definitions or timing, so it is "
    "a lower bound on the real uncertainty."
)


@dataclass(frozen=True)
class StockTable:
    """A square birthplace × residence table of people, with its labels and where it came from."""

    labels: tuple[str, ...]
    values: np.ndarray
    source: str
    filled: int = 0  # birthplace-residence pairs absent from a long-form input, taken as zero people


def as_stock_table(data: StockTable | pd.DataFrame | np.ndarray, labels: Sequence[str] | None = None) -> StockTable:
    """A stock table from a long DataFrame (birthplace/origin, residence/destination, stock), a square DataFrame
    (index birthplaces, columns residences) or a square array with ``labels``."""
    if isinstance(data, StockTable):
        return data
    if isinstance(data, pd.DataFrame):
        birth = next((c for c in BIRTHPLACE_COLUMNS if c in data.columns), None)
        residence = next((c for c in RESIDENCE_COLUMNS if c in data.columns), None)
        if birth and residence and "stock" in data.columns:
            return _from_long(data, birth, residence, f"long table of {len(data)} rows")
        if data.shape[0] == data.shape[1]:
            rows, cols = [str(x) for x in data.index], [str(x) for x in data.columns]
            if rows != cols:
                raise UsageError(f"square stock table: row labels {rows} differ from column labels {cols}")
            return StockTable(tuple(rows), _checked(data.to_numpy(dtype=float), rows, "stock table"), "square table")
        raise UsageError(
            "stock table: expected long form with columns birthplace (or origin), residence (or destination) and "
            f"stock, or a square table; got columns {list(data.columns)}"
        )
    values = np.asarray(data, dtype=float)
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        raise UsageError(f"stock table: expected a square birthplace × residence array, got shape {values.shape}")
    names = [str(x) for x in labels] if labels is not None else [str(i) for i in range(values.shape[0])]
    if len(names) != values.shape[0]:
        raise UsageError(f"stock table: {len(names)} labels for a {values.shape[0]}×{values.shape[1]} array")
    if len(set(names)) != len(names):
        raise UsageError(f"stock table: repeated labels {sorted({n for n in names if names.count(n) > 1})}")
    return StockTable(
        tuple(names), _checked(values, names, "stock table"), f"{values.shape[0]}×{values.shape[1]} array"
    )


def read_stock_csv(path: str | Path) -> StockTable:
    """A long-form CSV (birthplace or origin, residence or destination, stock) as a stock table.

    Every bad row is an error naming the file, line and column; a pair given twice is an error, not a sum."""
    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    with handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        birth = next((c for c in BIRTHPLACE_COLUMNS if c in header), None)
        residence = next((c for c in RESIDENCE_COLUMNS if c in header), None)
        missing = [
            name
            for name, found in (("birthplace (or origin)", birth), ("residence (or destination)", residence))
            if not found
        ] + ([] if "stock" in header else ["stock"])
        if missing:
            raise InputError(f"{path}:1: missing column(s) {', '.join(missing)}; header is {header}")
        assert birth and residence
        records: list[tuple[str, str, float]] = []
        seen: dict[tuple[str, str], int] = {}
        for row in reader:
            line = reader.line_num
            b, r, raw = (row.get(birth) or "").strip(), (row.get(residence) or "").strip(), row.get("stock")
            for column, value in ((birth, b), (residence, r)):
                if not value:
                    raise InputError(f"{path}:{line}: column {column!r} is empty")
            try:
                stock = float((raw or "").strip())
            except ValueError:
                raise InputError(f"{path}:{line}: column 'stock': {raw!r} is not a number") from None
            if not math.isfinite(stock) or stock < 0:
                raise InputError(f"{path}:{line}: column 'stock': {raw!r} is not a finite count >= 0")
            if (b, r) in seen:
                raise InputError(f"{path}:{line}: {birth} {b!r}, {residence} {r!r} already given on line {seen[b, r]}")
            seen[b, r] = line
            records.append((b, r, stock))
    if not records:
        raise InputError(f"{path}: no stock rows")
    frame = pd.DataFrame(records, columns=[birth, residence, "stock"])
    table = _from_long(frame, birth, residence, str(path))
    return table


def ipf_tables(
    rows: np.ndarray,
    cols: np.ndarray,
    offset: np.ndarray | None = None,
    *,
    stayers: Stayers = "max",
    tol: float = 1e-6,
    maxit: int = 1000,
) -> np.ndarray:
    """Fit one residence-at-t0 × residence-at-t1 table per birthplace, all at once.

    ``rows`` and ``cols`` are (birthplaces, regions) margins: row k of each is birthplace k's stock by residence at
    t0 and at t1. ``offset`` is (regions, regions) or (birthplaces, regions, regions). Returns (birthplaces, regions,
    regions). The fit is the log-linear model log μ_kod = α_ko + β_kd + log m_od, with, for ``stayers="max"``, a
    saturated diagonal fixed at min(row, col) (Abel 2013's quasi-independence with stayers maximised)."""
    rows = np.asarray(rows, dtype=float)
    cols = np.asarray(cols, dtype=float)
    k, n = rows.shape
    if cols.shape != (k, n):
        raise UsageError(f"IPF margins: rows have shape {rows.shape}, columns {cols.shape}")
    gap = np.abs(rows.sum(1) - cols.sum(1))
    bad = np.flatnonzero(gap > 1e-9 * np.maximum(1.0, rows.sum(1)))
    if bad.size:
        raise UsageError(
            f"IPF margins: totals differ for {bad.size} birthplace(s), first index {bad[0]} "
            f"({rows[bad[0]].sum():.6g} at t0, {cols[bad[0]].sum():.6g} at t1)"
        )
    if isinstance(stayers, str):
        if stayers == "none":
            return _ipf(rows, cols, _seed(offset, k, n, zero_diagonal=False), tol, maxit)
        stay = np.minimum(rows, cols)
        # Stayers first: what is left of each margin moves, and a birthplace's table cannot send and receive in the
        # same region, so zeroing the diagonal of the seed loses nothing and keeps the stayers where they were put.
        mu = _ipf(rows - stay, cols - stay, _seed(offset, k, n, zero_diagonal=True), tol, maxit)
        idx = np.arange(n)
        mu[:, idx, idx] += stay
        return mu
    weight = float(stayers)
    if not 0.0 <= weight <= 1.0:
        raise UsageError(f"stayers={stayers!r}: expected 'max', 'none' or a weight between 0 and 1")
    high = ipf_tables(rows, cols, offset, stayers="max", tol=tol, maxit=maxit)
    low = ipf_tables(rows, cols, offset, stayers="none", tol=tol, maxit=maxit)
    # Both tables meet the same margins, so any mixture of them does too.
    return weight * high + (1.0 - weight) * low


def flows_stock_difference(
    s0: StockTable | pd.DataFrame | np.ndarray,
    s1: StockTable | pd.DataFrame | np.ndarray,
    *,
    labels: Sequence[str] | None = None,
    period: tuple[str, str] | None = None,
    level: float = 0.9,
    draws: int = 200,
    seed: int = 0,
    dispersion: float = 1.0,
) -> MigrationResult:
    """Flow birthplace i → residence j = max(0, S1[i,j] − S0[i,j]) off the diagonal."""
    t0, t1 = _pair(s0, s1, labels)

    def estimate(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
        return {"emigration": _off_diagonal(np.maximum(b - a, 0.0))}

    return _result(
        "stock differencing (Bertoli & Fernández-Huertas Moraga 2015)",
        t0,
        t1,
        period,
        estimate,
        level,
        draws,
        seed,
        dispersion,
        notes=(
            "Every rise in the number of people born in i living in j is a move i → j made in the period; falls "
            "are ignored (set to zero), so deaths and returns of earlier migrants do not offset new moves.",
            "Moves between two foreign countries, and moves that cancel within the period, are invisible.",
        ),
    )


def flows_beine_parsons(
    s0: StockTable | pd.DataFrame | np.ndarray,
    s1: StockTable | pd.DataFrame | np.ndarray,
    *,
    labels: Sequence[str] | None = None,
    period: tuple[str, str] | None = None,
    level: float = 0.9,
    draws: int = 200,
    seed: int = 0,
    dispersion: float = 1.0,
) -> MigrationResult:
    """Emigration i → j = max(0, S1[i,j] − S0[i,j]); return j → i = max(0, S0[i,j] − S1[i,j]) (i the birthplace)."""
    t0, t1 = _pair(s0, s1, labels)
    return _result(
        "stock differencing with returns (Beine & Parsons 2015)",
        t0,
        t1,
        period,
        lambda a, b: {
            "emigration": _off_diagonal(np.maximum(b - a, 0.0)),
            # A fall in the i-born living in j is people going home: a flow from j (row) to i (column).
            "return": _off_diagonal(np.maximum(a - b, 0.0)).T,
        },
        level,
        draws,
        seed,
        dispersion,
        notes=(
            "A rise in the i-born living in j is emigration i → j; a fall is a return j → i. Deaths of migrants "
            "count as returns unless the stocks are net of deaths.",
            "Onward moves between two foreign countries are read as a return plus a new emigration.",
        ),
    )


def flows_dennett(
    s0: StockTable | pd.DataFrame | np.ndarray,
    s1: StockTable | pd.DataFrame | np.ndarray,
    *,
    total: float | None = None,
    labels: Sequence[str] | None = None,
    period: tuple[str, str] | None = None,
    level: float = 0.9,
    draws: int = 200,
    seed: int = 0,
    dispersion: float = 1.0,
) -> MigrationResult:
    """Flow i → j = M · S0[i,j] / Σ_{k≠l} S0[k,l]: M movers shared out like the foreign-born stocks at t0.

    ``total`` is M, the number of movers in the period, taken from outside the stock tables (Dennett used published
    totals). Without it M = ½ Σ_j |ΔP_j|, ΔP_j the change in region j's population across all birthplaces: the
    fewest moves that explain the net changes, a lower bound and talentflow's choice, not Dennett's."""
    t0, t1 = _pair(s0, s1, labels)
    if total is not None and (not math.isfinite(total) or total < 0):
        raise UsageError(f"total={total!r}: expected a number of movers >= 0")

    def estimate(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
        movers = total if total is not None else 0.5 * np.abs(b.sum(0) - a.sum(0)).sum()
        foreign = _off_diagonal(a)
        share = foreign / foreign.sum() if foreign.sum() > 0 else foreign
        return {"emigration": movers * share}

    return _result(
        "migration rates (Dennett 2016)",
        t0,
        t1,
        period,
        estimate,
        level,
        draws,
        seed,
        dispersion,
        inputs={"total": f"{total:,.6g} movers (given)" if total is not None else "½ Σ|net change by region|"},
        notes=(
            "Each corridor's share of all movers equals its share of the foreign-born stock at t0: migrants follow "
            "existing diasporas, with one rate for every corridor.",
            "Return moves and moves into corridors with no stock at t0 get no flow.",
        ),
    )


def flows_demographic(
    s0: StockTable | pd.DataFrame | np.ndarray,
    s1: StockTable | pd.DataFrame | np.ndarray,
    *,
    births: np.ndarray | Sequence[float] | None = None,
    deaths: np.ndarray | Sequence[float] | None = None,
    stayers: Stayers = "max",
    offset: np.ndarray | pd.DataFrame | None = None,
    balance: Balance = "error",
    by_birthplace: bool = False,
    tol: float = 1e-6,
    maxit: int = 1000,
    labels: Sequence[str] | None = None,
    period: tuple[str, str] | None = None,
    level: float = 0.9,
    draws: int = 200,
    seed: int = 0,
    dispersion: float = 1.0,
) -> MigrationResult:
    """Closed demographic accounting: per birthplace, where people lived at t0 × where they live at t1, by IPF.

    ``births`` and ``deaths`` are per region (a vector: births all to the natives of the region they happen in,
    deaths shared across birthplaces in proportion to the region's stocks at t0) or per birthplace × residence
    (a matrix). ``stayers`` is ``"max"`` (Abel 2013: as many stay as the margins allow), ``"none"`` (no stayer
    assumption: the diagonal is fitted like any cell) or a weight w in [0, 1] for w·max + (1 − w)·none, the form of
    Azose & Raftery's (2019) pseudo-Bayes mixture (talentflow ships no calibrated weight). ``offset`` is the prior
    table m_od (e.g. inverse distance); each birthplace's residual totals must balance (``balance="error"``) or the
    t1 table is rescaled to the t0 totals (``balance="scale"``)."""
    t0, t1 = _pair(s0, s1, labels)
    birth_mat = _vital(births, t0.labels, "births")
    death_given = _vital(deaths, t0.labels, "deaths")
    if birth_mat.ndim == 1:
        birth_mat = np.diag(birth_mat)

    def death_mat(a: np.ndarray) -> np.ndarray:
        # Deaths per region are shared out again for every bootstrap draw, so they follow the drawn stocks.
        return _share_deaths(a, death_given) if death_given.ndim == 1 else death_given

    m = _offset(offset, t0.labels)
    if isinstance(stayers, str) and stayers not in ("max", "none"):
        raise UsageError(f"stayers={stayers!r}: expected 'max', 'none' or a weight between 0 and 1")
    if balance not in ("error", "scale"):
        raise UsageError(f"balance={balance!r}: expected 'error' or 'scale'")
    if tol <= 0 or maxit < 1:
        raise UsageError(f"tol={tol!r}, maxit={maxit!r}: expected tol > 0 and maxit >= 1")
    # Fail on the published tables themselves before any bootstrap draw can hide the problem.
    _margins(t0.values, t1.values, birth_mat, death_mat(t0.values), t0.labels, balance)

    def fit(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        rows, cols = _margins(a, b, birth_mat, death_mat(a), t0.labels, balance)
        return ipf_tables(rows, cols, m, stayers=stayers, tol=tol, maxit=maxit)

    if by_birthplace:

        def estimate(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
            # One fit per draw; _result keeps, for each kind, only the cells that can hold it.
            mu = fit(a, b)
            return {"emigration": mu, "return": mu, "transit": mu}
    else:

        def estimate(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
            return {"migration": _off_diagonal(fit(a, b).sum(0))}

    stayer_text = {"max": "maximised (Abel 2013)", "none": "no stayer assumption"}.get(
        stayers if isinstance(stayers, str) else "", f"mixture, weight {stayers} on stayers maximised"
    )
    inputs = {
        "births": _describe(births, "births"),
        "deaths": _describe(deaths, "deaths"),
        "offset": "given table" if offset is not None else "1 for every cell",
        "stayers": stayer_text,
    }
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
    return _result(
        f"demographic accounting by IPF (Abel 2013; Abel & Sander 2014; Azose & Raftery 2019), stayers {stayer_text}",
        t0,
        t1,
        period,
        estimate,
        level,
        draws,
        seed,
        dispersion,
        inputs=inputs,
        notes=tuple(notes),
        birthplace=by_birthplace,
        keep_row_totals=True,
    )


# --- helpers -------------------------------------------------------------------------------------------------------


def _checked(values: np.ndarray, labels: Sequence[str], what: str) -> np.ndarray:
    if not np.isfinite(values).all():
        i, j = np.argwhere(~np.isfinite(values))[0]
        raise UsageError(f"{what}: stock for birthplace {labels[i]!r}, residence {labels[j]!r} is not a number")
    if (values < 0).any():
        i, j = np.argwhere(values < 0)[0]
        raise UsageError(
            f"{what}: negative stock {values[i, j]:g} for birthplace {labels[i]!r}, residence {labels[j]!r}"
        )
    return values


def _from_long(frame: pd.DataFrame, birth: str, residence: str, source: str) -> StockTable:
    b, r = frame[birth].astype(str), frame[residence].astype(str)
    stock = pd.to_numeric(frame["stock"], errors="coerce")
    if stock.isna().any():
        first = int(np.flatnonzero(stock.isna().to_numpy())[0])
        raise UsageError(f"{source}: row {first}: stock {frame['stock'].iloc[first]!r} is not a number")
    dup = pd.Series(list(zip(b, r, strict=True))).duplicated()
    if dup.any():
        first = int(np.flatnonzero(dup.to_numpy())[0])
        raise UsageError(f"{source}: row {first}: {birth} {b.iloc[first]!r}, {residence} {r.iloc[first]!r} repeated")
    labels = sorted(set(b) | set(r))
    pos = {name: i for i, name in enumerate(labels)}
    values = np.zeros((len(labels), len(labels)))
    values[b.map(pos).to_numpy(), r.map(pos).to_numpy()] = stock.to_numpy(dtype=float)
    return StockTable(tuple(labels), _checked(values, labels, source), source, len(labels) ** 2 - len(frame))


def _pair(
    s0: StockTable | pd.DataFrame | np.ndarray, s1: StockTable | pd.DataFrame | np.ndarray, labels: Sequence[str] | None
) -> tuple[StockTable, StockTable]:
    t0, t1 = as_stock_table(s0, labels), as_stock_table(s1, labels)
    if t0.labels != t1.labels:
        if set(t0.labels) != set(t1.labels):
            only0, only1 = sorted(set(t0.labels) - set(t1.labels)), sorted(set(t1.labels) - set(t0.labels))
            raise UsageError(
                f"stock tables cover different regions: only at t0 {only0 or '-'}, only at t1 {only1 or '-'}"
            )
        order = [t1.labels.index(x) for x in t0.labels]
        t1 = StockTable(t0.labels, t1.values[np.ix_(order, order)], t1.source, t1.filled)
    return t0, t1


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


def _seed(offset: np.ndarray | None, k: int, n: int, *, zero_diagonal: bool) -> np.ndarray:
    seed = np.ones((k, n, n))
    if offset is not None:
        # Assign rather than astype the broadcast view: that copy keeps the view's odd strides, and the IPF's
        # matrix-vector products run ten times slower on a table that is not C-contiguous.
        seed[...] = offset
    if zero_diagonal:
        idx = np.arange(n)
        seed[:, idx, idx] = 0.0
    return seed


#: Birthplace tables fitted together. A chunk stays in cache while it iterates (5 MB with 200 regions) and stops as
#: soon as its own tables have converged; all 200 tables at once measured 2-4x slower (bench/migration.py), chunks of
#: 1-32 tables about the same.
IPF_CHUNK_CELLS = 640_000


def _ipf(rows: np.ndarray, cols: np.ndarray, seed: np.ndarray, tol: float, maxit: int) -> np.ndarray:
    k, n, _ = seed.shape
    step = max(1, IPF_CHUNK_CELLS // max(1, n * n))
    for start in range(0, k, step):
        part = slice(start, start + step)
        _ipf_chunk(rows[part], cols[part], seed[part], tol, maxit, start)
    return seed


def _ipf_chunk(rows: np.ndarray, cols: np.ndarray, seed: np.ndarray, tol: float, maxit: int, first: int) -> None:
    """Fit in place. IPF's table is always seed · a_o · b_d, so only the factors a and b are updated: each half-step
    is one batched matrix-vector product that reads the seed, instead of rescaling and re-summing the whole table."""
    b = np.ones_like(cols)
    seed_b = np.matmul(seed, b[:, :, None])[:, :, 0]
    for _ in range(maxit):
        a = _ratio(rows, seed_b)
        b = _ratio(cols, np.matmul(a[:, None, :], seed)[:, 0, :])
        # Columns now match wherever they can; rows are what is left to check, and seed·b feeds the next step.
        seed_b = np.matmul(seed, b[:, :, None])[:, :, 0]
        if np.abs(a * seed_b - rows).max(initial=0.0) <= tol:
            seed *= a[:, :, None]
            seed *= b[:, None, :]
            if np.abs(seed.sum(1) - cols).max(initial=0.0) <= tol:
                return
            break  # a column with no cell the offset allows: no number of iterations will fill it
    else:
        seed *= a[:, :, None]
        seed *= b[:, None, :]
    gaps = np.abs(seed.sum(2) - rows).max(1) + np.abs(seed.sum(1) - cols).max(1)
    worst = int(np.argmax(gaps))
    raise UsageError(
        f"IPF did not converge in {maxit} iterations (largest margin gap {gaps[worst]:.3g} > tol {tol:g}, "
        f"birthplace index {first + worst}); zeros in the offset may make the margins impossible, or raise maxit"
    )


def _ratio(target: np.ndarray, current: np.ndarray) -> np.ndarray:
    return np.divide(target, current, out=np.zeros_like(target), where=current > 0)


def _describe(given: np.ndarray | Sequence[float] | None, name: str) -> str:
    if given is None:
        return f"none given (no {name} in the period)"
    values = np.asarray(given, dtype=float)
    kind = "per region" if values.ndim == 1 else "per birthplace × residence"
    return f"{kind}, total {values.sum():,.6g}"


def _draw(values: np.ndarray, rng: np.random.Generator, dispersion: float, keep_row_totals: bool) -> np.ndarray:
    # Poisson(count / φ) · φ has mean count and variance φ · count: φ > 1 widens for surveys noisier than a count.
    drawn = rng.poisson(values / dispersion) * dispersion
    if keep_row_totals:
        # Accounting needs each birthplace's total to stay as published; the noise moves people between residences.
        total, now = values.sum(1), drawn.sum(1)
        drawn = np.where((now > 0)[:, None], drawn * _ratio(total, now)[:, None], values)
    return drawn


def _result(
    method: str,
    t0: StockTable,
    t1: StockTable,
    period: tuple[str, str] | None,
    estimate: Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]],
    level: float,
    draws: int,
    seed: int,
    dispersion: float,
    *,
    inputs: dict[str, str] | None = None,
    notes: tuple[str, ...] = (),
    birthplace: bool = False,
    keep_row_totals: bool = False,
) -> MigrationResult:
    if not 0 < level < 1:
        raise UsageError(f"level={level!r}: expected a coverage between 0 and 1, e.g. 0.9")
    if draws < 0 or dispersion <= 0:
        raise UsageError(f"draws={draws!r}, dispersion={dispersion!r}: expected draws >= 0 and dispersion > 0")
    labels = np.array(t0.labels, dtype=object)
    rng = np.random.default_rng(seed)
    frames = []
    points = estimate(t0.values, t1.values)
    samples: dict[str, list[np.ndarray]] = {kind: [] for kind in points}
    for _ in range(draws):
        a = _draw(t0.values, rng, dispersion, keep_row_totals)
        b = _draw(t1.values, rng, dispersion, keep_row_totals)
        for kind, value in estimate(a, b).items():
            samples[kind].append(value)
    tail = (1 - level) / 2
    for kind, point in points.items():
        if draws:
            low, high = np.quantile(np.stack(samples[kind]), [tail, 1 - tail], axis=0)
        else:
            low = high = np.full(point.shape, np.nan)
        grid = np.indices(point.shape).reshape(point.ndim, -1)
        keep = grid[-2] != grid[-1]  # stayers are not flows
        cols: dict[str, object] = {}
        if birthplace:
            cols["birthplace"] = labels[grid[0][keep]]
        cols |= {"origin": labels[grid[-2][keep]], "destination": labels[grid[-1][keep]]}
        cols |= {
            "estimate": point.reshape(-1)[keep],
            "low": low.reshape(-1)[keep],
            "high": high.reshape(-1)[keep],
            "level": level,
        }
        frame = pd.DataFrame(cols)
        if len(points) > 1:
            frame.insert(0, "flow", kind)
        if birthplace:
            # Only the cells that can hold this kind of flow: the rest are zero by definition, not by estimate.
            b_idx = grid[0][keep]
            o_idx, d_idx = grid[-2][keep], grid[-1][keep]
            fits = {"emigration": o_idx == b_idx, "return": d_idx == b_idx}
            frame = frame[fits.get(kind, (o_idx != b_idx) & (d_idx != b_idx))]
        frames.append(frame)
    rows = pd.concat(frames, ignore_index=True)
    described = {"stocks_t0": _source(t0, period, 0), "stocks_t1": _source(t1, period, 1)}
    described |= inputs or {}
    all_notes = list(notes)
    if t0.filled or t1.filled:
        all_notes.append(
            f"Birthplace-residence pairs absent from the input taken as zero people: {t0.filled} at t0, "
            f"{t1.filled} at t1."
        )
    all_notes.append(BOOTSTRAP_NOTE if draws else "No interval: draws=0.")
    interval = f"percentile bootstrap, {draws} Poisson draws of the stocks, seed {seed}" if draws else "none"
    return MigrationResult(method, rows, level, described, tuple(all_notes), interval)


def _source(table: StockTable, period: tuple[str, str] | None, which: int) -> str:
    when = f" at {period[which]}" if period else ""
    return f"{table.source}{when}: {len(table.labels)} regions, {table.values.sum():,.6g} people"
