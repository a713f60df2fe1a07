"""Every code sample on the pages written for the site runs here.

- ``python`` blocks are test modules: all of them run in one readiness run against a profile
  with the local PostgreSQL and the example suite's rendered manifests, and each block's items
  must be met (or be a manual item attested by the profile, or an explicit ``N/A`` skip).
- ``yaml`` blocks are whole ``readiness.yaml`` files: every profile in them loads through the
  project's config loader (schema included), with each ``${VAR}`` set. A block that includes a
  file (``--8<-- "path"``) shows a CI recipe that test_ci_recipes.py checks and runs.
- ``sh`` blocks are commands: ``pip install`` names only existing extras, ``pytest`` commands run
  against the example suite (examples/ci/suite) and must reach GO.
- ``text`` blocks are output, shown for illustration; any other language is a mistake.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.config import load_profile
from pytest_readiness.config_yaml import load
from pytest_readiness.registry import CONNECTORS
from tests.docs import commands

pytestmark = pytest.mark.integration  # the python samples read the PostgreSQL on 127.0.0.1:5432

DOCS = commands.ROOT / "docs"
#: the pages written for the site; the others are owned (and tested) elsewhere
PAGES = ("index.md", "writing-checks.md", "decision.md", "waivers.md", "xdist.md", "ci.md")
LANGUAGES = {"python", "yaml", "sh", "text", "groovy"}
INCLUDE = re.compile(r'^--8<-- "([^"]+)"$')
RECIPES = {"examples/ci/github-actions.yml", "examples/ci/gitlab-ci.yml", "examples/ci/Jenkinsfile"}


@dataclass(frozen=True)
class Sample:
    page: str
    line: int
    language: str
    code: str

    @property
    def name(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def module(self) -> str:
        return f"test_{self.page.removesuffix('.md').replace('-', '_')}_{self.line}.py"


def samples(page: str) -> list[Sample]:
    found: list[Sample] = []
    lines = (DOCS / page).read_text().splitlines()
    opened: tuple[int, str] | None = None
    body: list[str] = []
    for number, line in enumerate(lines, 1):
        fence = re.fullmatch(r"```(\S*)\s*", line)
        if fence and opened is None:
            opened, body = (number, fence.group(1)), []
        elif fence and opened is not None:
            found.append(Sample(page, opened[0], opened[1], "\n".join(body) + "\n"))
            opened = None
        elif opened is not None:
            body.append(line)
    assert opened is None, f"{page}: unclosed code block at line {opened[0]}"
    return found


ALL = [s for page in PAGES for s in samples(page)]


def of(language: str) -> list[Any]:
    return [pytest.param(s, id=s.name) for s in ALL if s.language == language]


def included(sample: Sample) -> str | None:
    match = INCLUDE.fullmatch(sample.code.strip())
    return match.group(1) if match else None


def test_every_sample_names_a_language_the_tests_know() -> None:
    assert ALL, "the pages have samples"
    unknown = [(s.name, s.language) for s in ALL if s.language not in LANGUAGES]
    assert unknown == []


def test_the_fixture_table_names_every_connection_fixture_with_its_kind() -> None:
    rows = re.findall(
        r"^\| `(\w+)` \|.*\(`(\w+)` targets\) \|$", (DOCS / "writing-checks.md").read_text(), re.M
    )
    assert sorted(rows) == sorted((c.fixture, kind) for kind, c in CONNECTORS.items())


@pytest.mark.parametrize("sample", of("yaml"))
def test_yaml_sample_loads_with_the_config_loader(sample: Sample, tmp_path: Path) -> None:
    path = included(sample)
    if path is not None:
        assert path in RECIPES
        assert (commands.ROOT / path).is_file()
        return
    data = load(sample.code)
    assert data.get("profiles"), "a sample config has profiles"
    environ = {name: f"value-of-{name}" for name in re.findall(r"\$\{(\w+)", sample.code)}
    (tmp_path / "readiness.yaml").write_text(sample.code)
    for name in data["profiles"]:
        profile = load_profile(tmp_path / "readiness.yaml", name, environ)
        assert profile.name == name


@pytest.mark.parametrize("sample", of("groovy"))
def test_groovy_sample_is_a_tested_recipe(sample: Sample) -> None:
    assert included(sample) in RECIPES


@pytest.mark.parametrize("sample", of("sh"))
def test_sh_sample_commands_work_on_the_example_suite(sample: Sample, tmp_path: Path) -> None:
    lines = [commands.words(line) for line in sample.code.splitlines()]
    lines = [argv for argv in lines if argv]
    assert lines
    suite = commands.suite_copy(tmp_path)  # one copy per block: its commands build on each other
    for argv in lines:
        if commands.is_pip_install(argv):
            assert commands.unknown_extras(argv) == []
        elif commands.is_pytest(argv):
            ran = commands.run_pytest(argv, suite)
            assert ran.returncode == 0, ran.output
            assert "readiness decision: GO" in ran.output
        else:
            raise AssertionError(f"{sample.name}: no test runs {argv!r}; use a text block")


def _profile(today: datetime.date) -> str:
    manifests = commands.SUITE / "manifests"
    return f"""
profiles:
  docs:
    checks: []
    timeout: 5
    thresholds: {{min_postgres_major: 13}}
    postgres:
      - {{name: orders, dsn: "postgresql://postgres@127.0.0.1:5432/postgres"}}
    kubernetes:
      - {{name: rendered, manifests: ["{manifests}"]}}
    attestations:
      - {{id: OPS-1, by: docs, date: {today.isoformat()}, valid_days: 30, evidence: tests/docs}}
"""


@pytest.fixture(scope="module")
def python_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Every python sample as its own test module, run once; the result's items by module."""
    project = tmp_path_factory.mktemp("python-samples")
    (project / "readiness.yaml").write_text(_profile(datetime.date.today()))
    (project / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    for sample in ALL:
        if sample.language == "python":
            (project / sample.module).write_text(sample.code)
    ran = commands.run_pytest(
        ["pytest", "--readiness=docs", "--readiness-json=result.json"], project
    )
    assert ran.returncode in (0, 1), ran.output  # 2+: collection or usage error
    by_module: dict[str, list[dict[str, Any]]] = {}
    for item in json.loads((project / "result.json").read_text())["items"]:
        by_module.setdefault(item["nodeid"].split("::")[0], []).append(item)
    return by_module


@pytest.mark.parametrize("sample", of("python"))
def test_python_sample_runs_and_its_items_are_met(
    sample: Sample, python_run: dict[str, list[dict[str, Any]]]
) -> None:
    items = python_run.get(sample.module, [])
    assert items, f"{sample.name}: no item ran"
    for item in items:
        explicit_na = item["outcome"] == "skipped" and item["message"].startswith("N/A:")
        attested = item["manual"] and item["outcome"] == "attested"
        assert item["outcome"] == "passed" or attested or explicit_na, item
