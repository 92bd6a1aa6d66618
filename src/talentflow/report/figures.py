"""The report's charts: one plotly figure per builder, from the frames `data.py` gathered."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from talentflow.report.data import SERIES_VISIBLE, SHOCKS, Part

#: hh.index bands: (lower, upper, label, colour).
BANDS = (
    (0, 2, "acute shortage (< 2)", "rgba(214, 39, 40, 0.16)"),
    (2, 4, "shortage (2–4)", "rgba(255, 127, 14, 0.16)"),
    (4, 8, "balanced (4–8)", "rgba(44, 160, 44, 0.14)"),
    (8, 12, "high competition (8–12)", "rgba(31, 119, 180, 0.14)"),
    (12, 1e9, "extreme (> 12)", "rgba(148, 103, 189, 0.16)"),
)
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f")
#: Colours for charts with many series (one per country): 48, no two alike, so no two series share one.
MANY = (*COLOURS, *(c for c in (*qualitative.Dark24, *qualitative.Light24) if c.lower() not in COLOURS))
#: The height, in pixels, between the stacked labels of neighbouring events (so that they never overlap).
LABEL_STEP = 14


def _layout(fig: go.Figure, title: str, y: str, *, height: int = 420) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01},
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 20, "t": 60 + LABEL_STEP * (len(SHOCKS) - 1), "b": 40},
        legend={"orientation": "h", "y": -0.15},
        yaxis_title=y,
        hovermode="x unified",
    )
    return fig


def shocks(
    fig: go.Figure,
    events: tuple[tuple[str, str], ...] = SHOCKS,
    *,
    axes: tuple[str, ...] = ("x",),
    first_step: int = 0,
) -> go.Figure:
    """Dashed vertical lines at the shock dates (on each of ``axes``), labelled at the top of the first; each
    label one step above the one before, so that labels of near dates (or a long date range) never overlap."""
    for i, (day, label) in enumerate(events):
        for axis in axes:
            fig.add_shape(
                type="line",
                x0=day,
                x1=day,
                y0=0,
                y1=1,
                xref=axis,
                yref="paper",
                line={"color": "#444", "width": 1, "dash": "dash"},
            )
        fig.add_annotation(
            x=day,
            y=1.0,
            xref=axes[0],
            yref="paper",
            text=f"{day}: {label}",
            showarrow=False,
            yanchor="bottom",
            yshift=LABEL_STEP * (i + first_step),
            font_size=10,
        )
    return fig


def _titled(title: str, part: Part) -> str:
    """A chart's title with the data it rests on: never a chart without saying real or simulated."""
    return f"{title} — {part.label}" if part.label else title


def _mode(frame: pd.DataFrame) -> str:
    """Lines, with markers where the months are few (a real extract may hold one month, which a line cannot
    draw)."""
    return "lines+markers" if len(frame) <= 12 else "lines"


def _num(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce")


def _dates(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["period"])


def board(part: Part) -> go.Figure:
    fig = go.Figure()
    for key, column, name, colour in (
        ("vacancies", "vacancies", "active IT vacancies", COLOURS[0]),
        ("resumes", "resumes", "active IT resumes", COLOURS[1]),
    ):
        frame = part.frames.get(key)
        if frame is not None and not frame.empty:
            fig.add_scatter(x=_dates(frame), y=_num(frame[column]), name=name, mode=_mode(frame), line_color=colour)
    title = _titled("IT vacancies and resumes on the board, by month", part)
    fig.update_yaxes(rangemode="tozero")
    fig.update_layout(showlegend=True)
    return shocks(_layout(fig, title, "records active at month end"))


def tension(part: Part) -> go.Figure:
    frame = part.frames["tension"]
    values = _num(frame["tension"])
    top = max(5.0, float(values.max()) * 1.25) if values.notna().any() else 14.0
    fig = go.Figure()
    for lo, hi, label, colour in BANDS:
        if lo >= top:
            break
        fig.add_hrect(y0=lo, y1=min(hi, top), fillcolor=colour, line_width=0, layer="below")
        fig.add_annotation(
            x=1.0,
            y=(lo + min(hi, top)) / 2,
            xref="paper",
            yref="y",
            text=label,
            showarrow=False,
            xanchor="right",
            font={"size": 10, "color": "#555"},
        )
    fig.add_scatter(x=_dates(frame), y=values, name="resumes per vacancy", mode="lines+markers", line_color="#222")
    fig.update_yaxes(range=[0, top])
    title = _titled("Tension: active IT resumes per active IT vacancy, with hh.index bands", part)
    return shocks(_layout(fig, title, "tension"))


def relocation(part: Part) -> go.Figure:
    frame = part.frames["share"]
    fig = go.Figure()
    for column, name, colour in (
        ("relocation_share", "willing to relocate (any)", COLOURS[0]),
        ("abroad_share", "abroad (any foreign destination)", COLOURS[1]),
        ("domestic_only_share", "domestic only", COLOURS[2]),
    ):
        fig.add_scatter(x=_dates(frame), y=_num(frame[column]), name=name, mode=_mode(frame), line_color=colour)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return shocks(_layout(fig, _titled("Relocation share of active IT resumes", part), "share of resumes"))


def destinations(part: Part, top: int = 8) -> go.Figure:
    frame = part.frames["destinations"].copy()
    frame["share"] = _num(frame["share"])
    order = frame.groupby("destination")["share"].mean().sort_values(ascending=False).index[:top]
    fig = go.Figure()
    for i, country in enumerate(order):
        rows = frame[frame.destination == country]
        fig.add_scatter(
            x=_dates(rows), y=rows["share"], name=str(country), mode="lines", line_color=MANY[i % len(MANY)]
        )
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    title = _titled(f"Destinations named by resumes willing to move abroad (top {len(order)})", part)
    return shocks(_layout(fig, title, "share of those resumes"))


def _every_month(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a row (empty) for every month between its first and last, so that a line breaks where no
    vacancy was published (a real extract may skip months) instead of joining across them."""
    if frame.empty:
        return frame
    months = pd.date_range(_dates(frame).min(), _dates(frame).max(), freq="MS")
    out = frame.assign(period=_dates(frame)).set_index("period").reindex(months)
    return out.rename_axis("period").reset_index()


def salary(part: Part) -> go.Figure:
    frame = _every_month(part.frames["salary"])
    x = _dates(frame)
    fig = go.Figure()
    q1, q3 = _num(frame["q1"]), _num(frame["q3"])
    # The quartile band, one shape per run of months with quartiles: a fill would run across a gap.
    run = (q1.isna() | q3.isna()).cumsum()
    for k, (_, rows) in enumerate(frame[q1.notna() & q3.notna()].groupby(run[q1.notna() & q3.notna()])):
        rx = _dates(rows)
        common = {"mode": "lines", "line": {"width": 0}, "legendgroup": "quartiles"}
        fig.add_scatter(x=rx, y=_num(rows["q3"]), name="upper quartile", showlegend=False, hoverinfo="skip", **common)
        fig.add_scatter(
            x=rx,
            y=_num(rows["q1"]),
            name="quartiles",
            fill="tonexty",
            fillcolor="rgba(31, 119, 180, 0.2)",
            showlegend=k == 0,
            **common,
        )
    fig.add_scatter(x=x, y=_num(frame["median"]), name="median", mode="lines+markers", line_color=COLOURS[0])
    fig.add_scatter(
        x=x,
        y=_num(frame["salary_share"]),
        name="share publishing a salary",
        mode=_mode(frame),
        line={"color": COLOURS[3], "dash": "dot"},
        yaxis="y2",
    )
    fig.update_layout(
        yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%", "range": [0, 1], "showgrid": False}
    )
    return shocks(_layout(fig, _titled("Monthly gross salary of IT vacancies (RUB)", part), "RUB per month"))


def flows(part: Part) -> go.Figure:
    frame = part.frames["flows"]
    truth = part.frames.get("truth")
    fig = go.Figure()
    for flow, truth_column, colour, true_colour, fill in (
        ("emigration", "emigrated", COLOURS[1], COLOURS[5], "rgba(214, 39, 40, 0.18)"),
        ("return", "returned", COLOURS[0], COLOURS[7], "rgba(31, 119, 180, 0.18)"),
    ):
        rows = frame[frame.flow == flow]
        x = pd.to_datetime(rows["period"] + "-01")
        fig.add_scatter(x=x, y=rows["high"], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
        fig.add_scatter(
            x=x,
            y=rows["low"],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=fill,
            name=f"{flow}: {rows['level'].iloc[0]:.0%} interval" if len(rows) else flow,
        )
        fig.add_scatter(
            x=x, y=rows["estimate"], name=f"{flow} (panel estimate)", mode="lines+markers", line_color=colour
        )
        if truth is not None and not truth.empty:
            fig.add_scatter(
                x=pd.to_datetime(truth["month"] + "-01"),
                y=truth[truth_column],
                name=f"{flow} (simulator's truth)",
                mode="lines",
                line={"color": true_colour, "dash": "dash"},
            )
    title = _titled("Emigration and return of IT workers by month", part)
    return shocks(_layout(fig, title, "people per month", height=460))


def excess(part: Part) -> go.Figure:
    frame = part.frames["excess"].sort_values("estimate")
    colours = {"destination": COLOURS[0], "origin": COLOURS[1], "control": "#9e9e9e"}
    fig = go.Figure()
    for role, colour in colours.items():
        rows = frame[frame.role == role]
        if rows.empty:
            continue
        fig.add_bar(
            y=rows["economy"],
            x=rows["estimate"],
            orientation="h",
            name=role,
            marker_color=colour,
            error_x={
                "type": "data",
                "symmetric": False,
                "array": rows["high"] - rows["estimate"],
                "arrayminus": rows["estimate"] - rows["low"],
            },
        )
    period = frame["period"].iloc[0] if len(frame) else ""
    fig = _layout(fig, f"Excess developer accounts by economy, {period}", "", height=120 + 26 * len(frame))
    fig.update_layout(
        hovermode="closest", barmode="overlay", xaxis_title="developer accounts beyond the counterfactual"
    )
    return fig


def ai(part: Part) -> go.Figure:
    fig = go.Figure()
    for key, name, colour, true_colour, truth in (
        ("vacancies", "AI share of active IT vacancies", COLOURS[0], COLOURS[7], "ai_vacancy_share"),
        ("resumes", "AI share of active IT resumes", COLOURS[1], COLOURS[5], "ai_resume_share"),
    ):
        frame = part.frames.get(key)
        if frame is not None and not frame.empty:
            fig.add_scatter(x=_dates(frame), y=frame["share"], name=name, mode=_mode(frame), line_color=colour)
        true = part.frames.get("truth")
        if true is not None and not true.empty and frame is not None:
            fig.add_scatter(
                x=pd.to_datetime(true["month"] + "-01") + pd.offsets.MonthEnd(0),
                y=true[truth],
                name=f"{name.replace('AI share of active', 'true AI share,')}",
                mode="lines",
                line={"color": true_colour, "dash": "dash"},
            )
    fig.update_yaxes(rangemode="tozero", tickformat=".1%")
    fig.update_layout(showlegend=True)
    return shocks(_layout(fig, _titled("AI work among IT vacancies and resumes, by month", part), "share"))


def ai_tracker(part: Part) -> go.Figure:
    frame = part.frames["tracker"]
    fig = go.Figure()
    for i, (country, rows) in enumerate(frame.groupby("country", sort=True)):
        fig.add_scatter(
            x=rows["period"],
            y=rows["share"],
            name=str(country),
            mode="lines",
            line_color=MANY[i % len(MANY)],
            visible=True if country in SERIES_VISIBLE else "legendonly",
        )
    fig.update_yaxes(rangemode="tozero", tickformat=".1%")
    title = "Indeed AI Tracker: share of all job postings mentioning AI, by country (real data)"
    return shocks(_layout(fig, title, "share of postings"))


def series(part: Part, key: str, title: str) -> go.Figure:
    frame = part.frames[key]
    fig = go.Figure()
    for i, (country, rows) in enumerate(frame.groupby("country", sort=True)):
        y = rows["value_sa"].where(rows["value_sa"].notna(), rows["value"])
        fig.add_scatter(
            x=rows["period"],
            y=y,
            name=str(country),
            mode="lines",
            line_color=MANY[i % len(MANY)],
            visible=True if country in SERIES_VISIBLE else "legendonly",
        )
    fig.add_hline(y=100, line={"color": "#888", "width": 1})
    return shocks(_layout(fig, title, "index, 1 Feb 2020 = 100"))


# -- did the market break? -----------------------------------------------------------------------------------
def _band(fig: go.Figure, x: pd.Series, low: pd.Series, high: pd.Series, name: str, fill: str, **where: int) -> None:
    """A filled interval between ``low`` and ``high`` (two traces, one legend entry)."""
    fig.add_scatter(x=x, y=high, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip", **where)
    fig.add_scatter(x=x, y=low, mode="lines", line={"width": 0}, fill="tonexty", fillcolor=fill, name=name, **where)


def its_effect(part: Part) -> go.Figure:
    """The resume stock against its counterfactual (left) and the effect, actual − counterfactual, with the
    interval (right), from the event on."""
    fit = part.frames["its_fit"]
    rows = part.frames["its"]
    effect = rows[rows["kind"] == "effect"]
    level = float(effect["level"].iloc[0]) if len(effect) else 0.9
    fig = make_subplots(rows=1, cols=2, subplot_titles=("resume stock and counterfactual", "effect"))
    x = pd.to_datetime(fit["period"])
    post = fit["low"].notna()
    _band(
        fig,
        x[post],
        fit["low"][post],
        fit["high"][post],
        f"counterfactual: {level:.0%} band",
        "rgba(31, 119, 180, 0.18)",
        row=1,
        col=1,
    )
    fig.add_scatter(x=x, y=fit["actual"], name="active IT resumes", line_color=COLOURS[1], row=1, col=1)
    fig.add_scatter(
        x=x,
        y=fit["counterfactual"],
        name="counterfactual (no invasion)",
        line={"color": COLOURS[0], "dash": "dash"},
        row=1,
        col=1,
    )
    ex = pd.to_datetime(effect["period"])
    _band(
        fig, ex, effect["low"], effect["high"], f"effect: {level:.0%} interval", "rgba(214, 39, 40, 0.18)", row=1, col=2
    )
    fig.add_scatter(
        x=ex,
        y=effect["estimate"],
        name="effect (actual − counterfactual)",
        mode="lines+markers",
        line_color=COLOURS[3],
        row=1,
        col=2,
    )
    fig.add_hline(y=0, line={"color": "#888", "width": 1}, row=1, col=2)
    title = _titled("Interrupted time series: the invasion's effect on the IT resume stock", part)
    return shocks(_layout(fig, title, "resumes active at month end"))


def changepoint_fits(part: Part) -> go.Figure:
    """Each series (one panel each) with its piecewise-linear fit and its breaks' dates."""
    fits = part.frames["fits"]
    names = list(dict.fromkeys(fits["series"]))
    fig = make_subplots(rows=len(names), cols=1, shared_xaxes=True, subplot_titles=names, vertical_spacing=0.08)
    for i, name in enumerate(names):
        rows = fits[fits["series"] == name]
        x = pd.to_datetime(rows["period"])
        fig.add_scatter(x=x, y=rows["value"], name=name, mode="lines", line_color=COLOURS[2 * i], row=i + 1, col=1)
        fig.add_scatter(
            x=x,
            y=rows["fitted"],
            name=f"{name}: segments",
            mode="lines",
            line={"color": COLOURS[2 * i + 1], "dash": "dot"},
            row=i + 1,
            col=1,
        )
    fig = _layout(
        fig,
        _titled("Weekly board series and their segments (breaks where the lines kink or jump)", part),
        "",
        height=220 * len(names) + 120,
    )
    return shocks(fig)


def synth_fit(result: object, unit: str, event: str) -> go.Figure:
    """The unit against its synthetic control (left), and its gap beside the donors' placebo gaps (right)."""
    from talentflow.impact import ImpactResult

    assert isinstance(result, ImpactResult)
    fit = result.tables["fit"]
    placebos = result.tables["placebo_gaps"]
    fig = make_subplots(rows=1, cols=2, subplot_titles=(f"{unit} and its synthetic control", "gap and placebos"))
    fig.add_scatter(
        x=fit["period"], y=fit["actual"], name=unit, mode="lines+markers", line_color=COLOURS[0], row=1, col=1
    )
    fig.add_scatter(
        x=fit["period"],
        y=fit["synthetic"],
        name=f"synthetic {unit}",
        mode="lines",
        line={"color": COLOURS[3], "dash": "dash"},
        row=1,
        col=1,
    )
    # The donors' placebo gaps as one series (a break between donors): one colour, one legend entry.
    xs: list[object] = []
    ys: list[object] = []
    for _, rows in placebos.groupby("unit", sort=True):
        xs += [*rows["period"], None]
        ys += [*rows["gap"], None]
    n = placebos["unit"].nunique()
    fig.add_scatter(
        x=xs, y=ys, name=f"placebo gaps ({n} donors)", mode="lines", line={"color": "#b0b0b0", "width": 1}, row=1, col=2
    )
    fig.add_scatter(
        x=fit["period"], y=fit["gap"], name=f"{unit} gap", mode="lines+markers", line_color=COLOURS[1], row=1, col=2
    )
    shocks(fig, ((event, "event"),), axes=("x", "x2"), first_step=1)
    return _layout(fig, f"Synthetic control: {unit} developer accounts (index) — real data", "index", height=380)


def distinct_colours(fig: go.Figure) -> list[str]:
    """The colours of a figure's drawn series (bands and hidden helpers left out): the test that no two share one
    reads this."""
    out = []
    for trace in fig.data:
        line = getattr(trace, "line", None)
        if line is None or line.width == 0 or trace.showlegend is False:
            continue
        colour = line.color or getattr(getattr(trace, "marker", None), "color", None)
        if isinstance(colour, str):
            out.append(colour.lower())
    return out
