"""The canonical model: every table talentflow stores, its columns and their meaning.

One definition serves the DDL, the natural keys used to recognise duplicates, and ``docs/model.md``.
Types are DuckDB's; each has an Ibis equivalent, so the same tables can be read on Spark.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    doc: str


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    #: Columns that identify one record; a second record with the same key is a duplicate.
    key: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def ddl(self) -> str:
        cols = ",\n  ".join(f"{c.name} {c.type}" for c in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n  {cols}\n)"


def _c(name: str, type_: str, doc: str) -> Column:
    return Column(name, type_, doc)


_INGEST = _c("ingest_id", "BIGINT", "The ingest that stored the record (see ingest_log).")
#: Where a board record comes from: seen on a real board, or made by the simulator. A query takes one kind at a
#: time (`--data real|simulated`); no figure sums the two.
_ORIGIN = (
    _c(
        "provenance",
        "VARCHAR",
        "`observed` (seen on a board or read from a file of one) or `simulated` (written by `talentflow "
        "simulate`; its source is then `simulator`, never a real board's name).",
    ),
    _c("scenario", "VARCHAR", "Simulated records: the scenario that made them (NULL for observed ones)."),
    _c("seed", "BIGINT", "Simulated records: the simulation's seed (NULL for observed ones)."),
)
_AI = _c(
    "is_ai",
    "BOOLEAN",
    "AI and machine-learning work: role 165 (data scientist), or an AI keyword in the title or a key skill "
    "(`talentflow.reference.ai`; NULL when the record has none of the three).",
)
_AREA = (
    _c("area_id", "VARCHAR", "Area id on the board (hh.ru `area.id`): a city, region or country."),
    _c("area_name", "VARCHAR", "Area name as published (hh.ru `area.name`)."),
    _c("region", "VARCHAR", "First-level region of the area within its country, from the area tree."),
    _c("country", "VARCHAR", "ISO 3166-1 alpha-2 country of the area; ZZ = abroad, country not stated."),
)

VACANCY_OBSERVATION = Table(
    "vacancy_observation",
    "One sighting of a vacancy at one time. A vacancy's life (first seen, last seen, archived) is derived "
    "from its sightings.",
    (
        _c("source", "VARCHAR", "The board or data set the record came from, e.g. `hh.ru`."),
        _c(
            "vacancy_id",
            "VARCHAR",
            "The board's vacancy id (hh.ru `id`), or a hash where the input has none.",
        ),
        _c("observed_at", "TIMESTAMPTZ", "When the vacancy was seen, UTC."),
        _c(
            "observed_basis",
            "VARCHAR",
            "Where observed_at came from: `record` (an `observed_at` field), `option` (--observed-at), "
            "`snapshot` (the input's snapshot date) or `published_at` (a lower bound).",
        ),
        _c("title", "VARCHAR", "Job title (hh.ru `name`)."),
        _c("role_ids", "VARCHAR[]", "Professional role ids (hh.ru `professional_roles[].id`)."),
        _c("is_it", "BOOLEAN", "An IT vacancy: a role in the 2022–2024 stable IT role list (NULL: unknown)."),
        _c("employer_id", "VARCHAR", "Employer id (hh.ru `employer.id`); NULL for anonymous vacancies."),
        _c("employer_name", "VARCHAR", "Employer name (hh.ru `employer.name`)."),
        *_AREA,
        _c("published_at", "TIMESTAMPTZ", "Publication time, UTC (hh.ru `published_at`)."),
        _c("created_at", "TIMESTAMPTZ", "Creation time, UTC (hh.ru `created_at`)."),
        _c("archived", "BOOLEAN", "Archived at the time of the sighting (hh.ru `archived`)."),
        _c("archived_at", "TIMESTAMPTZ", "Archive time when the input gives it (hh.ru `archived_at`)."),
        _c(
            "expires_at",
            "TIMESTAMPTZ",
            "When the posting says it ends (hh.ru `expires_at`, JSON-LD `validThrough`).",
        ),
        _c("salary_from", "DOUBLE", "Lower bound of the monthly salary, in `currency` (hh.ru `salary.from`)."),
        _c("salary_to", "DOUBLE", "Upper bound of the monthly salary (hh.ru `salary.to`)."),
        _c("currency", "VARCHAR", "ISO 4217 code of the salary (hh.ru RUR → RUB, BYR → BYN)."),
        _c("salary_gross", "BOOLEAN", "True if the salary is before tax (hh.ru `salary.gross`)."),
        _c("schedule", "VARCHAR", "Schedule id (hh.ru `schedule.id`: fullDay, shift, flexible, remote, …)."),
        _c("is_remote", "BOOLEAN", "Remote work: schedule `remote`, work format REMOTE or TELECOMMUTE."),
        _c("experience", "VARCHAR", "Required experience id (hh.ru `experience.id`)."),
        _c("employment", "VARCHAR", "Employment type id (hh.ru `employment.id`)."),
        _AI,
        _c("key_skills", "VARCHAR[]", "Key skills (hh.ru `key_skills[].name`; full vacancies only)."),
        _c(
            "description_length",
            "INTEGER",
            "Characters of the description's plain text, HTML tags removed (hh.ru `description`).",
        ),
        *_ORIGIN,
        _INGEST,
    ),
    key=("source", "vacancy_id", "observed_at"),
)

RESUME_OBSERVATION = Table(
    "resume_observation",
    "One sighting of a resume (a job seeker's profile) at one time.",
    (
        _c("source", "VARCHAR", "The board the record came from."),
        _c("resume_id", "VARCHAR", "The board's resume id (hh.ru `id`)."),
        _c("observed_at", "TIMESTAMPTZ", "When the resume was seen, UTC."),
        _c("observed_basis", "VARCHAR", "Where observed_at came from: `record`, `option` or `updated_at`."),
        _c("title", "VARCHAR", "Desired position (hh.ru `title`)."),
        _c("role_ids", "VARCHAR[]", "Professional role ids (hh.ru `professional_roles[].id`)."),
        _c(
            "is_it",
            "BOOLEAN",
            "An IT resume: a stable IT role, or an old-catalogue specialization in profarea 1.",
        ),
        *_AREA,
        _c("created_at", "TIMESTAMPTZ", "Creation time, UTC."),
        _c("updated_at", "TIMESTAMPTZ", "Last update, UTC (hh.ru `updated_at`)."),
        _c(
            "relocation_type",
            "VARCHAR",
            "hh.ru `relocation.type.id`: no_relocation, relocation_possible or relocation_desirable.",
        ),
        _c("relocation_area_ids", "VARCHAR[]", "Areas the person would move to (hh.ru `relocation.area[]`)."),
        _c("relocation_countries", "VARCHAR[]", "ISO2 countries of those areas (ZZ: abroad, unspecified)."),
        _c("citizenship", "VARCHAR[]", "ISO2 countries of citizenship (hh.ru `citizenship[]`)."),
        _c("salary_amount", "DOUBLE", "Expected monthly salary (hh.ru `salary.amount`)."),
        _c("currency", "VARCHAR", "ISO 4217 code of the expected salary."),
        _c("job_search_status", "VARCHAR", "hh.ru `job_search_status.id` when the input gives it."),
        _c("experience_months", "INTEGER", "Total experience in months (hh.ru `total_experience.months`)."),
        _AI,
        _c("key_skills", "VARCHAR[]", "Key skills (hh.ru `skill_set`)."),
        *_ORIGIN,
        _INGEST,
    ),
    key=("source", "resume_id", "observed_at"),
)

POPULATION = Table(
    "population",
    "A population-like series per economy and period, e.g. GitHub Innovation Graph developer accounts.",
    (
        _c("source", "VARCHAR", "Data set, e.g. `github-innovation-graph`."),
        _c("economy", "VARCHAR", "ISO 3166-1 alpha-2 code (plus EU and XK as the source uses them)."),
        _c("partner", "VARCHAR", "The other economy of a bilateral metric (collaborators: destination)."),
        _c("period", "VARCHAR", "Period label, e.g. `2022Q2`."),
        _c("period_start", "DATE", "First day of the period."),
        _c("metric", "VARCHAR", "What is counted, e.g. `developers`, `git_pushes`."),
        _c("value", "DOUBLE", "The value."),
        _INGEST,
    ),
    key=("source", "economy", "partner", "period", "metric"),
)

SERIES = Table(
    "series",
    "An external indicator series, e.g. the Indeed Hiring Lab job postings index.",
    (
        _c("source", "VARCHAR", "Data set, e.g. `indeed-hiring-lab`."),
        _c("geography", "VARCHAR", "Country or aggregate code as the source gives it."),
        _c("metric", "VARCHAR", "Series name, e.g. `job_postings_index`."),
        _c("segment", "VARCHAR", "Sub-series, e.g. `total postings` or `Software Development`."),
        _c("date", "DATE", "Observation date."),
        _c("value", "DOUBLE", "Value as published (not seasonally adjusted where the source has both)."),
        _c("value_sa", "DOUBLE", "Seasonally adjusted value, where the source publishes one."),
        _c("vintage", "VARCHAR", "Version of the source (e.g. its commit), where known."),
        _INGEST,
    ),
    key=("source", "geography", "metric", "segment", "date"),
)

CLAIM = Table(
    "claim",
    "A published figure to compare estimates with: who said what, when, about which period.",
    (
        _c("claim_id", "VARCHAR", "Stable identifier, e.g. `A5`."),
        _c("metric", "VARCHAR", "What the figure measures, e.g. `it_emigrants`."),
        _c("geography", "VARCHAR", "ISO2 country the figure is about."),
        _c("period_start", "DATE", "Start of the period the figure covers."),
        _c("period_end", "DATE", "End of the period the figure covers."),
        _c("value", "DOUBLE", "Point value, where one is given."),
        _c("value_low", "DOUBLE", "Lower end of a range."),
        _c("value_high", "DOUBLE", "Upper end of a range."),
        _c("unit", "VARCHAR", "Unit: people, vacancies, share, …"),
        _c("who", "VARCHAR", "Who made the claim."),
        _c("said_on", "DATE", "When it was said."),
        _c("url", "VARCHAR", "Where it was published."),
        _INGEST,
    ),
    key=("claim_id",),
)

INGEST_LOG = Table(
    "ingest_log",
    "One row per input ingested: what it was, its content hash and how its records were accounted for.",
    (
        _c("ingest_id", "BIGINT", "Identifier, increasing."),
        _c("input", "VARCHAR", "Path of the input as given."),
        _c("sha256", "VARCHAR", "SHA-256 of the input's bytes as stored (compressed if it was)."),
        _c("format", "VARCHAR", "Adapter that read it."),
        _c("options", "VARCHAR", "Adapter options (column mapping, observed_at) as JSON."),
        _c("read", "BIGINT", "Records read."),
        _c("accepted", "BIGINT", "Records stored."),
        _c("duplicates", "BIGINT", "Records already in the store (or repeated within the input)."),
        _c("quarantined", "BIGINT", "Records set aside in the quarantine table."),
        _c("started_at", "TIMESTAMPTZ", "Start of the ingest."),
        _c("finished_at", "TIMESTAMPTZ", "End of the ingest."),
        _c("tool_version", "VARCHAR", "talentflow version."),
    ),
    key=("sha256", "format", "options"),
)

QUARANTINE = Table(
    "quarantine",
    "Records that could not be stored, with where they were and why.",
    (
        _c("ingest_id", "BIGINT", "The ingest that read the record."),
        _c("input", "VARCHAR", "Path of the input."),
        _c("sha256", "VARCHAR", "SHA-256 of the input."),
        _c(
            "location",
            "VARCHAR",
            "Where in the input: `file:line`, `file:line#/json/pointer` or `file#/pointer`.",
        ),
        _c("raw", "VARCHAR", "The record's text (cut at 64 KiB)."),
        _c("reason", "VARCHAR", "Why it was set aside, in words."),
    ),
    key=("sha256", "location", "reason"),
)

AREA = Table(
    "area",
    "The board's area tree (hh.ru `/areas`), each node with its country and region.",
    (
        _c("area_id", "VARCHAR", "Area id."),
        _c("parent_id", "VARCHAR", "Parent area id; NULL for a root."),
        _c("name", "VARCHAR", "Area name."),
        _c("country", "VARCHAR", "ISO2 code of the country the area lies in."),
        _c("region", "VARCHAR", "First-level region within the country (NULL for the country itself)."),
        _c("depth", "INTEGER", "0 for a root of the tree."),
        _c("source", "VARCHAR", "`builtin` (the country table) or the file the tree was read from."),
    ),
    key=("area_id",),
)

DICTIONARY = Table(
    "dictionary",
    "hh.ru display names of ids (`GET /dictionaries`: schedule, experience, employment; `GET /professional_roles`), "
    "loaded by `talentflow reference dictionaries`. Created by that command, so it is not among the tables every "
    "store has: without it, flat files are read with the copy shipped in `talentflow/reference/`.",
    (
        _c("dictionary", "VARCHAR", "`schedule`, `experience`, `employment`, `work_format` or `professional_role`."),
        _c("id", "VARCHAR", "The id hh.ru's API gives (e.g. `remote`, `between1And3`, `96`)."),
        _c("lang", "VARCHAR", "`ru` (hh.ru's names), `en` (talentflow's English names) or `uid` (hh.ru's `uid`)."),
        _c("name", "VARCHAR", "The display name, e.g. «Удаленная работа»."),
        _c("source", "VARCHAR", "The file the names were read from."),
    ),
    key=("dictionary", "id", "lang", "name"),
)

COLLECT_RUN = Table(
    "collect_run",
    "One run of `talentflow collect`: the query, how far it got, what it cost and what it found. Created by the "
    "first collection, so it is not among the tables every store has.",
    (
        _c("run_id", "BIGINT", "Identifier, increasing."),
        _c("source", "VARCHAR", "The board, e.g. `hh.ru`."),
        _c("api_url", "VARCHAR", "The API's address."),
        _c("query", "VARCHAR", "The search as JSON: `text`, `roles`, `areas`, `params` (the token is never in it)."),
        _c(
            "status",
            "VARCHAR",
            "`running` (or stopped without finishing: see `error_kind`), `finished` or `abandoned`.",
        ),
        _c("error_kind", "VARCHAR", "Why the last attempt stopped: `network`, `captcha_required`, `oauth`, …"),
        _c("error", "VARCHAR", "The message of that failure."),
        _c("started_at", "TIMESTAMPTZ", "When the run began, UTC."),
        _c("finished_at", "TIMESTAMPTZ", "When its sightings were ingested (or it was abandoned), UTC."),
        _c("window_end", "TIMESTAMPTZ", "End of the publication windows (the run's start rounded up to 5 minutes)."),
        _c("attempts", "INTEGER", "Times the run was started: 1, plus one per `--resume`."),
        _c("found", "BIGINT", "The search's `found` for the whole query (`per_page=0`)."),
        _c("leaf_found", "BIGINT", "Sum of `found` over the slices that were paged (overlaps count twice)."),
        _c("retrieved", "BIGINT", "Distinct vacancy ids retrieved."),
        _c("requests", "BIGINT", "HTTP requests sent to the API, retries included."),
        _c("retries", "BIGINT", "Requests that repeated a failed one."),
        _c("failures", "VARCHAR", 'Failed requests by kind as JSON, e.g. `{"rate_limited": 12}`.'),
        _c("truncated", "BIGINT", "Slices that could not be split below the 2,000-result cap."),
        _c("full_fetched", "BIGINT", "Full vacancies fetched (`--full`: `GET /vacancies/{id}`)."),
        _c("seconds", "DOUBLE", "Time spent, over all attempts."),
        _c("pages_file", "VARCHAR", "The NDJSON file of the run's sightings, as ingested."),
        _c("ingest_id", "BIGINT", "The ingest of that file (see ingest_log); NULL until the run finishes."),
        _c("tool_version", "VARCHAR", "talentflow version."),
    ),
    key=("run_id",),
)

COLLECT_SLICE = Table(
    "collect_slice",
    "One slice of a collection run: a search narrowed by publication window, areas and roles, with the `found` "
    "hh.ru gave for it and how far its pages were read.",
    (
        _c("run_id", "BIGINT", "The run (see collect_run)."),
        _c("slice_id", "BIGINT", "Identifier within the run; 0 is the whole query."),
        _c("parent_id", "BIGINT", "The slice it was split from; NULL for the whole query."),
        _c("split_by", "VARCHAR", "How this slice was split: `time`, `area` or `role`; NULL if it was not."),
        _c("date_from", "TIMESTAMPTZ", "Start of its publication window (NULL: no window)."),
        _c("date_to", "TIMESTAMPTZ", "End of its window; the request asks 5 minutes past it (the overlap)."),
        _c("areas", "VARCHAR[]", "Area ids it searches (empty: the query's)."),
        _c("roles", "VARCHAR[]", "Professional role ids it searches (empty: the query's)."),
        _c(
            "state",
            "VARCHAR",
            "`pending`, `paging`, `moved` (paging, and its `found` changed since it was first asked), `rereading` "
            "(a second pass after that), `split`, `done` or `truncated` (over the cap and not splittable: only its "
            "first 2,000 results were read).",
        ),
        _c("found", "BIGINT", "hh.ru's `found` for the slice when it was first asked."),
        _c("pages", "INTEGER", "Pages to read (`per_page=100`)."),
        _c("pages_read", "INTEGER", "Pages read so far."),
        _c("retrieved", "BIGINT", "Items in the pages read (before de-duplication across slices)."),
        _c("tail", "BOOLEAN", "The sweep for vacancies published while the run went on."),
        _c("passes", "INTEGER", "Times its pages were read: 2 when results moved between pages while it was read."),
        _c(
            "clusters",
            "VARCHAR",
            "The whole query's counts by area and by professional role, as hh.ru's clusters gave them with its "
            '`found` (JSON `{"area": {id: n}, "professional_role": {id: n}}`); NULL for other slices.',
        ),
    ),
    key=("run_id", "slice_id"),
)

COLLECT_PAGE = Table(
    "collect_page",
    "Pages a collection run has fetched and not yet ingested: its checkpoint. Emptied when the run's sightings "
    "are ingested.",
    (
        _c("run_id", "BIGINT", "The run."),
        _c("slice_id", "BIGINT", "The slice the page belongs to; NULL for a full vacancy."),
        _c("seq", "INTEGER", "Order of the page within its slice (a page read again gets the next number)."),
        _c("page", "INTEGER", "The page number asked for; NULL for a full vacancy."),
        _c("vacancy_id", "VARCHAR", "A full vacancy's id (`GET /vacancies/{id}`); NULL for a search page."),
        _c("observed_at", "TIMESTAMPTZ", "When the request was sent, UTC: the sightings' `observed_at`."),
        _c("found", "BIGINT", "The page's `found`."),
        _c("body", "VARCHAR", "The items as a JSON array (a full vacancy: the object)."),
    ),
    key=("run_id", "slice_id", "seq", "vacancy_id"),
)

#: Tables of the hh.ru collector, created by its first run (older stores without them open as before).
COLLECT_TABLES: tuple[Table, ...] = (COLLECT_RUN, COLLECT_SLICE, COLLECT_PAGE)

#: Tables holding observations and series, in the order `status` lists them.
CANONICAL: tuple[Table, ...] = (VACANCY_OBSERVATION, RESUME_OBSERVATION, POPULATION, SERIES, CLAIM)
ALL_TABLES: tuple[Table, ...] = (*CANONICAL, INGEST_LOG, QUARANTINE, AREA)
BY_NAME: dict[str, Table] = {t.name: t for t in ALL_TABLES}
