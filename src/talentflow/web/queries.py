"""What the API serves, computed read-only from the store and cached.

Every request goes through talentflow's own parsing (``Segment.parse``, ``Params``, the indicator registry,
``migration.run.Request``): those build Ibis expressions or bound queries, so no request parameter is ever pasted
into SQL. The store is opened read-only for each computation and closed after it, so ``talentflow ingest`` can
still write to it while the server runs; a changed store changes the cache key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from starlette.concurrency import run_in_threadpool

from talentflow.errors import UsageError
from talentflow.indicators.compute import compute, indicator
from talentflow.indicators.params import PERIODS, Params, Segment, parse_date, parse_options
from talentflow.store import Store
from talentflow.web.cache import DEFAULT_SIZE, ResultCache, signature

#: Migration methods the server runs: ``stocks`` reads stock tables from files, not the store.
MIGRATION_METHODS = ("panel", "excess", "nowcast")
#: Upper bound on bootstrap replicates a request may ask for (each one refits the panel).
MAX_N_BOOT = 1000


class ParamError(UsageError):
    """A request parameter that cannot be used; ``param`` names it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {_plain_option(message, param)}")
        self.param = param


def _plain_option(message: str, param: str) -> str:
    """``--from '2022-13-01': expected …`` → ``'2022-13-01': expected …`` once the parameter is named."""
    return re.sub(rf"^(--)?{re.escape(param).replace('_', '[-_]')}:?\s+", "", message)


def _param(name: str, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except ParamError:
        raise
    except UsageError as exc:
        raise ParamError(name, str(exc)) from None


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


def indicator_params(
    name: str,
    *,
    period: str | None,
    by: Sequence[str],
    start: str | None,
    end: str | None,
    min_cell: int,
    options: Sequence[str],
) -> Params:
    """Check a request against the indicator, naming the parameter at fault; the same checks as the CLI."""
    ind = _param("name", lambda: indicator(name))
    period = period or ind.default_period
    if period not in PERIODS:
        raise ParamError("period", f"unknown period {period!r}; choose one of: {', '.join(PERIODS)}")
    if period not in ind.periods:
        raise ParamError("period", f"{ind.name} is computed by {' or '.join(ind.periods)}, not by {period}")
    segments = tuple(_param("by", lambda b=b: Segment.parse(b)) for b in by)
    names = [s.name for s in segments]
    if len(set(names)) != len(names):
        raise ParamError("by", f"a segment is given twice: {', '.join(names)}")
    bad = [n for n in names if n not in ind.segments]
    if bad:
        allowed = ", ".join(ind.segments) or "none"
        raise ParamError("by", f"{ind.name} cannot be split by {', '.join(bad)}; its segments are: {allowed}")
    first = _param("from", lambda: parse_date(start, "from"))
    last = _param("to", lambda: parse_date(end, "to"))
    if first and last and first > last:
        raise ParamError("to", f"{last} is before from {first}")
    if min_cell < 0:
        raise ParamError("min_cell", f"must be 0 or more, not {min_cell}")
    opts = _param("set", lambda: parse_options(list(options)))
    unknown = [k for k in opts if k not in ind.options]
    if unknown:
        known = ", ".join(ind.options) or "none"
        raise ParamError("set", f"{ind.name} has no option {', '.join(unknown)}; its options are: {known}")
    return Params(period=period, by=segments, start=first, end=last, min_cell=min_cell, options=opts)


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
    )


def _set_options(text: str) -> str:
    # An option's own check says "--set key=value: …"; on the web the parameter is ``set``.
    return re.sub(r"^--set\s+", "set: ", text)


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

    async def answer(self, job: Job) -> Job:
        """The cached payload, found on the event loop; a miss is computed on a worker thread.

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
            try:
                result = compute(name, params, db=self.path)
            except UsageError as exc:
                raise UsageError(_set_options(str(exc))) from None
            return Payload(result.records(), result.frame, list(result.notes))

        return Job(("indicator", *params_key(name, params)), run)

    # -- migration ----------------------------------------------------------------------------------------
    def migration(
        self, method: str, origin: str, start: str | None, end: str | None, n_boot: int, seed: int, level: float
    ) -> Job:
        from talentflow.migration.run import Request, month_of, run

        if method not in MIGRATION_METHODS:
            extra = " (stocks reads stock-table files: use the CLI)" if method == "stocks" else ""
            raise ParamError(
                "method", f"unknown method {method!r}; choose one of: {', '.join(MIGRATION_METHODS)}{extra}"
            )
        origin = origin.strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", origin):
            raise ParamError("origin", f"expected an ISO 3166-1 alpha-2 country code such as RU, got {origin!r}")
        if method != "excess":  # months; excess takes quarters, checked by the method itself
            start = _param("from", lambda: month_of(start, "2022-01", "from"))
            end = _param("to", lambda: month_of(end, "2022-12", "to"))
            if start > end:
                raise ParamError("to", f"{end} is before from {start}")
        if not 1 <= n_boot <= MAX_N_BOOT:
            raise ParamError("n_boot", f"must be between 1 and {MAX_N_BOOT}, not {n_boot}")
        if not 0 < level < 1:
            raise ParamError("level", f"the interval's coverage lies between 0 and 1, not {level}")
        req = Request(method=method, origin=origin, start=start, end=end, level=level, seed=seed, n_boot=n_boot)

        def compute_result() -> Payload:
            with Store(self.path, read_only=True) as store:
                if method == "panel":
                    # The fit is the slow part and does not depend on the window: keep it for other windows.
                    from talentflow.migration.run import panel_fit

                    fit, _ = self._fits.get(
                        ("fit", origin, n_boot, seed, level, self.signature()), lambda: panel_fit(store, req)
                    )
                    result = fit.result(start, end)
                else:
                    result = run(store, req)
            return Payload(result.records(), result.to_frame(), list(result.notes))

        return Job(("migration", method, origin, start, end, n_boot, seed, level), compute_result)

    # -- claims -------------------------------------------------------------------------------------------
    def claims(self, metric: str | None) -> Job:
        from talentflow.claims.ledger import COLUMNS, load_claims

        def run() -> Payload:
            with Store(self.path, read_only=True) as store:
                rows = [c.record() for c in load_claims(store, metric)]
            return Payload(rows, pd.DataFrame(rows, columns=list(COLUMNS)))

        return Job(("claims", metric), run)

    def compare(self, coverage: float, tolerance: float) -> Job:
        from talentflow.claims.compare import compare, records
        from talentflow.claims.ledger import load_claims

        if not 0 < coverage <= 1:
            raise ParamError("coverage", f"must be in (0, 1], not {coverage}")
        if tolerance < 0:
            raise ParamError("tolerance", f"must be 0 or more, not {tolerance}")

        def run() -> Payload:
            with Store(self.path, read_only=True) as store:
                if not load_claims(store):
                    raise UsageError(f"{store.path}: no claims stored; start with `talentflow claims import --builtin`")
                frame = compare(store, coverage=coverage, tolerance=tolerance)
            return Payload(records(frame), frame)

        return Job(("compare", coverage, tolerance), run)

    # -- status -------------------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        with Store(self.path, read_only=True) as store:
            status = store.status()
        return json.loads(json.dumps(status, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
