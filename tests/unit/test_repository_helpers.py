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
    image_allowed,
    matching_jobs,
    parse_image,
    path_matches,
    runs_as_root,
    semver_problem,
    stage_bases,
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


@pytest.mark.parametrize(
    ("reference", "repository", "tag", "digest", "pinned"),
    [
        ("alpine", "docker.io/library/alpine", None, None, False),
        ("alpine:latest", "docker.io/library/alpine", "latest", None, False),
        ("alpine:3.20", "docker.io/library/alpine", "3.20", None, True),
        ("bitnami/redis:7.2", "docker.io/bitnami/redis", "7.2", None, True),
        ("localhost:5000/app", "localhost:5000/app", None, None, False),
        ("registry.example.com:443/base/py:3.12", "registry.example.com:443/base/py", "3.12", None, True),
        ("gcr.io/distroless/static@sha256:abc", "gcr.io/distroless/static", None, "sha256:abc", True),
        ("cgr.dev/chainguard/python:latest@sha256:abc", "cgr.dev/chainguard/python", "latest", "sha256:abc", True),
    ],
)  # fmt: skip
def test_parse_image_normalises_like_a_registry(
    reference: str, repository: str, tag: str | None, digest: str | None, pinned: bool
) -> None:
    image = parse_image(reference)
    assert (image.repository, image.tag, image.digest, image.pinned) == (
        repository,
        tag,
        digest,
        pinned,
    )


def test_allow_list_entries_are_normalised_and_globbed() -> None:
    allow = ["alpine", "gcr.io/distroless/*"]
    assert image_allowed(parse_image("docker.io/library/alpine:3.20"), allow)
    assert image_allowed(parse_image("gcr.io/distroless/base-debian12"), allow)
    assert not image_allowed(parse_image("evil.example/alpine:3.20"), allow)
    assert not image_allowed(parse_image("gcr.io/distroless-fake/x"), allow)


def test_stage_bases_resolve_arg_defaults_and_stage_names() -> None:
    text = (
        "ARG REGISTRY=cgr.dev\nARG TAG\nARG FLAVOUR=\n"
        "FROM ${REGISTRY}/chainguard/go:1.22 AS build\n"
        "FROM build AS test\n"
        "FROM --platform=linux/amd64 $REGISTRY/chainguard/static:${TAG:-latest}\n"
        "FROM alpine:3.20${FLAVOUR:+-slim}\n"
        "FROM app:$TAG\n"
    )
    bases = stage_bases(text)
    assert [(b.stage, b.image) for b in bases[:4]] == [
        ("build", "cgr.dev/chainguard/go:1.22"),
        ("test", "cgr.dev/chainguard/go:1.22"),
        ("stage 2", "cgr.dev/chainguard/static:latest"),
        ("stage 3", "alpine:3.20"),
    ]
    assert (bases[4].image, bases[4].unresolved) == (None, "TAG")


@pytest.mark.parametrize(
    ("tag", "v_prefix", "prerelease", "problem"),
    [
        ("1.4.0", True, True, None),
        ("v1.4.0", True, True, None),
        ("v1.4.0", False, True, "v1.4.0 is not MAJOR.MINOR.PATCH (a 'v' prefix is not allowed)"),
        ("1.4.0-rc.1+build.5", True, True, None),
        ("1.4.0-rc.1", True, False, "1.4.0-rc.1 is a pre-release"),
        ("1.4", True, True, "1.4 is not MAJOR.MINOR.PATCH"),
        ("01.4.0", True, True, "01.4.0 is not MAJOR.MINOR.PATCH"),
        ("V1.4.0", True, True, "V1.4.0 is not MAJOR.MINOR.PATCH"),
    ],
)
def test_semver_problem(tag: str, v_prefix: bool, prerelease: bool, problem: str | None) -> None:
    assert semver_problem(tag, v_prefix, prerelease) == problem


def test_forbidden_patterns_without_a_slash_match_the_name_in_any_folder() -> None:
    assert path_matches("deploy/keys/id_rsa", "id_rsa")
    assert path_matches("certs/server.pem", "*.pem")
    assert not path_matches("docs/id_rsa.md", "id_rsa")
    assert path_matches("infra/prod/terraform.tfstate", "infra/*.tfstate")
    assert not path_matches("other/terraform.tfstate", "infra/*.tfstate")
