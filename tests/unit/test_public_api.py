"""The public API is what ``__all__`` says, sorted, and every name in it exists."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import tomllib

import pytest_readiness

ROOT = Path(__file__).resolve().parents[2]


def test_all_is_sorted_and_complete() -> None:
    names = pytest_readiness.__all__
    assert names == sorted(names)
    for name in names:
        assert hasattr(pytest_readiness, name), name
    public = {n for n in vars(pytest_readiness) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(names)


def test_the_core_imports_without_pytest_or_yaml() -> None:
    """Tools that read verdicts (dashboards, the merge of shards) need the pure core only."""
    code = (
        "import sys, pytest_readiness, pytest_readiness.policy, pytest_readiness.model; "
        "print(sorted(m for m in ('pytest', '_pytest', 'yaml') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_the_version_has_one_source() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["hatch"]["version"]["path"] == "pytest_readiness/__init__.py"
    assert importlib.metadata.version("pytest-readiness") == pytest_readiness.__version__
