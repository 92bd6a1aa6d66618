"""The collector past hh.ru's 2,000-result cap: a fake hh.ru (tests/fake_hh.py) holding N active vacancies in one
area and one role (50,000 by default: 25 times the cap), so that only publication windows can split the search.

Printed: the share of the fake's ids `talentflow collect hh` retrieved and the coverage it reports; the requests
it spent beside an oracle that knows the slices (the vacancies' publication times: consecutive slices of 2,000,
each paged, no counting); and a naive pager's coverage (the search paged to the cap). Run with
``PYTHONPATH=src python bench/collect.py [--vacancies 50000] [--seed 1]``.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import httpx
from fake_hh import Clock, Fake, Market

from talentflow.collect import Politeness, Query, collect_hh

AGENT = "talentflow-bench/1.0 (bench@example.org)"


def oracle_requests(n: int) -> int:
    """Pages an oracle reads: slices of at most 2,000 consecutive vacancies, 100 a page."""
    return sum(math.ceil(min(2000, n - i) / 100) for i in range(0, n, 2000))


def naive(url: str, token: str) -> tuple[int, int]:
    """Page the search until hh.ru refuses: (distinct ids, requests)."""
    ids: set[str] = set()
    headers = {"HH-User-Agent": AGENT, "Authorization": f"Bearer {token}"}
    requests = 0
    with httpx.Client(headers=headers) as client:
        for page in range(100):
            r = client.get(
                f"{url}/vacancies", params={"area": "1", "professional_role": "96", "per_page": 100, "page": page}
            )
            requests += 1
            if r.status_code != 200 or not r.json()["items"]:
                break
            ids |= {i["id"] for i in r.json()["items"]}
    return len(ids), requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vacancies", type=int, default=50_000)
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    end = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    market = Market.uniform(args.vacancies, end, args.days, area="1", role="96", seed=args.seed)
    fake = Fake(market, Clock(end), tokens={"bench-token"})
    truth = fake.active_ids()
    with fake.serve() as server, tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        report = collect_hh(
            Query.build(roles=["96"], areas=["1"]),
            db=Path(tmp) / "bench.duckdb",
            api_url=server.url,
            user_agent=AGENT,
            politeness=Politeness(rate=10_000),
            environ={"TALENTFLOW_HH_TOKEN": "bench-token"},
            clock=fake.clock.now,
        )
        seconds = time.perf_counter() - t0
        import duckdb

        with duckdb.connect(str(Path(tmp) / "bench.duckdb"), read_only=True) as con:
            got = {r[0] for r in con.execute("SELECT DISTINCT vacancy_id FROM vacancy_observation").fetchall()}
        naive_ids, naive_requests = naive(server.url, "bench-token")
    oracle = oracle_requests(len(truth))
    print(
        f"market: {len(truth):,} active vacancies in one area and role ({len(truth) / 2000:.0f}x the cap), "
        f"seed {args.seed}"
    )
    print(
        f"collect:  retrieved {len(got & truth) / len(truth):.2%} of the ids (extra {len(got - truth)}), "
        f"coverage reported {report.coverage:.2%}, {report.slices} slices ({report.split}), "
        f"{(report.truncated and len(report.truncated)) or 0} truncated, {seconds:.1f} s"
    )
    print(f"requests: collect {report.requests:,}, oracle {oracle:,}: ratio {report.requests / oracle:.3f}")
    print(f"naive pager: {naive_ids:,} ids in {naive_requests} requests, coverage {naive_ids / len(truth):.2%}")


if __name__ == "__main__":
    main()
