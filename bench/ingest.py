"""Ingest speed: `talentflow ingest` against DuckDB's own JSON reader on the same file, in one process.

    python bench/ingest.py                 # 1,000,000 hh.ru-shaped vacancies
    python bench/ingest.py --rows 200000 --repeat 3

Both sides load the NDJSON into a table of a DuckDB file on disk and commit. The baseline only parses and
stores (explicit columns, no checks, no deduplication, no quarantine); talentflow also checks every record,
maps areas to countries, removes duplicates and keeps the ingest log. Prints rows/s for both and the ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb

from talentflow.cli import app
from talentflow.testing import write_vacancies

BASELINE_COLUMNS = {
    "id": "VARCHAR",
    "name": "VARCHAR",
    "area": "STRUCT(id VARCHAR, name VARCHAR)",
    "salary": 'STRUCT("from" DOUBLE, "to" DOUBLE, currency VARCHAR, gross BOOLEAN)',
    "published_at": "TIMESTAMPTZ",
    "created_at": "TIMESTAMPTZ",
    "archived": "BOOLEAN",
    "employer": "STRUCT(id VARCHAR, name VARCHAR)",
    "schedule": "STRUCT(id VARCHAR)",
    "professional_roles": "STRUCT(id VARCHAR)[]",
    "experience": "STRUCT(id VARCHAR)",
    "employment": "STRUCT(id VARCHAR)",
    "observed_at": "TIMESTAMPTZ",
}


def duckdb_raw_load(path: Path, db: Path) -> float:
    columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in BASELINE_COLUMNS.items()) + "}"
    start = time.perf_counter()
    con = duckdb.connect(str(db))
    con.execute(f"CREATE TABLE raw AS SELECT * FROM read_json('{path}', format='newline_delimited', columns={columns})")
    con.close()
    return time.perf_counter() - start


def talentflow_ingest(path: Path, db: Path) -> float:
    start = time.perf_counter()
    app(["ingest", str(path), "--db", str(db), "--json"], standalone_mode=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best is kept")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = work / "vacancies.ndjson"
        t = time.perf_counter()
        write_vacancies(path, args.rows)
        print(
            f"generated {args.rows:,} vacancies ({path.stat().st_size / 1e6:,.0f} MB) "
            f"in {time.perf_counter() - t:.1f} s"
        )
        best_tf = best_raw = float("inf")
        for i in range(args.repeat):
            best_raw = min(best_raw, duckdb_raw_load(path, work / f"raw{i}.duckdb"))
            best_tf = min(best_tf, talentflow_ingest(path, work / f"tf{i}.duckdb"))
        with duckdb.connect(str(work / "tf0.duckdb"), read_only=True) as con:
            stored = con.execute("SELECT count(*) FROM vacancy_observation").fetchone()[0]
        assert stored == args.rows, f"talentflow stored {stored:,} of {args.rows:,} rows"
    raw_rate, tf_rate = args.rows / best_raw, args.rows / best_tf
    print(f"duckdb read_json raw load: {best_raw:6.2f} s  {raw_rate:10,.0f} rows/s")
    print(f"talentflow ingest:         {best_tf:6.2f} s  {tf_rate:10,.0f} rows/s")
    print(f"ratio talentflow / duckdb: {tf_rate / raw_rate:.2f}x  (goal >= 0.50x)")


if __name__ == "__main__":
    main()
