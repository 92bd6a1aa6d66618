"""The dashboard in Debian's Chromium against a real uvicorn server, with every non-loopback request refused.

Set TALENTFLOW_SCREENSHOT=docs/img/dashboard.png to save the screenshot shown in the README.
"""

from __future__ import annotations

import csv
import io
import os
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from talentflow.web import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    """uvicorn serving ``app`` on a free loopback port in a background thread."""

    def __init__(self, app) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def server(dashboard_store: Path):
    """The server over a store holding a simulated market and real board records (``dashboard_store``)."""
    with ServerThread(create_app(dashboard_store)) as running:
        yield running


@pytest.fixture
def page(browser, server: ServerThread):
    """A page that may reach the test server only: anything else is aborted and recorded."""
    page = browser.new_page()
    page.blocked = []
    page.errors = []

    def route(r) -> None:
        host = urlsplit(r.request.url).hostname
        if host == "127.0.0.1" or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            page.blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    yield page
    page.close()


def wait_ready(page, timeout_ms: float = 30_000) -> None:
    # A selector, not wait_for_function: that evaluates a string in the page, which its CSP forbids.
    page.wait_for_selector("body[data-state='ready']", state="attached", timeout=timeout_ms)


def traces(page) -> list[dict]:
    return page.evaluate(
        "() => (document.getElementById('chart').data || []).map(t => ({name: t.name, x: t.x, y: t.y}))"
    )


def choose(page, selector: str, value: str) -> None:
    page.select_option(selector, value)  # the change handler marks the page "loading" before it fetches
    wait_ready(page)


def test_dashboard_draws_filters_and_downloads_offline(page, server: ServerThread) -> None:
    page.goto(f"{server.url}/?indicator=tension&from=2021-06-01&to=2022-12-31&min_cell=0&data=simulated")
    wait_ready(page)
    assert page.locator("#chart .main-svg").count() > 0
    assert page.input_value("#data") == "simulated"
    first = traces(page)
    assert len(first) == 1 and first[0]["name"] == "tension"
    assert first[0]["x"][:2] == ["2021-06-01", "2021-07-01"] and len(first[0]["x"]) == 19
    window = "from=2021-06-01&to=2022-12-31&min_cell=0"
    api = httpx.get(f"{server.url}/api/indicators/tension?data=simulated&period=month&{window}")
    assert first[0]["y"] == [r["tension"] for r in api.json()]
    assert "simulated data" in page.text_content("#chart .gtitle")

    # The other kind: the real board's own rows, never the two summed.
    choose(page, "#data", "real")
    real = traces(page)
    api = httpx.get(f"{server.url}/api/indicators/tension?data=real&period=month&{window}")
    assert real[0]["y"] == [r["tension"] for r in api.json()] and real[0]["y"] != first[0]["y"]
    assert "real data" in page.text_content("#chart .gtitle") and "data=real" in page.url
    choose(page, "#data", "simulated")
    assert page.locator("#rows tbody tr").count() == 19
    assert page.input_value("#value") == "tension"

    # Split by a segment: one line per experience level.
    choose(page, "#by", "experience")
    split = traces(page)
    assert split != first and len(split) >= 4
    assert {"between1And3", "between3And6", "moreThan6"} <= {t["name"] for t in split}

    # Download the CSV the page links to: it holds the API's rows.
    with page.expect_download() as info:
        page.click("#csv")
    download = info.value
    assert download.suggested_filename == "tension.csv"
    parsed = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    query = "data=simulated&period=month&by=experience&from=2021-06-01&to=2022-12-31&min_cell=0"
    rows = httpx.get(f"{server.url}/api/indicators/tension?{query}").json()
    assert parsed == [{k: "" if v is None else str(v) for k, v in r.items()} for r in rows]
    assert len(rows) == sum(len(t["x"]) for t in split)

    # Another indicator: other data; the value column follows it.
    choose(page, "#indicator", "vacancies_active")
    active = traces(page)
    assert active != split and len(active) == 1 and page.input_value("#value") == "vacancies"
    assert max(active[0]["y"]) > 200

    if os.environ.get("TALENTFLOW_SCREENSHOT"):
        choose(page, "#indicator", "relocation_share")
        choose(page, "#by", "experience")
        page.select_option("#value", "abroad_share")
        page.set_viewport_size({"width": 1280, "height": 860})
        page.screenshot(path=os.environ["TALENTFLOW_SCREENSHOT"])

    assert page.blocked == [] and page.errors == []


def test_dashboard_shows_real_data_by_default(page, server: ServerThread) -> None:
    page.goto(f"{server.url}/?indicator=vacancies_active&from=2022-01-01&to=2022-06-30")
    wait_ready(page)
    assert page.input_value("#data") == "real"
    api = httpx.get(
        f"{server.url}/api/indicators/vacancies_active?data=real&period=month&from=2022-01-01&to=2022-06-30"
    )
    assert traces(page)[0]["y"] == [r["vacancies"] for r in api.json()]
    assert page.blocked == [] and page.errors == []


def test_dashboard_shows_the_api_error(page, server: ServerThread) -> None:
    page.goto(f"{server.url}/?indicator=tension&from=2022-06-01&to=2022-01-01")
    page.wait_for_selector("body[data-state='error']", state="attached", timeout=30_000)
    assert page.text_content("#error") == "422: to: 2022-01-01 is before the first day 2022-06-01"
    assert page.blocked == []


def test_api_docs_render_offline(page, server: ServerThread) -> None:
    page.goto(f"{server.url}/docs")
    page.wait_for_selector(".opblock", timeout=30_000)  # Swagger UI drew the operations from /openapi.json
    paths = page.locator(".opblock-summary-path").all_text_contents()
    assert "/api/indicators/{name}" in [p.replace("\u200b", "") for p in paths]
    assert page.blocked == [] and page.errors == []
