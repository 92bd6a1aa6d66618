"""hh.ru API JSON: vacancies and resumes, single objects, search pages, arrays and NDJSON.

NDJSON is parsed inside DuckDB: first by ``read_json`` in one pass; if DuckDB cannot take some line (not
JSON, bad UTF-8, an unexpected shape, a search page), line by line with ``from_json`` so that every line is
kept and located. A JSON document is split into its records in Python, then mapped by the same SQL.
Every leaf is extracted as text first so that a wrong type ("abc" as a salary) is caught and named rather
than turned into a silent NULL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from talentflow._sql import literal
from talentflow.model import RESUME_OBSERVATION, VACANCY_OBSERVATION
from talentflow.reference.ai import ai_sql
from talentflow.reference.roles import IT_PROFAREA_ID, IT_ROLES_STABLE
from talentflow.sources import _checks as ck
from talentflow.sources import _json
from talentflow.sources._base import Context, Direct, Staged, StageResult
from talentflow.sources._checks import Expr
from talentflow.sources._scan import Scan, cut
from talentflow.sources._text import head as first_bytes
from talentflow.sources._text import is_gzip, max_line_bytes, read_all

SOURCE = "hh.ru"

_ID = '"VARCHAR"'
_REF = '{"id": "VARCHAR"}'
_STRUCT = json.dumps(
    {
        "id": "VARCHAR",
        "name": "VARCHAR",
        "title": "VARCHAR",
        "observed_at": "VARCHAR",
        "area": {"id": "VARCHAR", "name": "VARCHAR"},
        "salary": {
            "from": "VARCHAR",
            "to": "VARCHAR",
            "amount": "VARCHAR",
            "currency": "VARCHAR",
            "gross": "VARCHAR",
        },
        "published_at": "VARCHAR",
        "created_at": "VARCHAR",
        "updated_at": "VARCHAR",
        "archived": "VARCHAR",
        "archived_at": "VARCHAR",
        "expires_at": "VARCHAR",
        "country": "VARCHAR",
        "source": "VARCHAR",
        "employer": {"id": "VARCHAR", "name": "VARCHAR"},
        "schedule": {"id": "VARCHAR"},
        "work_format": [{"id": "VARCHAR"}],
        "experience": "JSON",  # an object on vacancies, a list of jobs on resumes
        "employment": {"id": "VARCHAR"},
        "type": "JSON",  # an object on vacancies, a string in an error envelope
        "items": "JSON",  # present on search pages
        "professional_roles": [{"id": "VARCHAR"}],
        "specialization": [{"profarea_id": "VARCHAR"}],
        "relocation": {"type": {"id": "VARCHAR"}, "area": [{"id": "VARCHAR"}], "areas": [{"id": "VARCHAR"}]},
        "citizenship": [{"id": "VARCHAR"}],
        "total_experience": {"months": "VARCHAR"},
        "job_search_status": {"id": "VARCHAR"},
        "errors": [{"type": "VARCHAR", "value": "VARCHAR"}],
        "value": "VARCHAR",
        "captcha_url": "VARCHAR",
        "bad_argument": "VARCHAR",
        "description": "VARCHAR",
        "key_skills": [{"name": "VARCHAR"}],
        "skill_set": ["VARCHAR"],
        # The simulator's mark on every record it writes: which scenario and seed made it.
        "_simulated": {"scenario": "VARCHAR", "seed": "VARCHAR"},
    }
)
#: The source name of simulated records: never a real board's.
SIMULATOR = "simulator"

PARSE = f"try(from_json(text, {literal(_STRUCT)}))"

_STABLE_ROLES = "[" + ", ".join(literal(r) for r in sorted(IT_ROLES_STABLE, key=int)) + "]"


class HHAdapter:
    name = "hh"

    def stage(self, ctx: Context) -> StageResult:
        if not is_ndjson(ctx.path):
            return self._stage_document(ctx)
        name = ctx.table("tf_hh")
        scan = Scan(ctx.path, "lines")
        # Fast path: DuckDB's JSON reader parses the file in one pass. It stops at the first line that is
        # not a JSON object of the expected shape; the file is then read line by line, every line kept.
        fast = False
        try:
            if not ctx.careful:
                sql = _mapping_sql("", ctx, parsed=_read_json(ctx))
                ctx.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
                fast = ctx.con.execute(f"SELECT count(*) FROM {name} WHERE _kind = 'page'").fetchone()[0] == 0  # type: ignore[index]
        except duckdb.InterruptException:
            raise
        except duckdb.Error:
            fast = False
        ref = f"hash({PARSE})"
        if not fast:
            scan.reset_rejects(ctx.con)
            records = _ndjson_records(scan.relation())
            ctx.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {_mapping_sql(records, ctx)}")
        countries_of_areas(ctx.con, name)
        rejects = [] if fast else scan.rejects(ctx.con, ctx.display)
        return self._result(name, scan, ref if fast else "hash(text)", rejects)

    def direct(self, ctx: Context) -> Direct | None:
        """NDJSON through ``read_json`` and the mapping, straight into vacancy_observation.

        Only a file of clean vacancies gets through; a resume, a search page or a bad record abandons it.
        """
        if not is_ndjson(ctx.path):
            return None
        return Direct(
            VACANCY_OBSERVATION,
            _mapping_sql("", ctx, parsed=_read_json(ctx)),
            clean="_reason IS NULL AND _kind = 'vacancy'",
        )

    def _stage_document(self, ctx: Context) -> StageResult:
        name = ctx.table("tf_hh")
        (locs, texts), rejects = split_document(ctx.path, ctx.display)
        stage_records(ctx, name, locs, texts)
        return self._result(name, None, None, rejects)

    @staticmethod
    def _result(name: str, scan: Scan | None, ref: str | None, rejects: list[tuple[str, str, str]]) -> StageResult:
        return StageResult(
            staged=[
                Staged(VACANCY_OBSERVATION, name, scan, ref, where="_kind <> 'resume'"),
                Staged(RESUME_OBSERVATION, name, scan, ref, where="_kind = 'resume'"),
            ],
            rejects=rejects,
        )


def _duck_type(spec: object) -> str:
    if isinstance(spec, str):
        return spec
    if isinstance(spec, list):
        return _duck_type(spec[0]) + "[]"
    assert isinstance(spec, dict)
    return "STRUCT(" + ", ".join(f'"{k}" {_duck_type(v)}' for k, v in spec.items()) + ")"


def _read_json(ctx: Context) -> str:
    """Records parsed by read_json into the same struct ``from_json`` gives, so refs hash alike."""
    spec = json.loads(_STRUCT)
    typed = "{" + ", ".join(f"{literal(k)}: {literal(_duck_type(v))}" for k, v in spec.items()) + "}"
    pack = ", ".join(f'"{k}" := "{k}"' for k in spec)
    compression = "gzip" if is_gzip(ctx.path) else "uncompressed"
    return f"""
        SELECT NULL::VARCHAR AS _loc, NULL::UBIGINT AS _ref, '' AS _ptr, NULL::VARCHAR AS text, j
        FROM (
            SELECT struct_pack({pack}) AS j
            FROM read_json({literal(str(ctx.path))}, format='newline_delimited', columns={typed},
                           maximum_object_size={max_line_bytes()}, compression='{compression}')
        )
    """


_DOC_SCHEMA = pa.schema([("loc", pa.string()), ("text", pa.string())])


def is_ndjson(path: Path) -> bool:
    """One JSON value per line (a single-line document counts), as opposed to a pretty-printed document."""
    head = first_bytes(path).decode("utf-8", errors="replace")
    stripped = head.lstrip("\ufeff \t\r\n")
    if stripped.startswith("["):
        return False
    first, newline, _ = stripped.partition("\n")
    if not newline and len(head) >= (1 << 16) - 4:
        return True  # a first line longer than the sniff: one record per line
    try:
        json.loads(first)
    except (ValueError, RecursionError):
        return False
    return True


def split_document(path: Path, display: str) -> tuple[tuple[list[str], list[str]], list[tuple[str, str, str]]]:
    """A JSON document's records as (locations, texts); a document that does not parse is one reject, and so is
    a record that cannot be written back as UTF-8."""
    raw = read_all(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        head = raw[max(0, exc.start - 40) : exc.start + 40].decode("utf-8", "replace")
        return ([], []), [(display, head, f"not valid UTF-8 text (byte {exc.start:,})")]
    locs: list[str] = []
    texts: list[str] = []
    rejects: list[tuple[str, str, str]] = []
    try:
        for pointer, record in _records(_json.load(text), ""):
            where = f"{display}#{pointer or '/'}"
            if (dumped := _json.dump(record)) is None:
                rejects.append((where, _json.escaped(record), _json.SURROGATE))
            else:
                locs.append(where)
                texts.append(dumped)
    except (ValueError, RecursionError) as exc:
        return ([], []), [(_json.location(exc, display), cut(text) or "", _json.error(exc, text))]
    return (locs, texts), rejects


def _records(doc: object, pointer: str) -> Iterator[tuple[str, object]]:
    if isinstance(doc, list):
        for i, item in enumerate(doc):
            yield from _records(item, f"{pointer}/{i}")
    elif isinstance(doc, dict) and isinstance(doc.get("items"), list):
        for i, item in enumerate(doc["items"]):
            yield f"{pointer}/items/{i}", item
    else:
        yield pointer, doc


def stage_records(ctx: Context, name: str, locs: list[str], texts: list[str], default_source: str = SOURCE) -> None:
    """Stage records already split out in Python (with their locations) through the hh.ru mapping."""
    ctx.con.register("tf_docs", pa.table({"loc": locs, "text": texts}, schema=_DOC_SCHEMA))
    try:
        records = "SELECT loc AS _loc, NULL::UBIGINT AS _ref, '' AS _ptr, text FROM tf_docs"
        ctx.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {_mapping_sql(records, ctx, default_source)}")
    finally:
        ctx.con.unregister("tf_docs")
    countries_of_areas(ctx.con, name)


def countries_of_areas(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Fill relocation_countries and citizenship from their area ids, through the area table.

    A join over the few records that have these lists; a per-row lookup in a map of the whole tree costs
    more than parsing the JSON.
    """
    for ids, out in (("relocation_area_ids", "relocation_countries"), ("_citizenship_ids", "citizenship")):
        con.execute(
            f"""
            UPDATE {table} t SET {out} = s.countries
            FROM (
                SELECT rid, list(a.country ORDER BY pos) AS countries
                FROM (
                    SELECT rowid AS rid, unnest({ids}) AS area_id, unnest(range(len({ids}))) AS pos
                    FROM {table} WHERE {ids} IS NOT NULL
                ) u
                LEFT JOIN area a USING (area_id)
                GROUP BY rid
            ) s
            WHERE t.rowid = s.rid
            """
        )


def _ndjson_records(relation: str) -> str:
    # A line holding a search page becomes one record per item, other lines one record each. One pass over
    # the lines: a second reference to them would make DuckDB materialise every line's text.
    return rf"""
    SELECT NULL::VARCHAR AS _loc, hash(text) AS _ref,
           unnest(CASE WHEN items IS NULL THEN [''] ELSE list_transform(range(len(items)), i -> '#/items/' || i) END)
               AS _ptr,
           unnest(coalesce(items, [text])) AS text
    FROM (
        SELECT text, CASE WHEN contains(text, '"items"')
                          THEN try(from_json(text, '{{"items": ["VARCHAR"]}}')).items END AS items
        FROM {relation}
        WHERE text IS NOT NULL AND NOT regexp_full_match(text, '\s*')
    )
    """


def _mapping_sql(records: str, ctx: Context, default_source: str = SOURCE, *, parsed: str | None = None) -> str:
    """SQL mapping records (_loc, _ref, _ptr, text) to staged rows; ``parsed`` supplies ``j`` already parsed.

    One statement in three parts: the records typed (vacancy, resume, page, error) and their values converted
    once, the reason a record is quarantined (`_reason`), and the canonical columns."""
    option_ts = f"TIMESTAMPTZ {literal(ctx.observed_at.isoformat())}" if ctx.observed_at else "NULL::TIMESTAMPTZ"
    source = (
        f"CASE WHEN j._simulated IS NOT NULL THEN {literal(SIMULATOR)} "
        f"ELSE coalesce({literal(ctx.source) if ctx.source else 'NULL'}, j.source, {literal(default_source)}) END"
    )
    return f"""
    {_typed_sql(records, parsed, option_ts)},
    checked AS (SELECT *, {_reason_sql(ctx.now)} AS _reason FROM observed)
    {_columns_sql(source)}
    """


def _reason_sql(now: datetime) -> str:
    """Why a record is quarantined (NULL when it is not): the checks every record meets, then a vacancy's or a
    resume's own."""
    vac_checks: list[ck.Check] = [
        ck.required("j.published_at", "published_at"),
        *ck.timestamp("j.published_at", "published_ts", "published_at", now),
        *ck.timestamp("j.created_at", "created_ts", "created_at", now),
        *ck.timestamp("j.archived_at", "archived_ts", "archived_at", now),
        (
            "j.expires_at IS NOT NULL AND expires_ts IS NULL",
            ck.msg(f"expires_at: expected {ck.TS_EXAMPLE}, got ", Expr("tf_quote(j.expires_at)")),
        ),
        ck.boolean("j.archived", "archived", parsed="archived_bool"),
        ck.boolean("j.salary.gross", "salary.gross", parsed="gross_bool"),
        *ck.number("j.salary.from", "salary.from", parsed="salary_from_num"),
        *ck.number("j.salary.to", "salary.to", parsed="salary_to_num"),
        ck.currency("j.salary.currency", "salary.currency", code="currency_code"),
        (
            "(j.salary.from IS NOT NULL OR j.salary.to IS NOT NULL) AND j.salary.currency IS NULL",
            ck.msg("salary: an amount without a currency"),
        ),
        ck.not_after("published_ts", "observed_ts", "published_at", "observed_at"),
    ]
    res_checks: list[ck.Check] = [
        (
            "j.updated_at IS NULL AND j.observed_at IS NULL AND observed_opt IS NULL",
            ck.msg("missing required field updated_at (or observed_at)"),
        ),
        *ck.timestamp("j.updated_at", "updated_ts", "updated_at", now),
        *ck.timestamp("j.created_at", "created_ts", "created_at", now),
        *ck.number("j.salary.amount", "salary.amount", parsed="salary_amount_num"),
        ck.currency("j.salary.currency", "salary.currency", code="currency_code"),
        *ck.number("j.total_experience.months", "total_experience.months", parsed="months_num"),
    ]
    common: list[ck.Check] = [
        ("j IS NULL", ck.msg("not valid JSON (malformed or truncated)")),
        (
            "_kind = 'error'",
            ck.msg(
                "hh.ru API error response (",
                Expr(
                    "coalesce(j.errors[1].type, CASE WHEN json_type(j.type) = 'VARCHAR' THEN j.type ->> '$' END, "
                    "j.value)"
                ),
                "), not a vacancy or resume",
            ),
        ),
        ("_kind = 'unknown'", ck.msg("not an hh.ru vacancy or resume: no name, title or published_at")),
        ck.required("j.id", "id"),
        *ck.timestamp("j.observed_at", "observed_rec", "observed_at", now),
        (
            "j.salary IS NOT NULL AND j.salary.from IS NULL AND j.salary.to IS NULL "
            "AND j.salary.amount IS NULL AND j.salary.currency IS NULL",
            ck.msg("salary: expected an object with from/to (or amount) and currency"),
        ),
    ]
    return ck.reason(
        common
        + [(f"_kind = 'vacancy' AND ({cond})", m) for cond, m in vac_checks]
        + [(f"_kind = 'resume' AND ({cond})", m) for cond, m in res_checks]
    )


def _typed_sql(records: str, parsed: str | None, option_ts: str) -> str:
    """The CTEs up to ``observed``: each record parsed, typed, its values converted once (for the checks and
    the output alike), and the time it was observed."""
    return f"""
    WITH {f"recs AS ({records})," if records else ""}
    parsed AS ({parsed or f"SELECT _loc, _ref, _ptr, text, {PARSE} AS j FROM recs"}),
    typed AS (
        SELECT *,
            CASE
                WHEN j IS NULL THEN 'invalid'
                WHEN j.id IS NULL AND j.items IS NOT NULL THEN 'page'
                WHEN j.id IS NULL AND (j.errors IS NOT NULL OR j.captcha_url IS NOT NULL
                     OR j.bad_argument IS NOT NULL OR (j.value IS NOT NULL AND j.name IS NULL
                     AND j.title IS NULL)) THEN 'error'
                WHEN j.name IS NOT NULL OR j.published_at IS NOT NULL OR j.employer IS NOT NULL THEN 'vacancy'
                WHEN j.title IS NOT NULL OR j.updated_at IS NOT NULL OR j.relocation IS NOT NULL THEN 'resume'
                ELSE 'unknown'
            END AS _kind,
            tf_ts(j.published_at) AS published_ts,
            tf_ts(j.created_at) AS created_ts,
            tf_ts(j.updated_at) AS updated_ts,
            tf_ts(j.archived_at) AS archived_ts,
            tf_ts(j.observed_at) AS observed_rec,
            {option_ts} AS observed_opt,
            -- Converted once here for both the checks and the output.
            tf_ts(j.expires_at) AS expires_ts,
            tf_bool(j.archived) AS archived_bool,
            tf_bool(j.salary.gross) AS gross_bool,
            tf_num(j.salary.from) AS salary_from_num,
            tf_num(j.salary.to) AS salary_to_num,
            tf_num(j.salary.amount) AS salary_amount_num,
            tf_num(j.total_experience.months) AS months_num,
            {ck.currency_sql("j.salary.currency")} AS currency_code
        FROM parsed
    ),
    observed AS (
        SELECT *,
            coalesce(observed_rec, observed_opt, CASE WHEN _kind = 'resume' THEN updated_ts
                     ELSE published_ts END) AS observed_ts,
            CASE WHEN observed_rec IS NOT NULL THEN 'record' WHEN observed_opt IS NOT NULL THEN 'option'
                 WHEN _kind = 'resume' THEN 'updated_at' ELSE 'published_at' END AS observed_basis
        FROM typed
    )
    """


def _columns_sql(source: str) -> str:
    """The canonical columns of a staged row, from a checked record ``j`` and its area ``a``."""
    roles = "list_transform(j.professional_roles, r -> r.id)"
    reloc = "coalesce(j.relocation.area, j.relocation.areas)"
    skills = "coalesce(list_transform(j.key_skills, k -> k.name), j.skill_set)"
    return f"""
    SELECT
        {source} AS source,
        j.id AS vacancy_id,
        j.id AS resume_id,
        observed_ts AS observed_at,
        observed_basis,
        coalesce(j.name, j.title) AS title,
        {roles} AS role_ids,
        CASE WHEN list_has_any({roles}, {_STABLE_ROLES}) THEN true
             WHEN list_contains(list_transform(j.specialization, s -> s.profarea_id), {literal(IT_PROFAREA_ID)})
                THEN true
             WHEN j.professional_roles IS NOT NULL AND len(j.professional_roles) > 0 THEN false END AS is_it,
        j.employer.id AS employer_id,
        j.employer.name AS employer_name,
        j.area.id AS area_id,
        j.area.name AS area_name,
        a.region AS region,
        coalesce(a.country, upper(j.country)) AS country,
        published_ts AS published_at,
        created_ts AS created_at,
        updated_ts AS updated_at,
        archived_bool AS archived,
        archived_ts AS archived_at,
        expires_ts AS expires_at,
        salary_from_num AS salary_from,
        salary_to_num AS salary_to,
        salary_amount_num AS salary_amount,
        currency_code AS currency,
        gross_bool AS salary_gross,
        j.schedule.id AS schedule,
        CASE WHEN j.schedule.id = 'remote'
                  OR list_contains(list_transform(j.work_format, w -> upper(w.id)), 'REMOTE') THEN true
             WHEN j.schedule.id IS NOT NULL OR j.work_format IS NOT NULL THEN false END AS is_remote,
        json_extract_string(j.experience, '$.id') AS experience,
        j.employment.id AS employment,
        j.relocation.type.id AS relocation_type,
        list_transform({reloc}, r -> r.id) AS relocation_area_ids,
        NULL::VARCHAR[] AS relocation_countries,
        list_transform(j.citizenship, c -> c.id) AS _citizenship_ids,
        NULL::VARCHAR[] AS citizenship,
        j.job_search_status.id AS job_search_status,
        try_cast(months_num AS INTEGER) AS experience_months,
        {ai_sql("coalesce(j.name, j.title)", roles, skills)} AS is_ai,
        {skills} AS key_skills,
        length(regexp_replace(j.description, '<[^>]*>', '', 'g')) AS description_length,
        CASE WHEN j._simulated IS NOT NULL THEN 'simulated' ELSE 'observed' END AS provenance,
        j._simulated.scenario AS scenario,
        try_cast(j._simulated.seed AS BIGINT) AS seed,
        _kind,
        _reason,
        CASE WHEN _reason IS NOT NULL THEN coalesce(text, to_json(j)::VARCHAR) END AS _raw,
        _loc,
        CASE WHEN _reason IS NOT NULL THEN coalesce(_ref, hash(j)) END AS _ref,
        _ptr
    FROM checked
    LEFT JOIN area a ON a.area_id = j.area.id
    """
