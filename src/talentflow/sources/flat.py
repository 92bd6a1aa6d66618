"""Flat vacancy tables (CSV or Parquet) with a column mapping.

``--map COLUMN=FIELD`` names the canonical field each column holds; known layouts need no mapping and are
picked by their header (the hh.ru extracts of the UrFU course, for one). Area names are mapped to
countries through the area tree; a name that is ambiguous across countries is left without a country.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from talentflow.errors import UsageError
from talentflow.model import VACANCY_OBSERVATION
from talentflow.reference.ai import ai_sql
from talentflow.reference.areas import AREA_BY_NAME
from talentflow.sources import _checks as ck
from talentflow.sources._base import Context, Staged, StageResult
from talentflow.sources._scan import Scan, sql_str
from talentflow.sources._text import PARQUET_MAGIC, head, header_of

#: Fields a column can be mapped to.
FIELDS = (
    "vacancy_id", "observed_at", "title", "role_ids", "is_it", "employer_id", "employer_name", "area_id",
    "area_name", "country", "published_at", "created_at", "archived", "archived_at", "expires_at", "salary_from",
    "salary_to", "currency", "salary_gross", "schedule", "is_remote", "experience", "employment", "source",
)  # fmt: skip


#: Built-in layouts, by their exact header. Each maps fields to SQL over the raw columns.
_URFU_COMMON = {
    "title": '"name"',
    "salary_from": '"salary_from"',
    "salary_to": '"salary_to"',
    "currency": '"salary_currency"',
    "area_name": '"area_name"',
    "published_at": '"published_at"',
}
BUILTINS: dict[str, tuple[tuple[str, ...], dict[str, str], str]] = {
    # All IT vacancies (old specialization 1) published on one day; pulled after the day ended, so the
    # sighting is dated at the end of the snapshot day.
    "hh-urfu-daily": (
        ("name", "salary_from", "salary_to", "salary_currency", "area_name", "published_at", "snapshot_day",
         "source_repo", "source_commit"),
        {
            **_URFU_COMMON,
            "observed_at": "(try_cast(\"snapshot_day\" AS DATE) + INTERVAL 1 DAY)::VARCHAR",
            "is_it": "'true'",
        },
        "snapshot",
    ),
    "hh-urfu-sample": (
        ("name", "salary_from", "salary_to", "salary_currency", "area_name", "published_at", "source_commit"),
        dict(_URFU_COMMON),
        "published_at",
    ),
}  # fmt: skip


def builtin_mapping(header: list[str]) -> str | None:
    for name, (columns, _, _) in BUILTINS.items():
        if tuple(header) == columns:
            return name
    return None


def columns_of(path: Path) -> list[str]:
    if head(path, 4) == PARQUET_MAGIC:
        return list(pq.read_schema(path).names)
    return header_of(head(path).decode("utf-8", errors="replace").lstrip("\ufeff"))


def builtin_for_path(path: Path) -> str | None:
    return builtin_mapping(columns_of(path))


class FlatAdapter:
    name = "csv"

    def stage(self, ctx: Context) -> StageResult:
        columns = columns_of(ctx.path)
        parquet = head(ctx.path, 4) == PARQUET_MAGIC
        basis = "option" if ctx.observed_at else "published_at"
        if ctx.mapping:
            exprs = _user_mapping(ctx.mapping, columns, ctx.path)
            if "observed_at" in exprs:
                basis = "record"
        elif ctx.builtin:
            _, exprs, basis = BUILTINS[ctx.builtin]
            exprs = dict(exprs)
        else:
            raise UsageError(f"{ctx.path}: no column mapping; map each COLUMN to a FIELD", param="mapping")
        rows = Scan(ctx.path, "csv", columns)
        scan = None if parquet else rows
        if scan is None:
            cols = ", ".join(f'"{c}"::VARCHAR AS "{c}"' for c in columns)
            relation = (
                f"(SELECT {cols}, {sql_str(ctx.display)} || ':row ' || (file_row_number + 1) AS _loc "
                f"FROM read_parquet({sql_str(str(ctx.path))}, file_row_number=true))"
            )
        else:
            scan.reset_rejects(ctx.con)
            relation = f"(SELECT *, NULL::VARCHAR AS _loc FROM {scan.relation()})"
        ref_sql, raw_sql = rows.row_ref, rows.row_text
        name = ctx.table("tf_flat")
        ctx.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {_sql(ctx, relation, exprs, basis, ref_sql, raw_sql)}")
        rejects = [] if scan is None else scan.rejects(ctx.con, ctx.display)
        warnings = []
        (unmapped,) = ctx.con.execute(
            f"SELECT count(*) FROM {name} WHERE _reason IS NULL AND area_name IS NOT NULL AND country IS NULL"
        ).fetchone()  # type: ignore[misc]
        if unmapped:
            warnings.append(
                f"{unmapped:,} records have an area name the area tree does not place in one country "
                "(load the tree with `talentflow reference areas FILE`)"
            )
        return StageResult([Staged(VACANCY_OBSERVATION, name, scan, ref_sql)], rejects, warnings)


def _user_mapping(mapping: dict[str, str], columns: list[str], path: Path) -> dict[str, str]:
    exprs = {}
    for column, field in mapping.items():
        if column not in columns:
            raise UsageError(
                f"{path}: the mapping names column {column!r}, which is not in the header ({', '.join(columns)})",
                param="mapping",
            )
        if field not in FIELDS:
            raise UsageError(
                f"{column}={field}: unknown field {field!r}; the fields are: {', '.join(FIELDS)}", param="mapping"
            )
        exprs[field] = f'"{column}"'
    if "published_at" not in exprs and "observed_at" not in exprs:
        raise UsageError(f"{path}: map a column to published_at or observed_at (COLUMN=published_at)", param="mapping")
    return exprs


def _sql(ctx: Context, relation: str, exprs: dict[str, str], basis: str, ref_sql: str, raw_sql: str) -> str:
    def f(name: str) -> str:
        return exprs.get(name, "NULL::VARCHAR")

    option_ts = f"TIMESTAMPTZ {sql_str(ctx.observed_at.isoformat())}" if ctx.observed_at else "NULL::TIMESTAMPTZ"
    role_text = f("role_ids")
    roles = f"CASE WHEN {role_text} IS NOT NULL THEN list_transform(string_split({role_text}, ','), r -> trim(r)) END"
    vid = exprs.get("vacancy_id") or (
        # No id in the input: the same title, area and publication time are the same vacancy.
        f"'h' || left(md5(concat_ws('|', {f('title')}, {f('area_name')}, {f('area_id')}, {f('published_at')})), 20)"
    )
    return f"""
    WITH raw AS (SELECT * FROM {relation}),
    typed AS (
        SELECT *, tf_ts({f("published_at")}) AS published_ts, tf_ts({f("observed_at")}) AS observed_rec,
               {option_ts} AS observed_opt, {f("area_id")} AS _k_area, {f("area_name")} AS _k_area_name
        FROM raw
    ),
    observed AS (
        SELECT *, coalesce(observed_rec, observed_opt, published_ts) AS observed_ts FROM typed
    ),
    checked AS (SELECT *, {ck.reason(_checks(ctx, exprs))} AS _reason FROM observed),
    joined AS (
        SELECT c.*, a.region AS _a_region, a.country AS _a_country,
               n.area_id AS _n_area, n.region AS _n_region, n.country AS _n_country
        FROM checked c
        LEFT JOIN area a ON a.area_id = c._k_area
        LEFT JOIN ({AREA_BY_NAME}) n ON c._k_area IS NULL AND n.name = c._k_area_name
    )
    SELECT
        coalesce({f("source")}, {sql_str(ctx.source or "hh.ru")}) AS source,
        {vid} AS vacancy_id,
        observed_ts AS observed_at,
        CASE WHEN observed_rec IS NOT NULL THEN {sql_str(basis if basis != "published_at" else "record")}
             WHEN observed_opt IS NOT NULL THEN 'option' ELSE 'published_at' END AS observed_basis,
        {f("title")} AS title,
        {roles} AS role_ids,
        tf_bool({f("is_it")}) AS is_it,
        {f("employer_id")} AS employer_id,
        {f("employer_name")} AS employer_name,
        coalesce(_k_area, _n_area) AS area_id,
        {f("area_name")} AS area_name,
        coalesce(_a_region, _n_region) AS region,
        coalesce(upper({f("country")}), _a_country, _n_country) AS country,
        published_ts AS published_at,
        tf_ts({f("created_at")}) AS created_at,
        tf_bool({f("archived")}) AS archived,
        tf_ts({f("archived_at")}) AS archived_at,
        tf_ts({f("expires_at")}) AS expires_at,
        tf_num({f("salary_from")}) AS salary_from,
        tf_num({f("salary_to")}) AS salary_to,
        {ck.currency_sql(f("currency"))} AS currency,
        tf_bool({f("salary_gross")}) AS salary_gross,
        {f("schedule")} AS schedule,
        coalesce(tf_bool({f("is_remote")}), CASE WHEN {f("schedule")} IS NOT NULL
                 THEN {f("schedule")} = 'remote' END) AS is_remote,
        {f("experience")} AS experience,
        {f("employment")} AS employment,
        {ai_sql(f("title"), roles, "NULL::VARCHAR[]")} AS is_ai,
        NULL::VARCHAR[] AS key_skills,
        NULL::INTEGER AS description_length,
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


def _checks(ctx: Context, exprs: dict[str, str]) -> list[ck.Check]:
    """What quarantines a row of a flat file, each check on the column the mapping gives its field."""

    def f(name: str) -> str:
        return exprs.get(name, "NULL::VARCHAR")

    now = ctx.now
    return [
        *(
            [ck.required(f("published_at"), "published_at")]
            if "observed_at" not in exprs and ctx.observed_at is None
            else []
        ),
        *ck.timestamp(f("published_at"), "published_ts", "published_at", now),
        *ck.timestamp(f("created_at"), "tf_ts(" + f("created_at") + ")", "created_at", now),
        *ck.timestamp(f("archived_at"), "tf_ts(" + f("archived_at") + ")", "archived_at", now),
        *ck.timestamp(f("observed_at"), "observed_rec", "observed_at", now),
        *ck.number(f("salary_from"), "salary_from"),
        *ck.number(f("salary_to"), "salary_to"),
        ck.currency(f("currency"), "currency"),
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
