"""Flat vacancy tables (CSV or Parquet): built-in layouts, flattened hh.ru answers, or a column mapping.

The header picks the layout (``_flat_layout``): the hh.ru extracts of the UrFU course, or the fields of an hh.ru
vacancy flattened by pandas with ``_`` or ``.``; ``--map``/``--map-file`` name the field of any other column, and
defaults fill fields the file lacks. Values are read as pandas and JSON write them (``_flat_sql``): objects and
lists as text, display names («Удаленная работа») mapped to hh.ru ids through the dictionaries, area names to
areas through the area tree. A name no dictionary knows is kept as written and counted in the warnings.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from talentflow._sql import ident, literal
from talentflow.errors import InputError, UsageError
from talentflow.model import VACANCY_OBSERVATION
from talentflow.reference import dictionaries as dicts
from talentflow.reference.ai import ai_sql
from talentflow.reference.areas import names_sql
from talentflow.reference.roles import IT_ROLES_STABLE
from talentflow.sources import _checks as ck
from talentflow.sources import _flat_sql as v
from talentflow.sources._base import Context, Staged, StageResult
from talentflow.sources._checks import Expr
from talentflow.sources._flat_layout import FIELDS, Layout, internal, resolve
from talentflow.sources._scan import Scan
from talentflow.sources._text import PARQUET_MAGIC, head, header_of, not_parquet_gzip

__all__ = ["FIELDS", "FlatAdapter", "columns_of"]

_STABLE_ROLES = "[" + ", ".join(literal(r) for r in sorted(IT_ROLES_STABLE, key=int)) + "]"
#: How many unknown values a warning shows.
_SHOWN = 5


def columns_of(path: Path) -> list[str]:
    """A flat file's header: a Parquet file's column names, or a CSV's first line. Raises InputError for a
    Parquet file that cannot be read."""
    if head(path, 4) == PARQUET_MAGIC:
        not_parquet_gzip(path)
        try:
            return list(pq.read_schema(path).names)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    return header_of(head(path).decode("utf-8", errors="replace").lstrip("\ufeff"))


class FlatAdapter:
    name = "csv"

    def stage(self, ctx: Context) -> StageResult:
        columns = columns_of(ctx.path)
        layout = resolve(columns, ctx.mapping, ctx.defaults, ctx.display, observed_at_given=ctx.observed_at is not None)
        _check_area_default(ctx, layout)
        parquet = head(ctx.path, 4) == PARQUET_MAGIC
        rows = Scan(ctx.path, "csv", [internal(i) for i in range(len(columns))])
        if parquet:
            scan = None
            relation = _parquet_relation(ctx, len(columns))
        else:
            scan = rows
            scan.reset_rejects(ctx.con)
            relation = f"(SELECT *, NULL::VARCHAR AS _loc FROM {scan.relation()})"
        found = dicts.entries(ctx.con)
        names = ctx.table("tf_names")
        _names_table(ctx, names, found)
        name = ctx.table("tf_flat")
        sql = _sql(ctx, layout, relation, names, rows.row_ref, rows.row_text)
        ctx.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        ctx.con.execute(f"DROP TABLE {names}")
        rejects = [] if scan is None else scan.rejects(ctx.con, ctx.display)
        warnings = [*layout.warnings(), *_value_warnings(ctx, name, layout, found)]
        return StageResult(
            [Staged(VACANCY_OBSERVATION, name, scan, rows.row_ref)], rejects, warnings, mapping=layout.report()
        )


def _parquet_relation(ctx: Context, n: int) -> str:
    """The columns of a Parquet file as text, by position; lists and structs as their JSON text."""
    schema = pq.read_schema(ctx.path)
    nested = (pa.types.is_list, pa.types.is_large_list, pa.types.is_struct, pa.types.is_map)
    cols = []
    for i in range(n):
        c = ident(internal(i))
        typ = schema.field(i).type
        cols.append(f"to_json({c})::VARCHAR AS {c}" if any(t(typ) for t in nested) else f"{c}::VARCHAR AS {c}")
    aliases = ", ".join(ident(internal(i)) for i in range(n))
    return (
        f"(SELECT {', '.join(cols)}, {literal(ctx.display)} || ':row ' || (file_row_number + 1) AS _loc "
        f"FROM read_parquet({literal(str(ctx.path))}, file_row_number=true) AS t({aliases}))"
    )


def _names_table(ctx: Context, table: str, found: list[dicts.Entry]) -> None:
    """A temporary table of the dictionaries' name keys: (dictionary, key, id)."""
    rows = [(d, k, i) for d, keys in dicts.lookup(found).items() for k, i in keys.items()]
    names = pa.table({c: [r[n] for r in rows] for n, c in enumerate(("dictionary", "key", "id"))})
    ctx.con.register("tf_names_rows", names)
    try:
        ctx.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM tf_names_rows")
    finally:
        ctx.con.unregister("tf_names_rows")


def _check_area_default(ctx: Context, layout: Layout) -> None:
    """A default area must be one the area tree knows: an id, or a name placing one area."""
    value = layout.defaults.get("area")
    country = layout.defaults.get("country")
    if value is None:
        return
    if value.strip().isdigit():
        (n,) = ctx.con.execute("SELECT count(*) FROM area WHERE area_id = ?", [value.strip()]).fetchone()  # type: ignore[misc]
        if not n:
            raise UsageError(
                f"{value!r} is not an area id of the area tree (load it with `talentflow reference areas FILE`)",
                param="area",
            )
        return
    (n,) = ctx.con.execute(
        f"SELECT count(*) FROM ({names_sql(country)}) WHERE key = {dicts.name_key_sql('?')}", [value]
    ).fetchone()  # type: ignore[misc]
    if not n:
        tried = f"«{value}», and «{dicts.name_key(value)}» ignoring case, spaces and ё/е"
        within = f" in {country}" if country else ""
        raise UsageError(
            f"{value!r}: no area of that name{within} in the area tree, or names in several countries (tried {tried}; "
            "the store knows the names of its built-in cities, in Russian and English, until the tree is loaded "
            "with `talentflow reference areas FILE`); give the area id instead",
            param="area",
        )


def _fields(layout: Layout) -> dict[str, str]:
    """Each field as SQL text over the raw columns ``c0``, ``c1``, …, with the defaults; absent fields left out."""
    col = {f: ident(internal(p)) for f, p in layout.fields.items()}
    out: dict[str, str] = {}
    for f in FIELDS:
        if f in col and f not in ("area", "employer", "salary"):
            out[f] = col[f]
    for f in ("vacancy_id", "employer_id", "area_id"):
        if f in out:
            out[f] = v.id_text(out[f])
    if "area" in col:
        a = col["area"]
        digits = f"regexp_full_match(trim({a}), '\\d+(\\.0)?')"
        obj = v.is_object(a)
        out["area_id"] = f"CASE WHEN {obj} THEN {v.object_get(a, 'id')} WHEN {digits} THEN {v.id_text(a)} END"
        out["area_name"] = f"CASE WHEN {obj} THEN {v.object_get(a, 'name')} WHEN NOT {digits} THEN {a} END"
    if "employer" in col:
        e = col["employer"]
        out["employer_id"] = f"CASE WHEN {v.is_object(e)} THEN {v.id_text(v.object_get(e, 'id'))} END"
        out["employer_name"] = f"CASE WHEN {v.is_object(e)} THEN {v.object_get(e, 'name')} ELSE {e} END"
    if "salary" in col:
        s = col["salary"]
        parts = {"salary_from": "from", "salary_to": "to", "currency": "currency", "salary_gross": "gross"}
        for f, key in parts.items():
            out[f] = f"CASE WHEN {v.is_object(s)} THEN {v.object_get(s, key)} END"
    if "published_at" not in out and "created_at" in out:
        out["published_at"] = out["created_at"]
    if "snapshot_day" in out:
        snap = f"(try_cast(trim({out['snapshot_day']}) AS DATE) + INTERVAL 1 DAY)::VARCHAR"
        out["observed_at"] = f"coalesce({out['observed_at']}, {snap})" if "observed_at" in out else snap
    return _with_defaults(out, layout.defaults)


def _with_defaults(out: dict[str, str], defaults: dict[str, str]) -> dict[str, str]:
    for f, value in defaults.items():
        quoted = literal(value)
        if f == "currency":
            amount = f"({out.get('salary_from', 'NULL')} IS NOT NULL OR {out.get('salary_to', 'NULL')} IS NOT NULL)"
            out[f] = f"CASE WHEN {amount} THEN coalesce({out.get(f, 'NULL')}, {quoted}) ELSE {out.get(f, 'NULL')} END"
        elif f == "area":
            known = f"({out.get('area_id', 'NULL')} IS NULL AND {out.get('area_name', 'NULL')} IS NULL)"
            is_id = value.strip().isdigit()
            given_id, given_name = (literal(value.strip()), "NULL") if is_id else ("NULL", quoted)
            out["area_id"] = f"CASE WHEN {known} THEN {given_id} ELSE {out.get('area_id', 'NULL')} END"
            out["area_name"] = f"CASE WHEN {known} THEN {given_name} ELSE {out.get('area_name', 'NULL')} END"
        elif f == "country":
            continue  # the row's area places it first (see _sql)
        elif f == "employer":
            out["employer_name"] = f"coalesce({out.get('employer_name', 'NULL')}, {quoted})"
        elif f in out:
            out[f] = f"coalesce({out[f]}, {quoted})"
        else:
            out[f] = quoted
    return out


def _sql(ctx: Context, layout: Layout, relation: str, names: str, ref_sql: str, raw_sql: str) -> str:
    """One statement: the rows read, their names turned into ids, checked and placed (``_prepared``), then the
    canonical columns (``_columns``)."""
    fields = _fields(layout)

    def f(name: str) -> str:
        return f"f_{name}" if name in fields else "NULL::VARCHAR"

    return f"""
    {_prepared(ctx, layout, relation, names, fields, f)}
    {_columns(ctx, layout, fields, f, ref_sql, raw_sql)}
    """


def _prepared(
    ctx: Context, layout: Layout, relation: str, names: str, fields: dict[str, str], f: Callable[[str], str]
) -> str:
    """The CTEs up to ``joined``: fields read, display names mapped to ids, times typed, rows checked, areas
    placed."""
    field_cols = ",\n               ".join(f"({sql}) AS f_{name}" for name, sql in fields.items())
    maps = ", ".join(
        f"map_from_entries(list(struct_pack(k := key, v := id)) FILTER (WHERE dictionary = {literal(d)})) AS {d}"
        for d in dicts.DICTIONARIES
    )
    option_ts = f"TIMESTAMPTZ {literal(ctx.observed_at.isoformat())}" if ctx.observed_at else "NULL::TIMESTAMPTZ"
    country = layout.defaults.get("country")
    formats = v.text_list(f("work_format"), "id")
    work_format = f"list_transform({formats}, w -> coalesce({v.lookup('w', 'd.work_format')}, w))"
    return f"""
    WITH raw AS (SELECT * FROM {relation}),
    fields AS (SELECT *{"," if fields else ""}
               {field_cols}
               FROM raw),
    dicts AS (SELECT {maps} FROM {names}),
    named AS (
        SELECT fields.*,
               {v.named(f("schedule"), "d.schedule")} AS v_schedule,
               {v.lookup(v.named_value(f("schedule")), "d.schedule")} IS NOT NULL AS v_schedule_known,
               {v.named(f("experience"), "d.experience")} AS v_experience,
               {v.named(f("employment"), "d.employment")} AS v_employment,
               {v.role_list(f("role_ids"), "d.professional_role")} AS v_roles,
               {v.text_list(f("key_skills"))} AS v_skills,
               CASE WHEN {f("work_format")} IS NOT NULL THEN list_contains({work_format}, 'REMOTE') END AS v_wf_remote
        FROM fields CROSS JOIN dicts d
    ),
    typed AS (
        SELECT *, tf_ts({f("published_at")}) AS published_ts, tf_ts({f("observed_at")}) AS observed_rec,
               {option_ts} AS observed_opt, {f("area_id")} AS _k_area,
               CASE WHEN {f("area_id")} IS NULL THEN {dicts.name_key_sql(f("area_name"))} END AS _k_area_key
        FROM named
    ),
    observed AS (
        SELECT *, coalesce(observed_rec, observed_opt, published_ts) AS observed_ts FROM typed
    ),
    checked AS (SELECT *, {ck.reason(_checks(ctx, f, "observed_at" in fields))} AS _reason FROM observed),
    joined AS (
        SELECT c.*, a.region AS _a_region, a.country AS _a_country,
               n.area_id AS _n_area, n.region AS _n_region, n.country AS _n_country
        FROM checked c
        LEFT JOIN area a ON a.area_id = c._k_area
        LEFT JOIN ({names_sql(country)}) n ON n.key = c._k_area_key
    )
    """


def _columns(
    ctx: Context, layout: Layout, fields: dict[str, str], f: Callable[[str], str], ref_sql: str, raw_sql: str
) -> str:
    """The canonical columns of a staged row, from the ``joined`` CTE."""
    snapshot = "snapshot_day" in layout.fields and "observed_at" not in layout.fields
    record_basis = literal("snapshot" if snapshot else "record")
    vid = "f_vacancy_id" if "vacancy_id" in fields else (
        # No id in the input: the same title, area and publication time are the same vacancy.
        f"'h' || left(md5(concat_ws('|', {f('title')}, {f('area_name')}, {f('area_id')}, {f('published_at')})), 20)"
    )  # fmt: skip
    country = layout.defaults.get("country")
    return f"""
    SELECT
        coalesce({f("source")}, {literal(ctx.source or "hh.ru")}) AS source,
        {vid} AS vacancy_id,
        observed_ts AS observed_at,
        CASE WHEN observed_rec IS NOT NULL THEN {record_basis}
             WHEN observed_opt IS NOT NULL THEN 'option' ELSE 'published_at' END AS observed_basis,
        {f("title")} AS title,
        v_roles AS role_ids,
        coalesce(tf_bool({f("is_it")}),
                 CASE WHEN list_has_any(v_roles, {_STABLE_ROLES}) THEN true
                      WHEN len(list_filter(v_roles, r -> regexp_full_match(r, '\\d+'))) > 0 THEN false END) AS is_it,
        {f("employer_id")} AS employer_id,
        {f("employer_name")} AS employer_name,
        coalesce(_k_area, _n_area) AS area_id,
        {f("area_name")} AS area_name,
        coalesce(_a_region, _n_region) AS region,
        coalesce(upper(trim({f("country")})), _a_country, _n_country, {literal(country) if country else "NULL"})
            AS country,
        published_ts AS published_at,
        tf_ts({f("created_at")}) AS created_at,
        tf_bool({f("archived")}) AS archived,
        tf_ts({f("archived_at")}) AS archived_at,
        tf_ts({f("expires_at")}) AS expires_at,
        tf_num({f("salary_from")}) AS salary_from,
        tf_num({f("salary_to")}) AS salary_to,
        {ck.currency_sql(f("currency"))} AS currency,
        tf_bool({f("salary_gross")}) AS salary_gross,
        v_schedule AS schedule,
        coalesce(tf_bool({f("is_remote")}),
                 CASE WHEN v_schedule = 'remote' OR v_wf_remote THEN true
                      WHEN v_schedule_known OR v_wf_remote = false THEN false
                 END) AS is_remote,
        v_experience AS experience,
        v_employment AS employment,
        {ai_sql(f("title"), "v_roles", "v_skills")} AS is_ai,
        v_skills AS key_skills,
        {v.strip_html_length(f("description"))}::INTEGER AS description_length,
        'observed' AS provenance,
        NULL::VARCHAR AS scenario,
        NULL::BIGINT AS seed,
        _reason,
        CASE WHEN _reason IS NOT NULL THEN {raw_sql} END AS _raw,
        _loc,
        {ref_sql} AS _ref,
        '' AS _ptr
    FROM joined
    """


def _checks(ctx: Context, f: Callable[[str], str], has_observed: bool) -> list[ck.Check]:
    """What quarantines a row of a flat file, each check on the field's value."""
    now = ctx.now
    return [
        *([ck.required(f("published_at"), "published_at")] if not has_observed and ctx.observed_at is None else []),
        *ck.timestamp(f("published_at"), "published_ts", "published_at", now),
        *ck.timestamp(f("created_at"), "tf_ts(" + f("created_at") + ")", "created_at", now),
        *ck.timestamp(f("archived_at"), "tf_ts(" + f("archived_at") + ")", "archived_at", now),
        *ck.timestamp(f("observed_at"), "observed_rec", "observed_at", now),
        *ck.number(f("salary_from"), "salary_from"),
        *ck.number(f("salary_to"), "salary_to"),
        ck.currency(f("currency"), "currency"),
        (
            f"{f('snapshot_day')} IS NOT NULL AND try_cast(trim({f('snapshot_day')}) AS DATE) IS NULL",
            ck.msg("snapshot_day: expected a date such as 2022-12-01, got ", Expr(f"tf_quote({f('snapshot_day')})")),
        ),
        ck.boolean(f("is_it"), "is_it"),
        ck.boolean(f("archived"), "archived"),
        ck.boolean(f("salary_gross"), "salary_gross"),
        ck.boolean(f("is_remote"), "is_remote"),
        (
            f"({f('salary_from')} IS NOT NULL OR {f('salary_to')} IS NOT NULL) AND {f('currency')} IS NULL",
            ck.msg("salary: an amount without a currency"),
        ),
        ck.not_after("published_ts", "observed_ts", "published_at", "observed_at"),
    ]


def _value_warnings(ctx: Context, table: str, layout: Layout, found: list[dicts.Entry]) -> list[str]:
    """Values of the good rows that the dictionaries or the area tree do not know: kept, and said."""
    out = []
    known = dicts.known_ids(found)
    for field, dictionary in (("schedule", "schedule"), ("experience", "experience"), ("employment", "employment")):
        if field not in layout.fields and field not in layout.defaults:
            continue
        rows = ctx.con.execute(
            f"SELECT {field}, count(*) FROM {table} WHERE _reason IS NULL AND {field} IS NOT NULL "
            f"AND NOT list_contains(?, {field}) GROUP BY ALL ORDER BY 2 DESC, 1",
            [sorted(known.get(dictionary, ()))],
        ).fetchall()
        if rows:
            out.append(_unknown(field, f"an hh.ru {field}", rows, "is_remote unknown" if field == "schedule" else ""))
    if "role_ids" in layout.fields or "role_ids" in layout.defaults:
        rows = ctx.con.execute(
            f"SELECT r, count(*) FROM (SELECT unnest(role_ids) AS r FROM {table} WHERE _reason IS NULL) "
            "WHERE NOT list_contains(?, r) GROUP BY ALL ORDER BY 2 DESC, 1",
            [sorted(known.get(dicts.ROLES, ()))],
        ).fetchall()
        if rows:
            out.append(_unknown("role_ids", "an hh.ru professional role", rows, ""))
    if not {"currency", "salary"} & (set(layout.fields) | set(layout.defaults)):
        (no_currency,) = ctx.con.execute(
            f"SELECT count(*) FROM {table} WHERE _reason = 'salary: an amount without a currency'"
        ).fetchone()  # type: ignore[misc]
        if no_currency:
            out.append(
                f"{no_currency:,} records have a salary but the file has no currency column: if its amounts are in "
                "one currency, say which with --currency (e.g. --currency RUB)"
            )
    (unmapped,) = ctx.con.execute(
        f"SELECT count(*) FROM {table} WHERE _reason IS NULL AND area_name IS NOT NULL AND country IS NULL"
    ).fetchone()  # type: ignore[misc]
    if unmapped:
        names = ctx.con.execute(
            f"SELECT area_name, count(*) FROM {table} WHERE _reason IS NULL AND area_name IS NOT NULL "
            f"AND country IS NULL GROUP BY ALL ORDER BY 2 DESC, 1 LIMIT {_SHOWN}"
        ).fetchall()
        shown = ", ".join(f"«{n}» ({c:,})" for n, c in names)
        (tree,) = ctx.con.execute("SELECT count(*) FROM area WHERE source <> 'builtin'").fetchone()  # type: ignore[misc]
        hint = "pass --country for a file of one country" if tree else (
            "the store knows the countries and 23 cities: load the tree with `talentflow reference areas FILE`"
        )  # fmt: skip
        out.append(
            f"{unmapped:,} records have an area name the area tree does not place in one country: {shown}"
            f"{', …' if len(names) == _SHOWN else ''} (names tried as written, ignoring case, spaces and ё/е; {hint})"
        )
    return out


def _unknown(field: str, what: str, rows: list[tuple[str, int]], consequence: str) -> str:
    values = ", ".join(f"«{value}»" for value, _ in rows[:_SHOWN])
    more = ", …" if len(rows) > _SHOWN else ""
    records = sum(n for _, n in rows)
    kept = f"kept as written{f' ({consequence})' if consequence else ''}"
    return (
        f"{field}: {len(rows):,} value{'s' if len(rows) != 1 else ''} not {what}, in {records:,} "
        f"record{'s' if records != 1 else ''}: {values}{more}; {kept}"
    )
