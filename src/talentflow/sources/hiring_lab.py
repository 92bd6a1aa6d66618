"""Indeed Hiring Lab series: the job postings index (github.com/hiring-lab/job_postings_tracker) and the AI
Tracker (github.com/hiring-lab/ai-tracker).

Aggregate files: ``date, jobcountry, indeed_job_postings_index_SA, indeed_job_postings_index_NSA, variable``;
sector files: ``date, jobcountry, indeed_job_postings_index, variable, display_name``; values are an index,
2020-02-01 = 100. AI Tracker files: ``date, jobcountry, AI_share_postings``, the percentage of postings that
mention AI (metric ``ai_postings_share``, in percent as published). Any of them may carry a ``source_commit``
column, kept as the series' vintage.
"""

from __future__ import annotations

from talentflow.model import SERIES
from talentflow.sources import _checks as ck
from talentflow.sources._base import Context, StageResult
from talentflow.sources._tabular import stage_csv

_AGGREGATE = [
    "date",
    "jobcountry",
    "indeed_job_postings_index_SA",
    "indeed_job_postings_index_NSA",
    "variable",
]
_SECTOR = ["date", "jobcountry", "indeed_job_postings_index", "variable", "display_name"]
_AI = ["date", "jobcountry", "AI_share_postings"]
#: The AI Tracker's series: the share of postings mentioning AI, in percent (2.3 is 2.3%).
AI_METRIC = "ai_postings_share"


def matches(header: list[str]) -> bool:
    core = [h for h in header if h != "source_commit"]
    return core in (_AGGREGATE, _SECTOR, _AI)


class HiringLabAdapter:
    name = "hiring-lab"

    def stage(self, ctx: Context) -> StageResult:
        from talentflow.sources.flat import columns_of

        header = columns_of(ctx.path)
        vintage = '"source_commit"' if "source_commit" in header else "NULL"
        common = {
            "source": "'indeed-hiring-lab'",
            "geography": '"jobcountry"',
            "date": 'try_cast("date" AS DATE)',
            "vintage": vintage,
        }
        checks: list[ck.Check] = [
            ck.required('"date"', "date"),
            (
                'try_cast("date" AS DATE) IS NULL',
                ck.msg("date: expected YYYY-MM-DD, got ", '{tf_quote("date")}'),
            ),
            ck.required('"jobcountry"', "jobcountry"),
        ]
        if "AI_share_postings" in header:
            select = {**common, "metric": f"'{AI_METRIC}'", "value": 'tf_num("AI_share_postings")'}
            checks += [
                ck.required('"AI_share_postings"', "AI_share_postings"),
                *ck.number('"AI_share_postings"', "AI_share_postings"),
                (
                    'tf_num("AI_share_postings") > 100',
                    ck.msg("AI_share_postings: a percentage above 100: ", '{"AI_share_postings"}'),
                ),
            ]
        elif "display_name" in header:
            select = {
                **common,
                "metric": "'sector_job_postings_index'",
                "segment": '"display_name"',
                "value": 'tf_num("indeed_job_postings_index")',
            }
            checks += [
                ck.required('"indeed_job_postings_index"', "indeed_job_postings_index"),
                *ck.number('"indeed_job_postings_index"', "indeed_job_postings_index"),
            ]
        else:
            select = {
                **common,
                "metric": "'job_postings_index'",
                "segment": '"variable"',
                "value": 'tf_num("indeed_job_postings_index_NSA")',
                "value_sa": 'tf_num("indeed_job_postings_index_SA")',
            }
            checks += [
                ck.required('"indeed_job_postings_index_NSA"', "indeed_job_postings_index_NSA"),
                *ck.number('"indeed_job_postings_index_NSA"', "indeed_job_postings_index_NSA"),
                *ck.number('"indeed_job_postings_index_SA"', "indeed_job_postings_index_SA"),
            ]
        return stage_csv(ctx, SERIES, header, select, checks, ctx.table("tf_hl"))
