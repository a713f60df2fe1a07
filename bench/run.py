"""Every benchmark of docs/performance.md, in one command that rewrites its tables.

    .venv/bin/python bench/run.py            # about 10 minutes on the 2-core development VM
    .venv/bin/python bench/run.py --full     # adds 10,000 tests in the second layout and -n 2
    .venv/bin/python bench/run.py --only startup,unreachable   # prints; the page is not rewritten

Measures the checkout this file belongs to (its root goes first on the children's PYTHONPATH).
Ratios compare interleaved runs (A B A B ...), medians; goals are judged on CPU time (user +
system of the process tree) because on a VM shared with other jobs the wall time of the same
command moves by a factor of two, and CPU time much less; the wall times are shown next to it.
The tables go between the marker comments of docs/performance.md; the text around them is
written by hand.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
sys.path.insert(0, str(ROOT))

import checklist_collect  # noqa: E402
import k8s_offline  # noqa: E402
import overhead  # noqa: E402
import peers  # noqa: E402
import reports  # noqa: E402
from measure import PYTEST, Run, interleaved, median, ratio  # noqa: E402
from suites import project  # noqa: E402

DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin (bench/run.py writes this part) -->", "<!-- bench:end -->"

Goal = tuple[str, str, bool]  # what, measured, met


class Results:
    def __init__(self) -> None:
        self.goals: list[Goal] = []
        self.sections: list[str] = []

    def goal(self, what: str, measured: str, met: bool) -> None:
        self.goals.append((what, measured, met))
        print(f"  {'MET' if met else 'NOT MET'}: {what}: {measured}", flush=True)

    def section(self, title: str, command: str, table: str) -> None:
        self.sections.append(f"### {title}\n\n`{command}`\n\n{table}")


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def run_rows(runs: dict[str, list[Run]]) -> list[list[str]]:
    return [
        [
            name,
            f"{median(r):.2f} s",
            f"{median(r, 'cpu'):.2f} s",
            f"{median(r, 'rss_mb'):.0f} MB",
            " ".join(f"{x.wall:.1f}" for x in r),
        ]
        for name, r in runs.items()
    ]


RUN_HEADER = ["variant", "median wall", "median CPU", "peak RSS", "wall of each run"]


def bench_overhead(
    results: Results, plan: list[tuple[int, str, int]], repeat: dict[int, int]
) -> None:
    rows = []
    for tests, layout, dist in plan:
        print(f"overhead: {tests} tests, {layout}, -n {dist}", flush=True)
        o = overhead.measure(tests, layout, dist, repeat[tests])
        cpu_all, cpu_json = o.cpu_ratios()
        where = f"{tests:,} tests, {layout}, {'-n ' + str(dist) if dist else 'serial'}"
        results.goal(
            f"all reports <= 1.05x plain+junit ({where})",
            f"{cpu_all:.3f}x CPU, {o.all_ratio:.3f}x wall",
            cpu_all <= 1.05,
        )
        results.goal(
            f"JSON only <= 1.03x plain ({where})",
            f"{cpu_json:.3f}x CPU, {o.json_ratio:.3f}x wall",
            cpu_json <= 1.03,
        )
        if tests == 10_000 and layout == "modules" and not dist:
            extra = o.extra_memory_mb()
            results.goal(
                "peak memory, 10,000 items, all reports <= plain+junit + 20 MB",
                f"{extra:+.1f} MB",
                extra <= 20,
            )
        for name, runs in o.runs.items():
            rows.append([where, *run_rows({name: runs})[0]])
        rows.append(
            [
                where,
                f"**all {cpu_all:.3f}x, JSON {cpu_json:.3f}x CPU**",
                f"wall {o.all_ratio:.3f}x, {o.json_ratio:.3f}x",
                "",
                "",
            ]
        )
    results.section(
        "Overhead on trivial tests",
        "bench/overhead.py --tests N --layout modules|params [-n 2]",
        table(["suite", *RUN_HEADER], rows),
    )


def bench_startup(results: Results, repeat: int) -> None:
    print("startup", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        root = project(Path(tmp))
        base = [*PYTEST, "-q"]
        variants = {
            "plain": [*base, "-p", "no:readiness"],
            "plain, --junitxml": [*base, "-p", "no:readiness", "--junitxml=j.xml"],
            "--readiness": [*base, "--readiness=bench"],
            "--readiness, 4 reports": [
                *base,
                "--readiness=bench",
                "--junitxml=j.xml",
                *overhead.ALL_REPORTS,
            ],
            "plain -n 8": [*base, "-n", "8", "-p", "no:readiness"],
            "--readiness -n 8": [*base, "-n", "8", "--readiness=bench", "--readiness-json=r.json"],
        }
        runs = interleaved(variants, root, repeat, expect=None)  # nothing collected: status 5
    added = median(runs["--readiness"], "cpu") - median(runs["plain"], "cpu")
    added4 = median(runs["--readiness, 4 reports"], "cpu") - median(
        runs["plain, --junitxml"], "cpu"
    )  # the baseline writes the same JUnit file
    added8 = median(runs["--readiness -n 8"], "cpu") - median(runs["plain -n 8"], "cpu")
    results.goal(
        "start-up: --readiness on an empty suite <= plain + 0.1 s",
        f"{added:+.3f} s CPU ({added4:+.3f} s with 4 reports over plain with --junitxml)",
        added <= 0.1,
    )
    results.goal(
        "start-up: -n 8 adds no per-worker cost (<= 8 x 0.1 s over plain -n 8)",
        f"{added8:+.3f} s CPU over 9 processes",
        added8 <= 0.8,
    )
    results.section(
        "Start-up on an empty suite",
        "bench/run.py --only startup",
        table(RUN_HEADER, run_rows(runs)),
    )


def bench_xdist(results: Results, repeat: int) -> None:
    print("xdist curve", flush=True)
    workers = (1, 2, 4, 8)
    runs = peers.xdist_curve(workers, tests=100, seconds=0.05, repeat=repeat)
    rows = []
    worst = 0.0
    for n in workers:
        r = ratio(runs, f"readiness -n {n}", f"plain -n {n}")
        worst = max(worst, r)
        rows.append(
            [
                f"-n {n}",
                f"{median(runs[f'plain -n {n}']):.2f} s",
                f"{median(runs[f'readiness -n {n}']):.2f} s",
                f"{r:.3f}x",
            ]
        )
    results.goal(
        "xdist: readiness scales like plain pytest on I/O-bound checks (-n 1/2/4/8, wall)",
        f"worst {worst:.3f}x",
        worst <= 1.10,
    )
    results.section(
        "xdist scaling, 100 checks that wait 50 ms each",
        "bench/run.py --only xdist",
        table(["workers", "plain (wall)", "readiness JSON (wall)", "ratio"], rows),
    )


def bench_testinfra(results: Results, repeat: int) -> None:
    print("pytest-testinfra", flush=True)
    try:
        import testinfra  # noqa: F401
    except ImportError:
        results.goal(
            "1,000 host checks <= 1.0x pytest-testinfra",
            "not measured: pytest-testinfra not installed",
            False,
        )
        return
    runs = peers.testinfra_pair(1000, repeat)
    r_cpu, r_wall = (
        ratio(runs, "readiness", "pytest-testinfra", "cpu"),
        ratio(runs, "readiness", "pytest-testinfra"),
    )
    results.goal(
        "1,000 host checks <= 1.0x pytest-testinfra",
        f"{r_cpu:.3f}x CPU, {r_wall:.3f}x wall",
        r_cpu <= 1.0,
    )
    results.section(
        "1,000 host checks, local backend",
        "bench/run.py --only testinfra",
        table(RUN_HEADER, run_rows(runs)),
    )


def bench_unreachable(results: Results, repeat: int) -> None:
    print("unreachable targets", flush=True)
    runs = peers.unreachable(checks=25, timeout=2.0, repeat=repeat)
    for mode in ("serial", "-n 2"):
        total = median(runs[f"{mode}, unreachable"])
        added = total - median(runs[f"{mode}, no connection"])
        results.goal(
            f"4 black-holed kinds x 25 checks, timeout 2, {mode}: < 4 s wall",
            f"{added:.2f} s added to the same run without connections ({total:.2f} s in all)",
            added < 4.0,
        )
    results.section(
        "Four black-holed targets (postgres, redis, nats, http) x 25 checks, timeout 2 s",
        "bench/run.py --only unreachable",
        table(RUN_HEADER, run_rows(runs)),
    )


def bench_checklist(results: Results, repeat: int) -> None:
    print("checklist", flush=True)
    text = checklist_collect.make_checklist(5000)
    with tempfile.TemporaryDirectory(prefix="bench-checklist-") as tmp:
        root = project(Path(tmp))
        (root / "CHECKLIST.md").write_text(text, encoding="utf-8")
        _, parse = checklist_collect.time_parse(text.encode(), repeat)  # CPU seconds
        base = [*PYTEST, "-q", "--collect-only"]
        runs = interleaved(
            {
                "plain, nothing collected": [*base, "-p", "no:readiness"],
                "--readiness, CHECKLIST.md": [*base, "--readiness=bench", "CHECKLIST.md"],
            },
            root,
            repeat,
            expect=None,
        )
        flags = ["-q", "--collect-only"]
        _, phase = checklist_collect.time_phase(
            [*flags, "--readiness=bench", "CHECKLIST.md"], root, repeat
        )
        python = checklist_collect.make_python_suite(root, 5000)
        _, plain_phase = checklist_collect.time_phase(
            [*flags, "-p", "no:readiness", python.name], root, repeat
        )
    added = median(runs["--readiness, CHECKLIST.md"], "cpu") - median(
        runs["plain, nothing collected"], "cpu"
    )
    results.goal(
        "collecting a 5,000-item Markdown checklist < 1 s",
        f"collection phase {phase:.2f} s CPU (plain pytest collecting 5,000 Python tests:"
        f" {plain_phase:.2f} s); the whole process {added:.2f} s CPU over plain start-up",
        phase < 1.0,
    )
    results.section(
        "Collecting a 5,000-item Markdown checklist",
        "bench/checklist_collect.py",
        table(RUN_HEADER, run_rows(runs))
        + f"\n\nread_checklist() alone, in process: median {parse:.3f} s CPU. pytest's collection"
        f" phase of the checklist (bench/collect_timer.py, finding, parsing and building the"
        f" items): median {phase:.3f} s CPU; the same phase of plain pytest collecting 5,000"
        f" trivial Python tests from one module: {plain_phase:.3f} s CPU. The whole-process"
        f" difference above ({added:.2f} s CPU) adds the readiness start-up and the interpreter's"
        f" exit freeing the collected items.",
    )


def bench_k8s(results: Results, repeat: int) -> None:
    print("kubernetes offline", flush=True)
    import yaml

    with tempfile.TemporaryDirectory(prefix="bench-k8s-") as tmp:
        root = Path(tmp)
        (root / "manifests").mkdir()
        count = k8s_offline.make_manifests(root, 1000)
        target = {"name": "rendered", "manifests": [str(root / "manifests")]}
        profiles = {
            "baseline": {"checks": [], "kubernetes": [target]},
            "bench": {"checks": ["kubernetes"], "kubernetes": [target]},
        }
        (root / "readiness.yaml").write_text(yaml.safe_dump({"profiles": profiles}))
        base = [*PYTEST, "-q", "-p", "no:cacheprovider"]
        runs = interleaved(
            {
                "profile without checks": [
                    *base,
                    "--readiness=baseline",
                    "--readiness-json=b.json",
                ],
                "kubernetes checks": [*base, "--readiness=bench", "--readiness-json=r.json"],
            },
            root,
            repeat,
            expect=None,
        )
        parts = [k8s_offline.in_process(root / "manifests") for _ in range(repeat)]
    load, checks = statistics.median(p[0] for p in parts), statistics.median(p[1] for p in parts)
    added = median(runs["kubernetes checks"], "cpu") - median(runs["profile without checks"], "cpu")
    results.goal(
        f"offline Kubernetes checks over {count:,} objects < 2 s",
        f"{added:.2f} s CPU added to the run (in process: load {load:.2f} s + checks {checks:.2f} s)",
        added < 2.0,
    )
    results.section(
        f"The built-in Kubernetes checks over {count:,} objects, offline",
        "bench/k8s_offline.py",
        table(RUN_HEADER, run_rows(runs)),
    )


def bench_reports(results: Results, repeat: int) -> None:
    print("report rendering", flush=True)
    verdict = reports.big_verdict(10_000)
    rows = []
    for name, render in reports.RENDERERS.items():
        times, size = [], 0
        for _ in range(repeat):
            start = time.perf_counter()
            size = len(render(verdict).encode())
            times.append(time.perf_counter() - start)
        rows.append(
            [
                name,
                f"{min(times):.2f} s",
                f"{statistics.median(times):.2f} s",
                f"{size / 1e6:.1f} MB",
            ]
        )
    results.section(
        "Rendering each report of 10,000 items, in process",
        "bench/reports.py",
        table(["report", "best", "median", "size"], rows),
    )


def bench_html_browser(results: Results) -> None:
    """bench/html_browser.py (headless Chromium), when this checkout has it: its ``main(argv)``
    returns a summary whose ``results`` rows carry their own goal and verdict."""
    goal = "HTML of 10,000 items: loads < 1.5 s, each filter < 300 ms (headless Chromium)"
    if not (ROOT / "bench" / "html_browser.py").exists():
        results.goal(goal, "not measured: bench/html_browser.py is not in this checkout", False)
        return
    print("html in the browser", flush=True)
    import html_browser  # type: ignore[import-not-found,unused-ignore]

    try:
        summary = html_browser.main(["--items", "10000", "--repeat", "3", "--json"])
    except (Exception, SystemExit) as exc:  # no Chromium or Playwright here: say so
        results.goal(goal, f"not measured: {type(exc).__name__}: {exc}", False)
        return
    rows = summary.get("results", [])
    worst = max(rows, key=lambda row: row["median_ms"] / row["goal_ms"], default=None)
    measured = (
        f"{len(rows)} measures, worst {worst['measure']}: {worst['median_ms']:.0f} ms median"
        if worst
        else "no results"
    )
    results.goal(goal, measured, bool(rows) and all(row["met"] for row in rows))
    results.section(
        "The HTML report of 10,000 items in headless Chromium",
        "bench/html_browser.py --items 10000 --repeat 3",
        html_browser.table(summary),
    )


def machine() -> str:
    import pytest
    import xdist  # type: ignore[import-untyped]

    model = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPUs ({model}), {platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"pytest {pytest.__version__}, pytest-xdist {xdist.__version__}; load average before the run "
        f"{os.getloadavg()[0]:.2f}; a reference loop (10 million additions in Python) took "
        f"{reference_loop():.2f} s CPU, for comparing the seconds of runs on different days"
    )


def reference_loop() -> float:
    """The VM's speed of the day: it moved about 3x between two sessions (plain pytest
    collecting 5,000 trivial tests: 0.44 s, then 1.36 s CPU), and every goal written in
    seconds moves with it."""
    start = time.process_time()
    total = 0
    for number in range(10_000_000):
        total += number
    return time.process_time() - start


def render(results: Results, command: str, elapsed: float) -> str:
    goals = table(
        ["goal", "measured", "met"],
        [[w, m, "met" if ok else "**NOT MET**"] for w, m, ok in results.goals],
    )
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    head = f"Command: `{command}` ({elapsed / 60:.1f} min), {stamp}.\n\nMachine: {machine()}.\n\n"
    return (
        head
        + "## Goals\n\n"
        + goals
        + "\n\n## Measurements\n\n"
        + "\n\n".join(results.sections)
        + "\n"
    )


def write_doc(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    before, sep, rest = doc.partition(BEGIN)
    _, sep2, after = rest.partition(END)
    if not sep or not sep2:
        sys.exit(f"{DOC}: marker comments {BEGIN!r} ... {END!r} not found")
    DOC.write_text(f"{before}{BEGIN}\n{text}{END}{after}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--full", action="store_true", help="also 10,000 tests in the params layout and under -n 2"
    )
    parser.add_argument("--only", default="", help="comma-separated sections (default: all)")
    parser.add_argument(
        "--no-write", action="store_true", help="print, do not rewrite docs/performance.md"
    )
    args = parser.parse_args()
    plan = [(1000, "modules", 0), (1000, "params", 0), (1000, "modules", 2), (10_000, "modules", 0)]
    if args.full:
        plan += [(1000, "params", 2), (10_000, "params", 0), (10_000, "modules", 2)]
    sections: dict[str, Callable[[Results], None]] = {
        "unreachable": lambda r: bench_unreachable(r, 2),
        "startup": lambda r: bench_startup(r, 7),
        "checklist": lambda r: bench_checklist(r, 3),
        "k8s": lambda r: bench_k8s(r, 2),
        "reports": lambda r: bench_reports(r, 3),
        "xdist": lambda r: bench_xdist(r, 1),
        "testinfra": lambda r: bench_testinfra(r, 1),
        "html": bench_html_browser,
        "overhead": lambda r: bench_overhead(r, plan, {1000: 5, 10_000: 2}),
    }
    wanted = [s for s in args.only.split(",") if s] or list(sections)
    results = Results()
    start = time.perf_counter()
    for name in wanted:
        sections[name](results)
    elapsed = time.perf_counter() - start
    text = render(
        results,
        "python bench/run.py"
        + (" --full" if args.full else "")
        + (f" --only {args.only}" if args.only else ""),
        elapsed,
    )
    print(text)
    if args.only:  # the page holds every section: a partial run would drop the others
        print("--only: docs/performance.md left as it is (run without --only to rewrite it)")
    elif not args.no_write:
        write_doc(text)


if __name__ == "__main__":
    main()
