"""The charts in docs/, drawn from a store: ``.venv/bin/python docs/charts.py --db STORE [--sim DIR]``.

One function per chart, each writing one PNG into docs/img/. Needs the ``docs`` extra (matplotlib). Every
estimate is seeded, so a rerun on the same store draws the same picture.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display on the build machines
import json

import matplotlib.pyplot as plt
import pandas as pd

from talentflow.indicators import Params, compute
from talentflow.migration import excess_growth
from talentflow.store import Store

IMG = Path(__file__).resolve().parent / "img"
SEED = 0


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    # No software tag in the PNG: a rerun on the same store writes the same bytes.
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return path


def excess_developers(store: Store, out: Path) -> Path:
    """Excess developer accounts 2022Q2-2023Q1 per destination, and Russia's shortfall, with 90% whiskers."""
    rows = excess_growth(store, seed=SEED).to_frame()
    dest = rows[rows.role == "destination"]
    origin = rows[rows.role == "origin"]

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2), gridspec_kw={"width_ratios": [3, 1]})
    for ax, part, colour in ((left, dest, "#2b7bba"), (right, origin, "#c0392b")):
        k = part.estimate / 1e3
        err = [(part.estimate - part.low) / 1e3, (part.high - part.estimate) / 1e3]
        ax.bar(part.economy, k, color=colour, yerr=err, capsize=4, ecolor="#333333")
        ax.axhline(0, color="#333333", linewidth=0.8)
        ax.grid(axis="y", alpha=0.3)
    left.set_ylabel("accounts beyond the counterfactual (thousands)")
    left.set_title("Destinations: excess net additions")
    right.set_title("Origin: shortfall")
    # The published origin-side figures count people, not accounts: shown for order of magnitude only.
    for value, label in ((-60, "RAEC first wave 50-70k"), (-100, "Shadaev Dec 2022: 100k")):
        right.axhline(value, color="black", linestyle="--", linewidth=0.8, zorder=3)
        right.annotate(
            label,
            (0.04, value),
            xycoords=("axes fraction", "data"),
            fontsize=7,
            va="bottom",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
            zorder=4,
        )
    level = rows.level.iloc[0]
    fig.suptitle(
        f"GitHub Innovation Graph developer accounts, {rows.period.iloc[0]}, "
        f"vs 2021 level x control growth ({level:.0%} bootstrap intervals)",
        fontsize=10,
    )
    return _save(fig, out / "excess_developers.png")


def board_vs_truth(store: Store, out: Path, sim: Path) -> Path:
    """The board's vacancies_active, resumes_active and abroad share by month against the simulator's truth."""
    meta = json.loads((sim / "scenario.json").read_text())
    scale = meta["scale"]
    truth = pd.DataFrame(json.loads((sim / "truth" / "summary.json").read_text()))
    truth["month"] = pd.to_datetime(truth["month"])

    def board(name: str, column: str) -> pd.Series:
        frame = compute(name, Params(period="month", data="simulated"), db=store.path).frame
        return pd.Series(frame[column].astype(float).to_numpy(), index=pd.to_datetime(frame["period"]))

    panels = (
        ("IT vacancies active", board("vacancies_active", "vacancies") / scale, truth.vacancies_active, 1e3),
        ("IT resumes active", board("resumes_active", "resumes") / scale, truth.resumes_active, 1e3),
        ("share of resumes willing to move abroad", board("relocation_share", "abroad_share"),
         truth.relocation_abroad_share, 1),
    )  # fmt: skip
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for ax, (title, seen, true, unit) in zip(axes, panels, strict=True):
        ax.plot(truth.month, true / unit, color="#333333", label="truth")
        ax.plot(seen.index, seen / unit, color="#2b7bba", label="board")
        for shock in ("2022-02-24", "2022-09-21"):
            ax.axvline(pd.Timestamp(shock), color="#c0392b", linestyle=":", linewidth=0.9)
        ax.set_title(title + (" (thousands)" if unit > 1 else ""), fontsize=10)
        ax.grid(alpha=0.3)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    axes[0].legend(fontsize=8)
    fig.suptitle(
        f"{meta.get('scenario', {}).get('name', 'simulation')} at scale {scale}, seed {meta['seed']}: "
        "board indicators (counts divided by the scale) against the simulator's truth; dotted: the two waves",
        fontsize=10,
    )
    return _save(fig, out / "board_vs_truth.png")


CHARTS: dict[str, Callable[[Store, Path], Path]] = {"excess_developers": excess_developers}
SIM_CHARTS = {"board_vs_truth": board_vs_truth}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="the talentflow store to read (opened read-only)")
    parser.add_argument("--out", type=Path, default=IMG, help="folder for the PNGs (default: docs/img)")
    parser.add_argument("--sim", type=Path, help="a simulator output folder (the store holds its board records)")
    parser.add_argument(
        "--only", choices=sorted({*CHARTS, *SIM_CHARTS}), action="append", help="draw only these charts"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    names = args.only or [*CHARTS, *(SIM_CHARTS if args.sim else [])]
    with Store(args.db, read_only=True) as store:
        for name in names:
            if name in SIM_CHARTS:
                if args.sim is None:
                    parser.error(f"{name} needs --sim DIR")
                print(SIM_CHARTS[name](store, args.out, args.sim))
            else:
                print(CHARTS[name](store, args.out))


if __name__ == "__main__":
    main()
