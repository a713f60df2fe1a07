"""The version lives in one place (pytest_readiness.__version__) and the changelog has it."""

from __future__ import annotations

import re

from pytest_readiness import __version__
from tests.docs.commands import ROOT, pyproject


def test_the_package_version_is_read_from_the_module_only() -> None:
    data = pyproject()
    assert "version" not in data["project"]
    assert data["project"]["dynamic"] == ["version"]
    assert data["tool"]["hatch"]["version"]["path"] == "pytest_readiness/__init__.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_the_changelog_has_a_section_for_the_current_version() -> None:
    headings = re.findall(r"^## (\S+)", (ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert headings[0] == __version__
