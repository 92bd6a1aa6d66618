from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from talentflow.cli import app

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TALENTFLOW_SHARED", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared() -> Path:
    """The real data beside the project; a skip on a user's clone, a failure in CI."""
    if not SHARED.is_dir():
        message = f"real data not found at {SHARED} (clone the project beside ../shared to run these tests)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return SHARED


#: `make test` runs the tests in one process per core (pytest-xdist, --dist loadgroup), a test file to one process,
#: so that a module's fixtures are built once. Files whose tests share a run-wide fixture go to one process
#: together, so that it too is built once: the run's one Spark session, the browser and the dashboard's store.
RUN_WIDE = {"spark": {"spark_local"}, "browser": {"browser", "dashboard_store"}}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups into the tests' ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    group = {item.path: str(item.path) for item in items}  # the whole path: two folders may hold one file name
    for item in items:
        uses = set(getattr(item, "fixturenames", ()))
        for name, fixtures in RUN_WIDE.items():
            if uses & fixtures:
                group[item.path] = name
    for item in items:
        item.add_marker(pytest.mark.xdist_group(group[item.path]))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


class Cli:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str | Path, code: int = 0):
        result = self.runner.invoke(app, [str(a) for a in args])
        assert result.exit_code == code, (result.exit_code, result.output, result.exception)
        return result

    def json(self, *args: str | Path, code: int = 0) -> dict:
        return json.loads(self(*args, "--json", code=code).stdout)


@pytest.fixture
def cli() -> Cli:
    return Cli()


#: `cluster` runs the tests marked `cluster` on a standalone Spark cluster (a master and two workers, started for
#: the run) instead of local[2]: `make test` runs them so once more (docs/indicators.md, "Spark on a cluster").
ENV_SPARK = "TALENTFLOW_TEST_SPARK"


def _free_ports(n: int) -> int:
    """The first of ``n`` consecutive ports on loopback that nothing listens on."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + n >= 65000:
            continue
        try:
            held = []
            for port in range(first, first + n):
                s = socket.socket()
                held.append(s)
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
        return first
    raise RuntimeError("no free ports on loopback")


@pytest.fixture(scope="session")
def spark_local(tmp_path_factory: pytest.TempPathFactory):
    """One Spark session for the whole run (it takes seconds to start), shared by every test module: local[2],
    or on a cluster started here through `talentflow cluster up` when TALENTFLOW_TEST_SPARK=cluster."""
    from talentflow.indicators.engines import spark_session

    if os.environ.get(ENV_SPARK) != "cluster":
        session = spark_session("local[2]")
        yield session
        session.stop()
        return
    folder = tmp_path_factory.mktemp("spark-cluster")
    port = _free_ports(4)
    ui = port + 1  # the workers' UIs on the next two
    where = ("--dir", folder)
    up = Cli().json("cluster", "up", *where, "--port", str(port), "--ui-port", str(ui), "--workers", "2")
    try:
        assert (up["running"], up["workers_alive"], up["cores"]) == (True, 2, 2), up
        session = spark_session(up["master"], shuffle_partitions=4)
        try:
            yield session
        finally:
            session.stop()
    finally:
        down = Cli().json("cluster", "down", *where)
        assert len(down["stopped"]) == 3, down


CHROMIUM = Path(os.environ.get("TALENTFLOW_CHROMIUM", "/usr/bin/chromium"))
# Flags that keep Debian's Chromium quiet and offline on a build machine (see ../shared/STACK.md).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory):
    """Debian's Chromium driven by Playwright, one per test run; a skip without Chromium, a failure in CI."""
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (`make setup` installs Debian's chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield context
        finally:
            context.close()


#: The claims the dashboard's store holds: four the indicators estimate (the panel's would take a minute each).
DASHBOARD_CLAIMS = ("B1-vacancies-jan", "B1-resumes-aug", "B1-tension-aug", "B2-mar")


@pytest.fixture(scope="session")
def dashboard_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The browser tests' store, built once per run: exodus-2022 at 2,000 workers simulated (seed 3) and another run
    standing in for a real board (tests/kinds_fixture.py), four built-in claims, and one stray real vacancy seen in
    2013, years before the others (the dashboard's default range must leave it out)."""
    from dataclasses import replace
    from datetime import date

    import kinds_fixture
    import web_fixture

    from talentflow import Store, ingest
    from talentflow.claims import builtin_claims, store_claims

    root = tmp_path_factory.mktemp("dashboard")
    kinds = kinds_fixture.build(root, claims=False, scale=0.002, simulated_seed=3)
    stray = web_fixture.hh_vacancies(root / "stray.ndjson", 1, first_id=1, first_day=date(2013, 5, 6))
    assert ingest([stray], db=kinds.mixed).accepted == 1
    builtin = builtin_claims()
    keep = [i for i, c in enumerate(builtin.claims) if c.claim_id in DASHBOARD_CLAIMS]
    some = replace(
        builtin, claims=tuple(builtin.claims[i] for i in keep), locations=tuple(builtin.locations[i] for i in keep)
    )
    with Store(kinds.mixed) as store:
        store_claims(store, some)
    return kinds.mixed
