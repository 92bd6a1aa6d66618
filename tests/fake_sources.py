"""A fake of the public sources ``talentflow fetch`` downloads, on loopback: raw.githubusercontent.com's paths of
github/innovationgraph, hiring-lab/job_postings_tracker and hiring-lab/ai-tracker, and api.hh.ru's ``/areas`` and
``/dictionaries``, served from the copies in ../shared/data (read in place, never copied into the repository); and
the Bank of Russia's ``/scripts/XML_daily.asp`` (``cbr_rate`` is its made-up but deterministic market).

It behaves as those hosts do where the fetch depends on it: an ETag and a Last-Modified on every file, 304 to
``If-None-Match`` / ``If-Modified-Since``, hh.ru's 400 ``bad_user_agent`` without an ``HH-User-Agent``. On request
it fails: a 500 with an HTML page, a 429 with Retry-After, a bare 403, a 404 for a file gone, a connection closed
before any answer, a body cut short of its Content-Length, an answer too slow to wait for, or new content (a
changed header, another JSON shape). Every request is logged in ``hits``.

The routes are written from the upstream layouts, not from talentflow's table of sources, so that a wrong path
in that table fails the tests. Job_postings_tracker publishes one file per country; the shared copy joins them
(with a ``source_commit`` column the upstream files lack), so the fake splits it back.

Its routes are a mixin (`SourceRoutes`): the fake hh.ru of the collector's tests (tests/fake_hh.py) mounts them,
so that one server answers both ``talentflow collect`` and ``talentflow fetch``.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import math
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

IG = "/github/innovationgraph/main"
JPT = "/hiring-lab/job_postings_tracker/master"
AI = "/hiring-lab/ai-tracker/main/AI_posting.csv"
#: JP is in the shared copy from a commit that is not on master; the head of the repository has no JP folder.
NOT_AT_HEAD = {"JP"}
#: The Bank of Russia's daily rates (www.cbr.ru/development/SXML/): a script, answered without validators.
CBR_DAILY = "/scripts/XML_daily.asp"
#: The fake's currencies: (ID, NumCode, CharCode, Nominal, Name, roubles per unit on 2022-03-01).
CBR_CURRENCIES = (
    ("R01060", "051", "AMD", 100, "Армянских драмов", 0.1988),
    ("R01090B", "933", "BYN", 1, "Белорусский рубль", 33.71),
    ("R01210", "981", "GEL", 1, "Грузинский лари", 30.85),
    ("R01235", "840", "USD", 1, "Доллар США", 95.9618),
    ("R01239", "978", "EUR", 1, "Евро", 106.79),
    ("R01335", "398", "KZT", 100, "Казахстанских тенге", 19.0877),
    ("R01370", "417", "KGS", 100, "Киргизских сомов", 95.02),
    ("R01717", "860", "UZS", 10000, "Узбекских сумов", 88.21),
)
#: When every file was last changed, as the server says it (changes bump it by a day).
LAST_MODIFIED = 1_784_000_000.0


@dataclass
class Hit:
    method: str
    path: str
    status: int
    headers: dict[str, str]


def cbr_set_on(day: date) -> date:
    """The date of the rates in force on ``day``: the Bank sets rates on working days for the next day, so rates
    are dated Tuesday to Saturday; on a Sunday or Monday the Saturday's are in force (holidays not modelled)."""
    back = {6: 1, 0: 2}.get(day.weekday(), 0)
    return day - timedelta(days=back)


def cbr_rate(code: str, day: date) -> float:
    """Roubles per unit of ``code`` set for ``day``: the 2022-03-01 rate, drifting by a few percent a month,
    rounded to four decimals of the published ``Value`` (per Nominal units)."""
    _, _, _, nominal, _, start = next(c for c in CBR_CURRENCIES if c[2] == code)
    t = (day - date(2022, 3, 1)).days
    value = round(start * nominal * (1 + 0.25 * math.sin(t / 97 + len(code) + ord(code[0]))), 4)
    return value / nominal


def cbr_daily(query: str) -> bytes | None:
    """XML_daily.asp's answer to ``query`` (``date_req=DD/MM/YYYY``; without it, today's), windows-1251."""
    asked = parse_qs(query).get("date_req", [None])[0]
    try:
        day = datetime.strptime(asked, "%d/%m/%Y").date() if asked else date.today()
    except ValueError:
        return None
    set_on = cbr_set_on(day)
    lines = ['<?xml version="1.0" encoding="windows-1251"?>']
    lines.append(f'<ValCurs Date="{set_on:%d.%m.%Y}" name="Foreign Currency Market">')
    for vid, num, code, nominal, name, _ in CBR_CURRENCIES:
        value = f"{cbr_rate(code, set_on) * nominal:.4f}".replace(".", ",")
        lines.append(
            f'<Valute ID="{vid}"><NumCode>{num}</NumCode><CharCode>{code}</CharCode><Nominal>{nominal}</Nominal>'
            f"<Name>{name}</Name><Value>{value}</Value></Valute>"
        )
    lines.append("</ValCurs>")
    return "\n".join(lines).encode("cp1251")


@functools.cache
def upstream_files(shared: Path) -> dict[str, bytes]:
    """Path on the upstream host → the bytes served there."""
    files: dict[str, bytes] = {}
    ig = shared / "innovationgraph"
    for name in ("developers", "git_pushes", "repositories", "organizations", "economy_collaborators"):
        files[f"{IG}/data/{name}.csv"] = (ig / f"{name}.csv").read_bytes()
    counts = "distinct_economy_counts_by_quarter_by_dataset.csv"
    files[f"{IG}/representativeness_data/{counts}"] = (ig / counts).read_bytes()
    files[f"{IG}/datapackage.json"] = (ig / "datapackage.json").read_bytes()
    hl = shared / "indeed-hiring-lab"
    for country, body in _by_country(hl / "aggregate_job_postings_all.csv").items():
        files[f"{JPT}/{country}/aggregate_job_postings_{country}.csv"] = body
    for country, body in _by_country(hl / "sector_it_job_postings.csv").items():
        files[f"{JPT}/{country}/job_postings_by_sector_{country}.csv"] = body
    files[f"{JPT}/sector-job-title-examples.csv"] = (hl / "sector-job-title-examples.csv").read_bytes()
    files[AI] = (hl / "AI_posting.csv").read_bytes()
    dumps = shared / "hh-api" / "dictionaries"
    files["/areas"] = (dumps / "areas_2024-12.json").read_bytes()
    files["/dictionaries"] = (dumps / "dictionaries_2024-12.json").read_bytes()
    return files


def _by_country(path: Path) -> dict[str, bytes]:
    """The shared concatenation split into the per-country files upstream serves, without ``source_commit``."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        keep = [i for i, h in enumerate(header) if h != "source_commit"]
        country = header.index("jobcountry")
        rows: dict[str, list[list[str]]] = defaultdict(list)
        for row in reader:
            if row[country] not in NOT_AT_HEAD:
                rows[row[country]].append([row[i] for i in keep])
    out = {}
    for code, found in rows.items():
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow([header[i] for i in keep])
        writer.writerows(found)
        out[code] = text.getvalue().encode()
    return out


class FakeSources:
    """Start with ``with FakeSources(shared) as fake:``; ``fake.url`` is the ``--url-base`` of the fetch."""

    #: How long a "stall" failure waits before answering.
    stall_seconds = 1.5
    #: The Retry-After of a "429" failure, in seconds.
    retry_after = 0

    def __init__(self, shared: Path | None) -> None:
        # Without ../shared: only the Bank of Russia's script (made up), no files.
        self.files = dict(upstream_files(shared)) if shared is not None else {}
        self.modified = dict.fromkeys(self.files, LAST_MODIFIED)
        self.failures: dict[str, list[str]] = defaultdict(list)
        #: XML_daily.asp's answers put in place of the made-up market's, by query.
        self.cbr: dict[str, bytes] = {}
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_SourceHandler,), {"sources": self}))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def serves(self, path: str) -> bool:
        return path in self.files

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeSources:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    # -- what a test asks of it -----------------------------------------------------------------------
    def fail(self, path: str, *modes: str) -> None:
        """The next requests of ``path`` fail, one mode each: ``500`` (an HTML error page), ``429`` (too many
        requests, with a Retry-After of ``retry_after`` seconds), ``403`` (a bare refusal, as hh.ru answers some
        addresses), ``oauth`` (hh.ru's 403 for a revoked token), ``304`` (not modified, asked or
        not, as a broken mirror might), ``drop`` (the connection closes before any
        answer), ``truncate`` (half of the body, then the connection closes), ``stall`` (an answer after
        ``stall_seconds``)."""
        with self.lock:
            self.failures[path].extend(modes)

    def change(self, path: str, body: bytes) -> None:
        """New content upstream: a new ETag, and a Last-Modified a day later."""
        with self.lock:
            self.files[path] = body
            self.modified[path] += 86_400

    def rename_column(self, path: str, old: str, new: str) -> None:
        header, _, rest = self.files[path].partition(b"\n")
        columns = [new if c == old else c for c in header.decode().split(",")]
        self.change(path, ",".join(columns).encode() + b"\n" + rest)

    def requests_of(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]

    def etag(self, path: str) -> str:
        return '"' + hashlib.sha256(self.files[path]).hexdigest()[:20] + '"'


class SourceRoutes(BaseHTTPRequestHandler):
    """The source files' answers, as a mixin: the fake hh.ru (tests/fake_hh.py) mounts them beside its API, so
    that one server stands in for both ``collect`` and ``fetch``."""

    sources: FakeSources
    hit: Hit

    def log_message(self, format: str, *args: object) -> None:  # quiet: the hits are the log
        pass

    def serve_source(self) -> None:
        fake = self.sources
        path, _, query = self.path.partition("?")
        # Logged before the answer goes out: the client may be done reading it before this handler returns.
        self.hit = Hit("GET", path, 0, dict(self.headers.items()))
        with fake.lock:
            mode = fake.failures[path].pop(0) if fake.failures.get(path) else None
            body = fake.files.get(path)
            modified = fake.modified.get(path, LAST_MODIFIED)
            fake.hits.append(self.hit)
        if path == CBR_DAILY and mode is None:
            self._cbr_answer(query)
            return
        self._source_answer(path, mode, body, modified)

    def _cbr_answer(self, query: str) -> None:
        """A script's answer: no ETag, no Last-Modified, so every fetch downloads it again."""
        body = self.sources.cbr.get(query) or cbr_daily(query)
        if body is None:
            page = "<html><body>Ошибка в параметрах</body></html>".encode("cp1251")
            self._source_send(500, page, "text/html; charset=windows-1251")
        else:
            self._source_send(200, body, "application/xml; charset=windows-1251")

    def _source_answer(self, path: str, mode: str | None, body: bytes | None, modified: float) -> int:
        if mode == "500":
            page = b"<html><head><title>500 Internal Server Error</title></head><body>oops</body></html>"
            return self._source_send(500, page, "text/html; charset=utf-8")
        if mode == "drop":
            # The connection closes before a byte of an answer: a proxy or a load balancer giving up.
            self.hit.status = 0
            self.close_connection = True
            return 0
        if mode == "429":
            error = b'{"errors": [{"type": "too_many_requests"}]}'
            wait = {"Retry-After": str(self.sources.retry_after)}
            return self._source_send(429, error, "application/json; charset=utf-8", wait)
        if mode == "403":
            page = b"<html><head><title>403 Forbidden</title></head><body>forbidden</body></html>"
            return self._source_send(403, page, "text/html; charset=utf-8")
        if mode == "304":
            return self._source_send(304, b"", "text/plain")
        if mode == "oauth":
            error = b'{"errors": [{"type": "oauth", "value": "token_revoked"}], "request_id": "fake"}'
            return self._source_send(403, error, "application/json; charset=utf-8")
        if mode == "stall":
            time.sleep(self.sources.stall_seconds)
        if body is None:
            return self._source_send(404, b"404: Not Found", "text/plain; charset=utf-8")
        if path in ("/areas", "/dictionaries") and not self.headers.get("HH-User-Agent"):
            error = b'{"errors": [{"type": "bad_user_agent", "value": "unset"}], "request_id": "fake"}'
            return self._source_send(400, error, "application/json; charset=utf-8")
        etag = self.sources.etag(path)
        if self._source_not_modified(etag, modified):
            self.hit.status = 304
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return 304
        kind = "application/json; charset=utf-8" if path in ("/areas", "/dictionaries") else "text/plain"
        extra = {"ETag": etag, "Last-Modified": formatdate(modified, usegmt=True)}
        if mode == "truncate":
            return self._source_send(200, body, kind, extra, cut=len(body) // 2)
        return self._source_send(200, body, kind, extra)

    def _source_not_modified(self, etag: str, modified: float) -> bool:
        # As RFC 9110 says: If-None-Match decides when sent; If-Modified-Since only without it.
        if (match := self.headers.get("If-None-Match")) is not None:
            return etag in [m.strip() for m in match.split(",")]
        if (since := self.headers.get("If-Modified-Since")) is not None:
            try:
                return parsedate_to_datetime(since).timestamp() >= int(modified)
            except (TypeError, ValueError):
                return False
        return False

    def _source_send(
        self, status: int, body: bytes, kind: str, extra: dict[str, str] | None = None, cut: int | None = None
    ) -> int:
        self.hit.status = status
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body if cut is None else body[:cut])
        if cut is not None:
            self.close_connection = True
        return status


class _SourceHandler(SourceRoutes):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.serve_source()
