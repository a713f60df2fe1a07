"""Reports written by the real tools, for the artifact parser and check tests.

pytest's ``--junitxml`` and coverage.py's ``xml`` and ``json`` commands run in a subprocess on a
tiny project written to a temporary directory, so the files are exactly what a pipeline keeps.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

_TESTS = """
import pytest

def test_adds():
    assert 1 + 1 == 2

def test_joins():
    assert "-".join("ab") == "a-b"

@pytest.mark.skip(reason="not on this platform")
def test_skipped():
    pass
"""

_FAILING = """
def test_compares():
    assert 2 * 2 == 5

def test_breaks():
    raise RuntimeError("boom")
"""

_MODULE = """
def price(amount, discount=0):
    if discount:
        return amount * (100 - discount) / 100
    return amount

def unused(value):
    if value > 10:
        return "big"
    return "small"
"""


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def junit_report(directory: Path, *, failing: bool) -> Path:
    """A JUnit XML report of pytest run on 3 passing-or-skipped tests (+2 failing ones)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "test_demo.py").write_text(textwrap.dedent(_TESTS + (_FAILING if failing else "")))
    report = directory / "junit.xml"
    run = _run(
        directory, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:readiness",
        "-c", "/dev/null", f"--junitxml={report}", "test_demo.py",
    )  # fmt: skip
    assert run.returncode == (1 if failing else 0), run.stdout + run.stderr
    return report


def coverage_reports(directory: Path, *, full: bool) -> tuple[Path, Path]:
    """coverage.py's Cobertura XML and JSON of a module exercised fully or in part."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pricing.py").write_text(textwrap.dedent(_MODULE))
    calls = "price(10); price(10, 5)"
    if full:
        calls += "; unused(1); unused(11)"
    (directory / "main.py").write_text(f"from pricing import *\n{calls}\n")
    for args in (
        ("run", "--source=pricing", "main.py"),
        ("xml", "-o", "coverage.xml"),
        ("json", "-o", "coverage.json"),
    ):
        run = _run(directory, "-m", "coverage", *args)
        assert run.returncode == 0, run.stdout + run.stderr
    return directory / "coverage.xml", directory / "coverage.json"
