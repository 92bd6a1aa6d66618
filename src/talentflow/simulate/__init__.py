"""The simulator: an IT labour market under a talent-flight shock, with the truth known.

    >>> from talentflow.simulate import load_scenario, simulate
    >>> result = simulate(load_scenario("exodus-2022"), "sim-out", scale=0.002, seed=1)
    >>> result.weeks, result.summary[-1]["abroad"] > 0
    (156, True)

`simulate` runs the market (`market.py`) week by week, lets the board (`board.py`) observe it and the
collector (`truth.py`) count it, then writes hh.ru-shaped NDJSON plus the truth tables. docs/simulator.md
has the model and its calibration.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from talentflow.errors import UsageError
from talentflow.simulate.board import Board
from talentflow.simulate.market import Market
from talentflow.simulate.scenario import Scenario, builtin_names, load_scenario, validate
from talentflow.simulate.truth import SUMMARY_COLUMNS, Truth

__all__ = ["SUMMARY_COLUMNS", "Scenario", "SimulationResult", "builtin_names", "load_scenario", "simulate", "validate"]


@dataclass
class SimulationResult:
    out: Path
    scenario: str
    seed: int
    scale: float
    weeks: int
    workers: int
    files: dict[str, str]
    records: dict[str, int]
    summary: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["out"] = str(self.out)
        d.pop("summary")
        return d


def simulate(
    scenario: Scenario,
    out: str | Path,
    *,
    seed: int = 0,
    scale: float = 0.01,
    start: dt.date | None = None,
    end: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
    board: bool = True,
    counterfactual: bool = False,
) -> SimulationResult:
    """Run ``scenario`` and write its board records and truth into ``out`` (created; must be empty or absent).

    ``board=False`` writes the truth only: for scenario sweeps and calibration, where the board's records
    (most of the run time at full scale) are not needed. ``counterfactual=True`` runs the scenario with its
    shocks switched off (`Scenario.without_shocks`) on the same seed: every random draw is the shocked run's
    until the first shock, so the two runs' difference is the shocks' true effect.
    """
    if not 0 < scale <= 1:
        raise UsageError(f"must be in (0, 1], got {scale}", param="scale")
    changes = {k: v for k, v in (("start", start), ("end", end)) if v is not None}
    if changes:
        scenario = validate(scenario.model_dump() | changes, f"scenario {scenario.name}")
    if counterfactual:
        scenario = scenario.without_shocks()
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out}: the output directory is not empty")
    out.mkdir(parents=True, exist_ok=True)
    truth_dir = out / "truth"
    # Independent streams for the market, the board and the AI work: changing what the board sees leaves the
    # market alone, and the AI work (a third child: the first two are those spawn(2) gives) leaves both alone.
    # The workers' search types (a fourth child) leave all three alone.
    market_seq, board_seq, ai_seq, types_seq = np.random.SeedSequence(seed).spawn(4)
    market = Market(
        scenario,
        scale=scale,
        rng=np.random.default_rng(market_seq),
        ai_rng=np.random.default_rng(ai_seq),
        types_rng=np.random.default_rng(types_seq),
    )
    observer = Board(market, scenario.board, np.random.default_rng(board_seq), out, seed=seed) if board else None
    truth = Truth(scale)
    weeks = scenario.weeks()
    try:
        for i in range(weeks):
            week = market.step()
            truth.collect(market, week)
            if observer:
                observer.observe(week)
            if progress:
                progress(i + 1, weeks)
        summary = truth.write(truth_dir, market)
        records = observer.write(truth_dir) if observer else {}
    except BaseException:
        if observer:
            observer.abort()
        shutil.rmtree(out, ignore_errors=True)
        raise
    (out / "scenario.json").write_text(
        json.dumps(
            {
                "seed": seed,
                "scale": scale,
                "counterfactual": counterfactual,
                "scenario": scenario.to_json(),
            },
            indent=1,
            ensure_ascii=False,
        )
        + "\n"
    )
    # `talentflow ingest DIR` reads the board records only.
    ignore = "# written by talentflow simulate: not board records\ntruth/\nscenario.json\n"
    (out / ".talentflowignore").write_text(ignore)
    files = {p.name: str(p) for p in sorted(out.rglob("*")) if p.is_file()}
    return SimulationResult(out, scenario.name, seed, scale, weeks, market.n, files, records, summary)
