"""What a readiness run costs over plain pytest on trivial tests, interleaved, medians.

    .venv/bin/python bench/overhead.py --tests 10000 --layout modules --repeat 3 [-n 2]

Four variants on the same generated suite (bench/suites.py: markers registered for all):
  plain+junit  pytest -p no:readiness --junitxml=plain.xml
  all reports  pytest --readiness=bench --junitxml=ready.xml --readiness-json --readiness-html --readiness-md
  plain        pytest -p no:readiness
  json only    pytest --readiness=bench --readiness-json
The goals compare "all reports" with "plain+junit" and "json only" with "plain".
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path

from measure import PYTEST, Run, interleaved, median, ratio
from suites import LAYOUTS, trivial

READINESS = ["--readiness=bench"]
ALL_REPORTS = ["--readiness-json=r.json", "--readiness-html=r.html", "--readiness-md=r.md"]


#: Each variant's own pytest arguments (bench/events.py counts the same pairs).
VARIANT_ARGS: dict[str, list[str]] = {
    "plain+junit": ["-p", "no:readiness", "--junitxml=plain.xml"],
    "all reports": [*READINESS, "--junitxml=ready.xml", *ALL_REPORTS],
    "plain": ["-p", "no:readiness"],
    "json only": [*READINESS, "--readiness-json=r.json"],
}


def variants(dist: int) -> dict[str, list[str]]:
    base = [*PYTEST, "-q", *(["-n", str(dist)] if dist else [])]
    return {name: [*base, *args] for name, args in VARIANT_ARGS.items()}


@dataclass(frozen=True)
class Overhead:
    tests: int
    layout: str
    dist: int
    runs: dict[str, list[Run]]

    @property
    def all_ratio(self) -> float:
        return ratio(self.runs, "all reports", "plain+junit")

    @property
    def json_ratio(self) -> float:
        return ratio(self.runs, "json only", "plain")

    def cpu_ratios(self) -> tuple[float, float]:
        return (
            ratio(self.runs, "all reports", "plain+junit", "cpu"),
            ratio(self.runs, "json only", "plain", "cpu"),
        )

    def extra_memory_mb(self) -> float:
        return median(self.runs["all reports"], "rss_mb") - median(
            self.runs["plain+junit"], "rss_mb"
        )


def measure(tests: int, layout: str, dist: int, repeat: int) -> Overhead:
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
        root = trivial(Path(tmp), tests, layout)
        return Overhead(tests, layout, dist, interleaved(variants(dist), root, repeat))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--layout", choices=LAYOUTS, default="modules")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("-n", dest="dist", type=int, default=0, help="xdist workers (0: serial)")
    args = parser.parse_args()
    result = measure(args.tests, args.layout, args.dist, args.repeat)
    for name, runs in result.runs.items():
        print(
            f"{name:<12} wall {median(runs):7.2f} s  cpu {median(runs, 'cpu'):7.2f} s  "
            f"rss {median(runs, 'rss_mb'):6.1f} MB  runs: "
            + " ".join(f"{r.wall:.2f}" for r in runs)
        )
    cpu_all, cpu_json = result.cpu_ratios()
    print(f"all reports / plain+junit: wall {result.all_ratio:.3f}x  cpu {cpu_all:.3f}x")
    print(f"json only / plain:         wall {result.json_ratio:.3f}x  cpu {cpu_json:.3f}x")
    print(f"peak memory, all reports - plain+junit: {result.extra_memory_mb():+.1f} MB")


if __name__ == "__main__":
    main()
