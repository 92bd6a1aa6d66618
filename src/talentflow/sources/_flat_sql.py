"""DuckDB SQL for the values of flat files: objects and lists as pandas or JSON writes them, display names.

A scraper flattening hh.ru answers with pandas leaves nested values as Python's text of them: an area as
``{'id': '1', 'name': 'Москва', 'url': …}``, key skills as ``[{'name': 'Python'}]`` or ``['Python', 'SQL']``.
Parquet list and struct columns are read as their JSON text, which has the same shape with double quotes.
The helpers read both; each takes and gives SQL text.
"""

from __future__ import annotations

from talentflow._sql import literal
from talentflow.reference.dictionaries import name_key_sql

#: A quoted string of Python's or JSON's text: '…' or "…", with backslash escapes.
_QUOTED = r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*\""""


def is_object(x: str) -> str:
    return f"starts_with(ltrim({x}), '{{')"


def is_list(x: str) -> str:
    return f"starts_with(ltrim({x}), '[')"


def _unquote(x: str) -> str:
    """A quoted string's text: quotes removed, ``\\xa0`` a space, other escapes the character escaped."""
    inner = f"substr({x}, 2, length({x}) - 2)"
    return f"regexp_replace(replace({inner}, '\\xa0', ' '), '\\\\(.)', '\\1', 'g')"


def _key_pattern(key: str) -> str:
    return rf"""(?:^|[{{,\s])['"]{key}['"]\s*:\s*({_QUOTED}|[^,}}\]\s]+)"""


def _scalar(raw: str) -> str:
    """A value of an object's text: a quoted string unquoted; None, null and NaN as NULL; others as written."""
    return (
        f"CASE WHEN {raw} IS NULL OR {raw} = '' OR {raw} IN ('None', 'null', 'nan', 'NaN') THEN NULL "
        f"WHEN left({raw}, 1) IN ('''', '\"') THEN {_unquote(raw)} ELSE {raw} END"
    )


def object_get(x: str, key: str) -> str:
    """The value of ``key`` at the top of an object's text (``{'id': '1', …}`` or ``{"id": "1", …}``)."""
    raw = f"regexp_extract({x}, {literal(_key_pattern(key))}, 1)"
    return _scalar(raw)


def id_text(x: str) -> str:
    """An id as text: pandas writes an integer column with gaps as floats (``8331228.0``); the ``.0`` goes."""
    return f"regexp_replace(trim({x}), '^(\\d+)\\.0$', '\\1')"


def text_list(x: str, key: str = "name") -> str:
    """A list from its text: ``['a', 'b']``, ``[{'name': 'a'}]`` (the ``key`` of each object), JSON, or a plain
    string separated by semicolons (when it has one) or commas. Empty items are dropped; ``[]`` is an empty list."""
    objects = f"list_transform(regexp_extract_all({x}, {literal(_key_pattern(key))}, 1), s -> {_scalar('s')})"
    strings = f"list_transform(regexp_extract_all({x}, {literal(_QUOTED)}), s -> {_unquote('s')})"
    bare = f"string_split(trim({x}, '[] '), ',')"
    split = f"CASE WHEN contains({x}, ';') THEN string_split({x}, ';') ELSE string_split({x}, ',') END"
    parsed = f"""CASE
        WHEN {x} IS NULL THEN NULL
        WHEN {is_list(x)} AND contains({x}, '{{') THEN {objects}
        WHEN {is_list(x)} AND (contains({x}, '''') OR contains({x}, '"')) THEN {strings}
        WHEN {is_list(x)} THEN {bare}
        ELSE {split} END"""
    return f"list_filter(list_transform({parsed}, s -> trim(s)), s -> s IS NOT NULL AND s <> '')"


def lookup(x: str, table: str) -> str:
    """The id a display name (or id, in any case) stands for in map ``table`` of the dictionaries row; NULL when
    the dictionaries do not know it."""
    return f"{table}[{name_key_sql(x)}]"


def named_value(x: str) -> str:
    """The text to look up for a value holding an id, a display name or an object (its ``id``)."""
    return f"CASE WHEN {is_object(x)} THEN {object_get(x, 'id')} ELSE trim({x}) END"


def named(x: str, table: str) -> str:
    """An id for a value holding an id, a display name or an object (its ``id``); unknown text kept as written."""
    return f"coalesce({lookup(named_value(x), table)}, {named_value(x)})"


def role_list(x: str, table: str) -> str:
    """Role ids from a list of role objects, ids or names: a whole value naming one role is that role (names such
    as «Программист, разработчик» hold commas); otherwise each item is an id, or a name mapped to its id."""
    ids = f"regexp_extract_all({x}, {literal(_key_pattern('id'))}, 1)"
    items = f"""CASE
        WHEN {is_list(x)} AND regexp_matches({x}, '[''"]id[''"]\\s*:') THEN list_transform({ids}, s -> {_scalar("s")})
        WHEN NOT {is_list(x)} AND {lookup(x, table)} IS NOT NULL THEN [{lookup(x, table)}]
        ELSE {text_list(x)} END"""
    return f"list_transform({items}, r -> coalesce({lookup('r', table)}, trim(r)))"


def strip_html_length(x: str) -> str:
    """Characters of a description's plain text: HTML tags removed (as the hh.ru adapter counts them)."""
    return f"length(regexp_replace({x}, '<[^>]*>', '', 'g'))"
