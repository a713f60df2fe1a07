"""Run the gate as CI does (``python -m pytest`` in a project directory) with every report, and
check that each report was written, parses and states the decision.

Time bounds here are safety nets against a hang, not benchmarks: generous multiples of the
timeouts involved.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

#: Report options of every run and the file each writes.
REPORTS = {
    "json": "--readiness-json=r.json",
    "html": "--readiness-html=r.html",
    "md": "--readiness-md=r.md",
    "junit": "--junitxml=r.xml",
}


@dataclass(frozen=True)
class GateRun:
    status: int
    result: dict[str, Any]
    seconds: float
    output: str

    @property
    def items(self) -> dict[str, dict[str, Any]]:
        """Items by id without the target suffix (``AFTER[db]`` -> ``AFTER``)."""
        return {item["id"].split("[")[0]: item for item in self.result["items"]}


def project(workdir: Path, profile: str, checks: str) -> Path:
    """A project directory with ``readiness.yaml`` (profile ``prod``) and ``test_checks.py``."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "readiness.yaml").write_text(textwrap.dedent(profile))
    (workdir / "test_checks.py").write_text(textwrap.dedent(checks))
    (workdir / "pytest.ini").write_text("[pytest]\n")
    return workdir


def argv(*args: str) -> list[str]:
    return [
        sys.executable, "-m", "pytest", "test_checks.py", "--readiness=prod",
        *REPORTS.values(), "-p", "no:cacheprovider", "-p", "no:randomly", "-v", *args,
    ]  # fmt: skip


def environment(**extra: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1", **extra}


def run_gate(workdir: Path, *args: str, timeout: float = 120, **env: str) -> GateRun:
    """Run the gate to its end; ``timeout`` only stops a hung run so that the test fails."""
    started = time.monotonic()
    proc = subprocess.run(
        argv(*args), cwd=workdir, env=environment(**env), capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    seconds = time.monotonic() - started
    output = proc.stdout + proc.stderr
    print(f"[gate] exit {proc.returncode} in {seconds:.1f}s")  # shown by -rP: the docs' table
    return GateRun(proc.returncode, reports_of(workdir, proc.returncode, output), seconds, output)


def reports_of(workdir: Path, status: int, output: str) -> dict[str, Any]:
    """Assert every report was written, is valid and agrees with the exit status; return the
    JSON result."""
    __tracebackhide__ = True
    files = {kind: workdir / option.split("=", 1)[1] for kind, option in REPORTS.items()}
    missing = [str(path.name) for path in files.values() if not path.exists()]
    assert not missing, f"reports not written: {missing} (exit {status})\n{output[-3000:]}"
    result: dict[str, Any] = json.loads(files["json"].read_text(encoding="utf-8"))
    decision = result["decision"]
    assert result["exit_status"] == status
    ET.parse(files["junit"])  # well-formed XML, or ParseError
    page = files["html"].read_text(encoding="utf-8")
    HTMLParser().feed(page)
    assert page.lstrip().lower().startswith("<!doctype html")
    assert decision in page
    assert decision in files["md"].read_text(encoding="utf-8")
    return result
