"""Small stores for the web server's tests, from synthetic hh.ru vacancies (a few hundred records, ingested in a
fraction of a second), and the server run as `talentflow serve` in a subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

from talentflow import ingest

COUNTRY_AREAS = [("1", "Москва"), ("2", "Санкт-Петербург"), ("4", "Новосибирск"), ("160", "Алматы"), ("115", "Киев")]


def hh_vacancies(path: Path, n: int, *, first_id: int, first_day: date = date(2022, 1, 3)) -> Path:
    """``n`` hh.ru vacancies as NDJSON, ids from ``first_id``, one seen each day from ``first_day`` on."""
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            day = first_day + timedelta(days=i % 120)
            area_id, area = COUNTRY_AREAS[i % len(COUNTRY_AREAS)]
            record = {
                "id": str(first_id + i),
                "name": "Python разработчик",
                "area": {"id": area_id, "name": area},
                "salary": None,
                "published_at": f"{day.isoformat()}T10:00:00+0300",
                "employer": {"id": str(9_000_000 + i % 17), "name": f"Компания {i % 17}"},
                "professional_roles": [{"id": "96"}],
                "experience": {"id": "between1And3"},
                "observed_at": f"{day.isoformat()}T12:00:00+0300",
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def small_store(folder: Path, n: int = 400) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "store.duckdb"
    ingest([hh_vacancies(folder / "first.ndjson", n, first_id=40_000_000)], db=db)
    return db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env() -> dict[str, str]:
    """The environment of a talentflow subprocess: this checkout's code first."""
    src = str(Path(__file__).resolve().parents[1] / "src")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}


class Server:
    """`talentflow serve` on a free loopback port, in a subprocess."""

    def __init__(self, db: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "talentflow", "serve", "--db", str(db), "--port", str(self.port)]
        self.proc = subprocess.Popen(
            [*cmd, "--log-level", "warning", *args], env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"the server stopped: {self.proc.stderr.read().decode() if self.proc.stderr else ''}"
                )
            try:
                if httpx.get(f"{self.url}/api/status", timeout=5).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.proc.terminate()
        raise RuntimeError("the server did not answer within 60 s")

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(20)
