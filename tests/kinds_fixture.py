"""Stores holding real data, simulated data, or both, for the tests that one kind never counts in the other.

The simulated records are `talentflow simulate`'s output (marked, source `simulator`). The real ones are another
simulation's output with its mark taken off: records a board could have shown, with moves between countries for
the panel to find, which the store keeps as observed (source `hh.ru`). Three stores from the same files: `real`
(the real records only), `simulated` (the simulated ones only) and `mixed` (both); a query of one kind on `mixed`
must give what the same query gives on the store holding that kind alone.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

from talentflow import Store, ingest
from talentflow.claims import builtin_claims, store_claims
from talentflow.simulate import load_scenario, simulate

#: The simulated market and the one standing in for a real board: other seeds, so other records and counts.
SIMULATED_SEED = 5
REAL_SEED = 11
SCALE = 0.001


@dataclass(frozen=True)
class Stores:
    real: Path
    simulated: Path
    mixed: Path
    sim_dir: Path


def unmarked(sim_dir: Path, out: Path) -> Path:
    """The simulator's board records in ``sim_dir`` without the simulator's mark, as a board's files."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("vacancies.ndjson.gz", "resumes.ndjson.gz"):
        with gzip.open(sim_dir / name, "rt", encoding="utf-8") as src, open(out / name[:-3], "w") as dst:
            for line in src:
                record = json.loads(line)
                del record["_simulated"]
                dst.write(json.dumps(record, ensure_ascii=False) + "\n")
    return out


def build(
    root: Path,
    *,
    claims: bool = True,
    scale: float = SCALE,
    simulated_seed: int = SIMULATED_SEED,
    real_seed: int = REAL_SEED,
) -> Stores:
    """The three stores under ``root``, each with the built-in claims when ``claims``: exodus-2022 at ``scale``
    simulated with ``simulated_seed``, and with ``real_seed`` for the records standing in for a real board."""
    scenario = load_scenario("exodus-2022")
    sim_dir = root / "sim"
    simulate(scenario, sim_dir, scale=scale, seed=simulated_seed)
    board = unmarked(simulate(scenario, root / "other-sim", scale=scale, seed=real_seed).out, root / "board")
    stores = Stores(root / "real.duckdb", root / "simulated.duckdb", root / "mixed.duckdb", sim_dir)
    for db, inputs in ((stores.real, [board]), (stores.simulated, [sim_dir]), (stores.mixed, [board, sim_dir])):
        report = ingest(inputs, db=db)
        assert report.quarantined == 0, report.to_dict()
        if claims:
            with Store(db) as store:
                store_claims(store, builtin_claims())
    with Store(stores.mixed, read_only=True) as store:
        kinds = store.con.execute(
            "SELECT provenance, source, count(*) FROM resume_observation GROUP BY ALL ORDER BY 1"
        ).fetchall()
    assert [k[:2] for k in kinds] == [("observed", "hh.ru"), ("simulated", "simulator")], kinds
    return stores
