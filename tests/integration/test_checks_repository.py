"""The built-in repository checks (checks/test_repository.py) on real git repositories.

Real: the plugin and git; three small repositories committed in a temporary directory. One is
ready (GitHub Actions), one is ready through GitLab CI and a release tag, one gets every check
wrong. Secret-looking values are assembled at run time so this repository holds none.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.support.check_runs import run_checks

pytestmark = pytest.mark.integration

CHECKS = (
    "REPO-CI-TESTS",
    "REPO-CI-SECURITY-SCAN",
    "REPO-CHANGELOG",
    "REPO-README",
    "REPO-RUNBOOK",
    "REPO-NO-SECRETS",
    "REPO-NO-DEBUG",
    "REPO-ENV-IGNORED",
)
AWS_KEY_ID = "AKIA" + "Q7R2TV4XZ3B6N8M5"
DB_PASSWORD = "q8Z3xV7nB2" + "mK9pL4wR6t"
KEY_HEADER = "-----BEGIN " + "RSA PRIVATE KEY-----"

GITHUB_CI = """
name: ci
on:
  push:
    branches: [main]
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -e . && python -m pytest -q
  scan:
    runs-on: ubuntu-latest
    steps:
      - uses: aquasecurity/trivy-action@0.20.0
"""
GITLAB_CI = """
include:
  - template: Security/SAST.gitlab-ci.yml
stages: [test]
unit:
  stage: test
  script:
    - npm ci
    - npm test
"""
MULTI_STAGE = """
FROM python:3.12-slim AS builder
RUN pip wheel --wheel-dir /wheels . \\
    && echo built
FROM gcr.io/distroless/python3-debian12
COPY --from=builder /wheels /wheels
USER 65532:65532
"""
AS_ROOT = """
FROM python:3.12
COPY . /app
USER app
USER root
CMD ["python", "/app/main.py"]
"""
MANUAL_CI = """
on: workflow_dispatch
jobs:
  everything:
    runs-on: ubuntu-latest
    steps:
      - run: pytest && trivy fs .
"""


def _repo(path: Path, files: dict[str, str], tag: str | None = None) -> Path:
    path.mkdir()
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(textwrap.dedent(text).lstrip())

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
            cwd=path, check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    git("init", "-q", "-b", "main")
    git("add", "-A", "-f")  # -f: commit even files .gitignore covers, like a careless repo
    git("commit", "-q", "-m", "release")
    if tag:
        git("tag", tag)
    return path


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("repos")
    github = _repo(
        base / "github",
        {
            ".github/workflows/ci.yml": GITHUB_CI,
            "CHANGELOG.md": "# Changelog\n\n## [1.4.0] - 2026-11-30\n- faster\n\n## [1.3.0]\n",
            "README.md": "# shop\nThe shop service.\n",
            "docs/runbook.md": "# Runbook\nRestart with ...\n",
            ".gitignore": ".env\n__pycache__/\n",
            ".env.example": "DB_PASSWORD=changeme\n",
            "app/main.py": 'password = "changeme-in-production"  # placeholder\nprint("hi")\n',
            "Dockerfile": MULTI_STAGE,
        },
    )
    gitlab = _repo(
        base / "gitlab",
        {
            ".gitlab-ci.yml": GITLAB_CI,
            "CHANGELOG.md": "v2.0.0 (2026-11-01)\n-------------------\n- new API\n",
            "README.rst": "shop\n====\n",
            "RUNBOOK.md": "# Runbook\n",
            ".gitignore": "*.env\n.env\n",
        },
        tag="v2.0.0",
    )
    broken = _repo(
        base / "broken",
        {
            ".github/workflows/ci.yml": MANUAL_CI,
            "CHANGELOG.md": "## [1.3.0]\n- 1.4.0 is coming\n",
            "docs/runbook.md": "",
            "config/deploy.pem": f"{KEY_HEADER}\nMIIEow...\n",
            "app/settings.py": f'AWS_ACCESS_KEY_ID = "{AWS_KEY_ID}"\ndb_password = "{DB_PASSWORD}"\n',
            "app/main.py": "def main():\n    breakpoint()\n    # FIXME handle errors\n",
            "web/app.js": "function f() {\n  debugger;\n}\n",
            ".env": f"DB_PASSWORD={DB_PASSWORD}\n",
            "deploy/api.Dockerfile": AS_ROOT,
        },
    )
    return {"github": github, "gitlab": gitlab, "broken": broken}


def test_repository_checks_pass_ready_repos_and_fail_the_broken_one(
    pytester: pytest.Pytester, repos: dict[str, Path]
) -> None:
    profile = f"""
    profiles:
      prod:
        thresholds: {{repo_required_paths: ['README*', .gitignore]}}
        repository:
          - {{name: github, path: '{repos["github"]}', release: 1.4.0}}
          - {{name: gitlab, path: '{repos["gitlab"]}'}}
          - {{name: broken, path: '{repos["broken"] / "app"}', release: 1.4.0}}
    """
    run = run_checks(pytester, profile, "test_repository.py")
    outcomes = run.outcomes()
    for name in ("github", "gitlab"):
        assert {c: outcomes[f"{c}[{name}]"] for c in CHECKS} == dict.fromkeys(CHECKS, "passed"), {
            c: run.items[f"{c}[{name}]"]["message"] for c in CHECKS
        }
    assert {outcomes[f"{c}[broken]"] for c in CHECKS} == {"failed"}
    docker = ("REPO-DOCKERFILE-NONROOT", "REPO-DOCKERFILE-MULTISTAGE")
    assert [outcomes[f"{c}[github]"] for c in docker] == ["passed", "passed"]
    assert [outcomes[f"{c}[gitlab]"] for c in docker] == ["skipped", "skipped"]  # no Dockerfile
    assert [outcomes[f"{c}[broken]"] for c in docker] == ["failed", "failed"]
    assert [outcomes[f"REPO-FILE-EXISTS[{n}]"] for n in repos] == ["passed", "passed", "failed"]
    assert run.items["REPO-DOCKERFILE-NONROOT[broken]"]["message"] == (
        "runs as root: deploy/api.Dockerfile (USER root)"
    )
    assert run.items["REPO-DOCKERFILE-MULTISTAGE[broken]"]["message"] == (
        "not multi-stage: deploy/api.Dockerfile"
    )
    assert run.items["REPO-FILE-EXISTS[broken]"]["message"] == (
        "not in the repository: README*, .gitignore"
    )
    assert run.evidence("REPO-DOCKERFILE-NONROOT[github]")[0]["observed"] == {
        "Dockerfile": "65532:65532"
    }

    message = {c: run.items[f"{c}[broken]"]["message"] for c in CHECKS}
    assert message["REPO-CI-TESTS"].startswith(
        "no push-triggered CI job runs tests in .github/workflows/ci.yml (jobs: everything)"
    )
    assert message["REPO-CI-SECURITY-SCAN"].startswith(
        "no push-triggered CI job runs a security scan"
    )
    assert message["REPO-CHANGELOG"] == "CHANGELOG.md has no entry for 1.4.0"
    assert message["REPO-README"] == "no non-empty README tracked (found: none)"
    assert message["REPO-RUNBOOK"].startswith("no non-empty runbook tracked")
    assert message["REPO-NO-SECRETS"] == (
        "4 committed secrets: .env:1 (high-entropy value of DB_PASSWORD), "
        "app/settings.py:1 (AWS access key id), "
        "app/settings.py:2 (high-entropy value of db_password), config/deploy.pem:1 (private key)"
    )
    assert message["REPO-NO-DEBUG"] == (
        "3 findings: app/main.py:2 (debug statement), app/main.py:3 (FIXME), "
        "web/app.js:2 (debug statement)"
    )
    assert message["REPO-ENV-IGNORED"] == "not covered by .gitignore: .env"
    changelog = run.evidence("REPO-CHANGELOG[gitlab]")[0]
    assert changelog["expected"] == "an entry for v2.0.0"
    # findings name the place and kind of a secret, never its value
    for secret in (AWS_KEY_ID, DB_PASSWORD, "MIIEow"):
        assert secret not in str(run.data)
        assert secret not in run.result.stdout.str()


def test_tracked_env_file_fails_even_when_ignored_now(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    repo = _repo(tmp_path / "r", {".gitignore": ".env\n", "deploy/.env.production": "A=1\n"})
    profile = f"profiles:\n  prod:\n    repository: [{{name: r, path: '{repo}'}}]\n"
    run = run_checks(pytester, profile, "test_repository.py", args=("-k", "env"))
    item = run.items["REPO-ENV-IGNORED[r]"]
    assert item["outcome"] == "failed"
    assert item["message"] == "committed anyway: deploy/.env.production"


def test_a_directory_outside_git_is_a_connection_error(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    profile = f"profiles:\n  prod:\n    repository: [{{name: r, path: '{tmp_path}'}}]\n"
    run = run_checks(pytester, profile, "test_repository.py", args=("-k", "readme"))
    item = run.items["REPO-README[r]"]
    assert item["outcome"] == "error"
    assert item["message"].startswith(
        f"Cannot open repository target 'r': {tmp_path} is not a git working tree"
    )


PINNED_FINAL = """
ARG RUNTIME=gcr.io/distroless/static-debian12:nonroot
ARG GO_VERSION=1.22
FROM golang:${GO_VERSION} AS build
RUN go build -o /app .
FROM build AS test
RUN go test ./...
FROM ${RUNTIME} AS runtime
COPY --from=build /app /app
"""
ALPINE_DIGEST = (
    "alpine@sha256:" + "c5b1261d6d3e43071626931fc004f70149baeba2c8ec672bd4f27761f8e1ad6b"
)
UNPINNED = """
FROM node:20 AS build
FROM build
"""
LATEST_ALPINE = "FROM --platform=$BUILDPLATFORM alpine:latest\n"
FROM_BUILD_ARG = "ARG BASE\nFROM $BASE\n"
BASE_AND_FILE_CHECKS = ("REPO-DOCKERFILE-BASE-ALLOWLIST", "REPO-FILE-ABSENT", "REPO-GIT-TAG-SEMVER")


@pytest.fixture(scope="module")
def release_repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One repository that gets the base image, forbidden file and tag checks right, one wrong."""
    base = tmp_path_factory.mktemp("release-repos")
    good = _repo(
        base / "good",
        {
            "Dockerfile": PINNED_FINAL,
            "tools/Containerfile": f"FROM {ALPINE_DIGEST}\n",
            "Dockerfile.scratch": "FROM scratch\nCOPY app /app\n",
            "certs/ca.pem": "a public CA certificate, allowed below\n",
            ".env.example": "DB_PASSWORD=\n",
        },
        tag="v1.4.0",
    )
    bad = _repo(
        base / "bad",
        {
            "Dockerfile": UNPINNED,
            "web/Containerfile": LATEST_ALPINE,
            "ops/api.Dockerfile": FROM_BUILD_ARG,
            "deploy/.env": "A=1\n",
            "keys/id_ed25519": "not really a key\n",
            "infra/prod.tfstate": "{}\n",
        },
        tag="release-2026-11",
    )
    return {"good": good, "bad": bad}


def test_base_image_forbidden_file_and_tag_checks_good_and_bad(
    pytester: pytest.Pytester, release_repos: dict[str, Path]
) -> None:
    profile = f"""
    profiles:
      prod:
        thresholds: {{repo_forbidden_allow_paths: ['certs/*']}}
        repository:
          - {{name: good, path: '{release_repos["good"]}'}}
          - {{name: bad, path: '{release_repos["bad"]}'}}
    """
    run = run_checks(pytester, profile, "test_repository.py")
    outcomes = run.outcomes()
    assert {c: outcomes[f"{c}[good]"] for c in BASE_AND_FILE_CHECKS} == dict.fromkeys(
        BASE_AND_FILE_CHECKS, "passed"
    ), {c: run.items[f"{c}[good]"]["message"] for c in BASE_AND_FILE_CHECKS}
    assert {outcomes[f"{c}[bad]"] for c in BASE_AND_FILE_CHECKS} == {"failed"}
    # the final stage's ARG default is resolved; the builder stages are not judged
    assert run.evidence("REPO-DOCKERFILE-BASE-ALLOWLIST[good]")[0]["observed"][
        "Dockerfile (runtime)"
    ] == {"FROM": "${RUNTIME}", "image": "gcr.io/distroless/static-debian12:nonroot"}
    message = {c: run.items[f"{c}[bad]"]["message"] for c in BASE_AND_FILE_CHECKS}
    assert message["REPO-DOCKERFILE-BASE-ALLOWLIST"] == (
        "Dockerfile (stage 1): node:20 is not on the allow-list; "
        "ops/api.Dockerfile (stage 0): FROM depends on ARG BASE, which has no default; "
        "web/Containerfile (stage 0): alpine:latest is not pinned (latest)"
    )
    assert message["REPO-FILE-ABSENT"] == (
        "3 forbidden files committed: deploy/.env, infra/prod.tfstate, keys/id_ed25519"
    )
    assert message["REPO-GIT-TAG-SEMVER"] == "release-2026-11 is not MAJOR.MINOR.PATCH"
    remediation = run.items["REPO-DOCKERFILE-BASE-ALLOWLIST[bad]"]["remediation"]
    assert "repo_base_image_allow" in remediation


def test_tag_check_reads_the_tags_at_head_and_its_thresholds(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    untagged = _repo(tmp_path / "untagged", {"README.md": "x\n"})
    prefixed = _repo(tmp_path / "prefixed", {"README.md": "x\n"}, tag="v2.0.0-rc.1")
    subprocess.run(["git", "-C", str(prefixed), "tag", "latest"], check=True, timeout=60)
    beta = _repo(tmp_path / "beta", {"README.md": "x\n"}, tag="1.0.0-beta.2")
    profile = f"""
    profiles:
      prod:
        thresholds: {{repo_tag_v_prefix: false, repo_tag_prerelease: false}}
        repository:
          - {{name: untagged, path: '{untagged}'}}
          - {{name: prefixed, path: '{prefixed}'}}
          - {{name: beta, path: '{beta}'}}
    """
    run = run_checks(pytester, profile, "test_repository.py", args=("-k", "semver"))
    assert run.items["REPO-GIT-TAG-SEMVER[beta]"]["message"] == "1.0.0-beta.2 is a pre-release"
    assert run.items["REPO-GIT-TAG-SEMVER[untagged]"]["message"] == (
        "no release tag: neither HEAD nor any commit before it is tagged"
    )
    assert run.items["REPO-GIT-TAG-SEMVER[prefixed]"]["message"] == (
        "latest is not MAJOR.MINOR.PATCH; "
        "v2.0.0-rc.1 is not MAJOR.MINOR.PATCH (a 'v' prefix is not allowed)"
    )
    assert run.evidence("REPO-GIT-TAG-SEMVER[prefixed]")[0]["details"]["source"] == "tags at HEAD"
