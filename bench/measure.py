"""Running a benchmark command: wall time, CPU time and peak memory of its process tree.

Every run is a fresh subprocess reaped with ``os.wait4`` (by a small launcher, see
:data:`LAUNCHER`), whose resource usage covers the process and the children it waited for
(xdist workers): CPU is their sum, peak RSS the largest of them. Variants run interleaved (A B A B ...) so that the machine's load, which
moves a lot on a shared VM, falls on every variant alike; results are medians.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: Plugins installed in this venv for the project's own tests, not by pytest-readiness's
#: dependencies: hypothesis's plugin imports all of hypothesis at the end of every run
#: (0.1-0.3 s), which would pad the baseline and every variant alike and shrink the ratios.
UNRELATED_PLUGINS = ("hypothesispytest", "pytest11.testinfra")


def pytest_without(*plugins: str) -> list[str]:
    """pytest, with the given installed plugins not loaded (for baseline and variant alike)."""
    return [sys.executable, "-m", "pytest", *(f"-pno:{name}" for name in plugins)]


PYTEST = pytest_without(*UNRELATED_PLUGINS)


def child_env() -> dict[str, str]:
    """This environment with bytecode caching on, as on a user's machine (an installed
    package has its bytecode). Without it, every run of a command compiled pytest-readiness
    from source again (its modules are not in site-packages' cache), while plain pytest
    loaded its cached bytecode: a cost of the environment, charged to one side only."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # seconds, user + system, process tree
    rss_mb: float  # peak resident set of the largest process of the tree
    status: int


#: Started for every run: forks and execs the command and reports its resource usage. A child
#: forked by this (large) benchmark process would inherit its peak RSS through exec on Linux,
#: so the fork happens in this small launcher instead.
LAUNCHER = """
import json, os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(sys.argv[1], "w") as out:
    json.dump([wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
               os.waitstatus_to_exitcode(status)], out)
"""


def run(cmd: list[str], cwd: Path, expect: tuple[int, ...] | None = (0,)) -> Run:
    """One run of ``cmd``; exits the benchmark with its output if the status is unexpected."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryDirectory() as tmp:
        usage = Path(tmp, "usage.json")
        launcher = [sys.executable, "-c", LAUNCHER, str(usage), *cmd]
        subprocess.run(
            launcher, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, check=True, env=child_env()
        )
        wall, cpu, rss_mb, status = json.loads(usage.read_text())
        if expect is not None and status not in expect:
            out.seek(0)
            text = out.read().decode(errors="replace")
            sys.exit(f"{' '.join(cmd)} exited {status}:\n{text[-3000:]}")
    return Run(wall, cpu, rss_mb, status)


def interleaved(
    variants: dict[str, list[str]],
    cwd: Path,
    repeat: int,
    expect: tuple[int, ...] | None = (0,),
) -> dict[str, list[Run]]:
    """Every variant ``repeat`` times, in turn, after untimed warm-up runs: the first variant
    (the bytecode of the generated suite, the page cache: what it would pay alone) and the
    first readiness variant (pytest-readiness's own bytecode, which pytest writes with its
    assertion rewriting the first time the plugin is imported)."""
    commands = list(variants.values())
    warm_ups = [commands[0]]
    readiness = next((c for c in commands if any(a.startswith("--readiness") for a in c)), None)
    if readiness is not None and readiness is not commands[0]:
        warm_ups.append(readiness)
    for command in warm_ups:
        run(command, cwd, expect)
    runs: dict[str, list[Run]] = {name: [] for name in variants}
    for _ in range(repeat):
        for name, cmd in variants.items():
            runs[name].append(run(cmd, cwd, expect))
    return runs


def median(runs: list[Run], field: str = "wall") -> float:
    return float(statistics.median(getattr(r, field) for r in runs))


def ratio(runs: dict[str, list[Run]], name: str, base: str, field: str = "wall") -> float:
    return median(runs[name], field) / median(runs[base], field)
