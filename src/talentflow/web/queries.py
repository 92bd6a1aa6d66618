"""What the API serves, computed read-only from the store and cached.

Every request goes through talentflow's own parsing (``indicators.request``, the migration request types): those
build Ibis expressions or bound queries, so no request parameter is ever pasted into SQL, and their errors name
the parameter at fault (``UsageError.param``), which the app words in the API's terms. The store is opened
read-only for each computation and closed after it, so ``talentflow ingest`` can still write to it while the
server runs; a changed store changes the cache key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from starlette.concurrency import run_in_threadpool

from talentflow.errors import UsageError
from talentflow.indicators._compute import compute
from talentflow.indicators.params import Params
from talentflow.indicators.provenance import DEFAULT_DATA, check_data
from talentflow.migration.requests import ExcessRequest, NowcastRequest, PanelRequest
from talentflow.store import Store
from talentflow.web.cache import DEFAULT_SIZE, ResultCache, signature


@dataclass(frozen=True)
class Job:
    """A request, normalised (``key``, without the store's signature), and how to compute its answer."""

    key: tuple[Any, ...]
    compute: Callable[[], Payload]


@dataclass
class Payload:
    """One computed answer: JSON-ready rows (as the CLI's ``--format json`` prints them), their encoding, a CSV."""

    rows: list[dict[str, Any]]
    frame: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    _json: bytes | None = None
    _csv: str | None = None

    @property
    def json(self) -> bytes:
        if self._json is None:
            self._json = json.dumps(self.rows, ensure_ascii=False).encode("utf-8")
        return self._json

    @property
    def csv(self) -> str:
        if self._csv is None:
            frame = self.frame if self.frame is not None else pd.DataFrame(self.rows)
            self._csv = frame.to_csv(index=False)
        return self._csv


def params_key(name: str, params: Params) -> tuple[Any, ...]:
    """The request, normalised: defaults filled in, option order ignored."""
    return (
        name,
        params.period,
        tuple((s.name, s.values) for s in params.by),
        params.start,
        params.end,
        params.min_cell,
        tuple(sorted(params.options.items())),
        params.data,
    )


class StoreService:
    """The store behind the server: read-only, cached."""

    def __init__(self, path: str | Path, cache_size: int = DEFAULT_SIZE) -> None:
        self.path = Path(path)
        with Store(self.path, read_only=True):  # fail now, not at the first request, if it is no store
            pass
        self.cache = ResultCache(cache_size)
        self._fits = ResultCache(8)

    # -- helpers ----------------------------------------------------------------------------------------
    def signature(self) -> tuple[int, ...]:
        return signature(self.path)

    async def answer(self, job: Job) -> tuple[Payload, bool]:
        """``(payload, hit)``: a cached payload is found on the event loop; a miss is computed on a worker thread.

        Keeping hits off the thread pool matters under load: a hit is a dictionary look-up and two ``stat`` calls.
        """
        key = (*job.key, self.signature())
        found, value = self.cache.peek(key)
        if found:
            return value, True
        return await run_in_threadpool(self.cache.get, key, job.compute)

    # -- indicators ---------------------------------------------------------------------------------------
    def indicator(self, name: str, params: Params) -> Job:
        def run() -> Payload:
            result = compute(name, params, db=self.path)
            return Payload(result.records(), result.frame, list(result.notes))

        return Job(("indicator", *params_key(name, params)), run)

    # -- migration ----------------------------------------------------------------------------------------
    def migration(self, request: PanelRequest | ExcessRequest | NowcastRequest) -> Job:
        def compute_result() -> Payload:
            from talentflow.migration import estimate, panel_fit

            with Store(self.path, read_only=True) as store:
                if isinstance(request, PanelRequest):
                    # The fit is the slow part and does not depend on the window: keep it for other windows.
                    r = request
                    key = ("fit", r.data, r.origin, r.n_boot, r.seed, r.level, r.population, r.naive, self.signature())
                    fit, _ = self._fits.get(key, lambda: panel_fit(store, r))
                    result = fit.result(request.start, request.end)
                else:
                    result = estimate(request, store)
            return Payload(result.records(), result.to_frame(), list(result.notes))

        return Job(("migration", request), compute_result)

    # -- claims -------------------------------------------------------------------------------------------
    def claims(self, metric: str | None) -> Job:
        from talentflow.claims.ledger import COLUMNS, load_claims

        def run() -> Payload:
            with Store(self.path, read_only=True) as store:
                rows = [c.record() for c in load_claims(store, metric)]
            return Payload(rows, pd.DataFrame(rows, columns=list(COLUMNS)))

        return Job(("claims", metric), run)

    def compare(self, coverage: float, tolerance: float, data: str = DEFAULT_DATA) -> Job:
        from talentflow.claims import compare, load_claims, records

        if not 0 < coverage <= 1:
            raise UsageError(f"must be in (0, 1], not {coverage}", param="coverage")
        if tolerance < 0:
            raise UsageError(f"must be 0 or more, not {tolerance}", param="tolerance")
        check_data(data)

        def run() -> Payload:
            with Store(self.path, read_only=True) as store:
                if not load_claims(store):
                    raise UsageError(f"{store.path}: no claims stored; start with `talentflow claims import --builtin`")
                frame = compare(store, data=data, coverage=coverage, tolerance=tolerance)
            return Payload(records(frame), frame)

        return Job(("compare", coverage, tolerance, data), run)

    # -- status -------------------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        with Store(self.path, read_only=True) as store:
            status = store.status()
        return json.loads(json.dumps(status, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
