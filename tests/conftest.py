from __future__ import annotations

import json
import os
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


@pytest.fixture(scope="session")
def spark_local():
    """One local Spark session for the whole run (it takes seconds to start), shared by every test module."""
    from talentflow.indicators.engines import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


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
