"""Time to collect a generated Markdown checklist of N items (goal: 5,000 items in < 1 s).

    .venv/bin/python bench/checklist_collect.py --items 5000 --repeat 5

Generates a checklist with headings every 25 items, a severity word in every third heading,
nested sub-items, inline code, tags and a status table, then times two things:
  parse    read_checklist() on the bytes: decode, repair check, markdown-it, ids, severities
  phase    pytest's collection phase inside that run (bench/collect_timer.py): finding,
           parsing and building the items, without interpreter start-up and exit; beside it
           the same phase of plain pytest collecting 5,000 trivial Python tests
  collect  pytest --readiness=bench --collect-only on the file, wall time of the process
           (includes pytest's own start-up; the plain start-up is reported for comparison)
Prints the median of each, as wall time and as CPU time (this process's for the parse, the
child's user + system for the collection): on a shared machine other jobs stretch the wall
time, the CPU time is what the code costs. Results go in docs/checklists.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from measure import PYTEST, child_env

SEVERITY_WORDS = ("Critical", "Should Pass", "Optional", "")


def make_checklist(items: int) -> str:
    lines = ["---", "title: generated", "---", "", "# Generated release checklist", ""]
    for n in range(items):
        if n % 25 == 0:
            word = SEVERITY_WORDS[(n // 25) % len(SEVERITY_WORDS)]
            lines += ["", f"## 🔧 {n // 25 + 1}. Area {n // 25} {word}".rstrip(), ""]
        if n % 10 == 9:
            lines.append(f"  - [ ] sub-check {n} of `component-{n}` (if applicable)")
        else:
            lines.append(f"- [ ] **Check {n}** configured with `setting_{n}` ≥ {n % 7}")
    lines += ["", "| Criterion | Status |", "|---|---|"]
    lines += [f"| criterion {n} | ⬜ |" for n in range(20)]
    return "\n".join(lines) + "\n"


def time_parse(data: bytes, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of read_checklist."""
    from pytest_readiness.checklist.document import read_checklist

    read_checklist(data, "warm-up.md")
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        read_checklist(data, "bench.md")
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_process(args: list[str], cwd: Path, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of a pytest process, after one unmeasured warm-up run.

    Bytecode caching is on in the child (PYTHONDONTWRITEBYTECODE removed) as on a user's
    machine: without it pytest rewrites and compiles the plugin's modules on every run.
    """
    env = child_env()
    command = [*PYTEST, *args]
    subprocess.run(command, cwd=cwd, capture_output=True, check=False, env=env)
    runs, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), _children_cpu()
        subprocess.run(command, cwd=cwd, capture_output=True, check=False, env=env)
        runs.append(time.perf_counter() - start)
        cpu.append(_children_cpu() - start_cpu)
    return statistics.median(runs), statistics.median(cpu)


def make_python_suite(root: Path, tests: int) -> Path:
    """``tests`` trivial test functions in one module: what plain pytest collects alike."""
    body = "".join(f"def test_{n}():\n    pass\n\n\n" for n in range(tests))
    (root / "test_plain.py").write_text(body, encoding="utf-8")
    return root / "test_plain.py"


def time_phase(args: list[str], cwd: Path, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of pytest's collection phase, after one unmeasured run."""
    bench = str(Path(__file__).resolve().parent)
    env = child_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [bench, env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "phase.txt"
        command = [*PYTEST, "-p", "collect_timer", *args]
        for _ in range(repeat + 1):
            subprocess.run(
                [*command, f"--collect-timer-out={out}"],
                cwd=cwd,
                capture_output=True,
                check=False,
                env=env,
            )
        lines = out.read_text(encoding="utf-8").split("\n")[1 : repeat + 1]  # warm-up dropped
    pairs = [line.split() for line in lines]
    return statistics.median(float(w) for w, _ in pairs), statistics.median(
        float(c) for _, c in pairs
    )


def reference() -> float:
    """A fixed CPU-bound loop, to compare machines (shared VMs vary a lot)."""
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        sum(range(10**7))
        runs.append(time.perf_counter() - start)
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    text = make_checklist(options.items)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "readiness.yaml").write_text("profiles:\n  bench: {}\n")
        (root / "CHECKLIST.md").write_text(text, encoding="utf-8")
        parse = time_parse(text.encode(), options.repeat)
        base = ["-p", "no:cacheprovider", "-q"]
        phase = time_phase(
            [*base, "--readiness=bench", "--collect-only", "CHECKLIST.md"], root, options.repeat
        )
        python = make_python_suite(root, options.items)
        plain_phase = time_phase([*base, "--collect-only", python.name], root, options.repeat)
        python.unlink()
        startup = time_process([*base, "--collect-only"], root, options.repeat)
        collect = time_process(
            [*base, "--readiness=bench", "--collect-only", "CHECKLIST.md"], root, options.repeat
        )
    print(f"items: {options.items} (+20 table rows), {len(text.encode()) // 1024} KiB")
    print(f"machine: sum(range(10**7)) takes {reference():.3f} s (a typical laptop: ~0.15 s)")
    rows = (
        ("parse", parse, "read_checklist"),
        ("phase", phase, "pytest's collection phase of the checklist, in the run"),
        ("pyphase", plain_phase, f"the same phase, plain pytest, {options.items} Python tests"),
        ("collect", collect, "pytest --collect-only, whole process"),
        ("startup", startup, "pytest --collect-only with nothing to collect"),
    )
    for name, (wall, cpu), what in rows:
        print(f"{name + ':':9}median {wall:.3f} s wall, {cpu:.3f} s CPU  ({what})")
    print(
        f"collect - startup: {collect[0] - startup[0]:.3f} s wall, {collect[1] - startup[1]:.3f} s CPU"
    )


if __name__ == "__main__":
    main()
