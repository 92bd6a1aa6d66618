"""GitHub Innovation Graph: quarterly metrics per economy (``data/*.csv`` of github/innovationgraph).

Per-economy files have the header ``<metric>,iso2_code,year,quarter``; ``economy_collaborators.csv`` is
bilateral (``weight,source,destination,year,quarter``); the representativeness file counts economies per
quarter and data set and goes to the series table. Economy codes are kept as written: ``NA`` is Namibia.
The metric's name comes from the header: it reaches SQL only as a literal, its column is read by position.
"""

from __future__ import annotations

from talentflow._sql import ident, literal
from talentflow.model import POPULATION, SERIES
from talentflow.sources import _checks as ck
from talentflow.sources._base import Context, StageResult
from talentflow.sources._checks import Expr
from talentflow.sources._flat_layout import internal
from talentflow.sources._tabular import by_name, quarter_start, stage_csv, year_quarter_checks

SOURCE = "'github-innovation-graph'"
_TAIL = ["iso2_code", "year", "quarter"]
_BILATERAL = ["weight", "source", "destination", "year", "quarter"]
_COUNTS = ["year", "quarter", "dataset", "count_distinct_economies"]


def matches(header: list[str]) -> bool:
    return header in (_BILATERAL, _COUNTS) or (len(header) >= 4 and header[1:4] == _TAIL)


def _economy(col: str, label: str) -> list[ck.Check]:
    return [
        ck.required(col, label),
        (
            f"NOT regexp_full_match({col}, '[A-Z]{{2}}')",
            ck.msg(f"{label}: expected a two-letter economy code, got ", Expr(f"tf_quote({col})")),
        ),
    ]


class InnovationGraphAdapter:
    name = "innovation-graph"

    def stage(self, ctx: Context) -> StageResult:
        from talentflow.sources.flat import columns_of

        header = columns_of(ctx.path)
        c = by_name(header)
        if header == _COUNTS:
            year, quarter, count = c["year"], c["quarter"], c["count_distinct_economies"]
            select = {
                "source": SOURCE,
                "geography": "'WORLD'",
                "metric": "'distinct_economies'",
                "segment": c["dataset"],
                "date": quarter_start(year, quarter),
                "value": f"tf_num({count})",
            }
            checks = [
                *year_quarter_checks(year, quarter),
                ck.required(count, "count_distinct_economies"),
                *ck.number(count, "count_distinct_economies"),
            ]
            return stage_csv(ctx, SERIES, header, select, checks, ctx.table("tf_ig"))
        if header == _BILATERAL:
            value, economy, partner, year, quarter = (c[n] for n in _BILATERAL)
            metric, label = "'economy_collaborators'", "weight"
            checks = [*_economy(economy, "source"), *_economy(partner, "destination")]
        else:
            # By position: the first column is named after its metric, which may be any text.
            value, economy, year, quarter = (ident(internal(i)) for i in range(4))
            partner, metric, label = "NULL", literal(header[0]), header[0]
            checks = _economy(economy, "iso2_code")
        checks += [
            *year_quarter_checks(year, quarter),
            ck.required(value, label),
            *ck.number(value, label),
        ]
        select = {
            "source": SOURCE,
            "economy": economy,
            "partner": partner,
            "period": f"{year} || 'Q' || {quarter}",
            "period_start": quarter_start(year, quarter),
            "metric": metric,
            "value": f"tf_num({value})",
        }
        return stage_csv(ctx, POPULATION, header, select, checks, ctx.table("tf_ig"))
