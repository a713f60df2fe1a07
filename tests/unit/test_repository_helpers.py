"""Edge cases of the repository check helpers (checks/_repository.py)."""

from __future__ import annotations

import pytest

from checks._repository import (
    changelog_has,
    ci_jobs,
    dockerfile_stages,
    entropy,
    find_debug,
    find_secrets,
    matching_jobs,
    runs_as_root,
)


@pytest.mark.parametrize(
    ("text", "version", "expected"),
    [
        ("## [1.4.0] - 2026-01-01", "1.4.0", True),
        ("# v1.4.0", "1.4.0", True),
        ("1.4.0 (2026-01-01)\n==========", "v1.4.0", True),
        ("Version 1.4.0", "1.4.0", True),
        ("## [1.4.0-rc1]", "1.4.0", False),
        ("## [11.4.0]", "1.4.0", False),
        ("## [1.4.01]", "1.4.0", False),
        ("- bumped dependency to 1.4.0", "1.4.0", False),
    ],
)
def test_changelog_entry_needs_a_heading_with_the_exact_version(
    text: str, version: str, expected: bool
) -> None:
    assert changelog_has(text, version) is expected


def test_github_on_key_read_as_boolean_and_string_triggers() -> None:
    files = {
        "a.yml": "on: push\njobs: {t: {steps: [{run: pytest}]}}\n",
        "b.yml": "true: [pull_request]\njobs: {t: {steps: [{run: pytest}]}}\n",
        "c.yml": "on: {push: {branches: [main]}}\njobs: {t: {uses: org/repo/.github/workflows/test.yml@v1}}\n",
    }
    jobs, problems = ci_jobs(files)
    assert problems == []
    assert [(j.file, j.on_push) for j in jobs] == [
        ("a.yml", True),
        ("b.yml", False),
        ("c.yml", True),
    ]
    assert [j.file for j in matching_jobs(jobs, r"pytest|workflows/test")] == ["a.yml", "c.yml"]


def test_gitlab_jobs_restricted_to_tags_do_not_run_on_push() -> None:
    text = "build:\n  script: [pytest]\n  only: [tags]\n.hidden:\n  script: [pytest]\n"
    jobs, _ = ci_jobs({".gitlab-ci.yml": text})
    assert [(j.name, j.on_push) for j in jobs] == [("build", False)]
    assert ci_jobs({"x.yml": "a: [b"})[1][0].startswith("x.yml: not valid YAML")


def test_secrets_skip_placeholders_and_low_entropy_values() -> None:
    assert find_secrets("s.py", 'password = "changeme-changeme-1"', 3.5) == []
    assert find_secrets("s.py", 'token = "aaaaaaaaaaaaaaaaaaaa"', 3.5) == []
    assert find_secrets("s.py", 'token: "${API_TOKEN_FROM_ENV}"', 3.5) == []
    assert entropy("abcd") == 2.0
    github = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    assert find_secrets("x.txt", f"use {github}", 3.5) == ["x.txt:1 (GitHub token)"]


def test_debug_statements_by_language_and_fixme_only_in_comments() -> None:
    assert find_debug("a.py", "import pdb\nx = 'FIXME in a string'\n") == [
        "a.py:1 (debug statement)"
    ]
    assert find_debug("a.rb", "binding.pry\n# FIXME later\n") == [
        "a.rb:1 (debug statement)",
        "a.rb:2 (FIXME)",
    ]
    assert find_debug("a.go", "// debugger; is JavaScript\n") == []


def test_dockerfile_stages_join_continuations_and_track_users() -> None:
    text = (
        "# syntax=docker/dockerfile:1\n"
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n"
        "RUN go build \\\n    -o /app .\n"
        "FROM scratch\n"
        "COPY --from=build /app /app\n"
        "USER nobody:nogroup\n"
    )
    stages = dockerfile_stages(text)
    assert [(s.base, s.name) for s in stages] == [("golang:1.22", "build"), ("scratch", "")]
    assert stages[-1].copies_from == ("build",)
    assert stages[-1].user == "nobody:nogroup"
    assert [runs_as_root(u) for u in (None, "root", "0:0", "app", "1000")] == [
        True,
        True,
        True,
        False,
        False,
    ]
