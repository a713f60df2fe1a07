"""Built-in checks of the source repository: CI, changelog, docs, secrets, debug code, .env,
base images, release tags and files that must not be committed.

Every check runs once per ``repository`` target on its git checkout (the files tracked at the
index, read from the working tree).
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_readiness import Evidence, ReadinessContext
from pytest_readiness.connectors.repository import RepoCheckout

from ._repository import (
    DOCKERFILES,
    GITHUB_WORKFLOWS,
    GITLAB_CI,
    SCRATCH,
    SOURCE_SUFFIXES,
    changelog_has,
    ci_jobs,
    dockerfile_stages,
    find_debug,
    find_secrets,
    image_allowed,
    matches_any,
    matching_jobs,
    parse_image,
    path_matches,
    runs_as_root,
    semver_problem,
    stage_bases,
)

DOMAIN = "repository"
TARGET_KIND = "repository"
THRESHOLDS: dict[str, dict[str, Any]] = {
    "REPO-CI-TESTS": {
        "repo_ci_test_pattern": r"\b(pytest|tox|nox|go test|npm (run )?test|yarn test|pnpm test|mvn\b.*\b(test|verify)|gradlew?\b.*\b(test|check)|cargo test|make\b.*\btest|rspec|phpunit|dotnet test|jest|vitest)\b",
    },
    "REPO-CI-SECURITY-SCAN": {
        "repo_ci_security_pattern": r"(trivy|grype|snyk|semgrep|bandit|gitleaks|trufflehog|checkov|codeql|dependency-check|pip-audit|npm audit|osv-scanner|safety|gosec|tfsec|kics|zap|SAST|Secret-Detection|Dependency-Scanning|Container-Scanning)",
    },
    "REPO-CHANGELOG": {
        "repo_changelog_paths": ["CHANGELOG*", "CHANGES*", "HISTORY*", "RELEASE_NOTES*", "NEWS*"]
    },
    "REPO-README": {"repo_readme_paths": ["README*", "readme*"]},
    "REPO-RUNBOOK": {
        "repo_runbook_paths": [
            "RUNBOOK*",
            "runbook*",
            "docs/runbook*",
            "docs/runbooks/*",
            "runbooks/*",
            "docs/operations*",
        ]
    },
    "REPO-FILE-EXISTS": {"repo_required_paths": []},
    "REPO-DOCKERFILE-NONROOT": {"repo_dockerfile_paths": []},
    "REPO-DOCKERFILE-MULTISTAGE": {"repo_dockerfile_paths": []},
    "REPO-NO-SECRETS": {"repo_secret_min_entropy": 3.5, "repo_secret_allow_paths": []},
    "REPO-NO-DEBUG": {"repo_debug_exclude_paths": []},
    "REPO-ENV-IGNORED": {
        "repo_ignored_paths": [".env"],
        "repo_env_examples": [".env.example", ".env.sample", ".env.template", ".env.dist"],
    },
    "REPO-DOCKERFILE-BASE-ALLOWLIST": {
        "repo_dockerfile_paths": [],
        "repo_base_image_allow": [
            "scratch",
            "gcr.io/distroless/*",
            "cgr.dev/chainguard/*",
            "alpine",
        ],
        "repo_base_require_digest": False,
        "repo_base_all_stages": False,
    },
    "REPO-FILE-ABSENT": {
        "repo_forbidden_paths": [
            ".env",
            "*.pem",
            "*.key",
            "*.p12",
            "*.pfx",
            "*.jks",
            "*.keystore",
            "id_rsa",
            "id_dsa",
            "id_ecdsa",
            "id_ed25519",
            ".htpasswd",
            ".netrc",
            ".pgpass",
            "*.tfstate",
            "*.tfstate.backup",
            "*.kdbx",
        ],
        "repo_forbidden_allow_paths": [],
    },
    "REPO-GIT-TAG-SEMVER": {
        "repo_tag_v_prefix": True,
        "repo_tag_prerelease": True,
        "repo_tag_ignore": [],
    },
}


def _threshold(readiness: ReadinessContext, check: str, name: str) -> Any:
    return readiness.threshold(name, THRESHOLDS[check][name])


def _ci_files(repo_checkout: RepoCheckout) -> dict[str, str]:
    return {
        path: repo_checkout.text(path) or ""
        for path in repo_checkout.tracked_files()
        if matches_any(path, GITHUB_WORKFLOWS) or path == GITLAB_CI
    }


def _ci_check(
    repo_checkout: RepoCheckout, evidence: Evidence, pattern: str, what: str, setting: str
) -> None:
    __tracebackhide__ = True
    files = _ci_files(repo_checkout)
    jobs, problems = ci_jobs(files)
    found = matching_jobs(jobs, pattern)
    evidence(
        what,
        observed=[f"{j.file}: {j.name}" for j in found],
        expected=f"a push-triggered job matching {setting}",
        ci_files=sorted(files),
        problems=problems,
    )
    assert files, f"no CI configuration ({', '.join(GITHUB_WORKFLOWS)} or {GITLAB_CI}) is tracked"
    assert not problems, "unreadable CI configuration: " + "; ".join(problems)
    assert found, (
        f"no push-triggered CI job runs {what} in {', '.join(sorted(files))} "
        f"(jobs: {', '.join(j.name for j in jobs) or 'none'}); thresholds.{setting} sets what counts"
    )


@pytest.mark.important(
    id="REPO-CI-TESTS",
    section="Repository",
    remediation="add a CI job triggered on push that runs the test suite; thresholds.repo_ci_test_pattern sets what counts as one",
)
def test_repository_ci_runs_tests_on_push(
    repo_checkout: RepoCheckout, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """CI runs the tests on every push

    A GitHub Actions workflow triggered on push, or a GitLab CI job, has a step whose command
    or action matches ``repo_ci_test_pattern``.
    """
    pattern = _threshold(readiness, "REPO-CI-TESTS", "repo_ci_test_pattern")
    _ci_check(repo_checkout, evidence, pattern, "tests", "repo_ci_test_pattern")


@pytest.mark.important(
    id="REPO-CI-SECURITY-SCAN",
    section="Repository",
    remediation="add a push-triggered CI job running a security scanner (e.g. trivy, semgrep, gitleaks); thresholds.repo_ci_security_pattern sets what counts",
)
def test_repository_ci_runs_security_scan_on_push(
    repo_checkout: RepoCheckout, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """CI runs a security scan on every push

    A push-triggered CI job has a step (or a GitLab ``include`` template) matching
    ``repo_ci_security_pattern``.
    """
    pattern = _threshold(readiness, "REPO-CI-SECURITY-SCAN", "repo_ci_security_pattern")
    _ci_check(repo_checkout, evidence, pattern, "a security scan", "repo_ci_security_pattern")


@pytest.mark.important(
    id="REPO-CHANGELOG",
    section="Repository",
    remediation="add a CHANGELOG heading for the release (e.g. '## [1.4.0] - 2026-01-31'); set the target's release to the version being shipped",
    docs="https://keepachangelog.com/",
)
def test_repository_changelog_has_release_entry(
    repo_checkout: RepoCheckout, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """The changelog has an entry for the release

    A tracked changelog (``repo_changelog_paths``) has a heading naming the target's
    ``release`` version (default: the newest tag reachable from HEAD).
    """
    globs = _threshold(readiness, "REPO-CHANGELOG", "repo_changelog_paths")
    version = repo_checkout.release_version()
    files = [p for p in repo_checkout.tracked_files() if matches_any(p, globs)]
    with_entry = [
        p for p in files if version and changelog_has(repo_checkout.text(p) or "", version)
    ]
    evidence("changelog", observed=with_entry, expected=f"an entry for {version}", files=files)
    assert version, "no release version: set the target's release, or tag the release commit"
    assert files, f"no changelog tracked (looked for {', '.join(globs)})"
    assert with_entry, f"{', '.join(files)} has no entry for {version}"


def _documents(repo_checkout: RepoCheckout, globs: list[str]) -> dict[str, int]:
    """Tracked files matching ``globs`` -> length of their text (0 when empty or binary)."""
    return {
        path: len((repo_checkout.text(path) or "").strip())
        for path in repo_checkout.tracked_files()
        if matches_any(path, globs)
    }


@pytest.mark.nice_to_have(
    id="REPO-README",
    section="Repository",
    remediation="add a README saying what the service is, how to run it and who owns it",
)
def test_repository_readme_present(
    repo_checkout: RepoCheckout, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """A README is present

    A non-empty tracked file matches ``repo_readme_paths``.
    """
    found = _documents(repo_checkout, _threshold(readiness, "REPO-README", "repo_readme_paths"))
    evidence("README", observed=found, expected="a non-empty file")
    assert any(found.values()), f"no non-empty README tracked (found: {found or 'none'})"


@pytest.mark.important(
    id="REPO-RUNBOOK",
    section="Repository",
    remediation="write the runbook (alerts, dashboards, rollback, escalation) and commit it where thresholds.repo_runbook_paths looks",
)
def test_repository_runbook_present(
    repo_checkout: RepoCheckout, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """An operations runbook is present

    A non-empty tracked file matches ``repo_runbook_paths``.
    """
    globs = _threshold(readiness, "REPO-RUNBOOK", "repo_runbook_paths")
    found = _documents(repo_checkout, globs)
    evidence("runbook", observed=found, expected=f"a non-empty file matching {globs}")
    assert any(found.values()), f"no non-empty runbook tracked (looked for {', '.join(globs)})"


@pytest.mark.important(
    id="REPO-FILE-EXISTS",
    section="Repository",
    remediation="commit the missing files, or correct thresholds.repo_required_paths",
)
def test_repository_required_files_tracked(
    repo_checkout: RepoCheckout, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """The required files are committed

    Every path or glob in ``repo_required_paths`` (e.g. ``CONTRIBUTING.md``,
    ``docs/adr/*.md``, ``infra/*.tf``) matches at least one tracked file.
    """
    required = _threshold(readiness, "REPO-FILE-EXISTS", "repo_required_paths")
    if not required:
        pytest.skip("N/A: no required paths configured (thresholds.repo_required_paths)")
    tracked = repo_checkout.tracked_files()
    found = {glob: [p for p in tracked if matches_any(p, [glob])][:5] for glob in required}
    missing = [glob for glob, paths in found.items() if not paths]
    evidence("required paths", observed=found, expected="each matches a tracked file")
    assert not missing, f"not in the repository: {', '.join(missing)}"


def _dockerfiles(
    repo_checkout: RepoCheckout, readiness: ReadinessContext, check: str
) -> dict[str, str]:
    __tracebackhide__ = True
    globs = _threshold(readiness, check, "repo_dockerfile_paths") or list(DOCKERFILES)
    files = {
        p: repo_checkout.text(p) or ""
        for p in repo_checkout.tracked_files()
        if matches_any(p, globs)
    }
    if not files:
        pytest.skip("N/A: the repository has no Dockerfile")
    return files


@pytest.mark.important(
    id="REPO-DOCKERFILE-NONROOT",
    section="Repository",
    remediation="add USER <non-root user> to the final stage (create the user in the image if needed)",
    docs="https://docs.docker.com/build/building/best-practices/#user",
)
def test_repository_dockerfiles_run_as_non_root(
    repo_checkout: RepoCheckout, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Container images run as a non-root user

    The final stage of every tracked Dockerfile (``repo_dockerfile_paths``, default: files
    named Dockerfile or *.Dockerfile) sets ``USER`` to someone other than root or 0.
    """
    users = {}
    for path, text in _dockerfiles(repo_checkout, readiness, "REPO-DOCKERFILE-NONROOT").items():
        stages = dockerfile_stages(text)
        users[path] = stages[-1].user if stages else None
    as_root = sorted(path for path, user in users.items() if runs_as_root(user))
    evidence("final-stage USER", observed=users, expected="a non-root user")
    assert not as_root, "runs as root: " + ", ".join(
        f"{p} (USER {users[p] or 'not set'})" for p in as_root
    )


@pytest.mark.nice_to_have(
    id="REPO-DOCKERFILE-MULTISTAGE",
    section="Repository",
    remediation="build in a builder stage and COPY --from=builder only the artifacts into a slim final stage",
    docs="https://docs.docker.com/build/building/multi-stage/",
)
def test_repository_dockerfiles_are_multi_stage(
    repo_checkout: RepoCheckout, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Container images are built in multiple stages

    Every tracked Dockerfile has at least two ``FROM`` stages and its final stage copies from
    an earlier one (``COPY --from=``).
    """
    shapes: dict[str, tuple[int, list[str]]] = {}
    for path, text in _dockerfiles(repo_checkout, readiness, "REPO-DOCKERFILE-MULTISTAGE").items():
        stages = dockerfile_stages(text)
        shapes[path] = (len(stages), list(stages[-1].copies_from) if stages else [])
    single = sorted(p for p, (count, copies) in shapes.items() if count < 2 or not copies)
    evidence(
        "stages",
        observed={p: {"stages": n, "final_copies_from": c} for p, (n, c) in shapes.items()},
        expected=">= 2 stages, final one copying from a builder",
    )
    assert not single, f"not multi-stage: {', '.join(single)}"


@pytest.mark.critical(
    id="REPO-NO-SECRETS",
    section="Repository",
    remediation="remove the secret from the repository and its history, rotate it, and load it from a secret store; thresholds.repo_secret_allow_paths exempts test fixtures",
)
def test_repository_has_no_committed_secrets(
    repo_checkout: RepoCheckout, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """No private keys or credentials are committed

    No tracked text file (outside ``repo_secret_allow_paths``) holds a private key, a cloud or
    SaaS token of a known shape, or a secret-named assignment whose value has at least
    ``repo_secret_min_entropy`` bits of entropy per character. Findings name file, line and
    kind, never the value.
    """
    min_entropy = float(_threshold(readiness, "REPO-NO-SECRETS", "repo_secret_min_entropy"))
    allowed = _threshold(readiness, "REPO-NO-SECRETS", "repo_secret_allow_paths")
    files = [p for p in repo_checkout.tracked_files() if not matches_any(p, allowed)]
    findings = [f for p in files for f in find_secrets(p, repo_checkout.text(p) or "", min_entropy)]
    evidence("findings", observed=findings[:50], expected=[], files_scanned=len(files))
    assert not findings, f"{len(findings)} committed secrets: {', '.join(findings[:10])}"


@pytest.mark.nice_to_have(
    id="REPO-NO-DEBUG",
    section="Repository",
    remediation="remove debugger statements and resolve or ticket the FIXMEs; thresholds.repo_debug_exclude_paths exempts paths",
)
def test_repository_has_no_debug_statements_or_fixme(
    repo_checkout: RepoCheckout, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """No debug statements or unresolved FIXMEs in the source

    Tracked source files (outside ``repo_debug_exclude_paths``) have no debugger statements
    (breakpoint(), pdb, debugger;, binding.pry ...) and no FIXME comments.
    """
    excluded = _threshold(readiness, "REPO-NO-DEBUG", "repo_debug_exclude_paths")
    files = [
        p
        for p in repo_checkout.tracked_files()
        if p.endswith(SOURCE_SUFFIXES) and not matches_any(p, excluded)
    ]
    findings = [f for p in files for f in find_debug(p, repo_checkout.text(p) or "")]
    evidence("findings", observed=findings[:50], expected=[], files_scanned=len(files))
    assert not findings, f"{len(findings)} findings: {', '.join(findings[:10])}"


@pytest.mark.important(
    id="REPO-ENV-IGNORED",
    section="Repository",
    remediation="add .env to .gitignore and remove tracked copies with git rm --cached; commit a .env.example instead",
)
def test_repository_env_files_ignored(
    repo_checkout: RepoCheckout, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """.env files are ignored and none is committed

    Every path in ``repo_ignored_paths`` is covered by git's ignore rules, and no tracked file
    is named like them (``.env``, ``.env.*`` in any folder) except ``repo_env_examples``.
    """
    paths = _threshold(readiness, "REPO-ENV-IGNORED", "repo_ignored_paths")
    examples = set(_threshold(readiness, "REPO-ENV-IGNORED", "repo_env_examples"))
    not_ignored = [p for p in paths if not repo_checkout.is_ignored(p)]
    names = [p.rsplit("/", 1)[-1] for p in paths]
    tracked = [
        p
        for p in repo_checkout.tracked_files()
        if (base := p.rsplit("/", 1)[-1]) not in examples
        and any(base == n or base.startswith(n + ".") for n in names)
    ]
    evidence(
        "ignored",
        observed={"not_ignored": not_ignored, "tracked": tracked},
        expected={"not_ignored": [], "tracked": []},
    )
    assert not not_ignored, f"not covered by .gitignore: {', '.join(not_ignored)}"
    assert not tracked, f"committed anyway: {', '.join(tracked)}"


@pytest.mark.important(
    id="REPO-DOCKERFILE-BASE-ALLOWLIST",
    section="Repository",
    remediation="build FROM an approved base image (thresholds.repo_base_image_allow) pinned by a version tag or @sha256 digest, never latest",
    docs="https://docs.docker.com/build/building/best-practices/#from",
)
def test_repository_dockerfile_base_images_approved_and_pinned(
    repo_checkout: RepoCheckout, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Container images build on an approved, pinned base image

    In every tracked Dockerfile or Containerfile, the image the final stage builds on (every
    stage with ``repo_base_all_stages``), after ``ARG`` defaults and stage names are resolved,
    matches an entry of ``repo_base_image_allow`` (default: scratch, distroless, Chainguard,
    Alpine; Docker Hub names normalised, tags ignored) and is pinned by a tag other than
    ``latest`` or by a digest (only a digest with ``repo_base_require_digest``).
    """
    check = "REPO-DOCKERFILE-BASE-ALLOWLIST"
    allow = _threshold(readiness, check, "repo_base_image_allow")
    digest_only = bool(_threshold(readiness, check, "repo_base_require_digest"))
    all_stages = bool(_threshold(readiness, check, "repo_base_all_stages"))
    observed: dict[str, dict[str, str | None]] = {}
    problems: list[str] = []
    for path, text in _dockerfiles(repo_checkout, readiness, check).items():
        bases = stage_bases(text)
        if not bases:
            problems.append(f"{path}: no FROM instruction")
            continue
        for base in bases if all_stages else bases[-1:]:
            where = f"{path} ({base.stage})"
            observed[where] = {"FROM": base.written, "image": base.image}
            if base.image is None:
                problems.append(
                    f"{where}: FROM depends on ARG {base.unresolved}, which has no default"
                )
                continue
            if base.image.lower() == SCRATCH:
                if SCRATCH not in allow:
                    problems.append(f"{where}: scratch is not on the allow-list")
                continue
            image = parse_image(base.image)
            if not image_allowed(image, allow):
                problems.append(f"{where}: {base.image} is not on the allow-list")
            if digest_only and not image.digest:
                problems.append(f"{where}: {base.image} is not pinned by digest")
            elif not image.pinned:
                problems.append(f"{where}: {base.image} is not pinned (latest)")
    evidence(
        "base images",
        observed=observed,
        expected=f"on {allow}, pinned by " + ("digest" if digest_only else "tag or digest"),
    )
    assert not problems, "; ".join(problems)


@pytest.mark.critical(
    id="REPO-FILE-ABSENT",
    section="Repository",
    remediation="git rm the files (and purge them from history if they held secrets), rotate what they exposed; thresholds.repo_forbidden_paths lists what is forbidden",
)
def test_repository_forbidden_files_absent(
    repo_checkout: RepoCheckout, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """No forbidden files are committed

    No tracked file matches ``repo_forbidden_paths`` (default: .env, private keys and
    keystores, SSH identities, .netrc/.pgpass/.htpasswd, Terraform state). A pattern without a
    slash matches the file name in any folder; ``repo_forbidden_allow_paths`` exempts paths
    (e.g. test fixtures).
    """
    check = "REPO-FILE-ABSENT"
    forbidden = _threshold(readiness, check, "repo_forbidden_paths")
    allowed = _threshold(readiness, check, "repo_forbidden_allow_paths")
    found: dict[str, list[str]] = {}
    for path in repo_checkout.tracked_files():
        if matches_any(path, allowed):
            continue
        for pattern in forbidden:
            if path_matches(path, pattern):
                found.setdefault(pattern, []).append(path)
    evidence("forbidden files", observed=found, expected={}, patterns=forbidden)
    paths = sorted({p for matched in found.values() for p in matched})
    assert not paths, f"{len(paths)} forbidden files committed: {', '.join(paths[:10])}"


@pytest.mark.important(
    id="REPO-GIT-TAG-SEMVER",
    section="Repository",
    remediation="tag the release commit with a semantic version (git tag v1.4.0); thresholds.repo_tag_ignore exempts non-release tags",
    docs="https://semver.org/",
)
def test_repository_release_tag_is_semver(
    repo_checkout: RepoCheckout, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """The release tag is a semantic version

    The tags at HEAD (without any, the newest tag reachable from HEAD), except those matching
    ``repo_tag_ignore``, are ``MAJOR.MINOR.PATCH`` versions as SemVer 2.0.0 defines them, with
    an optional ``v`` prefix (``repo_tag_v_prefix``) and pre-release part
    (``repo_tag_prerelease``). A repository without a tag fails.
    """
    check = "REPO-GIT-TAG-SEMVER"
    v_prefix = bool(_threshold(readiness, check, "repo_tag_v_prefix"))
    prerelease = bool(_threshold(readiness, check, "repo_tag_prerelease"))
    ignored = _threshold(readiness, check, "repo_tag_ignore")
    at_head = [t for t in repo_checkout.tags_at_head() if not matches_any(t, ignored)]
    nearest = repo_checkout.nearest_tag()
    tags = at_head or ([nearest] if nearest and not matches_any(nearest, ignored) else [])
    problems = [p for t in tags if (p := semver_problem(t, v_prefix, prerelease))]
    evidence(
        "release tags",
        observed=tags,
        expected="MAJOR.MINOR.PATCH" + (" (v prefix allowed)" if v_prefix else ""),
        source="tags at HEAD" if at_head else "newest tag reachable from HEAD",
    )
    assert tags, "no release tag: neither HEAD nor any commit before it is tagged"
    assert not problems, "; ".join(problems)
