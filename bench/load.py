"""Benchmark: `talentflow serve` under load while `talentflow ingest` writes to its store every 10 s.

Makes a demo-like store (exodus-2022 simulated at --scale, ingested) unless --db is given (a copy is used: the
ingests write to it), starts `talentflow serve` on a free loopback port, asks each of bench/serve.py's queries
once (cached), then runs --clients concurrent clients for --seconds: each request is one of the cached queries or,
with probability --uncached, a query never asked before (a new min_cell), so computed. Meanwhile a
`talentflow ingest` subprocess adds 25 new vacancies every --every seconds; after each the server takes a new
snapshot, so the next request of each cached query is computed again too. Prints errors, p50/p99 latency of
cached and computed answers (as the server's X-Talentflow-Cache says), the ingests that succeeded, and the
server's peak memory (VmHWM). Goal: 0 errors, cached p99 < 200 ms, every ingest succeeded, memory bounded.

    .venv/bin/python bench/load.py
    .venv/bin/python bench/load.py --db demo/talentflow.duckdb --clients 32 --seconds 60
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
from _timing import peak_rss_mb
from serve import QUERIES, free_port, make_store, pct, start_server

#: Computed on each request: a min_cell never asked before makes a new cache key.
UNCACHED = [
    "/api/indicators/vacancies_active?by=experience&data=simulated&min_cell={n}",
    "/api/indicators/tension?by=is_it&from=2022-01-01&to=2022-12-31&data=simulated&min_cell={n}",
    "/api/indicators/resumes_new?period=week&data=simulated&min_cell={n}",
]


def vacancies(path: Path, n: int, first_id: int) -> Path:
    """``n`` new hh.ru vacancies (NDJSON): what a board's next export adds."""
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            day = date(2023, 1, 2) + timedelta(days=i)
            record = {
                "id": str(first_id + i),
                "name": "Python developer",
                "area": {"id": "1", "name": "Москва"},
                "published_at": f"{day}T10:00:00+0300",
                "employer": {"id": str(8_000_000 + i), "name": f"Employer {i}"},
                "professional_roles": [{"id": "96"}],
                "experience": {"id": "between1And3"},
                "observed_at": f"{day}T12:00:00+0300",
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


class Ingests(threading.Thread):
    """One `talentflow ingest` subprocess every ``every`` seconds until stopped; records exit codes and times."""

    def __init__(self, db: Path, folder: Path, every: float) -> None:
        super().__init__(daemon=True)
        self.db, self.folder, self.every = db, folder, every
        self.stop = threading.Event()
        self.results: list[tuple[int, float, str]] = []

    def run(self) -> None:
        i = 0
        while not self.stop.wait(self.every if i else 1.0):
            path = vacancies(self.folder / f"new-{i}.ndjson", 25, 90_000_000 + 1000 * i)
            cmd = [sys.executable, "-m", "talentflow", "ingest", str(path), "--db", str(self.db), "--json"]
            t = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True)
            self.results.append((done.returncode, time.perf_counter() - t, done.stderr.strip()[-200:]))
            i += 1


def clients(base: str, n: int, seconds: float, uncached: float) -> tuple[dict[str, list[float]], list[str]]:
    latencies: dict[str, list[float]] = {"hit": [], "miss": []}
    errors: list[str] = []
    end = time.monotonic() + seconds
    counter = iter(range(10**9))
    lock = threading.Lock()

    def worker(k: int) -> None:
        rng = random.Random(k)
        with httpx.Client(base_url=base, timeout=120) as client:
            while time.monotonic() < end:
                if rng.random() < uncached:
                    with lock:
                        url = rng.choice(UNCACHED).format(n=1000 + next(counter))
                else:
                    url = rng.choice(QUERIES)
                t = time.perf_counter()
                try:
                    r = client.get(url)
                except httpx.HTTPError as exc:
                    errors.append(f"{url}: {exc!r}")
                    continue
                elapsed = time.perf_counter() - t
                if r.status_code != 200:
                    errors.append(f"{url}: {r.status_code} {r.text[:200]}")
                else:
                    latencies[r.headers.get("x-talentflow-cache", "miss")].append(elapsed)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return latencies, errors


def report(latencies: dict[str, list[float]], errors: list[str], ingests: Ingests, rss: float, args) -> None:
    total = sum(len(v) for v in latencies.values()) + len(errors)
    print(f"load: {args.clients} clients for {args.seconds:g} s, {total:,} requests ({total / args.seconds:,.0f}/s)")
    for kind, label in (("hit", "cached"), ("miss", "computed")):
        ms = [x * 1e3 for x in latencies[kind]]
        if ms:
            print(f"  {label:9} {len(ms):6,} answers  p50 {pct(ms, 0.5):7.1f} ms  p99 {pct(ms, 0.99):7.1f} ms")
    print(f"  errors {len(errors)}")
    for e in errors[:5]:
        print(f"    {e}")
    ok = [r for r in ingests.results if r[0] == 0]
    times = ", ".join(f"{t:.1f}" for _, t, _ in ingests.results)
    print(f"ingests: {len(ok)} of {len(ingests.results)} succeeded (seconds each: {times})")
    for code, _, err in ingests.results:
        if code:
            print(f"    exit {code}: {err}")
    print(f"server peak memory (VmHWM): {rss:.0f} MB")
    print(f"machine load average at the end: {os.getloadavg()[0]:.2f} (2 cores, shared)")
    cached = [x * 1e3 for x in latencies["hit"]]
    goal = not errors and cached and pct(cached, 0.99) < 200 and len(ok) == len(ingests.results) > 0
    print(f"goal (0 errors, cached p99 < 200 ms, every ingest succeeded): {'met' if goal else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="a store to copy [default: simulate one]")
    parser.add_argument("--scale", type=float, default=0.01, help="simulated share of the population")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--every", type=float, default=10, help="seconds between ingests")
    parser.add_argument("--uncached", type=float, default=0.1, help="share of requests never asked before")
    parser.add_argument("--baseline", type=float, default=15, help="seconds of cached requests alone, first")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="talentflow-load-bench-") as tmp:
        folder = Path(tmp)
        if args.db:
            db = folder / "store.duckdb"
            shutil.copy(args.db, db)
        else:
            db = make_store(folder, args.scale, args.seed)
        port = free_port()
        proc = start_server(db, port)
        base = f"http://127.0.0.1:{port}"
        try:
            print(f"server: talentflow serve on {base}, store {os.path.getsize(db) / 1e6:.1f} MB, pid {proc.pid}")
            with httpx.Client(base_url=base, timeout=300) as client:
                for url in QUERIES:
                    client.get(url).raise_for_status()
            # The baseline, in the same process and minute: cached queries only, no ingest.
            alone, alone_errors = clients(base, args.clients, args.baseline, 0.0)
            base_p99 = pct([x * 1e3 for x in alone["hit"]], 0.99) if alone["hit"] else float("nan")
            n = len(alone["hit"])
            print(
                f"baseline: cached queries only, no ingest, {args.baseline:g} s: {n:,} answers, p99 {base_p99:.1f} ms"
            )
            ingests = Ingests(db, folder, args.every)
            ingests.start()
            latencies, errors = clients(base, args.clients, args.seconds, args.uncached)
            ingests.stop.set()
            ingests.join()
            report(latencies, errors + alone_errors, ingests, peak_rss_mb(proc.pid), args)
            cached = [x * 1e3 for x in latencies["hit"]]
            if cached:
                print(f"cached p99 under load / baseline: {pct(cached, 0.99) / base_p99:.2f}x")
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
