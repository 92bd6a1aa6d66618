"""Ctrl-C and SIGKILL at random moments of `talentflow ingest`: the store is as it was or fully committed, and on
Ctrl-C the command exits with 130 and says which, in one line."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from talentflow import Store, ingest
from talentflow.testing import vacancy, write_vacancies

SRC = Path(__file__).resolve().parents[1] / "src"

# The command line itself, started from a script that says when its imports are done: an interrupt before that
# is Python's, not talentflow's.
NOTHING_STORED = (
    "interrupted: nothing was stored (the store is as it was)",
    "interrupted before the command began: nothing was done",  # while its options were still being parsed
)
_RUNNER = "import sys; from talentflow.cli import main; print('ready', flush=True); main()"


def _child_env() -> dict[str, str]:
    """The environment of a child command line: this one, importing talentflow from the source tree."""
    return {**os.environ, "PYTHONPATH": str(SRC)}


def _state(db: Path) -> dict[str, Any]:
    with Store(db, read_only=True) as store:
        snapshot = store.snapshot()
        snapshot["ingest_log"] = store.con.execute(
            "SELECT ingest_id, sha256, read, accepted, duplicates, quarantined FROM ingest_log ORDER BY 1"
        ).fetchall()
    return snapshot


def _start(data: Path, db: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _RUNNER, "ingest", str(data), "--db", str(db), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_child_env(),
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


@pytest.fixture(scope="module")
def setting(tmp_path_factory) -> dict[str, Any]:
    """A store with a few records, an input that takes a second or so to ingest, and the two states a store may
    be left in: as it was, and with the input committed."""
    root = tmp_path_factory.mktemp("interrupts")
    seed = root / "seed.ndjson"
    seed.write_text("".join(json.dumps(vacancy(i)) + "\n" for i in range(10)))
    db = root / "before.duckdb"
    ingest([seed], db=db)
    # Some bad records, so that the ingest stages, quarantines and locates: every phase can be interrupted.
    data = write_vacancies(root / "input.ndjson", 8_000, seed=3)
    with open(data, "a") as f:
        f.write("not json\n" + json.dumps(vacancy(1, salary={"from": "NaN", "currency": "RUR"})) + "\n")
    after = root / "after.duckdb"
    shutil.copy(db, after)
    started = time.monotonic()
    proc = _start(data, after)
    out, _ = proc.communicate()
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, out
    return {"db": db, "data": data, "before": _state(db), "after": _state(after), "elapsed": elapsed}


def _trial(setting: dict[str, Any], tmp: Path, sig: int, delay: float) -> tuple[int, str, str]:
    """Signal an ingest ``delay`` seconds after its imports; (exit code, last line of stderr, state) after."""
    db = tmp / "store.duckdb"
    for leftover in (db, Path(f"{db}.wal")):
        leftover.unlink(missing_ok=True)
    shutil.copy(setting["db"], db)
    proc = _start(setting["data"], db)
    time.sleep(delay)
    proc.send_signal(sig)
    _, err = proc.communicate()
    state = _state(db)
    which = "before" if state == setting["before"] else "after" if state == setting["after"] else "neither"
    lines = err.strip().splitlines()
    return proc.returncode, lines[-1] if lines else "", which


@pytest.mark.slow
def test_ctrl_c_exits_130_and_says_whether_anything_was_stored(setting, tmp_path):
    rng = random.Random(15)
    for _ in range(5):
        delay = rng.uniform(0.0, setting["elapsed"] * 1.1)
        code, last, which = _trial(setting, tmp_path, signal.SIGINT, delay)
        assert which in ("before", "after"), (delay, code, last)
        if code == 0:  # finished before the signal landed
            assert which == "after"
            continue
        assert code == 130, (delay, code, last)
        assert "Traceback" not in last
        if which == "before":
            assert last in NOTHING_STORED, (delay, last)
        else:
            assert last.startswith("interrupted after the commit: the ingest was stored"), (delay, last)


@pytest.mark.slow
def test_sigkill_at_random_moments_leaves_the_store_as_it_was_or_committed(setting, tmp_path):
    rng = random.Random(20)
    outcomes = []
    for _ in range(20):
        delay = rng.uniform(0.0, setting["elapsed"] * 1.1)
        code, _, which = _trial(setting, tmp_path, signal.SIGKILL, delay)
        assert which in ("before", "after"), (delay, code)
        assert code in (0, -signal.SIGKILL)
        # A kill after the commit leaves it committed; before, nothing of it.
        outcomes.append(which)
    assert "before" in outcomes  # the trials did reach the ingest before its end


# Ctrl-C at the one moment a timed trial rarely hits: while pandas is being imported. DuckDB imports it from C++ on
# a store's first query with parameters, where an interrupt was swallowed and pandas left half imported.
_CTRL_C_IN_PANDAS = """
import os, signal, sys
class _CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == "pandas.core":
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, _CtrlC())
from talentflow.cli import main
main()
"""


def test_ctrl_c_while_pandas_is_imported_is_an_interrupt(setting, tmp_path):
    db = tmp_path / "store.duckdb"
    shutil.copy(setting["db"], db)
    done = subprocess.run(
        [sys.executable, "-c", _CTRL_C_IN_PANDAS, "ingest", str(setting["data"]), "--db", str(db), "--json"],
        capture_output=True,
        text=True,
        env=_child_env(),
        timeout=120,
    )
    assert done.returncode == 130, done.stderr[-2000:]
    assert done.stderr.strip().splitlines()[-1] in NOTHING_STORED
    assert "Traceback" not in done.stderr
    assert _state(db) == setting["before"]
