"""The charts in docs/, drawn from a store: ``.venv/bin/python docs/charts.py --db STORE``.

One function per chart, each writing one PNG into docs/img/. Needs the ``docs`` extra (matplotlib). Every
estimate is seeded, so a rerun on the same store draws the same picture.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display on the build machines
import matplotlib.pyplot as plt

from talentflow.migration import excess_growth
from talentflow.store import Store

IMG = Path(__file__).resolve().parent / "img"
SEED = 0


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
    fig.tight_layout()
    path = out / "excess_developers.png"
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return path


CHARTS: dict[str, Callable[[Store, Path], Path]] = {"excess_developers": excess_developers}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="the talentflow store to read (opened read-only)")
    parser.add_argument("--out", type=Path, default=IMG, help="folder for the PNGs (default: docs/img)")
    parser.add_argument("--only", choices=sorted(CHARTS), action="append", help="draw only these charts")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with Store(args.db, read_only=True) as store:
        for name in args.only or CHARTS:
            print(CHARTS[name](store, args.out))


if __name__ == "__main__":
    main()
