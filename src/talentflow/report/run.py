"""`talentflow run`: the main job in one command — simulate (or take data), ingest, import the claims, estimate,
and write the report.

    >>> from talentflow.report.run import run
    >>> result = run("out", scenario="exodus-2022", scale=0.002, seed=1, n_boot=5)
    >>> result.report, result.ingest.read == result.ingest.accepted + result.ingest.duplicates
    (PosixPath('out/report.html'), True)
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from talentflow.claims.ledger import ImportReport, builtin_claims, store_claims
from talentflow.errors import UsageError
from talentflow.ingestion import IngestReport, ingest
from talentflow.report.build import build_report
from talentflow.report.data import ReportData
from talentflow.report.options import REPORT_N_BOOT, STEPS, Progress, ReportOptions
from talentflow.store import Store

STORE_NAME = "talentflow.duckdb"
REPORT_NAME = "report.html"
SIM_NAME = "sim"


@dataclass
class RunResult:
    out: Path
    store: Path
    report: Path
    simulation: Any | None  # talentflow.simulate.SimulationResult
    ingest: IngestReport
    claims: ImportReport
    data: ReportData
    seconds: dict[str, float] = field(default_factory=dict)


def run(
    out: str | os.PathLike[str],
    *,
    scenario: str | None = None,
    inputs: Sequence[str | os.PathLike[str]] = (),
    extra: Sequence[str | os.PathLike[str]] = (),
    areas: str | os.PathLike[str] | None = None,
    scale: float = 0.01,
    seed: int = 0,
    n_boot: int = REPORT_N_BOOT,
    model: str = ReportOptions.model,
    progress: Progress | None = None,
    data: Sequence[str | os.PathLike[str]] = (),
) -> RunResult:
    """Simulate ``scenario`` (or take the ``inputs``: files and directories), ingest it and the ``extra`` data into
    ``out/talentflow.duckdb``, import the built-in claims, and write ``out/report.html``.

    The simulated records keep the simulator's mark and the others are observed, so with real ``extra`` data the
    store holds both kinds and the report draws each apart. ``data`` is the old name of ``inputs``, kept for
    this release (``data`` names the kind of data, real or simulated, everywhere else).

    ``areas`` is an hh.ru area tree (GET /areas) loaded first, so that real records' areas map to countries.
    ``out`` must be new or empty: a run never mixes with an earlier one."""
    if data:
        warnings.warn("run(data=...) is now run(inputs=...)", DeprecationWarning, stacklevel=2)
        inputs = [*inputs, *data]
    if (scenario is None) == (not inputs):
        raise UsageError("give either a scenario to simulate or data to ingest (files or directories), not both")
    for path in (*inputs, *extra, *([areas] if areas else [])):
        if not Path(path).exists():
            raise UsageError(f"{path}: no such file or directory")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out}: must be a new or empty directory", param="out")
    progress = progress or Progress()
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def done(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = now - clock
        clock = now

    out.mkdir(parents=True, exist_ok=True)
    simulation = None
    sim_dir = None
    paths: list[Path] = [Path(p) for p in inputs]
    if scenario is not None:
        from talentflow import simulate as sim

        chosen = sim.load_scenario(scenario)
        progress.stage(f"simulating {chosen.name} (scale {scale}, seed {seed})", total=chosen.weeks())
        sim_dir = out / SIM_NAME
        simulation = sim.simulate(chosen, sim_dir, seed=seed, scale=scale, progress=lambda d, t: progress.update(d, t))
        paths = [sim_dir]
        done("simulate")

    store_path = out / STORE_NAME
    with Store(store_path) as store:
        if areas is not None:
            from talentflow.reference.areas import load_areas, read_tree

            progress.stage(f"loading the area tree {Path(areas).name}")
            load_areas(store, read_tree(Path(areas)), str(areas))
            done("areas")
        progress.stage(f"ingesting {len(paths) + len(extra)} input(s)", total=1.0)

        def hook(event: str, payload: Any) -> None:
            if event == "progress":
                progress.update(payload, 1.0)

        report = ingest([*paths, *map(Path, extra)], store=store, progress=hook)
        done("ingest")
        progress.stage("importing the built-in claims")
        claims = store_claims(store, builtin_claims())
        done("claims import")

        def step(key: str) -> None:
            progress.stage(f"report: {STEPS[key]}")

        options = ReportOptions(sim=sim_dir, seed=seed, n_boot=n_boot, model=model)
        report_path = out / REPORT_NAME
        gathered = build_report(report_path, store=store, options=options, step=step)
        done("estimates and report")
    return RunResult(out, store_path, report_path, simulation, report, claims, gathered, seconds)
