"""The CI recipes in examples/ci/ are valid, use the documented keys, and their commands work.

Each recipe is parsed (YAML with yaml.safe_load; the Jenkinsfile by its ``sh`` and ``junit``
steps), checked against the keys its CI system documents, and every ``pytest`` command in it is
run against the example suite (examples/ci/suite). An option this checkout's pytest does not
list in ``--help`` yet (``--readiness-sarif``, added separately) is left out of the run and the
rest must still reach GO with every other report written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.docs import commands

RECIPES = commands.ROOT / "examples" / "ci"
GITHUB = RECIPES / "github-actions.yml"
GITLAB = RECIPES / "gitlab-ci.yml"
JENKINS = RECIPES / "Jenkinsfile"


def _yaml(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), f"{path.name}: not a mapping"
    return data


def _github_steps() -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = _yaml(GITHUB)["jobs"]["readiness"]["steps"]
    return steps


def _github_commands() -> list[str]:
    return [step["run"] for step in _github_steps() if "run" in step]


def _gitlab_commands() -> list[str]:
    script: list[str] = _yaml(GITLAB)["readiness"]["script"]
    return script


def _jenkins_commands() -> list[str]:
    text = JENKINS.read_text()
    return [m.group(1) for m in re.finditer(r"^\s*sh '([^']*)'$", text, re.MULTILINE)]


def _pytest_command(lines: list[str]) -> list[str]:
    """The one pytest command of a recipe, as argv (Jenkins chains venv creation with &&)."""
    found = [
        commands.words(part)
        for line in lines
        for part in line.split("&&")
        if commands.is_pytest(commands.words(part))
    ]
    assert len(found) == 1, f"expected one pytest command, found {found}"
    return found[0]


def _option(argv: list[str], name: str) -> str:
    (value,) = [a.partition("=")[2] for a in argv if a.partition("=")[0] == name]
    return value


def test_github_workflow_has_the_documented_top_level_keys() -> None:
    data = _yaml(GITHUB)
    # YAML 1.1 reads a bare `on` key as true; GitHub reads it as the trigger list
    assert set(data) >= {"name", True, "jobs"}
    assert {"push", "pull_request"} <= set(data[True])
    job = data["jobs"]["readiness"]
    assert job["runs-on"] == "ubuntu-latest"
    for step in job["steps"]:
        assert ("uses" in step) != ("run" in step), f"a step needs uses or run, not both: {step}"


def test_github_workflow_publishes_every_report_also_when_the_gate_fails() -> None:
    steps = _github_steps()
    argv = _pytest_command(_github_commands())
    gate = next(
        i for i, s in enumerate(steps) if commands.is_pytest(commands.words(s.get("run", "")))
    )
    after = {s["uses"].split("@")[0]: s for s in steps[gate + 1 :]}
    assert set(after) == {
        "mikepenz/action-junit-report",
        "github/codeql-action/upload-sarif",
        "actions/upload-artifact",
    }
    assert all(s.get("if") == "always()" for s in after.values())
    assert after["mikepenz/action-junit-report"]["with"]["report_paths"] == _option(
        argv, "--junitxml"
    )
    sarif = after["github/codeql-action/upload-sarif"]["with"]["sarif_file"]
    assert sarif == _option(argv, "--readiness-sarif")
    kept = after["actions/upload-artifact"]["with"]["path"].split()
    assert _option(argv, "--readiness-html") in kept
    permissions = _yaml(GITHUB)["permissions"]
    assert permissions["security-events"] == "write"  # upload-sarif needs it


def test_gitlab_job_keeps_the_junit_report_and_every_artifact() -> None:
    data = _yaml(GITLAB)
    assert data["stages"] == ["readiness"]
    job = data["readiness"]
    assert job["stage"] in data["stages"]
    assert isinstance(job["script"], list)
    argv = _pytest_command(job["script"])
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"
    assert artifacts["reports"]["junit"] == _option(argv, "--junitxml")
    kept = artifacts["paths"]
    assert all(any(p.startswith(k) for k in kept) for p in commands.report_paths(tuple(argv)))


def test_jenkinsfile_publishes_junit_with_its_properties_kept() -> None:
    text = JENKINS.read_text()
    argv = _pytest_command(_jenkins_commands())
    junit = re.search(r"^\s*junit (.*)$", text, re.MULTILINE)
    assert junit is not None
    assert "keepProperties: true" in junit.group(1)
    assert f"testResults: '{_option(argv, '--junitxml')}'" in junit.group(1)
    assert re.search(r"post \{\s*always \{", text), "reports are published for a failed gate too"
    assert text.count("{") == text.count("}")


RECIPE_COMMANDS = {
    "github-actions": _github_commands,
    "gitlab-ci": _gitlab_commands,
    "jenkins": _jenkins_commands,
}


@pytest.mark.parametrize("recipe", sorted(RECIPE_COMMANDS))
def test_recipe_install_names_only_existing_extras(recipe: str) -> None:
    installs = [
        commands.words(part)
        for line in RECIPE_COMMANDS[recipe]()
        for part in line.split("&&")
        if commands.is_pip_install(commands.words(part))
    ]
    assert installs, "the recipe installs the plugin"
    for argv in installs:
        assert commands.unknown_extras(argv) == []


@pytest.mark.parametrize("recipe", sorted(RECIPE_COMMANDS))
def test_recipe_pytest_command_reaches_go_and_writes_its_reports(
    recipe: str, tmp_path: Path
) -> None:
    suite = commands.suite_copy(tmp_path)
    summary = tmp_path / "step-summary.md"  # what GitHub sets; other systems set nothing
    env = {"GITHUB_STEP_SUMMARY": str(summary)} if recipe == "github-actions" else {}
    ran = commands.run_pytest(_pytest_command(RECIPE_COMMANDS[recipe]()), suite, env=env)
    assert ran.returncode == 0, ran.output
    assert "readiness decision: GO" in ran.output
    assert all(a.startswith("--readiness-sarif=") for a in ran.dropped), ran.dropped
    written = commands.report_paths(ran.argv)
    assert "--junitxml=reports/junit.xml" in ran.argv
    for path in written:
        assert (suite / path).stat().st_size > 0, f"{path} was not written"
    result = json.loads((suite / "reports" / "readiness.json").read_text())
    assert (result["decision"], result["profile"]) == ("GO", "ci")
    assert result["run"]["workers"] == 2
    if recipe == "github-actions":  # the step summary needs no step of its own
        assert "GO" in summary.read_text()
