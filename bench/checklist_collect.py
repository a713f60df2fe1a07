"""Time to collect a generated Markdown checklist of N items (goal: 5,000 items in < 1 s).

    .venv/bin/python bench/checklist_collect.py --items 5000 --repeat 5

Generates a checklist with headings every 25 items, a severity word in every third heading,
nested sub-items, inline code, tags and a status table, then times two things:
  parse    read_checklist() on the bytes: decode, repair check, markdown-it, ids, severities
  collect  pytest --readiness=bench --collect-only on the file, wall time of the process
           (includes pytest's own start-up; the plain start-up is reported for comparison)
Prints the median of each. Results go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def time_parse(data: bytes, repeat: int) -> float:
    from pytest_readiness.checklist.document import read_checklist

    read_checklist(data, "warm-up.md")
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        read_checklist(data, "bench.md")
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def time_process(args: list[str], cwd: Path, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pytest", *args], cwd=cwd, capture_output=True, check=False
        )
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


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
        startup = time_process([*base, "--collect-only"], root, options.repeat)
        collect = time_process(
            [*base, "--readiness=bench", "--collect-only", "CHECKLIST.md"], root, options.repeat
        )
    print(f"items: {options.items} (+20 table rows), {len(text.encode()) // 1024} KiB")
    print(f"machine: sum(range(10**7)) takes {reference():.3f} s (a typical laptop: ~0.15 s)")
    print(f"parse:   median {parse:.3f} s  (read_checklist)")
    print(f"collect: median {collect:.3f} s  (pytest --collect-only, whole process)")
    print(f"startup: median {startup:.3f} s  (pytest --collect-only with nothing to collect)")
    print(f"collect - startup: {collect - startup:.3f} s")


if __name__ == "__main__":
    main()
