"""Profiler events per test: a deterministic measure of what a readiness run adds per item.

    .venv/bin/python bench/events.py --tests 1000 [--reports json|all] [--top 15] [-- extra pytest args]

Runs plain pytest and a readiness run on one generated suite (bench/suites.py), each in a
fresh process under cProfile whose clock is a counter: every function call and return
is one event, so the counts do not move with the machine's load the way CPU seconds do on a
shared VM. The pairs are bench/overhead.py's: ``--reports json`` (the default) compares a
JSON-only run with plain pytest, ``--reports all`` a run writing all four reports (JSON, HTML,
Markdown, the enriched JUnit file) with plain pytest writing its JUnit file. Prints the events
per test of each run, their ratio, and the plugin's functions with the most events per test
(inclusive); ``--keep DIR`` keeps both profiles (``pstats`` files) for a closer look. xdist
workers are not profiled (run serially).
"""

from __future__ import annotations

import argparse
import pstats
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import UNRELATED_PLUGINS, child_env
from overhead import VARIANT_ARGS
from suites import LAYOUTS, trivial

#: Run in the child: pytest under a profiler whose clock counts events.
PROFILED = """
import cProfile, itertools, sys
import pytest
profile = cProfile.Profile(itertools.count().__next__, 1.0)
profile.enable()
try:
    pytest.main(sys.argv[2:])
finally:
    profile.disable()
    profile.dump_stats(sys.argv[1])
"""


#: --reports: (plain pytest's arguments, the readiness run's), bench/overhead.py's pairs.
PAIRS: dict[str, tuple[list[str], list[str]]] = {
    "json": (VARIANT_ARGS["plain"], VARIANT_ARGS["json only"]),
    "all": (VARIANT_ARGS["plain+junit"], VARIANT_ARGS["all reports"]),
}


def events(root: Path, out: Path, args: list[str]) -> pstats.Stats:
    unrelated = [f"-pno:{name}" for name in UNRELATED_PLUGINS]
    command = [
        sys.executable,
        "-c",
        PROFILED,
        str(out),
        "-q",
        "-p",
        "no:cacheprovider",
        *unrelated,
        *args,
    ]
    subprocess.run(command, cwd=root, stdout=subprocess.DEVNULL, check=False, env=child_env())
    return pstats.Stats(str(out))


def total(stats: pstats.Stats) -> float:
    return float(max(entry[3] for entry in stats.stats.values()))  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tests", type=int, default=1000)
    parser.add_argument("--layout", choices=LAYOUTS, default="modules")
    parser.add_argument("--reports", choices=tuple(PAIRS), default="json")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument(
        "--keep", type=Path, help="a directory to keep plain.prof and ready.prof in"
    )
    parser.add_argument("extra", nargs="*", help="more pytest arguments for both runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-events-") as tmp:
        root = trivial(Path(tmp, "suite"), args.tests, args.layout)
        plain_args, ready_args = PAIRS[args.reports]
        plain = events(root, Path(tmp, "plain.prof"), [*plain_args, *args.extra])
        ready = events(root, Path(tmp, "ready.prof"), [*ready_args, *args.extra])
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            for name in ("plain.prof", "ready.prof"):
                shutil.copyfile(Path(tmp, name), args.keep / name)
    per_plain, per_ready = total(plain) / args.tests, total(ready) / args.tests
    print(f"plain     {per_plain:9.1f} events per test  {' '.join(plain_args)}")
    print(f"readiness {per_ready:9.1f} events per test  {' '.join(ready_args)}")
    print(f"ratio     {per_ready / per_plain:9.3f}x")
    rows = [
        (entry[3] / args.tests, entry[1], f"{Path(where[0]).name}:{where[2]}")
        for where, entry in ready.stats.items()  # type: ignore[attr-defined]
        if "pytest_readiness" in where[0]
    ]
    for inclusive, calls, name in sorted(rows, reverse=True)[: args.top]:
        print(f"{inclusive:9.1f} per test  {calls:>8} calls  {name}")


if __name__ == "__main__":
    main()
