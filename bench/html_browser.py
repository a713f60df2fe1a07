"""The HTML report in headless Chromium: load and filter times at 10,000 items.

    .venv/bin/python bench/html_browser.py --items 10000 --repeat 5 [--json] [--update-docs]

Writes the report of a verdict built by the real policy (``tests.golden.verdicts.big_verdict``:
12 sections, every severity, one item in eight failing), opens it in a fresh page at
1280x900 for each repeat and measures, inside the page (``performance.now()``):

- load: from navigation start until the first frame after the ``load`` event has been
  painted (parsing, the filter script, style and layout of every row);
- each filter: from setting a control until the next frame has been painted, every filter
  applied on the full table and then reset to "all" (resetting shows every row again, the
  costliest change).

Prints the median and the worst of the repeats against the goals (load < 1.5 s, each filter
< 300 ms); ``--json`` prints the same as JSON instead; ``--update-docs`` rewrites the section
between the ``html-browser`` markers of docs/performance.md. Needs Playwright and Chromium
(``/usr/bin/chromium`` from Debian, ``.ci/browser.sh``). ``main(argv)`` is what bench/run.py
calls; it returns the results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytest_readiness.reporters import html  # noqa: E402
from tests.golden.verdicts import big_verdict  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
DOCS = ROOT / "docs" / "performance.md"
START, END = "<!-- html-browser:start -->", "<!-- html-browser:end -->"
LOAD_GOAL_MS = 1500.0
FILTER_GOAL_MS = 300.0

#: (label, control, value): each applied to the whole table, then the control reset to "".
FILTERS: tuple[tuple[str, str, str], ...] = (
    ("outcome: not met", "#f-outcome", "not-met"),
    ("outcome: passed", "#f-outcome", "passed"),
    ("severity: critical", "#f-severity", "critical"),
    ("section", "#f-section", "Section 03"),
    ("search one id", "#f-search", "ITEM-09999"),
    ("search two words", "#f-search", "node-5 replicas"),
)

#: Runs in the page: change a control, wait until the frame after it is painted.
_TIME_CHANGE = """async ([selector, value]) => {
  const el = document.querySelector(selector);
  const start = performance.now();
  el.value = value;
  el.dispatchEvent(new Event(el.tagName === "SELECT" ? "change" : "input"));
  await new Promise(done => requestAnimationFrame(() => setTimeout(done, 0)));
  return performance.now() - start;
}"""
_TIME_LOAD = """async () => {
  await new Promise(done => requestAnimationFrame(() => setTimeout(done, 0)));
  return performance.now();
}"""


def measure(path: Path, repeat: int) -> dict[str, list[float]]:
    """Milliseconds per measurement, one value per repeat (a fresh page each time)."""
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {"load": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for _ in range(repeat):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(path.as_uri(), wait_until="load")
                times["load"].append(float(page.evaluate(_TIME_LOAD)))
                for label, selector, value in FILTERS:
                    applied = float(page.evaluate(_TIME_CHANGE, [selector, value]))
                    reset = float(page.evaluate(_TIME_CHANGE, [selector, ""]))
                    times.setdefault(label, []).append(applied)
                    times.setdefault(f"{label}, reset", []).append(reset)
                page.close()
        finally:
            browser.close()
    return times


def summarise(times: dict[str, list[float]], items: int, size: int) -> dict[str, Any]:
    rows = []
    for name, values in times.items():
        goal = LOAD_GOAL_MS if name == "load" else FILTER_GOAL_MS
        median = statistics.median(values)
        rows.append(
            {
                "measure": name,
                "median_ms": round(median, 1),
                "worst_ms": round(max(values), 1),
                "goal_ms": goal,
                "met": median < goal,
            }
        )
    return {
        "items": items,
        "repeat": len(times["load"]),
        "size_bytes": size,
        "date": date.today().isoformat(),
        "load_average": round(os.getloadavg()[0], 1),
        "python": platform.python_version(),
        "chromium": CHROMIUM,
        "results": rows,
    }


def table(summary: dict[str, Any]) -> str:
    lines = [
        "| measure | median | worst | goal | met |",
        "|---|---|---|---|---|",
    ]
    for row in summary["results"]:
        lines.append(
            f"| {row['measure']} | {row['median_ms']:.0f} ms | {row['worst_ms']:.0f} ms "
            f"| < {row['goal_ms']:.0f} ms | {'yes' if row['met'] else 'NO'} |"
        )
    return "\n".join(lines)


def docs_section(summary: dict[str, Any], version: str) -> str:
    return (
        f"{START}\n"
        f"{summary['items']:,} items, {summary['size_bytes'] / 1e6:.1f} MB, median of "
        f"{summary['repeat']} fresh pages at 1280x900, {version}, {summary['date']}, "
        f"load average {summary['load_average']} on {os.cpu_count()} cores:\n\n"
        f"{table(summary)}\n{END}"
    )


def update_docs(summary: dict[str, Any], version: str, docs: Path = DOCS) -> None:
    text = docs.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{docs} has no {START} ... {END} section to rewrite")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    docs.write_text(head + docs_section(summary, version) + tail, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--update-docs", action="store_true", help="rewrite the section in docs/performance.md"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "report.html")
        html.write(big_verdict(args.items), str(path))
        size = path.stat().st_size
        summary = summarise(measure(path, args.repeat), args.items, size)
    version = _browser_version()
    summary["chromium"] = version
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(docs_section(summary, version).split("\n", 1)[1].rsplit("\n", 1)[0])
    if args.update_docs:
        update_docs(summary, version)
    return summary


def _browser_version() -> str:
    import subprocess

    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "Chromium (version unknown)"
    return out.stdout.strip() or "Chromium"


if __name__ == "__main__":
    main()
