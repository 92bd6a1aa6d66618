"""`talentflow collect hh` against the fake hh.ru on loopback (tests/fake_hh.py), whose market is the simulator's.

Internals imported here: talentflow.collect._checkpoint for the lock (the public API has no handle on the lock
file, and the overlap test needs to hold it the way a running collection does) and talentflow.collect._http's
`_error`, to word every failure kind side by side, including those the fake cannot provoke alone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pytest
from fake_hh import Clock, Fake, Market
from typer.testing import CliRunner

from talentflow.cli import app
from talentflow.collect import Politeness, Query, collect_hh

ROOT = Path(__file__).resolve().parents[1]
AGENT = "talentflow-tests/1.0 (tests@example.org)"
TOKEN = "tok-Zq81-never-shown-9c2f"
START = dt.datetime(2022, 5, 16, 12, 0, tzinfo=dt.UTC)
FAST = Politeness(rate=2000, backoff=0.0, retries=3)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated market whose board posts about 2,600 IT vacancies active in mid-May 2022 (over the cap)."""
    from talentflow.simulate import load_scenario, simulate

    out = tmp_path_factory.mktemp("sim") / "market"
    simulate(load_scenario("exodus-2022"), out, scale=0.03, seed=1, start=dt.date(2021, 9, 1), end=dt.date(2022, 7, 31))
    return out


@pytest.fixture
def fake(sim: Path) -> Iterator[Fake]:
    f = Fake(Market.from_simulation(sim), Clock(START), tokens={TOKEN}, seed=3)
    with f.serve():
        yield f


@pytest.fixture
def small() -> Iterator[Fake]:
    """300 vacancies in Moscow: four requests a run, for the tests of what goes wrong."""
    market = Market.uniform(300, START, 20, area="1", role="96", seed=5)
    f = Fake(market, Clock(START), tokens={TOKEN}, seed=3)
    with f.serve():
        yield f


def stored_ids(db: Path) -> set[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {r[0] for r in con.execute("SELECT DISTINCT vacancy_id FROM vacancy_observation").fetchall()}


def collect(fake: Fake, db: Path, query: Query | None = None, **kw) -> object:
    kw.setdefault("environ", {"TALENTFLOW_HH_TOKEN": TOKEN})
    return collect_hh(
        query or Query.build(it=True),
        db=db,
        api_url=fake.url,
        user_agent=AGENT,
        politeness=FAST,
        clock=fake.clock.now,
        **kw,
    )


def invoke(args: list[str], env: dict[str, str], code: int):
    result = CliRunner().invoke(app, ["collect", "hh", *args], env=env)
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    return result


def test_every_active_vacancy_past_the_cap_becomes_an_observed_sighting(fake: Fake, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    report = collect(fake, db)
    truth = fake.active_ids()
    assert len(truth) > 2000  # the whole query is over hh.ru's cap
    assert stored_ids(db) == truth
    assert report.found == len(truth) and report.retrieved == len(truth) and report.coverage == 1.0
    assert report.split.get("time", 0) >= 1 and report.truncated == []
    with duckdb.connect(str(db), read_only=True) as con:
        kinds = con.execute(
            "SELECT provenance, source, observed_basis, min(observed_at), max(observed_at), count(*) "
            "FROM vacancy_observation GROUP BY ALL"
        ).fetchall()
        assert kinds == [("observed", "hh.ru", "record", START, START, len(truth))]  # the fake's clock stood still
        (options,) = con.execute("SELECT options FROM ingest_log").fetchone()
        logged = json.loads(options)["collect"]
        assert logged["run_id"] == report.run_id and logged["found"] == len(truth)
        assert logged["retrieved"] == len(truth) and logged["requests"] == report.requests
        assert logged["slices"] == report.slices
        series = con.execute("SELECT metric, segment, date, value, vintage FROM series ORDER BY segment").fetchall()
        query = Query.build(it=True).describe()
        assert series[0] == ("vacancies_found", query, START.date(), float(len(truth)), f"run {report.run_id}")
        by_area = {seg.split("area=")[1]: v for _, seg, _, v, _ in series if "| area=" in seg}
        by_role = {seg.split("role=")[1]: v for _, seg, _, v, _ in series if "| professional_role=" in seg}
        assert sum(by_area.values()) == sum(by_role.values()) == len(truth)  # hh.ru's counts by area and role
        assert by_role["96"] == sum(
            1 for i in range(len(fake.market.ids)) if fake.market.role[i] == "96" and str(fake.market.ids[i]) in truth
        )
        assert con.execute("SELECT count(*) FROM collect_page").fetchone() == (0,)  # the checkpoint is emptied


def test_a_second_run_adds_a_sighting_per_vacancy_seen_again(fake: Fake, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    collect(fake, db)
    fake.clock.advance(86_400)
    second = collect(fake, db)
    with duckdb.connect(str(db), read_only=True) as con:
        (n,) = con.execute("SELECT count(*) FROM vacancy_observation WHERE ingest_id = 2").fetchone()
    assert second.run_id == 2 and n == len(fake.active_ids())


def test_full_vacancies_for_new_ids_within_the_request_budget(small: Fake, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    first = collect(small, db, full=True, max_requests=40)
    small.clock.advance(86_400)
    second = collect(small, db, full=True, max_requests=40)
    with duckdb.connect(str(db), read_only=True) as con:
        full = con.execute(
            "SELECT ingest_id, count(DISTINCT vacancy_id) FROM vacancy_observation "
            "WHERE description_length > 0 AND len(key_skills) > 0 GROUP BY 1 ORDER BY 1"
        ).fetchall()
        (distinct,) = con.execute(
            "SELECT count(DISTINCT vacancy_id) FROM vacancy_observation WHERE description_length > 0"
        ).fetchone()
    assert first.full_fetched == second.full_fetched == 40 and first.retrieved == 300
    assert full == [(1, 40), (2, 40)] and distinct == 80  # the second run fetched ids the first had not


def test_a_run_that_finds_nothing_is_in_the_ingest_log(small: Fake, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    report = collect(small, db, Query.build(roles=["124"]))  # no tester in the small market
    assert (report.found, report.retrieved, report.status) == (0, 0, "finished")
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT read, input FROM ingest_log").fetchall() == [
            (0, "talentflow collect hh: run 1 (no vacancies)")
        ]
        (options,) = con.execute("SELECT options FROM ingest_log").fetchone()
    assert json.loads(options)["collect"]["requests"] == 1


def test_no_request_is_spent_halving_empty_years(tmp_path: Path) -> None:
    # The vacancies were published four years before the run: the windows close in on them from the newest
    # result each first page shows, not a year at a time.
    fake = Fake(Market.uniform(2500, START, 20, area="1", role="96", seed=5), Clock(START), tokens={TOKEN})
    later = START + dt.timedelta(days=4 * 365)
    with fake.serve():
        report = collect_hh(
            Query.build(roles=["96"]), db=tmp_path / "s.duckdb", api_url=fake.url, user_agent=AGENT,
            politeness=FAST, environ={"TALENTFLOW_HH_TOKEN": TOKEN}, clock=lambda: later,
        )  # fmt: skip
    oracle = 2 * 13  # two slices of 1,250, 13 pages each
    assert report.retrieved == 2500 and report.requests <= 1.3 * oracle


def crowded_market(n_same: int, end: dt.datetime) -> Market:
    """Vacancies published at one instant (a mass republication), which no publication window can split:
    ``n_same`` in Moscow for programmers, 1,500 in Moscow for testers, 1,200 in St Petersburg."""
    t = end.timestamp() - 3600
    areas = ["1"] * n_same + ["1"] * 1500 + ["2"] * 1200
    roles = ["96"] * n_same + ["124"] * 1500 + ["96"] * 1200
    n = len(areas)
    return Market(
        np.arange(70_000_000, 70_000_000 + n),
        np.full(n, t),
        np.full(n, np.inf),
        np.array(areas),
        np.array(roles),
        np.array([str(i % 40) for i in range(n)]),
        np.full(n, np.nan),
        np.zeros(n, bool),
    )


def test_a_window_over_the_cap_splits_by_area_then_role_and_reports_what_cannot_split(tmp_path: Path) -> None:
    fake = Fake(crowded_market(2100, START), Clock(START), tokens={TOKEN})
    with fake.serve():
        report = collect(fake, tmp_path / "s.duckdb", Query.build(roles=["96", "124"], areas=["113"]))
    assert report.split.get("area", 0) >= 1 and report.split.get("role", 0) >= 1
    # Moscow's programmers: 2,100 at one instant, in a leaf area, one role: the first 2,000 read, and said so
    # (by each window holding the instant: adjacent windows overlap by 5 minutes).
    assert {(tuple(t["areas"]), tuple(t["roles"]), t["found"]) for t in report.truncated} == {(("1",), ("96",), 2100)}
    assert report.found == 4800 and report.retrieved == 4700 and report.coverage == pytest.approx(4700 / 4800)


def test_vacancies_published_and_archived_while_pages_are_read(sim: Path, tmp_path: Path) -> None:
    # Ten minutes of the fake's time pass with every request: the market moves under the pages.
    fake = Fake(Market.from_simulation(sim), Clock(START, drift=600), tokens={TOKEN})
    start_ids = fake.active_ids()
    with fake.serve():
        report = collect(fake, tmp_path / "s.duckdb")
        end_ids = fake.active_ids()
    got = stored_ids(tmp_path / "s.duckdb")
    assert start_ids & end_ids <= got  # everything active throughout was seen
    assert end_ids - start_ids and (end_ids - start_ids) & got  # the tail picked up new vacancies
    assert got <= start_ids | end_ids | _active_between(fake, START, fake.clock.now())
    assert report.slices > 3


def _active_between(fake: Fake, a: dt.datetime, b: dt.datetime) -> set[str]:
    m = fake.market
    hit = (m.opened <= b.timestamp()) & (m.closed > a.timestamp())
    return {str(i) for i in m.ids[hit]}


# -- failures: each its own message and exit code ---------------------------------------------------------------
FAILURES = [
    # fault, sticky?, exit code, words of the message
    ("captcha", False, 4, ["captcha", "https://hh.ru/account/captcha?state=fake-state"]),
    ("oauth", False, 4, ["rejected the application token", "token_revoked"]),
    ("forbidden", False, 4, ["refused this address", "HTTP 403"]),
    ("geo", False, 4, ["for its location", "451"]),
    ("bad_user_agent", False, 4, ["rejected the User-Agent", "blacklisted"]),
    ("cap", False, 3, ["refused a page", "bad_argument: page, per_page"]),
    ("500", True, 3, ["failed 3 times in a row", "non-JSON body (text/html)"]),
    ("429", True, 3, ["429 Too Many Requests 3 times"]),
    ("drop", True, 3, ["no answer from", "connection dropped"]),
    ("slow", True, 3, ["no answer from", "timed out"]),
]


@pytest.mark.parametrize(("fault", "sticky", "code", "words"), FAILURES, ids=[f[0] for f in FAILURES])
def test_each_failure_has_its_own_message_and_exit_code(
    small: Fake, tmp_path: Path, fault: str, sticky: bool, code: int, words: list[str]
) -> None:
    fake = small
    fake.retry_after, fake.slow_seconds = 0, 1.5
    if sticky:
        fake.sticky = fault
    else:
        fake.faults.append(fault)
    env = {"TALENTFLOW_HH_TOKEN": TOKEN, "TALENTFLOW_HH_USER_AGENT": AGENT}
    args = ["--it", "--api-url", fake.url, "--db", str(tmp_path / "s.duckdb"), "--rate", "1000", "--backoff", "0"]
    result = invoke([*args, "--retries", "2", "--timeout", "0.5"], env, code)
    for w in words:
        assert w in result.output.replace("\n", " ") or w in " ".join(result.stderr.split()), (w, result.output)
    with duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True) as con:
        assert con.execute("SELECT status, error_kind IS NOT NULL FROM collect_run").fetchall() == [("running", True)]
    fake.sticky = None
    resumed = invoke([*args, "--resume", "--json"], env, 0)  # the same run, finished once hh.ru answers again
    assert json.loads(resumed.stdout)["attempts"] == 2
    assert stored_ids(tmp_path / "s.duckdb") == fake.active_ids()


def test_the_failure_messages_differ() -> None:
    from talentflow.collect._http import Failure, _error

    client = type("C", (), {"user_agent": AGENT, "api_url": "http://x"})()
    kinds = [
        "captcha_required",
        "oauth",
        "blocked",
        "geo_blocked",
        "bad_user_agent",
        "rate_limited",
        "server_error",
        "network",
    ]
    messages = {_error(Failure(k, "detail"), "/vacancies", 3, client).message.split(":")[0] for k in kinds}  # type: ignore[arg-type]
    assert len(messages) == len(kinds)


def test_usage_errors_come_before_any_request(small: Fake, tmp_path: Path) -> None:
    fake = small
    args = ["--it", "--api-url", fake.url, "--db", str(tmp_path / "s.duckdb")]
    r = invoke(args, {"TALENTFLOW_HH_TOKEN": TOKEN}, 2)
    assert "HH-User-Agent" in r.output and "--user-agent" in r.output
    r = invoke([*args, "--user-agent", "python-requests"], {}, 2)
    assert "Name/Version (contact)" in r.output
    r = invoke([*args, "--user-agent", AGENT, "--param", "shedule=remote"], {}, 2)
    assert "shedule: not an hh.ru vacancy-search parameter" in r.output
    r = invoke(
        ["--role", "99999", "--api-url", fake.url, "--db", str(tmp_path / "s.duckdb"), "--user-agent", AGENT], {}, 2
    )
    assert "unknown professional role 99999" in r.output
    assert fake.requests.total() == 0


def test_an_overlapping_run_refuses(small: Fake, tmp_path: Path) -> None:
    fake = small
    from talentflow.collect._checkpoint import run_lock

    db = tmp_path / "s.duckdb"
    with run_lock(db):
        r = invoke(
            ["--it", "--api-url", fake.url, "--db", str(db), "--user-agent", AGENT], {"TALENTFLOW_HH_TOKEN": TOKEN}, 5
        )
    assert "a collection is already running on this store" in r.output
    assert fake.requests.total() == 0
    collect(fake, db)  # the lock is free again


def test_an_unfinished_run_is_resumed_or_abandoned_never_silently_restarted(small: Fake, tmp_path: Path) -> None:
    fake = small
    db = tmp_path / "s.duckdb"
    fake.faults.append("captcha")
    with pytest.raises(Exception, match="captcha"):
        collect(fake, db)
    env = {"TALENTFLOW_HH_TOKEN": TOKEN, "TALENTFLOW_HH_USER_AGENT": AGENT}
    env["TALENTFLOW_HH_API_URL"] = fake.url
    r = invoke(["--it", "--db", str(db)], env, 2)
    assert "--resume" in r.output and "--fresh" in r.output
    r = invoke(["--text", "java", "--resume", "--db", str(db)], env, 2)
    assert "resume it without a query" in r.output
    out = json.loads(invoke(["--it", "--fresh", "--db", str(db), "--json", "--rate", "1000"], env, 0).stdout)
    assert out["run_id"] == 2 and out["coverage"] == 1.0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT run_id, status FROM collect_run ORDER BY 1").fetchall() == [
            (1, "abandoned"),
            (2, "finished"),
        ]


# -- the token ------------------------------------------------------------------------------------------------
def _everything_written(tmp_path: Path, db: Path) -> str:
    """Every table of the store as text, and every file under tmp_path but the token cache."""
    parts = []
    with duckdb.connect(str(db), read_only=True) as con:
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            parts.append(repr(con.execute(f'SELECT * FROM "{table}"').fetchall()))
    for p in tmp_path.rglob("*"):
        if p.is_file() and p.name != "hh-token.json" and not p.name.endswith((".duckdb", ".wal")):
            data = p.read_bytes()
            parts.append(data.decode("utf-8", "replace"))
            if p.suffix == ".gz":
                import gzip

                parts.append(gzip.decompress(data).decode())
    return "\n".join(parts)


def test_the_token_never_appears_in_output_logs_or_the_store(small: Fake, tmp_path: Path) -> None:
    fake = small
    db, cache = tmp_path / "s.duckdb", tmp_path / "cache" / "hh-token.json"
    fake.tokens.clear()
    fake.clients = {"app-1": "secret-Kx7-never-shown"}
    env = {
        "TALENTFLOW_HH_CLIENT_ID": "app-1",
        "TALENTFLOW_HH_CLIENT_SECRET": "secret-Kx7-never-shown",
        "TALENTFLOW_HH_TOKEN_CACHE": str(cache),
        "TALENTFLOW_HH_USER_AGENT": AGENT,
    }
    args = ["--it", "--api-url", fake.url, "--db", str(db), "--rate", "1000", "--backoff", "0"]
    outputs = [invoke([*args, "--json"], env, 0).output]
    (token,) = fake.tokens
    assert oct(cache.stat().st_mode & 0o777) == "0o600" and token in cache.read_text()
    assert fake.seen_headers[-1]["Authorization"] == f"Bearer {token}"
    # Revoked: one new token, refused by hh.ru's five-minute rule, then obtained once the five minutes passed.
    fake.tokens.clear()
    outputs.append(invoke([*args, "--fresh"], env, 4).output)
    assert "every 5 minutes" in outputs[-1]
    fake.clock.advance(301)
    cached = json.loads(cache.read_text())
    for entry in cached.values():
        entry["obtained_at"] -= 301  # five minutes on the collector's side too
    cache.write_text(json.dumps(cached))
    outputs.append(invoke([*args, "--resume"], env, 0).output)
    (token2,) = fake.tokens
    assert token2 != token and token2 in cache.read_text()
    fake.faults.append("oauth")
    outputs.append(invoke([*args, "--fresh"], {**env, "TALENTFLOW_HH_TOKEN": token2}, 4).output)
    written = "\n".join(outputs) + _everything_written(tmp_path, db)
    for secret in (token, token2, "secret-Kx7-never-shown"):
        assert secret not in written
    assert "hh.ru" in written and "vacancies_found" in written  # the search did look at real text


# -- resuming after SIGKILL, under faults ------------------------------------------------------------------
def _cli_env(fake: Fake) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TALENTFLOW_HH_TOKEN=TOKEN,
        TALENTFLOW_HH_USER_AGENT=AGENT,
        TALENTFLOW_HH_API_URL=fake.url,
        PYTHONPATH=str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", ""),
    )
    return env


def _pages_kept(db: Path) -> int:
    if not db.exists():
        return 0
    with duckdb.connect(str(db), read_only=True) as con:
        if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'collect_page'").fetchone()[0]:
            return 0
        (n,) = con.execute("SELECT count(*) FROM collect_page").fetchone()
    return int(n)


def _summary(db: Path) -> tuple[set[str], list[tuple[object, ...]]]:
    with duckdb.connect(str(db), read_only=True) as con:
        run = con.execute("SELECT status, found, leaf_found, retrieved FROM collect_run").fetchall()
        slices = con.execute(
            "SELECT slice_id, date_from, date_to, state, found, pages FROM collect_slice WHERE NOT tail ORDER BY 1"
        ).fetchall()
    return stored_ids(db), run + slices


@pytest.mark.slow
def test_sigkill_three_times_under_faults_then_resume_ends_as_an_undisturbed_run(fake: Fake, tmp_path: Path) -> None:
    fake.p429, fake.p5xx, fake.retry_after = 0.20, 0.05, 0
    env = _cli_env(fake)
    base = [sys.executable, "-m", "talentflow", "collect", "hh", "--it", "--rate", "25", "--backoff", "0.01", "--json"]
    calm = tmp_path / "calm.duckdb"
    subprocess.run([*base, "--db", str(calm)], env=env, check=True, capture_output=True, timeout=120)
    db = tmp_path / "killed.duckdb"
    rng = random.Random(14)
    kills, checkpoints = 0, []
    for _ in range(3):
        args = [*base, "--db", str(db)] + (["--resume"] if kills else [])
        # A random moment of the paging: after a random number of answers, a random fraction of a second on.
        seen, after = fake.requests.total(), rng.randint(3, 25)
        p = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while fake.requests.total() < seen + after and p.poll() is None:
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.05))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
        p.wait()
        checkpoints.append(_pages_kept(db))
    assert kills == 3
    print("pages checkpointed at each kill:", checkpoints)
    assert sum(1 for n in checkpoints if n > 0) >= 2, checkpoints  # killed in the middle of the paging
    done = subprocess.run([*base, "--db", str(db), "--resume"], env=env, capture_output=True, timeout=120, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["attempts"] == 4 and report["failures"].get("rate_limited", 0) > 0
    assert _summary(db) == _summary(calm)
    assert stored_ids(db) == fake.active_ids()


# -- thirty days of nightly runs against the simulator's truth -------------------------------------------------
@pytest.mark.slow
def test_thirty_daily_runs_give_the_simulators_stocks_flows_and_exits(sim: Path, tmp_path: Path) -> None:
    from talentflow.indicators import Params, compute

    fake = Fake(Market.from_simulation(sim), Clock(START), tokens={TOKEN})
    db = tmp_path / "s.duckdb"
    days = 30
    with fake.serve():
        for _ in range(days):
            collect(fake, db, Query.build(roles=["96"]))  # programmers: half the market, every area
            fake.clock.advance(86_400)
    first, last = START.date(), START.date() + dt.timedelta(days=days - 1)
    truth = _truth(fake.market, first, last, "96")
    got = {}
    for name, column in (
        ("vacancies_active", "vacancies"),
        ("vacancies_new", "vacancies"),
        ("employer_exits", "exits"),
    ):
        frame = compute(name, Params(period="day", min_cell=0), db=db).frame
        got[name] = {row.period: getattr(row, column) for row in frame.itertuples()}
    # Stocks at each day's end after the first run; new vacancies and exits summed over the days after it.
    inside = [first + dt.timedelta(days=d) for d in range(1, days - 1)]
    for day in inside:
        assert got["vacancies_active"][day] == pytest.approx(truth["active"][day], rel=0.05), day
    new_got = sum(got["vacancies_new"].get(d, 0) for d in inside)
    new_truth = sum(truth["new"][d] for d in inside)
    assert new_got == pytest.approx(new_truth, rel=0.05)
    exit_days = [d for d in inside if d in got["employer_exits"]]
    assert len(exit_days) >= 20
    exits_got = sum(got["employer_exits"][d] for d in exit_days)
    exits_truth = sum(truth["exits"][d] for d in exit_days)
    assert exits_truth > 20 and exits_got == pytest.approx(exits_truth, rel=0.05)


def _truth(m: Market, first: dt.date, last: dt.date, role: str) -> dict[str, dict[dt.date, float]]:
    """The market's own figures per day for one role, by the indicators' definitions (docs/indicators.md), from
    the true publication and closing times: active at the day's end, first published that day, employers with an
    active vacancy the day before and none for the next three days. A vacancy closed the moment it opened was
    never on the board (the simulator's board leaves it out too), so it is no vacancy of the truth either."""
    keep = (m.role == role) & (m.closed > m.opened)
    m = Market(
        m.ids[keep],
        m.opened[keep],
        m.closed[keep],
        m.area[keep],
        m.role[keep],
        m.employer[keep],
        m.salary[keep],
        m.remote[keep],
    )
    day_end = {
        d: dt.datetime.combine(d + dt.timedelta(days=1), dt.time(), dt.UTC).timestamp()
        for d in _days(first, last + dt.timedelta(days=3))
    }
    opened_day = m.opened // 86_400
    active = {d: int(((m.opened < t) & (m.closed >= t)).sum()) for d, t in day_end.items()}
    new = {d: int((opened_day == (t // 86_400) - 1).sum()) for d, t in day_end.items()}
    by_employer = {}
    for d, t in day_end.items():
        live = (m.opened < t) & (m.closed >= t)
        by_employer[d] = set(m.employer[live].tolist())
    exits = {}
    for d in _days(first + dt.timedelta(days=1), last):
        ahead = set().union(*(by_employer[d + dt.timedelta(days=k)] for k in range(3)))
        exits[d] = len(by_employer[d - dt.timedelta(days=1)] - ahead)
    return {"active": active, "new": new, "exits": exits}


def _days(a: dt.date, b: dt.date) -> list[dt.date]:
    return [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]


def test_one_fake_serves_collect_and_fetch(shared: Path, tmp_path: Path) -> None:
    from fake_sources import FakeSources

    market = Market.uniform(300, START, 20, area="1", role="96", seed=5)
    fake = Fake(market, Clock(START), tokens={TOKEN}, seed=3, sources=FakeSources(shared))
    db, env = tmp_path / "s.duckdb", {"TALENTFLOW_HH_TOKEN": TOKEN}
    runner = CliRunner()
    with fake.serve():
        got = runner.invoke(
            app,
            ["collect", "hh", "--text", "python", "--db", str(db), "--api-url", fake.url, "--user-agent", AGENT],
            env=env,
        )
        assert got.exit_code == 0, got.output
        args = ["--db", str(db), "--to", str(tmp_path / "cache"), "--url-base", fake.url, "--user-agent", AGENT]
        for source in ("hh-dictionaries", "ai-tracker"):
            got = runner.invoke(app, ["fetch", source, *args, "--json"], env=env)
            assert got.exit_code == 0, got.output
    assert len(stored_ids(db)) == 300
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM series WHERE metric = 'ai_postings_share'").fetchone() == (24_642,)
        assert con.execute("SELECT name FROM area WHERE area_id = '1'").fetchone() == ("Москва",)
    # The fetch of hh.ru's dictionaries went through the same server, with the token, as the search did.
    hh = [h for h in fake.sources.hits if h.path in ("/areas", "/dictionaries")]
    assert {h.path for h in hh} == {"/areas", "/dictionaries"}
    assert {h.headers.get("Authorization") for h in hh} == {f"Bearer {TOKEN}"}
