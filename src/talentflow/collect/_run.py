"""One collection run: count, split, page, checkpoint every answer, then store what was seen.

The run's publication windows end at its start rounded up to 5 minutes (``window_end``), so a resumed run asks
the same slices as an undisturbed one. Vacancies published while the run goes on are picked up at its end by
one more slice, the tail, from ``window_end`` to then.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import duckdb

from talentflow.collect import _checkpoint as cp
from talentflow.collect._http import Client, Reply
from talentflow.collect._query import Query
from talentflow.collect._slicer import (
    CAP,
    EPOCH,
    PER_PAGE,
    Slice,
    can_split_time,
    ceil_step,
    cluster_counts,
    split,
    tighten,
)
from talentflow.collect._slicer import page_count as _page_count
from talentflow.errors import ApiError

#: Called as (event, payload): ("slice", {"done", "known", "requests"}) after every step.
Progress = Callable[[str, dict[str, Any]], None]
_OPEN = ("pending", "paging", "moved", "rereading")


class Collector:
    """Runs the slices of one run to the end, one checkpointed step at a time."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        run: cp.RunRow,
        query: Query,
        client: Client,
        clock: Callable[[], datetime],
        progress: Progress | None = None,
    ) -> None:
        self.con, self.run, self.query, self.client, self.clock = con, run, query, client, clock
        self.progress = progress
        self.base = query.search()
        self.slices = {s.slice_id: s for s in cp.slices(con, run.run_id)}
        self.t0 = time.monotonic()
        self._children: dict[str, list[str]] = {}
        rows = con.execute("SELECT area_id, parent_id FROM area").fetchall()
        for area, parent in rows:
            self._children.setdefault(parent or "", []).append(area)

    # -- the loop ------------------------------------------------------------------------------------------
    def collect(self) -> None:
        if not self.slices:
            root = Slice(0, None, EPOCH, self.run.window_end)
            self._commit([root])
        while True:
            s = self._next()
            if s is None and not any(x.tail for x in self.slices.values()):
                s = self._tail()
            if s is None:
                return
            self._step(s)

    def _next(self) -> Slice | None:
        waiting = [s for s in self.slices.values() if s.state in _OPEN]
        return min(waiting, key=lambda s: (s.tail, s.slice_id)) if waiting else None

    def _tail(self) -> Slice | None:
        """The slice of vacancies published since the windows' end, created once, after every other slice."""
        end = ceil_step(self.clock())
        if end <= self.run.window_end:
            return None
        s = Slice(max(self.slices) + 1, None, self.run.window_end, end, tail=True)
        self._commit([s])
        return s

    def _step(self, s: Slice) -> None:
        if s.state == "pending":
            self._probe(s)
        else:
            self._page(s)
        if self.progress:
            done = sum(1 for x in self.slices.values() if x.state not in _OPEN)
            self.progress("slice", {"done": done, "known": len(self.slices), "requests": self.requests})

    # -- one answer each -----------------------------------------------------------------------------------
    def _probe(self, s: Slice) -> None:
        """The slice's first request: its ``found`` (the whole query: counted with ``per_page=0`` and clusters;
        any other slice: its first page, with clusters when the next split is by area or role)."""
        root = s.parent_id is None and not s.tail
        params = s.search(self.base)
        if root:
            params += [("per_page", "0"), ("clusters", "true")]
        else:
            params += [("per_page", str(PER_PAGE)), ("page", "0")]
            params += [] if can_split_time(s) else [("clusters", "true")]
        reply = self.client.get("/vacancies", params)
        found, items = _found(reply), _items(reply)
        kids: list[Slice] = []
        read = 0 if root else 1
        if root:
            s = replace(s, clusters=json.dumps(cluster_counts(reply.body), sort_keys=True))
        if found > CAP:
            s = tighten(s, items)
            how, kids = split(
                s,
                self.query.areas,
                self.query.roles,
                self._kids,
                self._kids(""),
                cluster_counts(reply.body),
                max(self.slices) + 1,
            )
            if how is not None:
                done = replace(s, state="split", split_by=how, found=found, retrieved=len(items))
                self._commit([done, *kids], reply, s, 0 if items else None)
                return
        pages = _page_count(found)
        read = min(read, pages)
        state = "paging" if read < pages else self._final(found)
        new = replace(s, state=state, found=found, pages=pages, pages_read=read, retrieved=len(items))
        self._commit([new], reply, s, 0 if items else None)

    def _page(self, s: Slice) -> None:
        page = s.pages_read
        params = [*s.search(self.base), ("per_page", str(PER_PAGE)), ("page", str(page))]
        reply = self.client.get("/vacancies", params)
        found, items = _found(reply), _items(reply)
        state = s.state
        if found != s.found and state == "paging":
            # Results moved between pages while they were read (vacancies archived or published): a page may
            # have slid past unread, so the slice is read once more when this pass ends.
            state = "moved"
        pages = max(s.pages or 0, _page_count(found))
        new = replace(s, state=state, pages=pages, pages_read=page + 1, retrieved=s.retrieved + len(items))
        if new.pages_read >= pages:
            if state == "moved":
                new = replace(new, state="rereading", pages_read=0, passes=s.passes + 1)
            else:
                new = replace(new, state=self._final(s.found or found))
        self._commit([new], reply, s, page)

    @staticmethod
    def _final(found: int) -> str:
        return "truncated" if found > CAP else "done"

    def _kids(self, area: str) -> list[str]:
        return self._children.get(area, [])

    # -- the checkpoint ------------------------------------------------------------------------------------
    @property
    def requests(self) -> int:
        return self.run.requests + self.client.tally.requests

    def counters(self) -> dict[str, Any]:
        failures = dict(self.run.failures)
        for kind, n in self.client.tally.failures.items():
            failures[kind] = failures.get(kind, 0) + n
        root = self.slices.get(0)
        return {
            "requests": self.requests,
            "retries": self.run.retries + self.client.tally.retries,
            "failures": json.dumps(dict(sorted(failures.items()))),
            "seconds": self.run.seconds + (time.monotonic() - self.t0),
            "found": root.found if root else None,
            "truncated": sum(1 for x in self.slices.values() if x.state == "truncated"),
        }

    def _commit(
        self, changed: list[Slice], reply: Reply | None = None, asked: Slice | None = None, page: int | None = None
    ) -> None:
        for s in changed:
            self.slices[s.slice_id] = s
        with _transaction(self.con):
            if reply is not None and asked is not None and page is not None:
                cp.save_page(
                    self.con,
                    self.run.run_id,
                    asked.slice_id,
                    page,
                    None,
                    reply.observed_at,
                    _found(reply),
                    _items(reply),
                )
            cp.save_slices(self.con, self.run.run_id, changed)
            cp.save_counters(self.con, self.run.run_id, self.counters())

    def save_full(self, vacancy_id: str, reply: Reply | None, observed_at: datetime) -> None:
        with _transaction(self.con):
            body = reply.body if reply is not None else None
            cp.save_page(self.con, self.run.run_id, None, None, vacancy_id, observed_at, None, body)
            counters = self.counters() | {"full_fetched": len(cp.fetched_full(self.con, self.run.run_id))}
            cp.save_counters(self.con, self.run.run_id, counters)


class _transaction:
    """BEGIN … COMMIT on a connection, rolled back on any exception (Ctrl-C too)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        self.con.execute("BEGIN TRANSACTION")
        return self.con

    def __exit__(self, kind: object, *rest: object) -> None:
        self.con.execute("ROLLBACK" if kind is not None else "COMMIT")


def _found(reply: Reply) -> int:
    body = reply.body
    found = body.get("found") if isinstance(body, dict) else None
    if not isinstance(found, int) or isinstance(found, bool) or found < 0:
        raise ApiError(
            "hh.ru answered a search without a usable `found` (has the API changed?); please report it",
            kind="unexpected",
        )
    return found


def _items(reply: Reply) -> list[Any]:
    body = reply.body
    items = body.get("items") if isinstance(body, dict) else None
    return [i for i in items if isinstance(i, dict) and i.get("id") is not None] if isinstance(items, list) else []
