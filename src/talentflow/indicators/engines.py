"""Where indicators run: the embedded DuckDB store, or Spark over Parquet copies of the store's tables.

Both hand out Ibis tables with the same names and columns, so an indicator is written once.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ibis
import pandas as pd

from talentflow import model
from talentflow.errors import StoreError, UsageError
from talentflow.indicators._export import TABLES, read_files
from talentflow.indicators.params import DEFAULT_SPARK_MASTER, ENGINES
from talentflow.indicators.provenance import MARKED, WHERE, check_data, of_kind
from talentflow.store import Store


class Engine:
    name: str = ""

    def table(self, name: str) -> Any:
        raise NotImplementedError

    def table_of(self, name: str, data: str) -> Any:
        """Table ``name`` with only the records of kind ``data`` (real or simulated; see ``provenance``)."""
        return of_kind(self.table(name), name, data)

    def execute(self, expr: Any) -> pd.DataFrame:
        return expr.to_pandas()

    def last_by(self, arg: Any, key: Any) -> Any:
        """Aggregate: ``arg`` on the row with the greatest ``key``, NULL when that row's ``arg`` is NULL."""
        return arg.argmax(key)

    def close(self) -> None:
        """Release what the engine opened."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DuckDBEngine(Engine):
    """The store itself, read through Ibis on its DuckDB connection."""

    name = "duckdb"

    def __init__(self, store: Store, *, own: bool = False) -> None:
        self.store = store
        self._own = own

    @classmethod
    def open(cls, db: str | os.PathLike[str] | None) -> DuckDBEngine:
        return cls(Store(db, read_only=True), own=True)

    def table(self, name: str) -> Any:
        return self.store.table(name)

    def table_of(self, name: str, data: str) -> Any:
        # A view, not a filter in the expression: Ibis writes a filtered table that a query reads twice as a CTE,
        # which DuckDB materialises (docs/performance.md), while it plans each reference to a view on its own,
        # the filter pushed into the scan. New vacancies per month on 5M sightings: 0.72 s filtered, 0.45 s
        # through the view, as on the bare table. A temporary view is allowed on a read-only store.
        if name not in MARKED:
            return super().table_of(name, data)
        if data == "real" and not self._holds_simulated(name):
            # Nothing to leave out: the bare table (the filter cost a fifth of the time on 10M sightings).
            return self.table(name)
        view = f"tf_{name}_{check_data(data)}"
        self.store.con.execute(f"CREATE TEMP VIEW IF NOT EXISTS {view} AS SELECT * FROM {name} WHERE {WHERE[data]}")
        return self.store.ibis.table(view)

    def _holds_simulated(self, name: str) -> bool:
        found = self.store.con.execute(f"SELECT 1 FROM {name} WHERE {WHERE['simulated']} LIMIT 1").fetchone()
        return found is not None

    def last_by(self, arg: Any, key: Any) -> Any:
        # Ibis writes argmax as first(arg ORDER BY key DESC), an ordered aggregate that DuckDB buffers per group;
        # arg_max_null gives the same value (a NULL arg included) without it: 0.28 s against 0.40 s for two
        # such aggregates over 10M sightings.
        return _arg_max_null(arg.type(), key.type())(arg, key)

    def close(self) -> None:
        if self._own:
            self.store.close()


@functools.cache
def _arg_max_null(arg: Any, key: Any) -> Any:
    def arg_max_null(arg: Any, key: Any) -> Any:
        """DuckDB's arg_max_null."""

    return ibis.udf.agg.builtin(arg_max_null, signature=((arg, key), arg))


def export_parquet(db: str | os.PathLike[str] | None, folder: Path | None = None) -> Path:
    """The store's tables as Parquet in ``folder`` (default: ``<store>.parquet/`` beside it), brought up to date:
    partitioned by source and month, only the ingests not yet exported written (``_export``)."""
    from talentflow.indicators._export import export

    return export(db, folder).folder


def spark_session(
    master: str = DEFAULT_SPARK_MASTER,
    *,
    shuffle_partitions: int | None = None,
    conf: Mapping[str, str] | None = None,
) -> Any:
    """A Spark session set up as ``../shared/STACK.md`` found to work: UTC, loopback, few shuffle partitions on
    one machine (``shuffle_partitions``; by default 4 in local mode, Spark's own on a cluster); ``conf``: more
    Spark settings (e.g. ``spark.executor.memory``)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError("the Spark engine needs PySpark: pip install 'talentflow[spark]'") from None
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = (
        SparkSession.builder.master(master)
        .appName("talentflow")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if shuffle_partitions is None and master.startswith("local"):
        # The default 200 shuffle partitions cost more than they split on one machine.
        shuffle_partitions = 4
    if shuffle_partitions is not None:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    if not master.startswith("local"):
        # Executors run Python with the driver's interpreter (PySpark takes it from PYSPARK_PYTHON, else runs
        # `python3` from the executors' PATH) and import talentflow from where the driver does (a function
        # shipped to them is pickled by reference to its module).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        package = Path(__file__).resolve().parents[2]
        builder = builder.config("spark.executorEnv.PYTHONPATH", str(package))
    for key, setting in (conf or {}).items():
        builder = builder.config(key, setting)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkEngine(Engine):
    """Parquet copies of the store's tables, read as temporary views on a Spark session."""

    name = "spark"

    def __init__(self, folder: Path, session: Any, *, own: bool = False) -> None:
        self.session = session
        self.con = ibis.pyspark.connect(session)
        # Parquet carries NULLs, but in-memory tables from pandas would bring NaN, which Spark keeps as NaN.
        ibis.options.pyspark.treat_nan_as_null = True
        self._own = own
        self._tables = {}
        # Views are named for the folder they read: two engines on one session (a Spark session is shared by
        # the whole process) must not replace each other's tables.
        folder = folder.resolve()
        tag = hashlib.sha1(str(folder).encode()).hexdigest()[:12]
        listed = read_files(folder)
        for name in TABLES:
            # Absolute paths: executors on a cluster run in folders of their own. Only the files the manifest
            # lists: an export under way or one that crashed may have left others.
            paths = listed[name] if listed is not None else [folder / f"{name}.parquet"]
            if not all(p.exists() for p in paths):
                raise StoreError(f"{folder}: no Parquet export of {name} here (see `export_parquet`)")
            frame = session.read.parquet(*(str(p) for p in paths)).select(*model.BY_NAME[name].column_names)
            view = f"tf_{name}_{tag}"
            frame.createOrReplaceTempView(view)
            self._tables[name] = self.con.table(view)

    @classmethod
    def open(cls, db: str | os.PathLike[str] | None, master: str = DEFAULT_SPARK_MASTER) -> SparkEngine:
        folder = Path(db) if db is not None and Path(db).is_dir() else export_parquet(db)
        return cls(folder, spark_session(master), own=True)

    def table(self, name: str) -> Any:
        return self._tables[name]

    def close(self) -> None:
        if self._own:
            self.session.stop()


def open_engine(engine: str, db: str | os.PathLike[str] | None, *, spark_master: str = DEFAULT_SPARK_MASTER) -> Engine:
    """``duckdb`` reads the store; ``spark`` reads Parquet (a folder given as ``db``, or the store's export)."""
    if engine == "duckdb":
        if db is not None and Path(db).is_dir():
            raise UsageError(f"{db} is a folder: the duckdb engine reads a store file")
        return DuckDBEngine.open(db)
    if engine == "spark":
        return SparkEngine.open(db, spark_master)
    raise UsageError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}", param="engine")
