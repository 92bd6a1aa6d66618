"""Every input of the corpus (corpus.py) through `talentflow ingest`: exit 0 with every record counted, or exit 2
with a message naming the input and the store as it was; never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from corpus import LINE_LIMIT, Case, cases

from talentflow import Store

CASES = cases()


def test_the_corpus_is_large_and_named_once():
    names = [c.name for c in CASES]
    assert len(names) >= 150
    assert len(set(names)) == len(names)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """An empty store, copied for each case (creating one costs more than the ingest of a small input)."""
    db = tmp_path_factory.mktemp("template") / "store.duckdb"
    Store(db).close()
    return db


def _state(db: Path) -> tuple:
    with Store(db, read_only=True) as store:
        log = store.con.execute("SELECT count(*) FROM ingest_log").fetchone()
        return tuple(sorted(store.counts().items())), log


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus(case: Case, tmp_path, template, cli, monkeypatch):
    monkeypatch.setenv("TALENTFLOW_MAX_LINE_BYTES", str(LINE_LIMIT))
    path = case.write(tmp_path)
    db = tmp_path / "store.duckdb"
    shutil.copy(template, db)
    before = _state(db)
    result = cli.runner.invoke(cli_app(), ["ingest", str(path), "--db", str(db), "--json", *case.args])
    assert result.exit_code in case.codes, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert result.stderr.startswith("error: "), result.stderr
        assert path.name in result.stderr or str(path) in result.stderr, result.stderr
        assert _state(db) == before
        return
    summary = json.loads(result.stdout)
    for counted in (summary, *summary["inputs"]):
        assert counted["read"] == counted["accepted"] + counted["duplicates"] + counted["quarantined"], counted
    if case.read is not None:
        assert summary["read"] == case.read, summary
    with Store(db, read_only=True) as store:
        (quarantined,) = store.con.execute("SELECT count(*) FROM quarantine").fetchone()
        logged = store.con.execute("SELECT coalesce(sum(read), 0) FROM ingest_log").fetchone()
    assert quarantined == summary["quarantined"]
    assert logged == (sum(i["read"] for i in summary["inputs"] if i["format"]),)


def cli_app():
    from talentflow.cli import app

    return app
