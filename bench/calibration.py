"""The calibration table of docs/simulator.md: exodus-2022's truth against the published figures it targets.

    python bench/calibration.py                 # scale 1 (about 1M workers), seed 1
    python bench/calibration.py --scale 0.1 --seed 3

Prints a Markdown table: target, source (docs/simulator.md and ../shared/data/claims/CLAIMS.md), simulated
value, and whether it is within ±10% of the target (or inside the target's range).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from talentflow.simulate import load_scenario, simulate


def rows(summary: list[dict]) -> list[tuple[str, str, float, float, float, str]]:
    s = {r["month"]: r for r in summary}
    emigrated = sum(s[f"2022-{m:02d}"]["emigrated"] for m in range(1, 13))
    returned = sum(s[f"2022-{m:02d}"]["returned"] for m in range(1, 13))
    jan, aug = s["2022-01"], s["2022-08"]
    board = load_scenario("exodus-2022").board
    tension = board.resume_coverage / board.vacancy_coverage
    # (what, source, value, low, high, format): low/high are the target ±10%, or the stated range.
    return [
        ("IT workers at home, start of 2022", "A4, A5", s["2021-12"]["it_workers_home"], 900_000, 1_100_000, ",.0f"),
        (
            "Net rise of those abroad in 2022",
            "A5",
            s["2022-12"]["abroad"] - s["2021-12"]["abroad"],
            90_000,
            110_000,
            ",.0f",
        ),
        ("Leavers of 2022 back by the end of 2022", "A9, A3", returned / emigrated, 0.15, 0.20, ".1%"),
        (
            "Share of those abroad working for home employers, Dec 2022",
            "A5",
            s["2022-12"]["abroad_working_for_home_employers"] / s["2022-12"]["abroad"],
            0.72,
            0.88,
            ".1%",
        ),
        (
            "Active IT vacancies, Aug vs Jan 2022",
            "B1",
            aug["vacancies_active"] / jan["vacancies_active"] - 1,
            -0.275,
            -0.225,
            "+.1%",
        ),
        (
            "Active IT resumes, Aug vs Jan 2022",
            "B1",
            aug["resumes_active"] / jan["resumes_active"] - 1,
            0.495,
            0.605,
            "+.1%",
        ),
        (
            "Board resumes per vacancy, Jan 2022",
            "B1",
            tension * jan["resumes_active"] / jan["vacancies_active"],
            1.71,
            2.09,
            ".2f",
        ),
        (
            "Board resumes per vacancy, Aug 2022",
            "B1",
            tension * aug["resumes_active"] / aug["vacancies_active"],
            3.42,
            4.18,
            ".2f",
        ),
        (
            "Resumes willing to move abroad, Feb 2022",
            "B2",
            s["2022-02"]["relocation_abroad_share"],
            0.3285,
            0.4015,
            ".1%",
        ),
        (
            "Resumes willing to move abroad, Mar 2022 (target: over 40%)",
            "B2",
            s["2022-03"]["relocation_abroad_share"],
            0.40,
            0.50,
            ".1%",
        ),
        (
            "Emigrants, Mar 2022 (first wave) vs Jan 2022",
            "A1, A5",
            s["2022-03"]["emigrated"] / max(1.0, jan["emigrated"]),
            10,
            float("inf"),
            ",.0f",
        ),
        (
            "Emigrants, Oct 2022 (second wave) vs Aug 2022",
            "A5",
            s["2022-10"]["emigrated"] / max(1.0, aug["emigrated"]),
            10,
            float("inf"),
            ",.0f",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = simulate(
            load_scenario("exodus-2022"), Path(tmp) / "out", scale=args.scale, seed=args.seed, board=False
        )
    print(f"exodus-2022, scale {args.scale}, seed {args.seed} ({result.workers:,} workers simulated)\n")
    print("| target | source | accepted range | simulated | holds |")
    print("|---|---|---|---|---|")
    for what, source, value, low, high, fmt in rows(result.summary):
        shown = f"{low:{fmt}} – {high:{fmt}}" if high != float("inf") else f"≥ {low:{fmt}}"
        print(f"| {what} | {source} | {shown} | {value:{fmt}} | {'yes' if low <= value <= high else '**no**'} |")


if __name__ == "__main__":
    main()
