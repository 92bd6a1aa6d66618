"""Accounting, idempotence, atomicity and UTC timestamps, on generated hh.ru-shaped input."""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from talentflow import Store, ingest
from talentflow.testing import vacancy, write_vacancies


def test_accounting_per_input_and_in_total(tmp_path, db, cli):
    a = tmp_path / "a.ndjson"
    b = tmp_path / "b.ndjson.gz"
    a.write_text("".join(json.dumps(vacancy(i)) + "\n" for i in [1, 2, 3, 3, 4]) + "{broken\n")
    with gzip.open(b, "wt") as f:
        f.write("".join(json.dumps(vacancy(i)) + "\n" for i in [4, 5, 6]))
    summary = cli.json("ingest", a, b, "--db", db)
    rows = [(i["read"], i["accepted"], i["duplicates"], i["quarantined"]) for i in summary["inputs"]]
    assert rows == [(6, 4, 1, 1), (3, 2, 1, 0)]
    assert (summary["read"], summary["accepted"], summary["duplicates"], summary["quarantined"]) == (
        9,
        6,
        2,
        1,
    )
    with Store(db) as store:
        assert store.counts()["vacancy_observation"] == 6
        logged = store.con.execute(
            "SELECT sum(read), sum(accepted), sum(duplicates), sum(quarantined) FROM ingest_log"
        ).fetchone()
    assert logged == (9, 6, 2, 1)


def test_second_ingest_changes_nothing_and_reports_all_duplicates(tmp_path, db, cli):
    path = tmp_path / "v.ndjson"
    path.write_text("".join(json.dumps(vacancy(i)) + "\n" for i in range(50)) + "not json\n")
    first = cli.json("ingest", path, "--db", db)
    with Store(db) as store:
        before = store.snapshot()
    second = cli.json("ingest", path, "--db", db)
    with Store(db) as store:
        assert store.snapshot() == before
    assert (first["accepted"], first["quarantined"]) == (50, 1)
    assert (second["read"], second["accepted"], second["duplicates"], second["quarantined"]) == (51, 0, 51, 0)
    # Reading the bytes again finds every record, quarantined ones included, already stored.
    forced = cli.json("ingest", path, "--force", "--db", db)
    assert (forced["read"], forced["duplicates"]) == (51, 51)
    with Store(db) as store:
        after = store.snapshot()
    assert {k: v for k, v in after.items() if k != "ingest_log"} == {
        k: v for k, v in before.items() if k != "ingest_log"
    }


def test_timestamps_are_stored_in_utc(tmp_path, db):
    path = tmp_path / "v.json"
    path.write_text(json.dumps(vacancy(1, published_at="2022-10-15T01:01:22+0300", observed_at=None)))
    ingest([path], db=db)
    with Store(db) as store:
        row = store.table("vacancy_observation").select("published_at", "observed_at", "observed_basis").execute()
    assert row["published_at"][0] == datetime(2022, 10, 14, 22, 1, 22, tzinfo=UTC)
    assert row["observed_at"][0] == row["published_at"][0]
    assert row["observed_basis"][0] == "published_at"


def test_gzip_and_plain_give_the_same_store(tmp_path):
    plain = write_vacancies(tmp_path / "v.ndjson", 500)
    packed = write_vacancies(tmp_path / "v.ndjson.gz", 500)
    ingest([plain], db=tmp_path / "a.duckdb")
    ingest([packed], db=tmp_path / "b.duckdb")
    with Store(tmp_path / "a.duckdb") as a, Store(tmp_path / "b.duckdb") as b:
        assert a.snapshot()["vacancy_observation"] == b.snapshot()["vacancy_observation"]
        assert a.counts()["vacancy_observation"] == 500


_RUNNER = """
import sys, time
from talentflow import ingest

def hook(event, payload):
    if event in ("start", "done"):
        print(event, time.monotonic(), flush=True)

ingest([sys.argv[1]], db=sys.argv[2], progress=hook)
"""


def _run_ingest(path: Path, db: Path, kill_after: float | None = None) -> tuple[float, int]:
    """Run an ingest in a child process; SIGKILL it ``kill_after`` seconds after it starts reading.

    With ``kill_after``, returns (-1, returncode) when the ingest had committed ("done") before the kill landed.
    """
    proc = subprocess.Popen([sys.executable, "-c", _RUNNER, str(path), str(db)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    event, started = proc.stdout.readline().split()
    assert event == "start"
    if kill_after is not None:
        time.sleep(kill_after)
        if proc.poll() is not None:  # a faster run than the measured one finished first: try earlier
            proc.wait()
            return -1.0, proc.returncode
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        committed = "done" in proc.stdout.read()
        return (-1.0 if committed else kill_after), proc.returncode
    event, finished = proc.stdout.readline().split()
    assert event == "done"
    proc.wait()
    return float(finished) - float(started), proc.returncode


@pytest.fixture(scope="module")
def big_input(tmp_path_factory) -> Path:
    return write_vacancies(tmp_path_factory.mktemp("big") / "big.ndjson", 300_000, seed=1)


@pytest.mark.slow
@pytest.mark.parametrize("fraction", [0.3, 0.85])
def test_sigkill_part_way_leaves_the_store_as_it_was(tmp_path, db, big_input, fraction):
    seed = tmp_path / "seed.ndjson"
    seed.write_text("".join(json.dumps(vacancy(i)) + "\n" for i in range(10)))
    ingest([seed], db=db)
    with Store(db) as store:
        before = store.snapshot()
    # How long reading and storing takes here, measured on a copy of the store.
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(db.read_bytes())
    elapsed, code = _run_ingest(big_input, copy)
    assert code == 0

    # On a busy machine this run can be faster than the measured one and commit before the kill lands (the
    # hook reports "done" after the commit); then the kill is tried again, earlier, on the store as it was.
    pristine = db.read_bytes()
    wal = Path(f"{db}.wal")
    for attempt in range(3):
        kill_after, code = _run_ingest(big_input, db, kill_after=fraction * elapsed * 0.7**attempt)
        if kill_after >= 0:
            break
        wal.unlink(missing_ok=True)
        db.write_bytes(pristine)
    assert kill_after >= 0, "the ingest committed before every kill"

    assert code == -signal.SIGKILL
    with Store(db) as store:
        assert store.snapshot() == before
    report = ingest([big_input], db=db)
    # The seed's ten vacancies are also in the big input, seen at the same time.
    assert (report.read, report.accepted, report.duplicates, report.quarantined) == (300_000, 299_990, 10, 0)
