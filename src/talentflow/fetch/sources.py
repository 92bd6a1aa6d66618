"""The public sources ``talentflow fetch`` downloads: where each file lives upstream and what talentflow reads in it.

This table is the one place the canonical URLs are written (docs/fetch.md lists them with their licences). A URL
is a host (``RemoteFile.host``) and a path; ``--url-base`` replaces the host, so a mirror or a test server
serves the same paths. Kept free of heavy imports: the command line reads it for its help.

How the URLs were established (November 2026), since none of these hosts could be reached from where this was
written: the repositories and commits named in ../shared/data/*/SOURCE.md; the file lists of those repositories
(github/innovationgraph ``data/`` and ``representativeness_data/``; hiring-lab/job_postings_tracker's country
folders, whose README names ``aggregate_job_postings_{country_code}.csv`` and ``job_postings_by_sector_{…}.csv``;
hiring-lab/ai-tracker's ``AI_posting.csv``); and the branch names that other public code fetching the same raw
files uses (``main`` for innovationgraph and ai-tracker, ``master`` for job_postings_tracker). hh.ru's endpoints
are those of its API documentation (github.com/hhru/api, ``docs/areas.md`` and ``docs/dictionaries.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

GITHUB_RAW = "https://raw.githubusercontent.com"
HH_API = "https://api.hh.ru"
CBR = "https://www.cbr.ru"
#: The months ``fetch fx`` asks the Bank of Russia for: those the shipped conversion table has no rouble rates
#: for (the ECB stopped its RUB rate on 2022-03-01; hh.ru's own rates start on 2024-12-25).
FX_MONTHS = ("2022-03", "2024-11")
#: Environment variables of the command's options: a mirror's address in place of every source's host, and the
#: HH-User-Agent hh.ru asks of every client.
ENV_URL_BASE = "TALENTFLOW_URL_BASE"
ENV_HH_USER_AGENT = "TALENTFLOW_HH_USER_AGENT"
#: An hh.ru application token (docs/collect.md says how to get one), sent to hh.ru when set: some addresses get a
#: bare 403 without one. Read from the environment only, never an option, so that it stays out of shell history.
ENV_HH_TOKEN = "TALENTFLOW_HH_TOKEN"


@dataclass(frozen=True)
class RemoteFile:
    """One file of a source: its name in the cache, its place upstream, and the layout talentflow reads."""

    name: str
    host: str
    path: str
    #: A CSV's header as talentflow reads it; None for a JSON document (see ``shape``).
    columns: tuple[str, ...] | None = None
    #: Columns talentflow also reads when the file has them (e.g. Hiring Lab's ``source_commit``).
    optional: tuple[str, ...] = ()
    #: A document's kind: ``areas`` (GET /areas), ``dictionaries`` (GET /dictionaries), JSON; ``valcurs``
    #: (the Bank of Russia's daily rates), XML.
    shape: str | None = None

    def url(self, base: str | None = None) -> str:
        return (base.rstrip("/") if base else self.host) + self.path


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    home: str
    licence: str
    #: The ingest format of its files (``talentflow ingest --input-format``); None for hh.ru's reference data,
    #: which is loaded as the area tree and the dictionaries instead.
    format: str | None
    files: tuple[RemoteFile, ...]

    @property
    def hh(self) -> bool:
        return self.format is None


_IG = "/github/innovationgraph/main"
_PER_ECONOMY = ("developers", "git_pushes", "repositories", "organizations")


def _innovation_graph() -> tuple[RemoteFile, ...]:
    files = [
        RemoteFile(f"{m}.csv", GITHUB_RAW, f"{_IG}/data/{m}.csv", (m, "iso2_code", "year", "quarter"))
        for m in _PER_ECONOMY
    ]
    files.append(
        RemoteFile(
            "economy_collaborators.csv",
            GITHUB_RAW,
            f"{_IG}/data/economy_collaborators.csv",
            ("weight", "source", "destination", "year", "quarter"),
        )
    )
    # The README's link: representativeness_data/ at the top of the repository. datapackage.json still names a
    # copy under data/, which stopped at 2023Q2.
    name = "distinct_economy_counts_by_quarter_by_dataset.csv"
    files.append(
        RemoteFile(
            name,
            GITHUB_RAW,
            f"{_IG}/representativeness_data/{name}",
            ("year", "quarter", "dataset", "count_distinct_economies"),
        )
    )
    return tuple(files)


_JPT = "/hiring-lab/job_postings_tracker/master"
#: Countries with an aggregate file at the head of job_postings_tracker (JP was dropped; its folder is gone).
AGGREGATE_COUNTRIES = ("AU", "CA", "DE", "EA", "ES", "FR", "GB", "IE", "IT", "NL", "US")
#: Countries with a sector file there (the README: no sector data for Ireland; none for ES, IT, NL or EA).
SECTOR_COUNTRIES = ("AU", "CA", "DE", "FR", "GB", "US")
_AGGREGATE = ("date", "jobcountry", "indeed_job_postings_index_SA", "indeed_job_postings_index_NSA", "variable")
_SECTOR = ("date", "jobcountry", "indeed_job_postings_index", "variable", "display_name")


def _hiring_lab() -> tuple[RemoteFile, ...]:
    aggregate = [
        RemoteFile(
            f"aggregate_job_postings_{c}.csv",
            GITHUB_RAW,
            f"{_JPT}/{c}/aggregate_job_postings_{c}.csv",
            _AGGREGATE,
            ("source_commit",),
        )
        for c in AGGREGATE_COUNTRIES
    ]
    sector = [
        RemoteFile(
            f"job_postings_by_sector_{c}.csv",
            GITHUB_RAW,
            f"{_JPT}/{c}/job_postings_by_sector_{c}.csv",
            _SECTOR,
            ("source_commit",),
        )
        for c in SECTOR_COUNTRIES
    ]
    return (*aggregate, *sector)


def _months(first: str, last: str) -> list[tuple[int, int]]:
    (y, m), (y1, m1) = (map(int, first.split("-")), map(int, last.split("-")))
    out = []
    while (y, m) <= (y1, m1):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _fx() -> tuple[RemoteFile, ...]:
    """The rates in force on the first day of each month (``XML_daily.asp?date_req=DD/MM/YYYY``: on a day without
    a new setting, the service answers the last rates set before it, dated as set)."""
    return tuple(
        RemoteFile(
            f"XML_daily_{y}-{m:02d}.xml", CBR, f"/scripts/XML_daily.asp?date_req=01/{m:02d}/{y}", shape="valcurs"
        )
        for y, m in _months(*FX_MONTHS)
    )


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source(
            "innovation-graph",
            "GitHub Innovation Graph",
            "https://github.com/github/innovationgraph",
            "CC0-1.0",
            "innovation-graph",
            _innovation_graph(),
        ),
        Source(
            "hiring-lab",
            "Indeed Hiring Lab job postings index",
            "https://github.com/hiring-lab/job_postings_tracker",
            "CC BY 4.0 (cite Indeed Hiring Lab)",
            "hiring-lab",
            _hiring_lab(),
        ),
        Source(
            "ai-tracker",
            "Indeed AI Tracker",
            "https://github.com/hiring-lab/ai-tracker",
            "CC BY 4.0 (cite Indeed Hiring Lab)",
            "hiring-lab",
            (
                RemoteFile(
                    "AI_posting.csv",
                    GITHUB_RAW,
                    "/hiring-lab/ai-tracker/main/AI_posting.csv",
                    ("date", "jobcountry", "AI_share_postings"),
                    ("source_commit",),
                ),
            ),
        ),
        Source(
            "hh-dictionaries",
            "hh.ru area tree and dictionaries",
            "https://api.hh.ru/openapi/redoc",
            "no licence stated; hh.ru's API terms apply",
            None,
            (
                RemoteFile("areas.json", HH_API, "/areas", shape="areas"),
                RemoteFile("dictionaries.json", HH_API, "/dictionaries", shape="dictionaries"),
            ),
        ),
        Source(
            "fx",
            "Bank of Russia official exchange rates (XML service)",
            "https://www.cbr.ru/development/SXML/",
            "no licence stated; the Bank of Russia's terms of use of its site apply (cite the source)",
            "cbr-xml",
            _fx(),
        ),
    )
}
