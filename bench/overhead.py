"""Wall-time overhead of a readiness run over plain pytest, on N trivial tests.

    .venv/bin/python bench/overhead.py --tests 10000 --repeat 5

Generates a suite of trivial tests (a mix of severities, a module-level section marker) in a
temp dir, then times, alternating to spread machine noise evenly:
  plain      pytest -p no:readiness
  inert      pytest                                (plugin loaded, no --readiness)
  readiness  pytest --readiness=bench --readiness-json=out.json
and reports the median wall and CPU time of each and the overhead against plain.
Results go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODULE = """import pytest

pytestmark = pytest.mark.important(section="{section}")

"""
TEST = """@pytest.mark.{severity}
def test_{n}():
    assert True

"""
SEVERITIES = ("critical", "important", "nice_to_have")


def make_suite(root: Path, tests: int, per_module: int = 100) -> None:
    (root / "readiness.yaml").write_text("profiles:\n  bench: {}\n")
    (root / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    for m in range(0, tests, per_module):
        body = MODULE.format(section=f"section {m // per_module % 7}")
        body += "".join(
            TEST.format(severity=SEVERITIES[n % 3], n=n)
            for n in range(m, min(m + per_module, tests))
        )
        (root / f"test_mod_{m // per_module:04d}.py").write_text(body)


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child): CPU time is far less noisy on a shared VM."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(
            f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--xdist", type=int, default=0, help="-n N for every run (0: serial)")
    args = parser.parse_args()
    pytest_cmd = [sys.executable, "-m", "pytest", "-q"] + (
        ["-n", str(args.xdist)] if args.xdist else []
    )
    variants = {
        "plain": [*pytest_cmd, "-p", "no:readiness"],
        "inert": pytest_cmd,
        "readiness": [*pytest_cmd, "--readiness=bench", "--readiness-json=out.json"],
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_suite(root, args.tests)
        timed(variants["plain"], root)  # warm the filesystem and bytecode caches
        wall: dict[str, list[float]] = {name: [] for name in variants}
        cpu: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.repeat):
            for name, cmd in variants.items():
                w, c = timed(cmd, root)
                wall[name].append(w)
                cpu[name].append(c)
    print(
        f"{args.tests} trivial tests, {args.repeat} runs each, xdist={args.xdist or 'off'} (medians)"
    )
    for label, table in (("wall", wall), ("cpu", cpu)):
        plain = statistics.median(table["plain"])
        for name, values in table.items():
            median = statistics.median(values)
            print(
                f"  {label:<4} {name:<10} {median:7.3f} s  ({(median / plain - 1) * 100:+5.1f}% vs plain)"
                "  runs: " + " ".join(f"{v:.2f}" for v in values)
            )


if __name__ == "__main__":
    main()
