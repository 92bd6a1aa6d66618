"""Benchmark: `talentflow serve` under a bounded load of indicator queries.

Makes a demo-like store (exodus-2022 simulated at --scale, ingested) unless --db is given, starts
`talentflow serve` on a free loopback port in a subprocess, asks each query once (cold: computed, then cached),
then sends --requests requests from --clients concurrent clients (httpx, one thread and connection each) spread
over the queries, and prints p50/p90/p99/max latency, throughput and errors.
Goal: no errors and p99 < 200 ms for cached queries.

    .venv/bin/python bench/serve.py
    .venv/bin/python bench/serve.py --db demo/talentflow.duckdb --requests 5000 --clients 64
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

#: The store is a simulated market: every query asks for simulated data (real data is the default).
QUERIES = [
    "/api/indicators/vacancies_active?data=simulated",
    "/api/indicators/vacancies_active?by=experience&from=2021-01-01&to=2022-12-31&data=simulated",
    "/api/indicators/vacancies_new?period=week&from=2022-01-01&to=2022-06-30&data=simulated",
    "/api/indicators/vacancies_closed?period=quarter&data=simulated",
    "/api/indicators/postings_index?from=2022-01-01&to=2022-12-31&data=simulated",
    "/api/indicators/resumes_active?by=experience&data=simulated",
    "/api/indicators/resumes_new?period=quarter&by=country&data=simulated",
    "/api/indicators/tension?by=is_it=true&data=simulated",
    "/api/indicators/tension?by=experience&from=2022-01-01&to=2022-12-31&min_cell=0&data=simulated",
    "/api/indicators/relocation_share?by=experience&data=simulated",
    "/api/indicators/destination_share?period=quarter&data=simulated",
    "/api/indicators/salary?set=currency=USD&set=basis=net&data=simulated",
    "/api/indicators/remote_share?data=simulated",
    "/api/indicators/employer_exits?set=periods=2&data=simulated",
    "/api/indicators/employer_relocations?data=simulated",
    "/api/indicators/tension?by=experience&format=csv&data=simulated",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_store(folder: Path, scale: float, seed: int) -> Path:
    from talentflow import ingest
    from talentflow.simulate import load_scenario, simulate

    t = time.perf_counter()
    simulate(load_scenario("exodus-2022"), folder / "sim", scale=scale, seed=seed)
    report = ingest([folder / "sim"], db=folder / "store.duckdb")
    print(
        f"store: exodus-2022 at scale {scale} (seed {seed}), {report.accepted:,} records, "
        f"{time.perf_counter() - t:.1f} s to simulate and ingest"
    )
    return folder / "store.duckdb"


def start_server(db: Path, port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "talentflow", "serve", "--db", str(db), "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server stopped: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/status", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("the server did not answer within 60 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), to tell the server's cost from the client's."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load(base: str, n: int, clients: int) -> tuple[list[float], list[str], float]:
    """``n`` requests from ``clients`` threads, each a client with its own connection (httpx.Client).

    Threads rather than one asyncio client: httpx's async pool spent more CPU per request than the server did (the
    same load measured 250-360 requests/s and p99 400-600 ms with it), so it measured the client, not the server.
    """
    latencies: list[float] = []
    errors: list[str] = []
    counter = iter(range(n))
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                url = QUERIES[i % len(QUERIES)]
                t = time.perf_counter()
                try:
                    r = client.get(url)
                    if r.status_code != 200 or r.headers.get("x-talentflow-cache") != "hit":
                        errors.append(f"{url}: {r.status_code} {r.headers.get('x-talentflow-cache')}")
                except httpx.HTTPError as exc:
                    errors.append(f"{url}: {exc!r}")
                latencies.append(time.perf_counter() - t)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return latencies, errors, time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="an existing store [default: simulate one]")
    parser.add_argument("--scale", type=float, default=0.01, help="simulated share of the population")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="talentflow-serve-bench-") as tmp:
        db = args.db or make_store(Path(tmp), args.scale, args.seed)
        size = os.path.getsize(db)
        port = free_port()
        proc = start_server(db, port)
        base = f"http://127.0.0.1:{port}"
        try:
            print(f"server: talentflow serve on {base}, store {db} ({size / 1e6:.1f} MB), pid {proc.pid}")
            cold = []
            with httpx.Client(base_url=base, timeout=120) as client:
                for url in QUERIES:
                    t = time.perf_counter()
                    r = client.get(url)
                    cold.append(time.perf_counter() - t)
                    if r.status_code != 200:
                        raise SystemExit(f"{url}: {r.status_code} {r.text}")
            print(
                f"cold (computed): {len(QUERIES)} queries, median {statistics.median(cold) * 1e3:.0f} ms, "
                f"max {max(cold) * 1e3:.0f} ms, total {sum(cold):.2f} s"
            )
            cpu0 = cpu_seconds(proc.pid)
            latencies, errors, wall = load(base, args.requests, args.clients)
            server_cpu = cpu_seconds(proc.pid) - cpu0
            ms = [x * 1e3 for x in latencies]
            print(
                f"load: {args.requests:,} requests from {args.clients} concurrent clients over {len(QUERIES)} "
                f"cached queries in {wall:.2f} s"
            )
            print(
                f"  latency p50 {pct(ms, 0.5):.1f} ms, p90 {pct(ms, 0.9):.1f} ms, p99 {pct(ms, 0.99):.1f} ms, "
                f"max {max(ms):.1f} ms"
            )
            print(f"  throughput {args.requests / wall:,.0f} requests/s, errors {len(errors)}")
            print(
                f"  server CPU {server_cpu:.2f} s, {server_cpu / args.requests * 1e3:.2f} ms per request "
                f"(the rest of the wall time is the clients and other jobs on the machine)"
            )
            for e in errors[:5]:
                print(f"  error: {e}")
            goal = not errors and pct(ms, 0.99) < 200
            print(f"  machine load average while measuring: {os.getloadavg()[0]:.2f} (2 cores)")
            print(f"goal (no errors, p99 < 200 ms): {'met' if goal else 'NOT met'}")
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
