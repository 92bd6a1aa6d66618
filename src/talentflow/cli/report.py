"""``talentflow report`` and ``talentflow run``: the HTML report of a store, and the main job that makes one."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from talentflow.cli._common import (
    Command,
    DbOption,
    ModelOption,
    OutDirOption,
    ScaleOption,
    ScenarioArgument,
    deprecated,
    err,
    out,
)
from talentflow.errors import UsageError
from talentflow.report.options import REPORT_N_BOOT, STEPS, Progress, ReportOptions, part_key

if TYPE_CHECKING:
    from talentflow.report.run import RunResult

app = typer.Typer()

NBootOption = Annotated[int, typer.Option("--n-boot", help="Bootstrap replicates of the panel fit.")]


class StageProgress(Progress):
    """One line per stage on stderr: a spinner while it runs, a bar when it can be counted, its time when done."""

    def __init__(self, enabled: bool) -> None:
        from rich.progress import BarColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichBar

        self.bar = RichBar(
            SpinnerColumn(finished_text="[green]✓"),
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=not enabled,
        )
        self.task: Any = None

    def __enter__(self) -> StageProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._finish()
        self.bar.stop()

    def _finish(self) -> None:
        if self.task is not None:
            task = self.bar.tasks[-1]
            self.bar.update(self.task, total=task.total or 1, completed=task.total or 1)
            self.bar.stop_task(self.task)

    def stage(self, name: str, total: float | None = None) -> None:
        self._finish()
        self.task = self.bar.add_task(name, total=total)

    def update(self, completed: float, total: float | None = None) -> None:
        if self.task is not None:
            self.bar.update(self.task, completed=completed, total=total)


@app.command(
    "report",
    cls=Command,
    epilog="""
**Examples**

    talentflow report --out report.html
    talentflow report --out report.html --db demo/talentflow.duckdb --sim demo/sim
    talentflow report --out report.html --model full   # search types too: slower
""",
)
def report_cmd(
    out_file: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")] = Path("report.html"),
    sim: Annotated[
        Path | None,
        typer.Option(
            "--sim",
            help="The simulator's output directory: its truth is drawn beside the estimates, and its IT workers "
            "at 2021-12 are the panel's population (a census).",
        ),
    ] = None,
    origin: Annotated[str, typer.Option(help="The country people leave (ISO2).")] = "RU",
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap intervals.")] = 0,
    n_boot: NBootOption = REPORT_N_BOOT,
    model: ModelOption = ReportOptions.model,
    db: DbOption = None,
) -> None:
    """Write one self-contained HTML report (charts with plotly.js inline; opens with no network)."""
    from talentflow.report import build_report

    options = ReportOptions(sim=sim, origin=origin.upper(), seed=seed, n_boot=n_boot, model=model)
    started = time.perf_counter()
    with StageProgress(err.is_terminal) as progress:
        data = build_report(out_file, db=db, options=options, step=lambda k: progress.stage(STEPS[k]))
    absent = [k for k, p in data.parts.items() if p.absent]
    size, took = out_file.stat().st_size / 1e6, time.perf_counter() - started
    out.print(
        f"Wrote [bold]{out_file}[/] ({size:.1f} MB) in {took:.0f} s"
        + (f"; sections without data: {', '.join(absent)}" if absent else ""),
        highlight=False,
    )


@app.command(
    "run",
    cls=Command,
    epilog="""
**Examples**

    talentflow run exodus-2022 --out demo --scale 0.01 --seed 1
    talentflow run exodus-2022 --out demo --with ../shared/data/innovationgraph --with ../shared/data/indeed-hiring-lab
    talentflow run --input vacancies.ndjson.gz --input resumes/ --out ru-2022

The simulated market keeps the simulator's mark and the `--with` data is observed: the report draws each kind in
sections of its own, never summed.
""",
)
def run_cmd(
    scenario: ScenarioArgument = None,
    out_dir: OutDirOption = None,
    inputs: Annotated[
        list[Path] | None,
        typer.Option("--input", help="Files or directories to ingest instead of simulating (repeatable)."),
    ] = None,
    data: Annotated[list[Path] | None, typer.Option("--data", hidden=True)] = None,
    extra: Annotated[
        list[Path] | None,
        typer.Option("--with", help="Extra (real) data to ingest into the same store (repeatable)."),
    ] = None,
    areas: Annotated[Path | None, typer.Option("--areas", help="hh.ru's area tree (GET /areas) to load first.")] = None,
    scale: ScaleOption = 0.01,
    seed: Annotated[int, typer.Option(help="Seed of the simulation and of the bootstrap intervals.")] = 0,
    n_boot: NBootOption = REPORT_N_BOOT,
    model: ModelOption = ReportOptions.model,
) -> None:
    """The main job: simulate (or take data), ingest, import the built-in claims, estimate, write the report."""
    from talentflow.report.run import run

    if out_dir is None:
        raise UsageError("give a new or empty directory; see talentflow run --help", param="out_dir")
    if data:
        # --data names the kind of data (real or simulated) on every other command.
        deprecated("`talentflow run --data PATH`", "`--input PATH`")
    started = time.perf_counter()
    with StageProgress(err.is_terminal) as progress:
        result = run(
            out_dir,
            scenario=scenario,
            inputs=[*(inputs or ()), *(data or ())],
            extra=extra or (),
            areas=areas,
            scale=scale,
            seed=seed,
            n_boot=n_boot,
            model=model,
            progress=progress,
        )
    _summary(result, time.perf_counter() - started)


def _summary(result: RunResult, seconds: float) -> None:
    from rich.table import Table

    ing = result.ingest
    table = Table(title=f"talentflow run: {result.out} in {seconds:.0f} s", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value")
    if result.simulation is not None:
        s = result.simulation
        table.add_row("simulated", f"{s.scenario}, {s.weeks} weeks, scale {s.scale}, seed {s.seed}")
    table.add_row(
        "ingested",
        f"{ing.read:,} records read: {ing.accepted:,} accepted, {ing.duplicates:,} duplicates, "
        f"{ing.quarantined:,} quarantined",
    )
    table.add_row("claims", f"{result.claims.read} built-in claims ({result.claims.inserted} new)")
    for kind in result.data.kinds:
        panel = result.data.parts[part_key(kind, "panel")]
        totals = panel.values.get("totals", {}).get("2022") if not panel.absent else None
        if totals:
            est, low, high = totals["emigration"]
            net = totals["net"][0]
            table.add_row(
                f"emigration 2022 ({kind} data)", f"{est:,.0f} ({low:,.0f}–{high:,.0f}); net of returns {net:,.0f}"
            )
    claims = result.data.parts["claims"]
    if not claims.absent:
        for kind, counts in claims.values["summary"].items():
            table.add_row(f"claims checked ({kind} data)", ", ".join(f"{n} {s}" for s, n in counts.items()))
    absent = [k for k, p in result.data.parts.items() if p.absent]
    if absent:
        table.add_row("sections without data", ", ".join(absent))
    table.add_row("store", str(result.store))
    out.print(table)
    out.print(f"Report: [bold]{result.report}[/]", soft_wrap=True, highlight=False)
