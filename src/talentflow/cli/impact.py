"""``talentflow impact changepoints|its|synth``: when a series broke, by how much, and what it would have been
without the shock — with intervals."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from talentflow.cli._common import (
    Command,
    DataOption,
    DbOption,
    FormatOption,
    LevelOption,
    OutputOption,
    check_output,
    err,
    note,
    progress_bar,
    write_rows,
)
from talentflow.impact import requests as rq
from talentflow.store import Store

if TYPE_CHECKING:
    import pandas as pd

    from talentflow.impact.results import ImpactResult

app = typer.Typer(
    help="Impact of the shocks: change points with intervals (changepoints), a counterfactual for one series "
    "(its), a synthetic control across economies (synth).",
    no_args_is_help=True,
)

IndicatorArgument = Annotated[str, typer.Argument(help="An indicator name (talentflow indicators list).")]
ValueOption = Annotated[
    str | None,
    typer.Option(
        "--value",
        help="The indicator's column to analyse [default: the one named as the indicator (tension's ratio), else "
        "its first value column].",
    ),
]
ByOption = Annotated[
    list[str] | None,
    typer.Option("--by", help="Segment filter or split, e.g. country=US (repeatable).", show_default=False),
]
OptionOption = Annotated[
    list[str] | None, typer.Option("--option", help="Indicator option KEY=VALUE (repeatable).", show_default=False)
]
StartOption = Annotated[str | None, typer.Option("--from", help="First day (ISO date).")]
EndOption = Annotated[str | None, typer.Option("--to", help="Last day (ISO date).")]
SeedOption = Annotated[int, typer.Option(help="Seed of the bootstrap or of the simulated paths.")]
MinCellOption = Annotated[int, typer.Option(help="Blank cells whose base count is below this.")]
_CP = rq.ChangepointRequest(indicator="vacancies_active")
_ITS = rq.ItsRequest(indicator="resumes_active", event="2022-02-24")
_SYNTH = rq.SynthRequest()


def _write(result: ImpactResult, format: str, output: Path | None) -> None:
    title = f"impact: {result.method} ({result.level:.0%} intervals)"
    if result.method == "changepoints" and format == "table" and output is None:
        # Sixteen columns do not read at 80: the terminal gets one row per break, the files every field.
        frame = _breaks_table(result)
        title = f"impact: breaks, {result.stats.get('model', 'line')} model ({result.level:.0%} intervals)"
        write_rows(
            frame, [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")], format, output, title=title
        )
    else:
        write_rows(result.to_frame(), result.records(), format, output, title=title, text=result.summary())
    if format == "table":
        for name, value in result.stats.items():
            shown = f"{value:,.4g}" if isinstance(value, float) else str(value)
            err.print(f"{name}: {shown}", highlight=False)
    for text in result.notes:
        note(text)


def _breaks_table(result: ImpactResult) -> pd.DataFrame:
    """One row per break: the series, the date over its interval, the shape, p, each size over its interval and
    the nearest event, each cell short enough to wrap into an 80-column terminal."""
    import pandas as pd

    from talentflow._format import number
    from talentflow.impact.results import has_size

    level = f"{result.level:.0%}"
    rows = []
    for (series, _), group in result.rows.groupby(["series", "break"], sort=False):
        first = group.iloc[0]
        sizes = [
            f"{name} {number(row['estimate'], 3)}\n[{number(row['low'], 3)}, {number(row['high'], 3)}]"
            for _, row in group.iterrows()
            for name in [{"level": "jump"}.get(row["change"], row["change"])]
            if has_size(first["shape"], row["change"])
        ]
        rows.append(
            {
                "series": series,
                f"break [{level}]": f"{first['date']}\n{first['date_low']} to {first['date_high']}",
                "shape": first["shape"],
                "p": f"{first['p_value']:.3f}",
                "size": "\n".join(sizes),
                "nearest event": f"{first['event']}\n{first['days_from_event']:+d} d",
            }
        )
    return pd.DataFrame(rows, columns=["series", f"break [{level}]", "shape", "p", "size", "nearest event"])


#: Repeatable options (lists, or None when not given) and the request field each fills (a tuple).
_REPEATED = {"by": "by", "option": "options", "events": "events", "controls": "controls", "donors": "donors"}


def _run_command(kind: type[rq.Request], params: dict[str, Any]) -> None:
    """Run a request of ``kind`` built from a command's parameters: the output options apart, each repeatable
    option as a tuple under its field's name, the others as given."""
    db, format, output = params.pop("db"), params.pop("format"), params.pop("output")
    fields: dict[str, Any] = {_REPEATED.get(k, k): tuple(v or ()) if k in _REPEATED else v for k, v in params.items()}
    _run(kind(**fields), db, format, output)


def _run(request: rq.Request, db: Path | None, format: str, output: Path | None) -> None:
    from talentflow.impact import estimate

    check_output(format, output)
    # Quiet with --format json or off a terminal, like the other long commands.
    show = format != "json" and err.is_terminal
    bar = progress_bar("[bold]{task.description}", "{task.completed}/{task.total}", enabled=show)
    with Store(db, read_only=True) as store, bar:
        what = "bootstrap re-segmentations" if request.method == "changepoints" else "estimating"
        task = bar.add_task(f"{request.method}: {what}", total=None)
        result = estimate(request, store, lambda done, total: bar.update(task, completed=done, total=total))
    _write(result, format, output)


@app.command(
    "changepoints",
    cls=Command,
    epilog="""
**Examples**

    talentflow impact changepoints vacancies_active --data simulated --from 2021-03-01
    talentflow impact changepoints vacancies_active --data simulated --model line --format csv
    talentflow impact changepoints resumes_active --data simulated --event 2022-03-05 --format json
    talentflow impact changepoints series --option metric=sector_job_postings_index --by country=US --period month
""",
)
def changepoints_cmd(
    indicator: IndicatorArgument,
    value: ValueOption = None,
    by: ByOption = None,
    option: OptionOption = None,
    period: Annotated[str, typer.Option(help="week, month or quarter.")] = _CP.period,
    start: StartOption = None,
    end: EndOption = None,
    events: Annotated[
        list[str] | None,
        typer.Option("--event", help="A date to set beside the breaks, besides 2022-02-24 and 2022-09-21."),
    ] = None,
    penalty: Annotated[float, typer.Option(help="Multiplier on the BIC-type penalty per break.")] = _CP.penalty,
    seasonal: Annotated[str, typer.Option(help="Nuisance term per segment: auto, none or month-phase.")] = _CP.seasonal,
    min_size: Annotated[int, typer.Option(help="Fewest periods in a segment.")] = _CP.min_size,
    model: Annotated[
        str,
        typer.Option(
            help="line (the series' own kinks and shifts), stock (its inflow's, and entries withdrawn at once) or auto."
        ),
    ] = _CP.model,
    level: LevelOption = _CP.level,
    seed: SeedOption = _CP.seed,
    n_boot: Annotated[int, typer.Option(help="Bootstrap re-segmentations.")] = _CP.n_boot,
    min_cell: MinCellOption = _CP.min_cell,
    data: DataOption = "real",
    format: FormatOption = "table",
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """Breaks in the level and slope of an indicator, each with an interval on its date and size, beside the known
    events (kinks and shifts under a BIC-type penalty, of a stock's inflow for vacancies_active, whose breaks may
    also withdraw postings at once; block-bootstrap intervals; docs/impact.md)."""
    _run_command(rq.ChangepointRequest, dict(locals()))


@app.command(
    "its",
    cls=Command,
    epilog="""
**Examples**

    talentflow impact its resumes_active --event 2022-02-24 --data simulated --from 2021-03-01
    talentflow impact its series --option metric=ai_postings_share --by country=GB --control country=US \\
        --event 2022-02-24 --format json
""",
)
def its_cmd(
    indicator: IndicatorArgument,
    event: Annotated[str, typer.Option("--event", help="The first day of the shock (ISO date).")],
    value: ValueOption = None,
    by: ByOption = None,
    option: OptionOption = None,
    period: Annotated[str, typer.Option(help="week, month or quarter.")] = _ITS.period,
    start: StartOption = None,
    end: EndOption = None,
    trend: Annotated[str, typer.Option(help="llevel, lltrend, rwdrift or dtrend.")] = _ITS.trend,
    season: Annotated[int, typer.Option(help="Periods in a seasonal cycle (0: none).")] = _ITS.season,
    controls: Annotated[
        list[str] | None,
        typer.Option("--control", help="A regressor: the indicator under another filter, e.g. country=US."),
    ] = None,
    seasonal: Annotated[str, typer.Option(help="auto, none or month-phase (a regressor).")] = _ITS.seasonal,
    level: LevelOption = _ITS.level,
    seed: SeedOption = _ITS.seed,
    n_boot: Annotated[int, typer.Option(help="Simulated forecast paths.")] = _ITS.n_boot,
    min_cell: MinCellOption = _ITS.min_cell,
    data: DataOption = "real",
    format: FormatOption = "table",
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """The effect of an event on one series: actual less a structural-series counterfactual fitted before the
    event, per period and cumulated, with intervals (docs/impact.md)."""
    _run_command(rq.ItsRequest, dict(locals()))


@app.command(
    "synth",
    cls=Command,
    epilog="""
**Examples**

    talentflow impact synth developers --unit GE --event 2022Q1
    talentflow impact synth developers --unit RU --event 2022Q1 --to 2023Q4 --format json
    talentflow impact synth developers --unit AM --donor PL --donor HU --donor TR --donor IN
""",
)
def synth_cmd(
    metric: Annotated[str, typer.Argument(help="An Innovation Graph metric (developers, …) or a series metric.")],
    unit: Annotated[str, typer.Option(help="The shocked economy (ISO2).")] = _SYNTH.unit,
    event: Annotated[str, typer.Option(help="The first quarter the shock acts in.")] = _SYNTH.event,
    start: Annotated[str, typer.Option("--from", help="First quarter.")] = _SYNTH.start,
    end: Annotated[str, typer.Option("--to", help="Last quarter.")] = _SYNTH.end,
    donors: Annotated[
        list[str] | None,
        typer.Option("--donor", help="A donor economy (repeatable) [default: the nearest eligible ones]."),
    ] = None,
    n_donors: Annotated[int, typer.Option(help="Donors chosen when none is given.")] = _SYNTH.n_donors,
    transform: Annotated[str, typer.Option(help="index, log or level.")] = _SYNTH.transform,
    segment: Annotated[str, typer.Option(help="Sub-series of a published series metric.")] = _SYNTH.segment,
    placebo_shift: Annotated[
        int, typer.Option(help="Quarters the in-time placebo moves the event back.")
    ] = _SYNTH.placebo_shift,
    level: LevelOption = _SYNTH.level,
    format: FormatOption = "table",
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """A synthetic control: the economy against a weighted mix of donor economies fitted before the event, the
    gap after it, placebos in space and in time (docs/impact.md)."""
    _run_command(rq.SynthRequest, dict(locals()))
