"""``talentflow simulate``: an IT labour market under a talent-flight shock, with the truth known."""

from __future__ import annotations

from typing import Annotated

import typer

from talentflow.cli._common import (
    Command,
    JsonOption,
    ListFormatOption,
    OutDirOption,
    ScaleOption,
    ScenarioArgument,
    SeedOption,
    deprecated,
    err,
    out,
    print_json,
    progress_bar,
    write_rows,
)
from talentflow.errors import UsageError

app = typer.Typer()


@app.command(
    "simulate",
    cls=Command,
    epilog="""
**Examples**

    talentflow simulate list
    talentflow simulate exodus-2022 --out sim --scale 0.05 --seed 7
    talentflow simulate exodus-2022 --out sim-cf --scale 0.05 --seed 7 --counterfactual
    talentflow simulate my-scenario.toml --out sim --start 2021-06-01 --end 2022-12-31 --json
    talentflow ingest sim        # the board records go into the store like any other hh.ru data
""",
)
def simulate_cmd(
    scenario: ScenarioArgument = None,
    out_dir: OutDirOption = None,
    seed: SeedOption = 0,
    scale: ScaleOption = 0.01,
    start: Annotated[str | None, typer.Option(help="First week (ISO date) [default: the scenario's].")] = None,
    end: Annotated[str | None, typer.Option(help="Last day (ISO date) [default: the scenario's].")] = None,
    truth_only: Annotated[
        bool, typer.Option("--truth-only", help="Write the truth tables only, no board records (faster).")
    ] = False,
    counterfactual: Annotated[
        bool,
        typer.Option(
            "--counterfactual",
            help="Run the same seed with the scenario's shocks switched off (common random numbers): the "
            "shocked run less this one is the shocks' true effect.",
        ),
    ] = False,
    format: ListFormatOption = "table",
    as_json: JsonOption = False,
    legacy_list: Annotated[bool, typer.Option("--list", hidden=True)] = False,
) -> None:
    """Simulate an IT labour market under a talent-flight shock: board records (hh.ru JSON) plus the truth.
    `talentflow simulate list` lists the built-in scenarios."""
    from talentflow import simulate as sim
    from talentflow.indicators.params import parse_date

    if legacy_list:
        deprecated("`talentflow simulate --list`", "`talentflow simulate list`")
        scenario = "list"
    if scenario == "list":
        _list_scenarios("json" if as_json else format)
        return
    if scenario is None or out_dir is None:
        raise UsageError("give a SCENARIO and --out DIR (or `list`); see talentflow simulate --help")
    chosen = sim.load_scenario(scenario)
    first, last = parse_date(start, "start"), parse_date(end, "end")
    show = not as_json and err.is_terminal
    progress = progress_bar("[bold]simulating {task.fields[name]}", "week {task.completed}/{task.total}", enabled=show)
    with progress:
        task = progress.add_task("simulate", total=chosen.weeks(), name=chosen.name)
        result = sim.simulate(
            chosen,
            out_dir,
            seed=seed,
            scale=scale,
            start=first,
            end=last,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
            board=not truth_only,
            counterfactual=counterfactual,
        )
    if as_json:
        print_json(result.to_dict())
        return
    final = result.summary[-1]
    out.print(
        f"Simulated [bold]{result.scenario}[/] for {result.weeks} weeks at scale {result.scale} (seed {result.seed}): "
        f"{result.records.get('vacancy_records', 0):,} vacancy and {result.records.get('resume_records', 0):,} "
        f"resume records in {result.out}.\nAt {final['month']}: {final['it_workers_home']:,.0f} IT workers at home, "
        f"{final['abroad']:,.0f} abroad. Truth in {result.out / 'truth'}; ingest with: talentflow ingest {result.out}",
        highlight=False,
    )


def _list_scenarios(format: str) -> None:
    import pandas as pd

    from talentflow import simulate as sim

    rows = [{"name": n, "description": sim.load_scenario(n).description} for n in sim.builtin_names()]
    write_rows(pd.DataFrame(rows, columns=["name", "description"]), rows, format, None, title="Scenarios")
