"""Data collection: the true state and flows of the market, weekly and by month, at full population scale."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from talentflow.simulate.market import EPOCH, HOME, Market, Week

#: Columns of truth/summary.json, in order; counts are at full population scale.
SUMMARY_COLUMNS = (
    "month",
    "it_workers_home",
    "abroad",
    "emigrated",
    "returned",
    "entered",
    "left_it_home",
    "left_it_abroad",
    "abroad_working_for_home_employers",
    "employed_home",
    "unemployed_home",
    "vacancies_active",
    "vacancies_new",
    "resumes_active",
    "relocation_abroad_share",
    "hires",
    "separations",
    "employer_exits",
    "employer_relocations",
    "ai_vacancy_share",
    "ai_resume_share",
)
_STOCKS = {
    "it_workers_home",
    "abroad",
    "abroad_working_for_home_employers",
    "employed_home",
    "unemployed_home",
    "vacancies_active",
    "resumes_active",
    "relocation_abroad_share",
    "ai_vacancy_share",
    "ai_resume_share",
}


class Truth:
    """Collects one row per week; `monthly()` rolls them up (stocks at the month's last week, flows summed)."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.rows: list[dict[str, Any]] = []
        self.moves: list[tuple[np.ndarray, ...]] = []

    def collect(self, market: Market, week: Week) -> None:
        n = market.n
        live = market.alive[:n]
        home = live & (market.residence[:n] == HOME)
        abroad = live & ~home
        seeking = live & market.seeking[:n]
        seeking_home = seeking & home
        n_open = len(market.vac_open)
        f = 1 / self.scale
        day = week.first_day + 6
        self.rows.append(
            {
                "week_ending": dt.date.fromordinal(EPOCH.toordinal() + day),
                "it_workers_home": int(home.sum()) * f,
                "abroad": int(abroad.sum()) * f,
                "emigrated": len(week.emigrated) * f,
                "returned": len(week.returned) * f,
                "entered": week.entered * f,
                "left_it_home": week.left_home * f,
                "left_it_abroad": week.left_abroad * f,
                "abroad_working_for_home_employers": int((abroad & (market.employer[:n] >= 0)).sum()) * f,
                "employed_home": int((home & (market.employer[:n] >= 0)).sum()) * f,
                "unemployed_home": int((home & (market.employer[:n] < 0)).sum()) * f,
                "vacancies_active": n_open * f,
                "vacancies_new": len(week.opened) * f if week.index > 0 else 0.0,
                "resumes_active": int(seeking.sum()) * f,
                "relocation_abroad_share": float((seeking_home & (market.willing[:n] == 2)).sum())
                / max(1, int(seeking_home.sum())),
                "hires": week.hires * f,
                "separations": week.separations * f,
                "employer_exits": week.exits * f,
                "employer_relocations": week.relocations * f,
                # AI work (docs/simulator.md): of the open vacancies, and of the workers looking for a job.
                "ai_vacancy_share": int(np.count_nonzero(market.vac.cols["ai"][market.vac_open])) / max(1, n_open),
                "ai_resume_share": int(np.count_nonzero(seeking & (market.ai[:n] != 0))) / max(1, int(seeking.sum())),
            }
        )
        for kind, who in (("emigrated", week.emigrated), ("returned", week.returned)):
            if len(who):
                self.moves.append(
                    (
                        np.full(len(who), kind),
                        who.astype(np.int64),
                        market.left_day[who] if kind == "emigrated" else np.full(len(who), week.first_day),
                        market.residence[who].astype(np.int32) if kind == "emigrated" else np.full(len(who), -1),
                    )
                )

    def monthly(self) -> list[dict[str, Any]]:
        by_month: dict[str, dict[str, Any]] = {}
        for row in self.rows:
            month = row["week_ending"].strftime("%Y-%m")
            out = by_month.setdefault(month, {"month": month} | {k: 0.0 for k in SUMMARY_COLUMNS[1:]})
            for key in SUMMARY_COLUMNS[1:]:
                out[key] = row[key] if key in _STOCKS else out[key] + row[key]
        return [{k: _tidy(v) for k, v in row.items()} for row in by_month.values()]

    def write(self, folder: Path, market: Market) -> list[dict[str, Any]]:
        folder.mkdir(parents=True, exist_ok=True)
        weekly = pa.Table.from_pylist(self.rows)
        pq.write_table(weekly, folder / "weekly.parquet")
        summary = self.monthly()
        pq.write_table(pa.Table.from_pylist(summary), folder / "monthly.parquet")
        (folder / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
        if self.moves:
            kinds, who, days, dest = (np.concatenate(parts) for parts in zip(*self.moves, strict=True))
        else:
            kinds, who, days, dest = (np.zeros(0, t) for t in (str, np.int64, np.int64, np.int32))
        places = np.array([*market.destinations, ""])
        pq.write_table(
            pa.table(
                {
                    "worker": who,
                    "kind": kinds.astype(str),
                    "date": pa.array(days.astype("datetime64[D]")),
                    "destination_area_id": places[np.where(dest >= 0, dest, len(places) - 1)],
                }
            ),
            folder / "moves.parquet",
        )
        if market.has_types:
            # Each worker's latent search type (docs/simulator.md, "Behaviours"): only written when there are types.
            kinds = market.search_type[: market.n]
            pq.write_table(
                pa.table(
                    {
                        "worker": np.arange(market.n, dtype=np.int64),
                        "search_type": kinds.astype(np.int8),
                        "search_factor": market.type_factors[kinds],
                    }
                ),
                folder / "workers.parquet",
            )
        return summary


def _tidy(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6) if abs(value) < 1 else round(value, 1)
    return value
