"""Synthetic hh.ru-shaped records for tests and benchmarks (not a model of the market: see the simulator)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np

_AREAS = [
    ("1", "Москва"),
    ("2", "Санкт-Петербург"),
    ("160", "Алматы"),
    ("2758", "Тбилиси"),
    ("1002", "Минск"),
]
_ROLES = ["96", "124", "160", "113", "10", "34"]
_SCHEDULES = ["fullDay", "remote", "flexible"]


def vacancy(i: int, **overrides: Any) -> dict[str, Any]:
    """One search-item vacancy; fields vary with ``i`` deterministically."""
    area_id, area_name = _AREAS[i % len(_AREAS)]
    day = 1 + i % 28
    record: dict[str, Any] = {
        "id": str(10_000_000 + i),
        "name": "Python-разработчик",
        "area": {"id": area_id, "name": area_name, "url": f"https://api.hh.ru/areas/{area_id}"},
        "salary": {"from": 100_000 + 1_000 * (i % 200), "to": None, "currency": "RUR", "gross": i % 2 == 0},
        "type": {"id": "open", "name": "Открытая"},
        "published_at": f"2022-03-{day:02d}T10:15:34+0300",
        "created_at": f"2022-03-{day:02d}T10:15:34+0300",
        "archived": False,
        "employer": {"id": str(1000 + i % 5000), "name": f"Employer {i % 5000}", "trusted": True},
        "schedule": {"id": _SCHEDULES[i % 3], "name": ""},
        "professional_roles": [{"id": _ROLES[i % len(_ROLES)], "name": ""}],
        "experience": {"id": "between1And3", "name": "От 1 года до 3 лет"},
        "employment": {"id": "full", "name": "Полная занятость"},
        "snippet": {
            "requirement": "Опыт коммерческой разработки на <highlighttext>Python</highlighttext> от 3 лет.",
            "responsibility": "Разработка и поддержка сервисов, участие в code review.",
        },
        "observed_at": "2022-04-01T00:00:00+0300",
    }
    record.update(overrides)
    return record


def write_vacancies(path: Path, n: int, *, seed: int = 0, chunk: int = 50_000) -> Path:
    """Write ``n`` distinct vacancies as NDJSON (gzip if the name ends in .gz)."""
    rng = np.random.default_rng(seed)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as f:
        for start in range(0, n, chunk):
            ids = rng.permutation(np.arange(start, min(start + chunk, n)))
            f.write("".join(json.dumps(vacancy(int(i)), ensure_ascii=False) + "\n" for i in ids))
    return path
