"""docs/checks.md is generated from the built-in checks' metadata, and stays so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_readiness.builtin import BuiltinError, checks_dir, discover, read_module
from pytest_readiness.builtin_docs import render

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "checks.md"


def test_docs_checks_md_matches_the_checks() -> None:
    assert PAGE.read_text(encoding="utf-8") == render(discover()), (
        "docs/checks.md is stale: run `python -m pytest_readiness.builtin --docs > docs/checks.md`"
    )


def test_the_docs_command_prints_the_page() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest_readiness.builtin", "--docs"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert done.stdout == render(discover())


def test_every_check_is_documented_with_its_metadata() -> None:
    page = PAGE.read_text(encoding="utf-8")
    modules = discover()
    assert checks_dir() == ROOT / "checks"
    assert {m.path.name for m in modules} == {p.name for p in (ROOT / "checks").glob("test_*.py")}
    for module in modules:
        for check in module.checks:
            assert f"### {check.id}\n" in page
            assert check.remediation.split()[0] in page
            for key in check.thresholds:
                assert f"`{key}` (default" in page


def test_check_ids_are_unique_and_prefixed() -> None:
    ids = [c.id for m in discover() for c in m.checks]
    assert len(ids) == len(set(ids))
    prefixes = (
        *("K8S-", "PG-", "REDIS-", "NATS-", "HTTP-", "TLS-"),
        *("OBS-", "LOGS-", "ART-", "REPO-", "HOST-"),
    )
    assert all(i.startswith(prefixes) for i in ids)


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("TARGET_KIND = 'x'\n", "declare DOMAIN"),
        (
            "DOMAIN = 'd'\nTARGET_KIND = 'x'\nimport pytest\n"
            "@pytest.mark.critical(section='s', remediation='r')\ndef test_a():\n    '''T.'''\n",
            "UPPERCASE id=",
        ),
        (
            "DOMAIN = 'd'\nTARGET_KIND = 'x'\nimport pytest\n"
            "@pytest.mark.critical(id='X-A', section='s')\ndef test_a():\n    '''T.'''\n",
            "remediation=",
        ),
        (
            "DOMAIN = 'd'\nTARGET_KIND = 'x'\nTHRESHOLDS = {'X-B': {'k': 1}}\n",
            "THRESHOLDS names no check",
        ),
    ],
    ids=["no-domain", "no-id", "no-remediation", "stray-threshold"],
)
def test_a_module_breaking_the_convention_is_named(
    tmp_path: Path, source: str, problem: str
) -> None:
    path = tmp_path / "test_broken.py"
    path.write_text(source)
    with pytest.raises(BuiltinError, match=problem):
        read_module(path)
