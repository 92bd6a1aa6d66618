"""Benchmark: three monthly indicators through talentflow, hand-written DuckDB SQL, pandas and Spark.

Generates N vacancy observations inside DuckDB (5 weekly sightings per vacancy, 2020-2024, 8 countries, salaries in
RUB, a fifth archived), then times monthly active stock, new vacancies per month and median salary by country
and month. Each path computes the same definitions; the results are checked equal before the times count.

    .venv/bin/python bench/indicators.py --rows 10000000
    .venv/bin/python bench/indicators.py --rows 1000000 --no-spark
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _timing import best

from talentflow import Store
from talentflow.indicators import DuckDBEngine, Params, Segment, SparkEngine, compute_on, export_parquet
from talentflow.indicators.engines import spark_session
from talentflow.indicators.salary import monthly_factors

SIGHTINGS = 5
COUNTRIES = ["RU", "RU", "RU", "RU", "KZ", "BY", "GE", "AM"]

GENERATE = """
INSERT INTO vacancy_observation (source, vacancy_id, observed_at, observed_basis, is_it, employer_id, country,
    published_at, archived, archived_at, salary_from, salary_to, currency, salary_gross)
WITH v AS (
    SELECT i, hash(i) AS h, TIMESTAMPTZ '2020-01-01 09:00:00+00' + to_days((hash(i) % 1700)::INTEGER) AS published
    FROM range({n}) t(i)
)
SELECT 'bench', i::VARCHAR, published + to_days((k * 7 + (h >> 20) % 3)::INTEGER), 'record', true,
       ((h >> 8) % 50000)::VARCHAR, {countries}[(1 + (h >> 4) % {nc})::BIGINT], published,
       k = {last} AND (h >> 12) % 5 = 0,
       CASE WHEN k = {last} AND (h >> 12) % 5 = 0 THEN published + to_days((k * 7)::INTEGER) END,
       CASE WHEN (h >> 16) % 10 < 6 THEN 50000 + (h >> 24) % 300000 END,
       CASE WHEN (h >> 16) % 10 < 3 THEN 80000 + (h >> 24) % 300000 END,
       'RUB', true
FROM v, range({s}) s(k)
"""

HAND_LIVES = """
    lives AS (
        SELECT v.vacancy_id, v.country, v.opened, v.amount,
               CASE WHEN v.archived_at IS NOT NULL THEN greatest(v.archived_at, v.opened)
                    WHEN v.archived_seen IS NOT NULL THEN greatest(v.archived_seen, v.opened)
                    WHEN v.last_seen >= l.source_last THEN NULL
                    ELSE v.last_seen + 1 END AS closed
        FROM (
            SELECT source, vacancy_id, {segment}
                   min(least(published_at, observed_at))::DATE AS opened, max(observed_at)::DATE AS last_seen,
                   min(archived_at)::DATE AS archived_at,
                   min(observed_at) FILTER (WHERE archived)::DATE AS archived_seen,
                   arg_max(coalesce((salary_from + salary_to) / 2, salary_from, salary_to), observed_at) AS amount
            FROM vacancy_observation GROUP BY ALL
        ) v JOIN (SELECT source, max(observed_at)::DATE AS source_last FROM vacancy_observation GROUP BY 1) l
        USING (source)
    )
"""

HAND_ACTIVE = f"""
WITH {HAND_LIVES.format(segment="NULL AS country,")},
months AS (SELECT generate_series::DATE AS period FROM generate_series(DATE '{{first}}', DATE '{{last}}',
           INTERVAL 1 MONTH)),
ev AS (
    SELECT greatest(date_trunc('month', opened)::DATE, DATE '{{first}}') AS period, 1 AS d FROM lives
    UNION ALL
    SELECT greatest(date_trunc('month', closed)::DATE, DATE '{{first}}'), -1 FROM lives
    WHERE closed IS NOT NULL AND closed <= last_day(DATE '{{last}}')
),
deltas AS (SELECT period, sum(d) AS d FROM ev GROUP BY 1)
SELECT m.period, sum(coalesce(d, 0)) OVER (ORDER BY m.period) AS vacancies
FROM months m LEFT JOIN deltas USING (period) ORDER BY 1
"""

HAND_NEW = f"""
WITH {HAND_LIVES.format(segment="NULL AS country,")}
SELECT date_trunc('month', opened)::DATE AS period, count(*) AS vacancies FROM lives GROUP BY 1 ORDER BY 1
"""

HAND_SALARY = f"""
WITH {HAND_LIVES.format(segment="country,")}
SELECT date_trunc('month', opened)::DATE AS period, country, median(amount * f.factor) AS median
FROM lives LEFT JOIN tf_factors f ON f.month = date_trunc('month', opened)::DATE AND f.currency = 'RUB'
GROUP BY ALL ORDER BY 1, 2
"""


def talentflow_run(engine: Any) -> list[pd.DataFrame]:
    month = Params("month", min_cell=0)
    return [
        compute_on(engine, "vacancies_active", month).frame,
        compute_on(engine, "vacancies_new", month).frame,
        compute_on(
            engine, "salary", Params("month", (Segment("country"),), min_cell=0, options={"basis": "published"})
        ).frame,
    ]


def hand_run(con: Any, first: str, last: str) -> list[pd.DataFrame]:
    return [
        con.execute(HAND_ACTIVE.format(first=first, last=last)).df(),
        con.execute(HAND_NEW).df(),
        con.execute(HAND_SALARY).df(),
    ]


def pandas_run(obs: pd.DataFrame, factors: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> list[Any]:
    obs = obs.assign(amount=obs.salary_from.add(obs.salary_to).div(2).fillna(obs.salary_from).fillna(obs.salary_to))
    obs = obs.assign(start=obs[["published_at", "observed_at"]].min(axis=1))
    obs = obs.sort_values("observed_at")
    g = obs.groupby(["source", "vacancy_id"], sort=False)
    lives = pd.DataFrame(
        {
            "country": g.country.last(),
            "opened": g.start.min().dt.floor("D"),
            "last_seen": g.observed_at.max().dt.floor("D"),
            "archived_at": g.archived_at.min().dt.floor("D"),
            "archived_seen": obs[obs.archived].groupby(["source", "vacancy_id"]).observed_at.min().dt.floor("D"),
            "amount": g.amount.last(),
        }
    )
    source_last = obs.observed_at.max().floor("D")
    closed = lives.archived_at.fillna(lives.archived_seen)
    closed = closed.where(closed.isna(), np.maximum(closed, lives.opened))
    censored = lives.last_seen >= source_last
    closed = closed.fillna(lives.last_seen.where(~censored) + pd.Timedelta(days=1))
    months = pd.date_range(first, last, freq="MS", tz="UTC")
    month_of = lambda s: s.dt.tz_localize(None).dt.to_period("M").dt.to_timestamp().dt.tz_localize("UTC")  # noqa: E731
    opened_m = month_of(lives.opened).clip(lower=months[0])
    closed_m = month_of(closed.dropna()).clip(lower=months[0])
    closed_m = closed_m[closed.dropna() <= months[-1] + pd.offsets.MonthEnd(0)]
    active = (
        opened_m.value_counts().reindex(months, fill_value=0) - closed_m.value_counts().reindex(months, fill_value=0)
    ).cumsum()
    new = month_of(lives.opened).value_counts().sort_index()
    lives = lives.assign(month=month_of(lives.opened))
    f = factors[factors.currency == "RUB"].set_index("month").factor
    lives = lives.assign(value=lives.amount * lives.month.dt.tz_localize(None).map(f).to_numpy())
    median = lives.groupby(["month", "country"]).value.median()
    return [active, new, median]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000, help="vacancy observations to generate")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-spark", action="store_true")
    ap.add_argument("--no-pandas", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="tf-bench-") as work:
        run(args, Path(work) / "bench.duckdb")


def run(args: argparse.Namespace, db: Path) -> None:
    start = time.perf_counter()
    with Store(db) as store:
        n = args.rows // SIGHTINGS
        countries = "[" + ", ".join(f"'{c}'" for c in COUNTRIES) + "]"
        store.con.execute(GENERATE.format(n=n, s=SIGHTINGS, last=SIGHTINGS - 1, countries=countries, nc=len(COUNTRIES)))
        (rows,) = store.con.execute("SELECT count(*) FROM vacancy_observation").fetchone()  # type: ignore[misc]
    print(f"generated {rows:,} observations of {n:,} vacancies in {time.perf_counter() - start:.1f} s ({db})")

    with Store(db, read_only=True) as store:
        engine = DuckDBEngine(store)
        t_tf, tf = best(lambda: talentflow_run(engine), args.repeat)
        first, last = str(tf[0].period.iloc[0]), str(tf[0].period.iloc[-1])
        store.con.register("tf_factors", monthly_factors("RUB").to_pandas())
        t_sql, sql = best(lambda: hand_run(store.con, first, last), args.repeat)
        assert tf[0].vacancies.astype(int).tolist() == sql[0].vacancies.astype(int).tolist(), "active stock differs"
        assert tf[1].vacancies.astype(int).sum() == sql[1].vacancies.sum(), "new vacancies differ"
        assert np.allclose(tf[2]["median"].astype(float), sql[2]["median"], rtol=1e-9), "medians differ"
        print(
            f"talentflow (Ibis on DuckDB): {t_tf:.2f} s   hand-written DuckDB SQL: {t_sql:.2f} s   "
            f"ratio {t_tf / t_sql:.2f}x (goal <= 1.5x)"
        )
        if not args.no_pandas:
            load = time.perf_counter()
            obs = store.con.execute(
                "SELECT source, vacancy_id, observed_at, published_at, archived, archived_at, country, "
                "salary_from, salary_to FROM vacancy_observation"
            ).df()
            factors = monthly_factors("RUB").to_pandas()
            factors["month"] = pd.to_datetime(factors["month"])
            print(f"pandas: loaded the table in {time.perf_counter() - load:.1f} s (not counted)")
            t_pd, pdres = best(
                lambda: pandas_run(obs, factors, pd.Timestamp(first), pd.Timestamp(last)), min(args.repeat, 2)
            )
            assert pdres[0].astype(int).tolist() == tf[0].vacancies.astype(int).tolist(), "pandas active differs"
            assert np.allclose(pdres[2].to_numpy(), tf[2]["median"].astype(float).to_numpy(), rtol=1e-9)
            print(f"pandas: {t_pd:.2f} s   talentflow is {t_pd / t_tf:.1f}x faster (goal >= 5x)")
            del obs
    if not args.no_spark:
        folder = export_parquet(db)
        session = spark_session()
        try:
            spark = SparkEngine(folder, session)
            warm = time.perf_counter()
            talentflow_run(spark)
            print(f"spark local[2]: first run {time.perf_counter() - warm:.1f} s")
            t_spark, sp = best(lambda: talentflow_run(spark), min(args.repeat, 2))
            assert sp[0].vacancies.astype(int).tolist() == tf[0].vacancies.astype(int).tolist()
            print(f"spark local[2] (same Ibis expressions, warm): {t_spark:.2f} s = {t_spark / t_tf:.1f}x DuckDB")
        finally:
            session.stop()


if __name__ == "__main__":
    main()
