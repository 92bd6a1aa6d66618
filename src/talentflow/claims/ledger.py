"""The claims ledger: published figures read from TOML or CSV, checked, and kept in the store's ``claim`` table.

A file is checked whole before anything is stored: one bad entry rejects the file, and the error lists every
problem as ``file:line: claim ID: field: what is wrong``. Claims are few and hand-written, so a half-imported file
would be harder to fix than a clear refusal.

Re-importing a claim id updates it: a claim file is edited and imported again as sources are re-read, and the
file is the record of what was said. Each claim read is counted once as inserted, updated or unchanged.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from talentflow._version import __version__
from talentflow.errors import InputError, UsageError
from talentflow.model import CLAIM
from talentflow.store import Store

#: The metrics of the built-in claims, with their unit and meaning. Other metrics are accepted (a user's own
#: vocabulary); they are compared only once an estimator is registered for them.
METRICS: dict[str, tuple[str, str]] = {
    "it_emigrants": ("people", "IT workers who left the country in the period (gross, returns not netted)"),
    "it_abroad_net": ("people", "IT workers who left in the period and were still abroad at its end"),
    "abroad_home_employer_share": ("share", "of the IT workers abroad, the share still working for home employers"),
    "return_share": ("share", "of the IT workers who left, the share back home by the period end"),
    "sim_return_share": ("share", "SIM cards that left the country and came back: all travellers, not IT workers"),
    "leaver_share": ("share", "share of the country's IT workers (or developers) who had left by the period end"),
    "emigrants_total": ("people", "all emigrants in the period, IT or not"),
    "it_share_of_emigrants": ("share", "share of all emigrants in the period who work in IT"),
    "it_vacancies": ("vacancies", "IT vacancies active on the job board at the period end"),
    "it_resumes": ("resumes", "IT resumes active on the job board at the period end"),
    "tension": ("ratio", "active IT resumes per active IT vacancy at the period end (hh.index)"),
    "relocation_abroad_share": ("share", "share of active IT resumes ready to move abroad at the period end"),
    "relocation_europe_share": (
        "share",
        "of the active IT resumes ready to move abroad, the share naming a European country, at the period end",
    ),
}

BUILTIN = "claims.toml"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_METRIC = re.compile(r"^[a-z][a-z0-9_]*$")
_GEOGRAPHY = re.compile(r"^[A-Z]{2}$")
_REQUIRED = ("claim_id", "metric", "geography", "period_start", "period_end", "unit", "who", "url")
_NUMBERS = ("value", "value_low", "value_high")


@dataclass(frozen=True)
class Claim:
    """One published figure: a point ``value``, a range ``value_low``–``value_high``, or a one-sided bound."""

    claim_id: str
    metric: str
    geography: str
    period_start: date
    period_end: date
    value: float | None
    value_low: float | None
    value_high: float | None
    unit: str
    who: str
    said_on: date | None
    url: str

    @property
    def stated(self) -> str:
        """The figure as text: ``114,000``, ``50,000–70,000``, ``≥ 0.4``, ``≤ 170,000``."""
        lo, hi = self.value_low, self.value_high
        if lo is not None and hi is not None:
            text = f"{_num(lo)}–{_num(hi)}"
        elif lo is not None:
            text = f"≥ {_num(lo)}"
        elif hi is not None:
            text = f"≤ {_num(hi)}"
        else:
            text = ""
        if self.value is not None:
            return _num(self.value) if not text else f"{_num(self.value)} ({text})"
        return text

    def record(self) -> dict[str, Any]:
        """The claim as a JSON-ready dict, dates as ISO text."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()}

    def row(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 and x == int(x) else f"{x:,.4g}"


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Claim))
assert tuple(c for c in CLAIM.column_names if c != "ingest_id") == COLUMNS, "Claim must follow model.CLAIM"


# -- checking ---------------------------------------------------------------------------------------------
def validate(raw: Mapping[str, Any]) -> tuple[Claim | None, list[str]]:
    """A claim from one entry's fields, or the problems found, each as ``field: what is wrong``."""
    problems: list[str] = []
    unknown = sorted(set(raw) - set(COLUMNS))
    problems += [f"{k}: unknown field (the fields are: {', '.join(COLUMNS)})" for k in unknown]
    values: dict[str, Any] = {}
    for name in COLUMNS:
        value = raw.get(name)
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            if name in _REQUIRED:
                problems.append(f"{name}: missing")
            values[name] = None
            continue
        try:
            values[name] = _convert(name, value)
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
            values[name] = None
    problems += _consistency(values)
    if problems:
        return None, problems
    return Claim(**values), []


def _convert(name: str, value: Any) -> Any:
    if name in ("period_start", "period_end", "said_on"):
        if isinstance(value, datetime):
            raise ValueError(f"expected a date such as 2022-03-31, not a time ({value.isoformat()})")
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"expected a date such as 2022-03-31, not {value!r}") from None
    if name in _NUMBERS:
        if isinstance(value, bool):
            raise ValueError(f"expected a number, not {value!r}")
        try:
            number = float(str(value).replace("_", "")) if isinstance(value, str) else float(value)
        except (TypeError, ValueError):
            raise ValueError(f"expected a number (a share as 0.4, not 40%), not {value!r}") from None
        if not math.isfinite(number):
            raise ValueError(f"expected a finite number, not {value!r}")
        return number
    if not isinstance(value, str):
        raise ValueError(f"expected text, not {value!r}")
    checks = {
        "claim_id": (_ID, "letters, digits, '.', '_' or '-', e.g. A5"),
        "metric": (_METRIC, "lower-case words joined by '_', e.g. it_emigrants"),
        "geography": (_GEOGRAPHY, "an ISO 3166-1 alpha-2 code in capitals, e.g. RU"),
    }
    if name in checks:
        pattern, expected = checks[name]
        if not pattern.match(value):
            raise ValueError(f"expected {expected}, not {value!r}")
    if name == "url" and not value.startswith(("http://", "https://")):
        raise ValueError(f"expected an http(s) address, not {value!r}")
    return value


def _consistency(v: dict[str, Any]) -> list[str]:
    problems = []
    if v["period_start"] and v["period_end"] and v["period_start"] > v["period_end"]:
        problems.append(f"period_end: {v['period_end']} is before period_start {v['period_start']}")
    numbers = {k: v[k] for k in _NUMBERS if v[k] is not None}
    if not numbers and not any(f"{k}: " in p for p in problems for k in _NUMBERS):
        problems.append("value: missing (give value, or value_low and/or value_high)")
    lo, hi, point = v["value_low"], v["value_high"], v["value"]
    if lo is not None and hi is not None and lo > hi:
        problems.append(f"value_low: {lo:g} is above value_high {hi:g}")
    if point is not None and ((lo is not None and point < lo) or (hi is not None and point > hi)):
        problems.append(f"value: {point:g} lies outside value_low–value_high")
    if v["unit"] == "share":
        problems += [
            f"{k}: a share lies in 0–1 (write 0.4 for 40%), not {x:g}" for k, x in numbers.items() if not 0 <= x <= 1
        ]
    return problems


# -- reading files ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClaimFile:
    """The claims of one file, each with where it was found (``file:line``)."""

    input: str
    format: str
    sha256: str
    claims: tuple[Claim, ...]
    locations: tuple[str, ...]


def read_claims(path: str | Path) -> ClaimFile:
    """Read and check a claims file (``.toml`` or ``.csv``); an :class:`InputError` lists every problem."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".csv"):
        raise InputError(f"{path}: a claims file is .toml or .csv, not {suffix or 'a file without a suffix'}")
    return parse_claims(data, str(path), suffix[1:])


def builtin_claims() -> ClaimFile:
    """The claims shipped with talentflow (``talentflow/reference/claims.toml``)."""
    data = resources.files("talentflow.reference").joinpath(BUILTIN).read_bytes()
    return parse_claims(data, f"builtin:{BUILTIN}", "toml")


def parse_claims(data: bytes, name: str, format: str) -> ClaimFile:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    entries = _toml_entries(text, name) if format == "toml" else _csv_entries(text, name)
    claims, locations, problems = [], [], []
    first_seen: dict[str, str] = {}
    for location, raw, shape in entries:
        claim, found = validate(raw) if not shape else (None, shape)
        claim_id = str(raw.get("claim_id") or "").strip()
        label = f"{location}: claim {claim_id or '(no id)'}"
        if claim_id in first_seen:
            found = [f"claim_id: repeats the claim at {first_seen[claim_id]}", *found]
        elif claim_id:
            place = location.removeprefix(name)
            first_seen[claim_id] = f"line {place[1:]}" if place.startswith(":") else f"entry {place}"
        problems += [f"{label}: {p}" for p in found]
        if claim is None or found:
            continue
        claims.append(claim)
        locations.append(location)
    if problems:
        shown = "\n  ".join(problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise InputError(f"{name}: {len(problems)} problem(s), nothing imported:\n  {shown}{more}")
    if not claims:
        raise InputError(f"{name}: no claims found (TOML: [[claim]] tables; CSV: a header and rows)")
    sha = hashlib.sha256(data).hexdigest()
    return ClaimFile(name, f"claims-{format}", sha, tuple(claims), tuple(locations))


_TOML_HEADER = re.compile(r"^\s*\[\[\s*claim\s*\]\]")


#: (where, the entry's fields, problems with the entry's shape that stop its fields being read)
_Entry = tuple[str, dict[str, Any], list[str]]


def _toml_entries(text: str, name: str) -> list[_Entry]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{name}: not valid TOML: {exc}") from None
    extra = sorted(set(doc) - {"claim"})
    if extra:
        raise InputError(f"{name}: unknown top-level key(s) {', '.join(extra)}; claims go in [[claim]] tables")
    entries = doc.get("claim", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise InputError(f"{name}: `claim` must be an array of tables ([[claim]])")
    # tomllib keeps no positions, so each entry is placed at its [[claim]] header when the file uses them.
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if _TOML_HEADER.match(line)]
    if len(lines) == len(entries):
        places = [f"{name}:{n}" for n in lines]
    else:
        places = [f"{name}#claim[{i}]" for i in range(len(entries))]
    return [(place, entry, []) for place, entry in zip(places, entries, strict=True)]


def _csv_entries(text: str, name: str) -> list[_Entry]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise InputError(f"{name}: empty file; expected a header row naming: {', '.join(COLUMNS)}")
    header = [h.strip() for h in header]
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise InputError(f"{name}:1: column(s) named twice: {', '.join(repeated)}")
    entries: list[_Entry] = []
    start = reader.line_num + 1
    for row in reader:
        if any(cell.strip() for cell in row):
            if len(row) != len(header):
                shape = [f"row: {len(row)} cells for the header's {len(header)} columns"]
                entries.append((f"{name}:{start}", {"claim_id": row[0]}, shape))
            else:
                entries.append((f"{name}:{start}", dict(zip(header, row, strict=True)), []))
        # A quoted cell may span lines: the next record starts after the reader's last line.
        start = reader.line_num + 1
    return entries


# -- the store --------------------------------------------------------------------------------------------
@dataclass
class ImportReport:
    """How every claim read was accounted for: ``read == inserted + updated + unchanged``."""

    input: str
    format: str
    store: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    updated_ids: list[str] = field(default_factory=list)
    ingest_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def store_claims(store: Store, source: ClaimFile, *, replace: bool = True) -> ImportReport:
    """Insert or update ``source``'s claims in one transaction.

    ``replace=False`` refuses (nothing stored) when a claim id is already stored with other values: what
    ``claims add`` does, so that a typed command cannot overwrite a sourced claim by accident.
    """
    report = ImportReport(source.input, source.format, str(store.path), read=len(source.claims))
    with store.transaction() as con:
        stored = {r[0]: r for r in con.execute(f"SELECT {', '.join(COLUMNS)} FROM claim").fetchall()}
        new, changed = [], []
        for claim in source.claims:
            old = stored.get(claim.claim_id)
            if old is None:
                new.append(claim)
            elif _same(old, claim.row()):
                report.unchanged += 1
            else:
                changed.append(claim)
        if changed and not replace:
            ids = ", ".join(c.claim_id for c in changed)
            raise UsageError(f"claim {ids} is already stored with other values; ask to replace it", param="replace")
        if new or changed:
            (report.ingest_id,) = con.execute("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingest_log").fetchone()  # type: ignore[misc]
            started = datetime.now(UTC)
            placeholders = ", ".join("?" for _ in range(len(COLUMNS) + 1))
            if changed:
                con.executemany("DELETE FROM claim WHERE claim_id = ?", [[c.claim_id] for c in changed])
            con.executemany(
                f"INSERT INTO claim ({', '.join(COLUMNS)}, ingest_id) VALUES ({placeholders})",
                [[*c.row(), report.ingest_id] for c in (*new, *changed)],
            )
            report.inserted, report.updated = len(new), len(changed)
            report.updated_ids = [c.claim_id for c in changed]
            con.execute(
                "INSERT INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    report.ingest_id,
                    source.input,
                    source.sha256,
                    source.format,
                    "{}",
                    report.read,
                    report.inserted + report.updated,
                    report.unchanged,
                    0,
                    started,
                    datetime.now(UTC),
                    __version__,
                ],
            )
    assert report.read == report.inserted + report.updated + report.unchanged
    return report


def _same(a: Iterable[Any], b: Iterable[Any]) -> bool:
    return all(
        x == y or (isinstance(x, float) and isinstance(y, float) and math.isclose(x, y))
        for x, y in zip(a, b, strict=True)
    )


def claims_from_command(raw: Mapping[str, Any]) -> ClaimFile:
    """One claim given as command-line options, checked like a file entry."""
    claim, problems = validate(raw)
    if claim is None:
        raise UsageError(f"claim {raw.get('claim_id') or '(no id)'}: " + "; ".join(problems))
    text = json.dumps(claim.record(), sort_keys=True).encode()
    return ClaimFile("talentflow claims add", "claims-cli", hashlib.sha256(text).hexdigest(), (claim,), ("option",))


def load_claims(store: Store, metric: str | None = None) -> list[Claim]:
    """The store's claims, ordered by id (``metric`` keeps one metric only)."""
    sql = f"SELECT {', '.join(COLUMNS)} FROM claim"
    params: list[Any] = []
    if metric is not None:
        sql += " WHERE metric = ?"
        params.append(metric)
    rows = store.con.execute(sql + " ORDER BY claim_id", params).fetchall()
    return [Claim(*row) for row in rows]
