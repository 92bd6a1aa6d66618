"""A fake hh.ru API on loopback, whose market comes from the simulator so that the truth is known.

It answers what the collector asks, the way hh.ru does (SCHEMA.md sections 5-8): ``GET /vacancies`` with
``found``, ``pages``, paging capped at 2,000 results (the bare ``bad_argument`` body past it), ``per_page=0`` with
``clusters`` (area and role counts), ``date_from``/``date_to`` rounded to the nearest 5 minutes, results ordered
by publication time (newest first), so that vacancies published or archived while a client pages shift the pages;
``GET /vacancies/{id}`` (full vacancies, archived ones too); ``POST /token`` (``client_credentials``, a new token
revoking the old, refused within 5 minutes of the last). And what goes wrong: 429 with ``Retry-After`` and 5xx
with HTML bodies at random (seeded), and on demand (`Fake.faults`, one answer each; `Fake.sticky`, every answer):
``captcha`` (403 captcha_required with its URL), ``oauth`` (403 oauth token_revoked), ``forbidden`` (a bare 403),
``geo`` (451), ``bad_user_agent`` (400), ``cap`` (400 bad_argument), ``500``, ``429``, ``slow`` and ``drop`` (the
connection closed without an answer).

Time is the fake's own (`Clock`): frozen unless advanced, or drifting a few seconds per request so that the
market moves while a client reads it.

With `Fake.sources` set (a `fake_sources.FakeSources`), the same server also serves the public source files and
hh.ru's ``/areas`` and ``/dictionaries``, so that one fake stands in for both ``collect`` and ``fetch``.
"""

from __future__ import annotations

import json
import math
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import numpy as np
from fake_sources import FakeSources, SourceRoutes

FIVE = 300
CAP = 2000


class Clock:
    """The fake's time: ``now()``; `advance` moves it; ``drift`` seconds pass with every request."""

    def __init__(self, start: datetime, drift: float = 0.0) -> None:
        self.t = start.timestamp()
        self.drift = drift
        self.lock = threading.Lock()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.t, UTC)

    def seconds(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.t += seconds

    def tick(self) -> None:
        if self.drift:
            self.advance(self.drift)


@dataclass
class Market:
    """Vacancies as arrays: first publication and closing (epoch seconds; closing inf while open), area, role,
    employer, salary. A vacancy open longer than ``repost_days`` is republished then (same id, new
    ``published_at``), as hh.ru's employers do and as the simulator's board shows."""

    ids: np.ndarray
    opened: np.ndarray
    closed: np.ndarray
    area: np.ndarray
    role: np.ndarray
    employer: np.ndarray
    salary: np.ndarray
    remote: np.ndarray
    repost_days: int = 30
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_simulation(cls, sim: Path, shift: float = 0.0) -> Market:
        """The vacancies the simulator's board posted (truth/vacancies.parquet), times moved by ``shift`` s."""
        import pyarrow.parquet as pq

        t = pq.read_table(sim / "truth" / "vacancies.parquet").to_pandas()
        t = t[t.posted].reset_index(drop=True)
        opened = t.opened.astype("datetime64[s]").astype(np.int64).to_numpy(np.float64) + shift
        closed = t.closed.astype("datetime64[s]").astype(np.int64).to_numpy(np.float64) + shift
        closed = np.where(t.closed.isna().to_numpy(), np.inf, closed)
        salary = np.where(t.salary_shown.to_numpy(), t.salary_rub.to_numpy(np.float64), np.nan)
        return cls(
            t.vacancy_id.astype(np.int64).to_numpy(),
            opened,
            closed,
            t.area_id.to_numpy().astype("U"),
            t.role_id.to_numpy().astype("U"),
            t.employer_id.to_numpy().astype("U"),
            salary,
            t.remote.to_numpy(),
        )

    @classmethod
    def uniform(cls, n: int, end: datetime, days: float, *, area: str, role: str, seed: int) -> Market:
        """``n`` vacancies open at ``end``, published over the ``days`` before it (working hours, as the
        simulator's board publishes them), in one area and role."""
        rng = np.random.default_rng(seed)
        day = np.floor(rng.random(n) * days)
        second = rng.integers(6 * 3600, 18 * 3600, n)
        opened = np.sort(end.timestamp() - (day + 1) * 86_400 + second)
        return cls(
            np.arange(60_000_000, 60_000_000 + n),
            opened,
            np.full(n, np.inf),
            np.full(n, area),
            np.full(n, role),
            (1000 + rng.integers(0, n // 20 + 1, n)).astype(str),
            np.full(n, np.nan),
            np.zeros(n, bool),
        )

    def area_ids(self) -> list[str]:
        if not hasattr(self, "_areas"):
            self._areas = np.unique(self.area).tolist()
        return self._areas

    def published(self, now: float) -> np.ndarray:
        if getattr(self, "_at", None) == now:
            return self._published
        period = self.repost_days * 86_400
        self._at, self._published = now, self.opened + np.maximum(0, np.floor((now - self.opened) / period)) * period
        return self._published

    def active(self, now: float) -> np.ndarray:
        return (self.opened <= now) & (now < self.closed)


class Areas:
    """The area tree: each area's ancestors (itself first) and children."""

    def __init__(self, parents: dict[str, str | None], names: dict[str, str]) -> None:
        self.parents, self.names = parents, names

    @classmethod
    def builtin(cls) -> Areas:
        """talentflow's built-in areas; a city's region, which they lack, is put under its country."""
        from talentflow.reference.cities import builtin_areas
        from talentflow.reference.countries import COUNTRY_AREAS

        rows = builtin_areas()
        parents: dict[str, str | None] = {r[0]: r[1] for r in rows}
        names = {r[0]: r[2] or r[0] for r in rows}
        country = {iso2: area for area, iso2 in COUNTRY_AREAS.items()}
        for r in rows:
            if r[1] is not None and r[1] not in parents:
                parents[r[1]] = country.get(r[3])
                names[r[1]] = r[4] or r[1]
        return cls(parents, names)

    @classmethod
    def from_dump(cls, path: Path) -> Areas:
        """The tree of a ``GET /areas`` dump."""
        parents: dict[str, str | None] = {}
        names: dict[str, str] = {}

        def walk(nodes: list[dict[str, Any]], parent: str | None) -> None:
            for n in nodes:
                parents[str(n["id"])], names[str(n["id"])] = parent, str(n.get("name") or "")
                walk(n.get("areas") or [], str(n["id"]))

        walk(json.loads(path.read_text(encoding="utf-8")), None)
        return cls(parents, names)

    def chain(self, area: str) -> list[str]:
        out = [area]
        while (p := self.parents.get(out[-1])) is not None and p not in out:
            out.append(p)
        return out


@dataclass
class Fake:
    """The fake's market, settings and what it saw; `serve` starts it."""

    market: Market
    clock: Clock
    areas: Areas = field(default_factory=Areas.builtin)
    require_token: bool = True
    tokens: set[str] = field(default_factory=set)
    clients: dict[str, str] = field(default_factory=dict)  # client_id -> secret
    p429: float = 0.0
    p5xx: float = 0.0
    retry_after: int = 1
    seed: int = 0
    faults: list[str] = field(default_factory=list)
    sticky: str | None = None
    slow_seconds: float = 2.0
    blacklist: set[str] = field(default_factory=set)
    requests: Counter[str] = field(default_factory=Counter)
    seen_headers: list[dict[str, str]] = field(default_factory=list)
    last_token_at: float | None = None
    url: str = ""
    #: The public source files, mounted beside the API: then this one server also stands in for ``fetch``.
    sources: FakeSources | None = None

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self.lock = threading.Lock()

    # -- the truth ------------------------------------------------------------------------------------------
    def active_ids(self, at: datetime | None = None) -> set[str]:
        now = (at or self.clock.now()).timestamp()
        return {str(i) for i in self.market.ids[self.market.active(now)]}

    # -- searching ------------------------------------------------------------------------------------------
    def search(self, q: dict[str, list[str]]) -> tuple[int, Any]:
        m, now = self.market, self.clock.seconds()
        per_page, page = int(q.get("per_page", ["20"])[0]), int(q.get("page", ["0"])[0])
        if per_page > 100:
            return 400, {"errors": [{"type": "bad_argument", "value": "per_page"}], "bad_argument": "per_page"}
        if (page + 1) * per_page > CAP:
            return 400, {
                "description": "you can't look up more than 2000 items in the list",
                "bad_argument": "page, per_page",
            }
        idx = np.flatnonzero(m.active(now))
        published = m.published(now)  # every vacancy's, indexed like the market
        if q.get("area"):
            wanted = set(q["area"])
            ok = [a for a in m.area_ids() if wanted & set(self.areas.chain(a))]
            idx = idx[np.isin(m.area[idx], ok)]
        if q.get("professional_role"):
            idx = idx[np.isin(m.role[idx], q["professional_role"])]
        if "date_to" in q and "date_from" not in q:
            return 400, {"errors": [{"type": "bad_argument", "value": "date_to"}], "bad_argument": "date_to"}
        if "date_from" in q:
            idx = idx[published[idx] >= _rounded(q["date_from"][0])]
        if "date_to" in q:
            idx = idx[published[idx] <= _rounded(q["date_to"][0])]
        idx = idx[np.lexsort((-m.ids[idx], -published[idx]))]
        found = len(idx)
        body: dict[str, Any] = {
            "found": found,
            "per_page": per_page,
            "page": page,
            "pages": min(math.ceil(found / per_page), CAP // per_page) if per_page else 0,
            "items": [self.item(i, published[i]) for i in idx[page * per_page : (page + 1) * per_page]]
            if per_page
            else [],
            "clusters": self.clusters(idx, q) if q.get("clusters") == ["true"] else None,
            "arguments": None,
        }
        return 200, body

    def clusters(self, idx: np.ndarray, q: dict[str, list[str]]) -> list[dict[str, Any]]:
        m, wanted = self.market, q.get("area", [])
        by_area: Counter[str] = Counter()
        for area, n in Counter(m.area[idx].tolist()).items():
            chain = self.areas.chain(area)[::-1]  # root first
            if len(wanted) == 1 and wanted[0] in chain:
                pos = chain.index(wanted[0])
                key = chain[pos + 1] if pos + 1 < len(chain) else wanted[0]
            elif wanted:
                key = next((a for a in chain if a in wanted), chain[0])
            else:
                key = chain[0]
            by_area[key] += n
        base = {k: v for k, v in q.items() if k not in ("page", "per_page", "clusters")}

        def url(name: str, value: str) -> str:
            params = [(k, v) for k, vs in base.items() for v in vs if k != name or name == "area"] + [(name, value)]
            return f"{self.url}/vacancies?{urlencode(params)}"

        roles = Counter(m.role[idx].tolist())
        return [
            {
                "id": "area",
                "name": "Регион",
                "items": [
                    {"name": self.areas.names.get(a, a), "url": url("area", a), "count": n}
                    for a, n in by_area.most_common()
                ],
            },
            {
                "id": "professional_role",
                "name": "Профессиональная роль",
                "items": [{"name": r, "url": url("professional_role", r), "count": n} for r, n in roles.most_common()],
            },
        ]

    def item(self, i: int, published: float) -> dict[str, Any]:
        m = self.market
        vid, area = str(m.ids[i]), str(m.area[i])
        salary = (
            None
            if np.isnan(m.salary[i])
            else {"from": float(m.salary[i]), "to": None, "currency": "RUR", "gross": False}
        )
        return {
            "id": vid,
            "name": f"Разработчик {m.role[i]}",
            "premium": False,
            "area": {"id": area, "name": self.areas.names.get(area, area), "url": f"{self.url}/areas/{area}"},
            "salary": salary,
            "type": {"id": "open", "name": "Открытая"},
            "published_at": _hh_time(published),
            "created_at": _hh_time(m.opened[i]),
            "archived": False,
            "url": f"{self.url}/vacancies/{vid}",
            "alternate_url": f"https://hh.ru/vacancy/{vid}",
            "employer": {"id": str(m.employer[i]), "name": f"Employer {m.employer[i]}", "trusted": True},
            "professional_roles": [{"id": str(m.role[i]), "name": ""}],
            "schedule": {"id": "remote" if m.remote[i] else "fullDay", "name": ""},
            "snippet": {"requirement": None, "responsibility": None},
        }

    def full(self, vacancy_id: str) -> tuple[int, Any]:
        m, now = self.market, self.clock.seconds()
        hit = np.flatnonzero(m.ids == int(vacancy_id)) if vacancy_id.isdigit() else []
        if not len(hit) or m.opened[hit[0]] > now:
            return 404, {"errors": [{"type": "not_found"}], "description": "Not Found"}
        i = int(hit[0])
        body = self.item(i, float(m.published(now)[i])) | {
            "archived": bool(now >= m.closed[i]),
            "description": "<p>Пишем сервисы на Python.</p>" * (1 + i % 5),
            "key_skills": [{"name": "Python"}, {"name": "SQL"}][: 1 + i % 2],
            "experience": {"id": "between1And3", "name": ""},
            "employment": {"id": "full", "name": ""},
        }
        return 200, body

    # -- tokens ---------------------------------------------------------------------------------------------
    def token(self, form: dict[str, str]) -> tuple[int, Any]:
        if form.get("grant_type") != "client_credentials" or self.clients.get(form.get("client_id", "")) != form.get(
            "client_secret"
        ):
            return 400, {"error": "invalid_client", "error_description": "client_id or client_secret not found"}
        now = self.clock.seconds()
        if self.last_token_at is not None and now - self.last_token_at < 300:
            return 403, {"errors": [{"type": "forbidden", "value": "app token refresh too early"}]}
        self.last_token_at = now
        token = "APPL" + secrets.token_hex(16)
        self.tokens.clear()  # a new application token revokes the old one
        self.tokens.add(token)
        return 200, {"access_token": token, "token_type": "bearer"}

    def serve(self) -> Server:
        return Server(self)


def _rounded(text: str) -> float:
    t = datetime.fromisoformat(text if "T" in text else text + "T00:00:00+00:00")
    t = t if t.tzinfo else t.replace(tzinfo=UTC)
    return round(t.timestamp() / FIVE) * FIVE


def _hh_time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).astimezone(_MSK).strftime("%Y-%m-%dT%H:%M:%S%z")


_MSK = __import__("datetime").timezone(timedelta(hours=3))

_HTML_5XX = b"<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"
_CANNED: dict[str, tuple[int, Any]] = {
    "captcha": (
        403,
        {
            "errors": [
                {
                    "type": "captcha_required",
                    "value": "captcha_required",
                    "captcha_url": "https://hh.ru/account/captcha?state=fake-state",
                    "fallback_url": "https://hh.ru/account/connect/register",
                }
            ]
        },
    ),
    "oauth": (403, {"errors": [{"type": "oauth", "value": "token_revoked"}], "description": "Forbidden"}),
    "forbidden": (403, b"<html><body>403 Forbidden</body></html>"),
    "geo": (451, b"<html><body>Unavailable For Legal Reasons</body></html>"),
    "bad_user_agent": (400, {"errors": [{"type": "bad_user_agent", "value": "blacklisted"}]}),
    "cap": (
        400,
        {"description": "you can't look up more than 2000 items in the list", "bad_argument": "page, per_page"},
    ),
    "500": (500, b"<html><body>500 Internal Server Error</body></html>"),
    "502": (502, _HTML_5XX),
    "503": (503, {"errors": [{"type": "service_unavailable"}]}),
}


class Server:
    """The fake running in a thread on 127.0.0.1 (port chosen by the system): ``url``; `close` stops it."""

    def __init__(self, fake: Fake) -> None:
        handler = type("Handler", (_Handler,), {"fake": fake})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        fake.url = self.url
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Handler(SourceRoutes):
    fake: Fake

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        mounted = self.fake.sources
        if mounted is not None and mounted.serves(urlsplit(self.path).path):
            self.sources = mounted
            return self.serve_source()
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def _answer(self, method: str) -> None:
        f = self.fake
        with f.lock:
            f.clock.tick()
            f.requests[method] += 1
            f.seen_headers.append(dict(self.headers.items()))
            fault = f.faults.pop(0) if f.faults else f.sticky
            if fault is None:
                roll = f.rng.random()
                fault = "429" if roll < f.p429 else "502" if roll < f.p429 + f.p5xx else None
        if fault == "drop":
            self.close_connection = True
            return
        if fault == "slow":
            time.sleep(f.slow_seconds)
        elif fault == "429":
            return self._send(429, {"errors": [{"type": "too_many_requests"}]}, {"Retry-After": str(f.retry_after)})
        elif fault is not None:
            return self._send(*_CANNED[fault])
        with f.lock:
            status, body = self._route(method)
        self._send(status, body)

    def _route(self, method: str) -> tuple[int, Any]:
        f = self.fake
        split = urlsplit(self.path)
        agent = self.headers.get("HH-User-Agent") or self.headers.get("User-Agent")
        if not agent:
            return 400, {"errors": [{"type": "bad_user_agent", "value": "unset"}]}
        if agent in f.blacklist:
            return 400, {"errors": [{"type": "bad_user_agent", "value": "blacklisted"}]}
        if method == "POST" and split.path == "/token":
            length = int(self.headers.get("Content-Length") or 0)
            return f.token(dict(parse_qsl(self.rfile.read(length).decode())))
        auth = self.headers.get("Authorization", "")
        if f.require_token and not auth:
            return 403, b"<html><body>403 Forbidden</body></html>"
        if auth and auth.removeprefix("Bearer ") not in f.tokens:
            return 403, {"errors": [{"type": "oauth", "value": "bad_authorization"}]}
        if split.path == "/vacancies":
            return f.search(parse_qs(split.query))
        if split.path.startswith("/vacancies/"):
            return f.full(split.path.rsplit("/", 1)[1])
        return 404, {"errors": [{"type": "not_found"}]}

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        kind = "text/html" if isinstance(body, bytes) else "application/json; charset=utf-8"
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(raw)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)
