"""Stock tables: people by birthplace and residence, from a DataFrame, an array or a long-form CSV."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from talentflow.errors import InputError, UsageError

BIRTHPLACE_COLUMNS = ("birthplace", "origin")
RESIDENCE_COLUMNS = ("residence", "destination")


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
