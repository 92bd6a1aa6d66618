"""Indeed Hiring Lab series: the job postings index (github.com/hiring-lab/job_postings_tracker) and the AI
Tracker (github.com/hiring-lab/ai-tracker).

Aggregate files: ``date, jobcountry, indeed_job_postings_index_SA, indeed_job_postings_index_NSA, variable``;
sector files: ``date, jobcountry, indeed_job_postings_index, variable, display_name``; values are an index,
2020-02-01 = 100. AI Tracker files: ``date, jobcountry, AI_share_postings``, the percentage of postings that
mention AI (metric ``ai_postings_share``, in percent as published). Any of them may carry a ``source_commit``
column, kept as the series' vintage.
"""

from __future__ import annotations

from datetime import datetime

from talentflow.model import SERIES
from talentflow.sources import _checks as ck
from talentflow.sources._base import Context, StageResult
from talentflow.sources._checks import Expr
from talentflow.sources._tabular import by_name, stage_csv

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


def _date_checks(date: str, now: datetime) -> list[ck.Check]:
    """A day of the series: a date, from 1990 to tomorrow (a year 9999 is a typing error, not a forecast)."""
    day = f"try_cast({date} AS DATE)"
    return [
        ck.required(date, "date"),
        (f"{day} IS NULL", ck.msg("date: expected YYYY-MM-DD, got ", Expr(f"tf_quote({date})"))),
        (f"{day} < DATE '{ck.EARLIEST}'", ck.msg("date ", Expr(f"tf_quote({date})"), " is before 1990")),
        (f"{day} > {ck.latest(now)}::DATE", ck.msg("date ", Expr(f"tf_quote({date})"), " is in the future")),
    ]


class HiringLabAdapter:
    name = "hiring-lab"

    def stage(self, ctx: Context) -> StageResult:
        from talentflow.sources.flat import columns_of

        header = columns_of(ctx.path)
        c = by_name(header)
        common = {
            "source": "'indeed-hiring-lab'",
            "geography": c["jobcountry"],
            "date": f"try_cast({c['date']} AS DATE)",
            "vintage": c.get("source_commit", "NULL"),
        }
        checks: list[ck.Check] = [*_date_checks(c["date"], ctx.now), ck.required(c["jobcountry"], "jobcountry")]
        if "AI_share_postings" in header:
            share = c["AI_share_postings"]
            select = {**common, "metric": f"'{AI_METRIC}'", "value": f"tf_num({share})"}
            checks += [
                ck.required(share, "AI_share_postings"),
                *ck.number(share, "AI_share_postings"),
                (
                    f"tf_num({share}) > 100",
                    ck.msg("AI_share_postings: a percentage above 100: ", Expr(share)),
                ),
            ]
        elif "display_name" in header:
            index = c["indeed_job_postings_index"]
            select = {
                **common,
                "metric": "'sector_job_postings_index'",
                "segment": c["display_name"],
                "value": f"tf_num({index})",
            }
            checks += [ck.required(index, "indeed_job_postings_index"), *ck.number(index, "indeed_job_postings_index")]
        else:
            nsa, sa = c["indeed_job_postings_index_NSA"], c["indeed_job_postings_index_SA"]
            select = {
                **common,
                "metric": "'job_postings_index'",
                "segment": c["variable"],
                "value": f"tf_num({nsa})",
                "value_sa": f"tf_num({sa})",
            }
            checks += [
                ck.required(nsa, "indeed_job_postings_index_NSA"),
                *ck.number(nsa, "indeed_job_postings_index_NSA"),
                *ck.number(sa, "indeed_job_postings_index_SA"),
            ]
        return stage_csv(ctx, SERIES, header, select, checks, ctx.table("tf_hl"))
