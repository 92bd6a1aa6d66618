"""The Parquet export for Spark: partitioned by source and month, incremental by ingest, its state in a manifest;
and the standalone cluster's command line."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import market_fixture
import numpy as np
import pandas as pd
import pytest

from talentflow import Store, ingest
from talentflow._sql import literal
from talentflow.indicators import DuckDBEngine, Params, Segment, SparkEngine, compute_on
from talentflow.indicators._export import MANIFEST, TABLES, export, read_files
from talentflow.reference.areas import load_areas

CHECKS = {
    "tension": Params("month", (Segment("country"),), min_cell=0),
    "vacancies_active": Params("month", (Segment("country"), Segment("ai")), min_cell=0),
    "population_growth": Params("quarter", options={"lag": "4"}),
}


def _write(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def growing(tmp_path: Path):
    """A store holding the first half of a market's vacancies, its resumes and external series; then the rest."""
    rng = np.random.default_rng(3)
    vacancies = market_fixture.vacancies(rng, 900)
    first = tmp_path / "first"
    _write(first / "vacancies.ndjson", vacancies[:500])
    _write(first / "resumes.ndjson", market_fixture.resumes(rng, 700))
    market_fixture.external_files(first)
    later = _write(tmp_path / "later" / "vacancies.ndjson", vacancies[500:])
    db = tmp_path / "store.duckdb"
    with Store(db) as store:
        load_areas(store, market_fixture.TREE, "test tree")
        ingest([first], store=store)
    return db, later


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*.parquet")}


def _same_as_store(db: Path, folder: Path) -> None:
    """Every table read back from the files the manifest lists holds exactly the store's rows."""
    listed = read_files(folder)
    assert listed is not None
    con = duckdb.connect(str(db), read_only=True)
    for name in TABLES:
        files = ", ".join(literal(str(p)) for p in listed[name])
        columns = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()]
        order = ", ".join(columns)
        stored = con.execute(f"SELECT {order} FROM {name} ORDER BY ALL").df()
        read = con.execute(f"SELECT {order} FROM read_parquet([{files}]) ORDER BY ALL").df()
        assert len(stored) == len(read), name
        pd.testing.assert_frame_equal(stored, read, check_dtype=False)
    con.close()


def test_a_second_export_writes_only_the_new_ingest(growing, tmp_path):
    db, later = growing
    first = export(db)
    assert first.full and first.folder == db.with_name("store.duckdb.parquet").resolve()
    months = {p.parent.name for p in (first.folder / "vacancy_observation").rglob("*.parquet")}
    sources = {p.parent.parent.name for p in (first.folder / "resume_observation").rglob("*.parquet")}
    assert sources == {"source=hh.ru"} and "month=2022-03" in months and len(months) >= 20
    _same_as_store(db, first.folder)
    before = _files(first.folder)

    with Store(db) as store:
        ingest([later], store=store)
        (last,) = store.con.execute("SELECT max(ingest_id) FROM ingest_log").fetchone()
    second = export(db)
    assert (second.full, second.ingests) == (False, [last])
    after = _files(second.folder)
    # Every file of the first export is still there, unchanged; the new ones are the new ingest's vacancies.
    assert {k: after[k] for k in before} == before
    new = sorted(set(after) - set(before))
    assert new == sorted(second.written) and new
    assert all(f.startswith("vacancy_observation/source=hh.ru/month=") and "/e2_" in f for f in new)
    _same_as_store(db, second.folder)

    again = export(db)
    assert (again.full, again.ingests, again.written) == (False, [], [])
    assert _files(again.folder) == after


def test_an_export_starts_over_when_stored_records_were_rewritten_or_removed(growing, tmp_path):
    db, later = growing
    folder = tmp_path / "export"
    export(db, folder)
    # Reloading the area tree rewrites the country of stored records: everything is written again.
    tree = [*market_fixture.TREE, {"id": "9", "name": "Армения", "areas": []}]
    with Store(db) as store:
        load_areas(store, tree, "a larger tree")
    redone = export(db, folder)
    assert redone.full and all("/e2_" in f or f.startswith(("population/e2", "series/e2")) for f in redone.written)
    assert not [f for f in _files(folder) if "e1_" in f]
    # A store rebuilt at the same path (its first ingest now another file) is another store's history.
    db.unlink()
    with Store(db) as store:
        ingest([later], store=store)
    rebuilt = export(db, folder)
    assert rebuilt.full
    _same_as_store(db, folder)
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["exports"] == 3 and list(manifest["ingests"]) == ["1"]


@pytest.mark.cluster
def test_spark_on_an_incremental_export_equals_duckdb_on_the_store(growing, spark_local):
    db, later = growing
    export(db)
    with Store(db) as store:
        ingest([later], store=store)
    folder = export(db).folder
    spark = SparkEngine(folder, spark_local)
    with DuckDBEngine.open(db) as duck:
        for name, params in CHECKS.items():
            a = compute_on(duck, name, params).frame
            b = compute_on(spark, name, params).frame
            assert len(a) > 0 and a.select_dtypes("number").fillna(0).ne(0).any().any()
            pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9)


def test_cluster_status_and_down_when_none_runs(tmp_path, cli):
    folder = tmp_path / "cluster"
    status = cli.json("cluster", "status", "--dir", folder, "--port", "45123", "--ui-port", "45124")
    assert status["running"] is False and status["workers_alive"] == 0 and status["processes"] == []
    assert status["master"] == "spark://127.0.0.1:45123"
    assert cli.json("cluster", "down", "--dir", folder)["stopped"] == []
    bad = cli("cluster", "up", "--dir", folder, "--workers", "0", code=2)
    assert "--workers: 0 workers" in bad.output
    bad = cli("cluster", "up", "--dir", folder, "--memory", "lots", code=2)
    assert "--memory" in bad.output


@pytest.mark.parametrize("command", ["up", "status", "down"])
def test_cluster_commands_have_help_with_examples(cli, command):
    out = cli("cluster", command, "--help").stdout
    assert "Examples" in out and f"talentflow cluster {command}" in out


def test_cluster_up_refuses_a_port_in_use(tmp_path, cli):
    import socket

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        bad = cli("cluster", "up", "--dir", tmp_path, "--port", str(port), "--ui-port", "45200", code=2)
    assert f"--port: port {port} on 127.0.0.1 is in use" in bad.output
    assert not list(tmp_path.glob("pids/*.pid"))
