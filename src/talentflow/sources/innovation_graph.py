"""GitHub Innovation Graph: quarterly metrics per economy (``data/*.csv`` of github/innovationgraph).

Per-economy files have the header ``<metric>,iso2_code,year,quarter``; ``economy_collaborators.csv`` is
bilateral (``weight,source,destination,year,quarter``); the representativeness file counts economies per
quarter and data set and goes to the series table. Economy codes are kept as written: ``NA`` is Namibia.
"""

from __future__ import annotations

from talentflow.model import POPULATION, SERIES
from talentflow.sources import _checks as ck
from talentflow.sources._base import Context, StageResult
from talentflow.sources._tabular import quarter_start, stage_csv, year_quarter_checks

SOURCE = "'github-innovation-graph'"
_TAIL = ["iso2_code", "year", "quarter"]
_BILATERAL = ["weight", "source", "destination", "year", "quarter"]
_COUNTS = ["year", "quarter", "dataset", "count_distinct_economies"]


def matches(header: list[str]) -> bool:
    return header in (_BILATERAL, _COUNTS) or (len(header) >= 4 and header[1:4] == _TAIL)


def _economy(col: str, label: str) -> list[ck.Check]:
    return [
        ck.required(f'"{col}"', label),
        (
            f"NOT regexp_full_match(\"{col}\", '[A-Z]{{2}}')",
            ck.msg(f"{label}: expected a two-letter economy code, got ", f'{{tf_quote("{col}")}}'),
        ),
    ]


class InnovationGraphAdapter:
    name = "innovation-graph"

    def stage(self, ctx: Context) -> StageResult:
        from talentflow.sources.flat import columns_of

        header = columns_of(ctx.path)
        period = """"year" || 'Q' || "quarter\""""
        if header == _COUNTS:
            select = {
                "source": SOURCE,
                "geography": "'WORLD'",
                "metric": "'distinct_economies'",
                "segment": '"dataset"',
                "date": quarter_start(),
                "value": 'tf_num("count_distinct_economies")',
            }
            checks = [
                *year_quarter_checks(),
                ck.required('"count_distinct_economies"', "count_distinct_economies"),
                *ck.number('"count_distinct_economies"', "count_distinct_economies"),
            ]
            return stage_csv(ctx, SERIES, header, select, checks, ctx.table("tf_ig"))
        if header == _BILATERAL:
            economy, partner, value, metric = (
                '"source"',
                '"destination"',
                '"weight"',
                "'economy_collaborators'",
            )
            checks = [*_economy("source", "source"), *_economy("destination", "destination")]
        else:
            metric_col = header[0]
            economy, partner, value, metric = '"iso2_code"', "NULL", f'"{metric_col}"', f"'{metric_col}'"
            checks = _economy("iso2_code", "iso2_code")
        checks += [
            *year_quarter_checks(),
            ck.required(value, value.strip('"')),
            *ck.number(value, value.strip('"')),
        ]
        select = {
            "source": SOURCE,
            "economy": economy,
            "partner": partner,
            "period": period,
            "period_start": quarter_start(),
            "metric": metric,
            "value": f"tf_num({value})",
        }
        return stage_csv(ctx, POPULATION, header, select, checks, ctx.table("tf_ig"))
