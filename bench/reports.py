"""Render time of every report for a 10,000-item verdict (DESIGN.md: each under a second).

    .venv/bin/python bench/reports.py --items 10000 --repeat 5

Builds the verdict with the real policy (12 sections, all severities, one item in eight
failing, each with evidence), then times each renderer in-process and prints the best and
median of the runs and the output size. Results go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pytest_readiness.model import (
    EvidenceRecord,
    ItemSpec,
    RawOutcome,
    RawResult,
    Severity,
    Verdict,
)
from pytest_readiness.policy import Policy, evaluate
from pytest_readiness.reporters import html, json_report, junit, markdown, terminal

SEVERITIES = (Severity.CRITICAL, Severity.IMPORTANT, Severity.IMPORTANT, Severity.NICE_TO_HAVE)


def big_verdict(count: int) -> Verdict:
    specs, raw = [], {}
    for n in range(count):
        severity = SEVERITIES[n % 4]
        spec = ItemSpec(
            id=f"ITEM-{n:05d}",
            nodeid=f"checks/test_s{n % 12}.py::test_item_{n}",
            title=f"Check {n} holds for node-{n % 97}.example.internal",
            severity=severity,
            section=f"Section {n % 12:02d}",
            weight=Policy().weights[severity],
            remediation="Restart the service and re-run the check" if n % 8 == 3 else None,
        )
        specs.append(spec)
        failed = n % 8 == 3
        raw[spec.nodeid] = RawResult(
            RawOutcome.FAILED if failed else RawOutcome.PASSED,
            message=f"observed {n % 7} replicas, expected >= 3" if failed else "",
            duration=0.001,
            evidence=(EvidenceRecord("replicas", n % 7, ">= 3"),),
        )
    return evaluate(specs, raw, Policy(), today=date(2026, 11, 23))


def junit_xml(verdict: Verdict) -> str:
    suite = ET.Element("testsuite", name="pytest", tests=str(len(verdict.items)), failures="0")
    for item in verdict.items:
        module, name = item.spec.nodeid.split("::")
        ET.SubElement(
            suite, "testcase", classname=module[:-3].replace("/", "."), name=name, time="0.001"
        )
    root = ET.Element("testsuites")
    root.append(suite)
    junit.enrich(root, verdict, "xunit2")
    return ET.tostring(root, encoding="unicode")


RENDERERS: dict[str, Callable[[Verdict], str]] = {
    "terminal": lambda v: "\n".join(line.text for line in terminal.render(v, 1)),
    "json": json_report.render,
    "junit": junit_xml,
    "html": html.render,
    "markdown": markdown.render,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    start = time.perf_counter()
    verdict = big_verdict(args.items)
    print(f"{args.items} items; policy evaluate: {time.perf_counter() - start:.3f} s")
    for name, render in RENDERERS.items():
        times, size = [], 0
        for _ in range(args.repeat):
            start = time.perf_counter()
            size = len(render(verdict).encode())
            times.append(time.perf_counter() - start)
        print(
            f"  {name:<9} best {min(times):.3f} s  median {statistics.median(times):.3f} s  {size / 1e6:6.2f} MB"
        )


if __name__ == "__main__":
    main()
