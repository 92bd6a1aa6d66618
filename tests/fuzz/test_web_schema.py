"""The web API fuzzed from its own OpenAPI description (schemathesis): whatever a client sends, the answer is never
a server error (5xx), and a 2xx body is what its content type says (JSON that JSON.parse accepts, or CSV).

Bounded so that it runs in CI in well under two minutes: a small store, few replicates allowed, a fixed number of
examples per endpoint, and a fixed seed (``derandomize``), so a failure is found again by the next run."""

from __future__ import annotations

import csv
import io
import json

import pytest
import schemathesis
import web_fixture
from hypothesis import HealthCheck, given, settings

from talentflow import Store
from talentflow.claims import builtin_claims, store_claims
from talentflow.web import create_app
from talentflow.web.queries import Limits

#: Few replicates: the fuzzer looks for wrong answers, not slow ones (the limits have their own tests).
LIMITS = Limits(n_boot=(("panel", 5), ("nowcast", 5), ("excess", 50), ("changepoints", 5), ("its", 100)), seconds=60)


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory):
    db = web_fixture.small_store(tmp_path_factory.mktemp("fuzz"))
    with Store(db) as store:
        store_claims(store, builtin_claims())
    # schemathesis's ASGI client names its host "testserver": allowed like any name given with --allow-host.
    app = create_app(db, limits=LIMITS, allow_hosts=["testserver"])
    return schemathesis.openapi.from_asgi("/openapi.json", app)


#: Examples per endpoint, both valid requests and invalid ones (schemathesis's positive and negative modes).
EXAMPLES = 40


def test_no_server_error(api_schema) -> None:
    # Each operation's strategy driven by Hypothesis directly (schemathesis's pytest plugin does not load on this
    # pytest): the same generated requests, one endpoint after another.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    paths = {op.path for op in operations}
    assert paths >= {"/api/indicators/{name}", "/api/migration", "/api/claims/compare", "/api/impact", "/api/range"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
        def check(case) -> None:
            answered(case, case.call())

        check()


def answered(case, response) -> None:
    """A response that is no server error, and a body that is what its content type says."""
    assert response.status_code < 500, f"{case.method} {case.formatted_path} {case.query}: {response.text[:500]}"
    body = response.text
    if response.status_code >= 400:
        detail = json.loads(body)["detail"]
        assert isinstance(detail, str) and "Traceback" not in detail and "/tmp/" not in detail
        return
    if response.headers["content-type"][0].startswith("text/csv"):
        list(csv.reader(io.StringIO(body, newline="")))
    else:
        json.loads(body, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))
