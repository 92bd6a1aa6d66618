"""Which column of a flat file holds which field: built-in layouts, flattened hh.ru answers, user mappings.

Kept free of heavy imports: the command line's help lists ``FIELDS``, and ``--suggest-map`` reads a header only.

A layout maps fields to column positions, never to names: the SQL reads the columns as ``c0``, ``c1``, …, so that
a column name (empty, repeated, holding quotes or SQL) never reaches a statement.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from talentflow.errors import UsageError
from talentflow.reference.countries import COUNTRY_AREAS
from talentflow.reference.currencies import normalise as currency_code

#: The fields a column can hold, with what a value must be. ``--map COLUMN=FIELD`` and a mapping file name them.
FIELDS: dict[str, str] = {
    "vacancy_id": "the vacancy's id (without one, a hash of title, area and publication time)",
    "observed_at": "when the row was seen (a time)",
    "snapshot_day": "the day the rows were pulled, after it ended: seen at the next midnight UTC",
    "title": "job title (hh.ru name)",
    "role_ids": "professional role ids or names, a list or separated by commas or semicolons",
    "is_it": "an IT vacancy (true/false); without it, from the roles",
    "employer_id": "employer id",
    "employer_name": "employer name",
    "employer": "an employer object ({'id': …, 'name': …}) or a name",
    "area_id": "hh.ru area id",
    "area_name": "area name, looked up in the area tree",
    "area": "an area id, name or object ({'id': …, 'name': …})",
    "country": "ISO 3166-1 alpha-2 country",
    "published_at": "publication time",
    "created_at": "creation time",
    "archived": "true/false",
    "archived_at": "archive time",
    "expires_at": "end time",
    "salary_from": "lower bound of the salary",
    "salary_to": "upper bound of the salary",
    "currency": "ISO 4217 code (RUR → RUB)",
    "salary_gross": "before tax (true/false)",
    "salary": "a salary object ({'from': …, 'to': …, 'currency': …, 'gross': …})",
    "schedule": "schedule id, display name (ru or en) or object",
    "is_remote": "remote work (true/false); without it, from schedule or work_format",
    "work_format": "hh.ru work formats (ids, names or objects): REMOTE makes a vacancy remote",
    "experience": "experience id, display name (ru or en) or object",
    "employment": "employment id, display name (ru or en) or object",
    "key_skills": "key skills: a list (['Python', 'SQL'], [{'name': …}]) or separated by commas or semicolons",
    "description": "the description (HTML): its length without tags is stored",
    "source": "board name per row",
}
#: In a mapping, a column mapped to this is not read (a recognised column the user does not want).
IGNORE = "ignore"

#: Fields that take no default value: a row's identity, its sighting (--observed-at gives that), and a salary
#: object (its parts take defaults).
NO_DEFAULT = ("vacancy_id", "observed_at", "snapshot_day", "salary")
#: Fields read as times, for the requirement that a row can be dated.
_DATING = ("published_at", "observed_at", "snapshot_day", "created_at")

#: Column names of flattened hh.ru answers (``json_normalize`` with ``_`` or ``.``, or the scraper's own names),
#: normalised by ``normalise``, and the field each holds. Where several columns hold one field, the first in
#: this order wins (an id before a display name); the others are left unused.
RECOGNISED: tuple[tuple[str, str], ...] = (
    ("id", "vacancy_id"),
    ("vacancy_id", "vacancy_id"),
    ("name", "title"),
    ("title", "title"),
    ("observed_at", "observed_at"),
    ("area_id", "area_id"),
    ("area_name", "area_name"),
    ("area", "area"),
    ("employer_id", "employer_id"),
    ("employer_name", "employer_name"),
    ("employer", "employer"),
    ("country", "country"),
    ("published_at", "published_at"),
    ("created_at", "created_at"),
    ("archived", "archived"),
    ("archived_at", "archived_at"),
    ("expires_at", "expires_at"),
    ("salary_from", "salary_from"),
    ("salary_to", "salary_to"),
    ("salary_currency", "currency"),
    ("currency", "currency"),
    ("salary_gross", "salary_gross"),
    ("salary", "salary"),
    ("schedule_id", "schedule"),
    ("schedule", "schedule"),
    ("schedule_name", "schedule"),
    ("work_format", "work_format"),
    ("work_format_id", "work_format"),
    ("work_format_name", "work_format"),
    ("experience_id", "experience"),
    ("experience", "experience"),
    ("experience_name", "experience"),
    ("employment_id", "employment"),
    ("employment", "employment"),
    ("employment_name", "employment"),
    ("key_skills", "key_skills"),
    ("skills", "key_skills"),
    ("professional_roles", "role_ids"),
    ("professional_roles_id", "role_ids"),
    ("professional_roles_name", "role_ids"),
    ("role_ids", "role_ids"),
    ("roles", "role_ids"),
    ("description", "description"),
    ("is_remote", "is_remote"),
    ("is_it", "is_it"),
)
_RECOGNISED = {name: i for i, (name, _) in enumerate(RECOGNISED)}
#: A composite field is read only where the file lacks the plain fields it would fill.
_COMPOSITES = {
    "area": ("area_id", "area_name"),
    "employer": ("employer_id", "employer_name"),
    "salary": ("salary_from", "salary_to", "currency", "salary_gross"),
}
HH_FLAT = "hh-flat"

#: Built-in layouts, by their exact header (index columns aside): column → field, and default values.
BUILTINS: dict[str, tuple[tuple[str, ...], dict[str, str], dict[str, str]]] = {
    # All IT vacancies (old specialization 1) published on one day; pulled after the day ended, so the
    # sighting is dated at the end of the snapshot day.
    "hh-urfu-daily": (
        ("name", "salary_from", "salary_to", "salary_currency", "area_name", "published_at", "snapshot_day",
         "source_repo", "source_commit"),
        {"name": "title", "salary_from": "salary_from", "salary_to": "salary_to", "salary_currency": "currency",
         "area_name": "area_name", "published_at": "published_at", "snapshot_day": "snapshot_day"},
        {"is_it": "true"},
    ),
    # The course's multi-year sample: IT and other jobs mixed (SOURCE.md), so is_it stays unknown.
    "hh-urfu-sample": (
        ("name", "salary_from", "salary_to", "salary_currency", "area_name", "published_at", "source_commit"),
        {"name": "title", "salary_from": "salary_from", "salary_to": "salary_to", "salary_currency": "currency",
         "area_name": "area_name", "published_at": "published_at"},
        {},
    ),
}  # fmt: skip


def normalise(name: str) -> str:
    """A column name as ``RECOGNISED`` lists it: lower-cased, ``.``, spaces and dashes as ``_``."""
    return re.sub(r"[.\s/-]+", "_", name.strip().lower()).strip("_")


def internal(position: int) -> str:
    """The name the SQL reads column ``position`` by (0-based)."""
    return f"c{position}"


def index_column(position: int, name: str) -> str | None:
    """Why a column is an index or unnamed, to be ignored unless mapped; None for a column of data."""
    stripped = name.strip()
    if not stripped:
        return "no name (the index pandas writes)" if position == 0 else "no name"
    if re.fullmatch(r"Unnamed: \d+", stripped):
        return "pandas' name for a column without one (an index written and read back)"
    if stripped in ("__index_level_0__", "level_0") or (position == 0 and stripped == "index"):
        return "an index pandas writes"
    return None


@dataclass
class Layout:
    """How a flat file's columns are read."""

    columns: list[str]
    #: "hh-urfu-daily", "hh-urfu-sample", "hh-flat", or None when the user's mapping is all there is.
    name: str | None = None
    fields: dict[str, int] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    #: (position, name, why) of columns not read.
    ignored: list[tuple[int, str, str]] = field(default_factory=list)
    #: Fields filled from another field's column, e.g. published_at from created_at.
    derived: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> str | None:
        return internal(self.fields[name]) if name in self.fields else None

    @property
    def unused(self) -> list[str]:
        used = set(self.fields.values()) | {p for p, _, _ in self.ignored}
        return [c for i, c in enumerate(self.columns) if i not in used]

    def report(self) -> dict[str, Any]:
        """For the ingest's report: which layout, column → field, what was ignored or left unused."""
        return {
            "layout": self.name or "mapping",
            "columns": {self.columns[p]: f for f, p in sorted(self.fields.items(), key=lambda kv: kv[1])},
            "derived": dict(self.derived),
            "defaults": dict(self.defaults),
            "ignored": [{"column": n, "position": p + 1, "why": why} for p, n, why in self.ignored],
            "unused": self.unused,
        }

    def warnings(self) -> list[str]:
        return [f"column {p + 1}{f' {n!r}' if n.strip() else ''} ignored: {why}" for p, n, why in self.ignored]


def _ignorable(columns: list[str]) -> list[tuple[int, str, str]]:
    out = []
    seen: dict[str, int] = {}
    for i, name in enumerate(columns):
        why = index_column(i, name)
        if why is None and name in seen:
            why = f"a second column named {name!r} (column {seen[name] + 1} is read)"
        if why is not None:
            out.append((i, name, why))
        else:
            seen[name] = i
    return out


def recognise(columns: list[str]) -> Layout | None:
    """The layout a header shows: a built-in one, a flattened hh.ru vacancy, or None."""
    ignored = _ignorable(columns)
    skip = {p for p, _, _ in ignored}
    data = [(i, c) for i, c in enumerate(columns) if i not in skip]
    names = tuple(c for _, c in data)
    for name, (header, mapping, defaults) in BUILTINS.items():
        if names == header:
            fields = {mapping[c]: i for i, c in data if c in mapping}
            return Layout(list(columns), name, fields, dict(defaults), ignored)
    found: dict[str, tuple[int, int]] = {}  # field → (rank, position)
    for i, c in data:
        rank = _RECOGNISED.get(normalise(c))
        if rank is None:
            continue
        f = RECOGNISED[rank][1]
        if f not in found or rank < found[f][0]:
            found[f] = (rank, i)
    for composite, parts in _COMPOSITES.items():
        if composite in found and any(p in found for p in parts):
            del found[composite]
    fields = {f: i for f, (_, i) in found.items()}
    if not ({"vacancy_id", "title"} & set(fields) and {"published_at", "created_at"} & set(fields)):
        return None
    if len(fields) < 3:
        return None
    return Layout(list(columns), HH_FLAT, fields, {}, ignored)


def resolve(
    columns: list[str],
    mapping: dict[str, str],
    defaults: dict[str, str],
    where: str,
    *,
    observed_at_given: bool = False,
) -> Layout:
    """The layout of a file: the one its header shows, with the user's mapping over it, and the defaults.

    Raises UsageError naming the column or field at fault.
    """
    layout = recognise(columns) or Layout(list(columns), None, {}, {}, _ignorable(columns))
    for column, target in mapping.items():
        position = _position(columns, column, where)
        if target != IGNORE and target not in FIELDS:
            raise UsageError(
                f"{column}={target}: unknown field {target!r}; the fields are: {', '.join(FIELDS)} "
                f"(or {IGNORE} to leave a column unread)",
                param="mapping",
            )
        layout.fields = {f: p for f, p in layout.fields.items() if p != position and f != target}
        layout.ignored = [x for x in layout.ignored if x[0] != position]
        if target == IGNORE:
            layout.ignored.append((position, columns[position], "mapped to ignore"))
        else:
            layout.fields[target] = position
    mapped = {t for t in mapping.values() if t != IGNORE}
    for composite, parts in _COMPOSITES.items():
        clash = [p for p in parts if p in layout.fields]
        if composite not in layout.fields or not clash:
            continue
        if composite in mapped and mapped & set(clash):
            raise UsageError(
                f"{where}: the mapping gives both {composite} and {', '.join(clash)}; {composite} fills "
                f"{', '.join(parts)}: map one or the other",
                param="mapping",
            )
        drop = clash if composite in mapped else [composite]
        layout.fields = {f: p for f, p in layout.fields.items() if f not in drop}
    layout.defaults = {**layout.defaults, **defaults}
    if "published_at" not in layout.fields and "created_at" in layout.fields:
        layout.derived["published_at"] = "created_at"
    dated = any(f in layout.fields for f in _DATING) or "published_at" in layout.defaults or observed_at_given
    if not dated:
        if layout.name is None and not layout.fields:
            raise UsageError(
                f"{where}: a CSV whose header ({', '.join(repr(c) for c in columns[:12])}) matches no built-in "
                "format; map its columns with --map COLUMN=FIELD or --map-file (`talentflow ingest --suggest-map "
                "FILE` writes one to start from)",
                param="mapping",
            )
        raise UsageError(
            f"{where}: map a column to published_at, created_at or observed_at (COLUMN=published_at), "
            "or pass --observed-at",
            param="mapping",
        )
    return layout


def _position(columns: list[str], column: str, where: str) -> int:
    """The position of the column a mapping names: by its name, or ``#N`` (from 1) for any column."""
    if re.fullmatch(r"#\d+", column):
        n = int(column[1:])
        if not 1 <= n <= len(columns):
            raise UsageError(
                f"{where}: the mapping names column {column}; the file has {len(columns)}", param="mapping"
            )
        return n - 1
    matches = [i for i, c in enumerate(columns) if c == column]
    if not matches:
        shown = ", ".join(repr(c) for c in columns)
        raise UsageError(
            f"{where}: the mapping names column {column!r}, which is not in the header ({shown})", param="mapping"
        )
    if len(matches) > 1:
        at = ", ".join(f"#{i + 1}" for i in matches)
        raise UsageError(
            f"{where}: the header has {len(matches)} columns named {column!r} ({at}); name the one to read by its "
            f"position, e.g. --map '#{matches[0] + 1}=FIELD'",
            param="mapping",
        )
    return matches[0]


@dataclass
class MappingFile:
    map: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)


def read_mapping_file(path: Path) -> MappingFile:
    """A mapping file: ``[map]`` COLUMN = FIELD, ``[defaults]`` FIELD = value. Errors name the file and key."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file", param="map_file") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: not a TOML mapping file ({exc})", param="map_file") from None
    unknown = set(doc) - {"map", "defaults"}
    if unknown:
        raise UsageError(
            f"{path}: unknown table {', '.join(sorted(unknown))}; a mapping file has [map] and [defaults]",
            param="map_file",
        )
    out = MappingFile()
    for column, target in (doc.get("map") or {}).items():
        if not isinstance(target, str):
            raise UsageError(f"{path}: [map] {column!r} = {target!r}: expected a field name", param="map_file")
        out.map[column] = target.strip() or IGNORE
    values: dict[str, str] = {}
    for name, value in (doc.get("defaults") or {}).items():
        if isinstance(value, bool):
            values[name] = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            values[name] = str(value)
        else:
            raise UsageError(
                f"{path}: [defaults] {name} = {value!r}: expected text, a number or true/false", param="map_file"
            )
    out.defaults = check_defaults(values, "map_file", f"{path}: [defaults]")
    return out


_BOOLEANS = ("is_it", "archived", "salary_gross", "is_remote")


def check_defaults(defaults: dict[str, str], param: str, where: str = "") -> dict[str, str]:
    """Default values checked (and written as stored): a known field, a known currency, an ISO2 country, a
    boolean where one is meant. Raises UsageError with ``param``."""
    prefix = f"{where}: " if where else ""
    out = {}
    for name, value in defaults.items():
        text = str(value).strip()
        if name not in FIELDS or name in NO_DEFAULT:
            allowed = ", ".join(f for f in FIELDS if f not in NO_DEFAULT)
            raise UsageError(f"{prefix}{name!r}: not a field with a default; the fields are: {allowed}", param=param)
        if not text:
            raise UsageError(f"{prefix}{name}: an empty default", param=param)
        if name == "currency":
            code = currency_code(text)
            if code is None:
                raise UsageError(f"{prefix}{text!r}: not an ISO 4217 currency code (e.g. RUB, USD)", param=param)
            text = code
        elif name == "country":
            text = text.upper()
            if text not in set(COUNTRY_AREAS.values()):
                raise UsageError(
                    f"{prefix}{text!r}: not an ISO 3166-1 alpha-2 country of hh.ru's areas (e.g. RU, KZ)", param=param
                )
        elif name in _BOOLEANS:
            lowered = text.lower()
            if lowered not in ("true", "false", "t", "f", "1", "0", "yes", "no", "y", "n"):
                raise UsageError(f"{prefix}{name} = {text!r}: expected true or false", param=param)
            text = "true" if lowered in ("true", "t", "1", "yes", "y") else "false"
        out[name] = text
    return out


def _toml_key(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def suggest(columns: list[str], where: str) -> str:
    """A mapping file to start from for a header: what talentflow would read, and the rest commented out."""
    layout = recognise(columns) or Layout(list(columns), None, {}, {}, _ignorable(columns))
    by_position = {p: f for f, p in layout.fields.items()}
    ignored = {p: why for p, _, why in layout.ignored}
    lines = [
        f"# Column mapping for {where}: talentflow ingest FILE --map-file THIS_FILE",
        '# [map] COLUMN = FIELD ("ignore" leaves a column unread; #N names column N, counted from 1).',
        "# [defaults] FIELD = value, for fields the file lacks or leaves empty.",
        f"# Fields: {', '.join(FIELDS)}",
    ]
    if layout.name:
        lines.append(f"# The header matches the layout {layout.name}: the lines below are what it reads.")
    else:
        lines.append("# The header matches no layout: name the field of each column you want read.")
    lines += ["", "[map]"]
    for i, column in enumerate(columns):
        key = _toml_key(column) if column.strip() else _toml_key(f"#{i + 1}")
        if i in by_position:
            lines.append(f"{key} = {_toml_key(by_position[i])}")
        elif i in ignored:
            lines.append(f'# {key} = ""  # not read: {ignored[i]}')
        else:
            lines.append(f'# {key} = ""  # not read: name a field to read it')
    lines += ["", "[defaults]"]
    if not {"currency", "salary"} & set(layout.fields):
        lines.append('# currency = "RUB"  # the file has no currency column: amounts need one')
    if not {"area_id", "area_name", "area"} & set(layout.fields):
        lines.append('# area = "Москва"  # a file of one city (an area id or name)')
    if "country" not in layout.fields:
        lines.append('# country = "RU"  # a file of one country (ISO 3166-1 alpha-2)')
    if "is_it" not in layout.fields:
        lines.append("# is_it = true  # a file of IT vacancies only")
    for name, value in layout.defaults.items():
        lines.append(f"{name} = {_toml_key(value)}")
    return "\n".join(lines) + "\n"
