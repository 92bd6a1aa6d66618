"""A small two-year job market written as hh.ru API records, for the indicator tests.

Weekly sightings of vacancies and resumes, 2021-01 → 2023-01, with salaries in three currencies and both tax
bases, remote work, archived vacancies, ten employers that move their vacancies from Moscow to Tbilisi in
March 2022, ten that stop posting in April 2022, resumes naming destinations in Georgia, Kazakhstan, Germany
and Belarus (some turning to relocating abroad in March 2022), and AI work: every ninth vacancy is for an ML
engineer, every eighth resume a data scientist's.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from talentflow import Store, ingest
from talentflow.reference.areas import load_areas

START = date(2021, 1, 1)
DAYS = 760
SHOCK = date(2022, 3, 1)
#: Mondays on which the board was read.
SNAPSHOTS = [START + timedelta(days=d) for d in range(3, DAYS, 7)]

TREE = [
    {
        "id": "113",
        "name": "Россия",
        "areas": [{"id": "1", "name": "Москва", "areas": []}, {"id": "2", "name": "Санкт-Петербург", "areas": []}],
    },
    {"id": "40", "name": "Казахстан", "areas": [{"id": "160", "name": "Алматы", "areas": []}]},
    {"id": "28", "name": "Грузия", "areas": [{"id": "2758", "name": "Тбилиси", "areas": []}]},
    {"id": "16", "name": "Беларусь", "areas": [{"id": "1002", "name": "Минск", "areas": []}]},
    {"id": "27", "name": "Германия", "areas": []},
]
AREAS = ["1", "2", "160", "2758", "1002"]
AREA_WEIGHTS = [0.55, 0.25, 0.08, 0.04, 0.08]
ROLES = ["96", "160", "10", "34"]
EXPERIENCE = ["noExperience", "between1And3", "between3And6", "moreThan6"]


def _ts(day: date) -> str:
    return f"{day.isoformat()}T12:00:00+0000"


def _sightings(first: date, last: date) -> list[date]:
    return [s for s in SNAPSHOTS if first <= s <= last]


def vacancies(rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    records = []
    for i in range(n):
        published = START + timedelta(days=int(rng.integers(0, DAYS - 7)))
        employer = int(rng.integers(0, 150))
        if employer >= 140 and published >= date(2022, 4, 1):
            published = published - timedelta(days=400)  # these employers stop posting in April 2022
        end = published + timedelta(days=int(rng.integers(5, 90)))
        seen = _sightings(published, end + timedelta(days=6))
        if not seen:
            continue
        area = str(rng.choice(AREAS, p=AREA_WEIGHTS))
        if employer < 10:
            area = "1" if published < SHOCK else "2758"
        has_salary = rng.random() < 0.7
        currency = str(rng.choice(["RUR", "USD", "KZT"], p=[0.8, 0.1, 0.1]))
        low = float(rng.integers(50, 400)) * {"RUR": 1000, "USD": 10, "KZT": 5000}[currency]
        gross = [True, False, None][int(rng.integers(0, 3))]
        archived = rng.random() < 0.3
        base = {
            "id": str(50_000_000 + i),
            "name": "ML-инженер" if i % 9 == 0 else "Разработчик",  # AI work (the ai segment)
            "area": {"id": area, "name": ""},
            "salary": {
                "from": low,
                "to": low * 1.5 if rng.random() < 0.5 else None,
                "currency": currency,
                "gross": gross,
            }
            if has_salary
            else None,
            "published_at": _ts(published),
            "created_at": _ts(published),
            "archived": False,
            "employer": {"id": str(9000 + employer), "name": f"Employer {employer}"},
            "schedule": {"id": "remote" if rng.random() < 0.3 else "fullDay"},
            "professional_roles": [{"id": str(rng.choice(ROLES))}],
            "experience": {"id": str(rng.choice(EXPERIENCE))},
            "employment": {"id": "full"},
        }
        for k, day in enumerate(seen):
            record = dict(base, observed_at=_ts(day))
            if archived and k == len(seen) - 1:
                record.update(archived=True, archived_at=_ts(min(end, day)))
            records.append(record)
    return records


def resumes(rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    records = []
    for i in range(n):
        first = START + timedelta(days=int(rng.integers(0, DAYS - 7)))
        seen = _sightings(first, first + timedelta(days=int(rng.integers(14, 200))))
        if not seen:
            continue
        area = str(rng.choice(AREAS, p=AREA_WEIGHTS))
        kind = str(rng.choice(["no_relocation", "relocation_possible", "relocation_desirable"], p=[0.5, 0.3, 0.2]))
        places = [[], [area], ["2758"], ["160", "2758", "27"], ["1002"], ["1", "2"]][int(rng.integers(0, 6))]
        turns = kind == "no_relocation" and rng.random() < 0.4
        base = {
            "id": f"r{i:06d}",
            "title": "Data Scientist" if i % 8 == 0 else "Python developer",
            "area": {"id": area, "name": ""},
            "created_at": _ts(first),
            "professional_roles": [{"id": str(rng.choice(ROLES))}],
            "total_experience": {"months": int(rng.integers(0, 150))},
            "salary": {"amount": float(rng.integers(60, 500)) * 1000, "currency": "RUR"},
        }
        for day in seen:
            relocation = {"type": {"id": kind}, "area": [{"id": a} for a in places]}
            if turns and day >= SHOCK:
                relocation = {"type": {"id": "relocation_desirable"}, "area": [{"id": "2758"}]}
            records.append(dict(base, updated_at=_ts(day), observed_at=_ts(day), relocation=relocation))
    return records


def external_files(folder: Path) -> None:
    """An Innovation Graph developers file and a Hiring Lab aggregate file for the same economies."""
    quarters = [(y, q) for y in (2021, 2022, 2023) for q in (1, 2, 3, 4)]
    with open(folder / "developers.csv", "w", encoding="utf-8") as f:
        f.write("developers,iso2_code,year,quarter\n")
        for k, (y, q) in enumerate(quarters):
            for country, start, step in (("RU", 1_000_000, 30_000), ("GE", 20_000, 2_000 + 150 * k), ("NA", 1_800, 7)):
                f.write(f"{start + step * k},{country},{y},{q}\n")
    with open(folder / "aggregate_job_postings.csv", "w", encoding="utf-8") as f:
        f.write("date,jobcountry,indeed_job_postings_index_SA,indeed_job_postings_index_NSA,variable\n")
        for d in range(0, 120):
            day = START + timedelta(days=d)
            f.write(f"{day},US,{100 + d / 4:.2f},{100 + d / 4 + (d % 7):.2f},total postings\n")


def build(db: Path, *, vacancy_count: int = 2500, resume_count: int = 2000, seed: int = 7) -> Path:
    rng = np.random.default_rng(seed)
    folder = db.parent / "market"
    folder.mkdir(exist_ok=True)
    for name, rows in (("vacancies", vacancies(rng, vacancy_count)), ("resumes", resumes(rng, resume_count))):
        with open(folder / f"{name}.ndjson", "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    external_files(folder)
    with Store(db) as store:
        load_areas(store, TREE, "test tree")
        report = ingest([folder], store=store)
    assert report.quarantined == 0, report.to_dict()
    return db
