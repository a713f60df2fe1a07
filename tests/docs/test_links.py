"""Messages send users to the docs site, at one address that the package metadata and the site
itself agree on; none points at a repository path that does not ship in the wheel."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from pytest_readiness.config import load_profile
from pytest_readiness.errors import ConfigError
from pytest_readiness.links import DOCS_URL, docs_page
from tests.docs.commands import ROOT, pyproject

PACKAGE = ROOT / "pytest_readiness"
REPOSITORY_DOC = re.compile(r"\bdocs/[\w.-]+\.md\b")
# Generators name the repository file they write; that is not a link for users.
GENERATOR = {
    ("builtin.py", "print docs/checks.md to stdout"),
    ("builtin_docs.py", "--docs > docs/checks.md"),
    ("coverage.py", "--output docs/coverage.md"),
}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _strings(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal in ``path`` that is not a docstring."""
    tree = ast.parse(path.read_text())
    skip = _docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
    ]


def _pages_linked() -> set[str]:
    pages = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "docs_page"
            ):
                first = node.args[0]
                assert isinstance(first, ast.Constant), f"{path}: docs_page needs a literal page"
                pages.add(str(first.value))
    return pages


def test_the_docs_address_is_the_same_in_the_package_metadata_and_the_site() -> None:
    urls = pyproject()["project"]["urls"]
    site = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["site_url"]
    assert DOCS_URL == urls["Documentation"] == site
    assert DOCS_URL.startswith("https://")
    assert DOCS_URL.endswith("/")
    assert urls["Issues"].endswith("/issues")


def test_every_page_a_message_links_to_is_a_docs_page() -> None:
    pages = _pages_linked()
    assert {"configuration", "checks", "reliability"} <= pages
    assert sorted(p for p in pages if not (ROOT / "docs" / f"{p}.md").is_file()) == []


def test_no_message_points_at_a_repository_docs_path() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line, text in _strings(path)
        if REPOSITORY_DOC.search(text)
        and not any(path.name == name and part in text for name, part in GENERATOR)
    ]
    assert found == []


def test_a_missing_config_file_names_the_configuration_page_of_the_site(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_profile(tmp_path / "readiness.yaml", "prod", {})
    assert docs_page("configuration") in str(raised.value)
    assert docs_page("configuration") == f"{DOCS_URL}configuration/"
