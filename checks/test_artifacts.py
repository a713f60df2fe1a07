"""Built-in checks of build artifacts: the reports a pipeline leaves behind.

Every check runs once per ``artifacts`` target, reading the files its settings name
(``junit``, ``coverage``, ``sarif``, ``vulnerabilities``, ``leak_scan``, ``load_test``,
``licenses``, ``cis_benchmark``). A report kind the target does not name is not applicable; a named one that
matches no file, or that does not parse, fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from pytest_readiness import Evidence, ReadinessContext
from pytest_readiness.connectors.artifacts import ArtifactFiles

from ._artifacts import (
    license_allowed,
    parse_all,
    parse_cis,
    parse_coverage,
    parse_junit,
    parse_licenses,
    parse_load_test,
    parse_sarif,
    parse_secret_scan,
    parse_vulnerabilities,
)

DOMAIN = "artifacts"
TARGET_KIND = "artifacts"
THRESHOLDS: dict[str, dict[str, Any]] = {
    "ART-JUNIT-PASS": {"art_junit_min_tests": 1},
    "ART-COVERAGE-MIN": {"art_coverage_min_percent": 80},
    "ART-SARIF-CLEAN": {"art_sarif_max_errors": 0},
    "ART-VULN-SCAN": {
        "art_vuln_max_critical": 0,
        "art_vuln_max_high": 0,
        "art_vuln_forbidden_ids": [],
    },
    "ART-SECRET-SCAN": {"art_leak_scan_max_findings": 0},
    "ART-LOADTEST-SUMMARY": {
        "art_load_p95_ms": 500,
        "art_load_p99_ms": None,
        "art_load_max_error_rate": 0.01,
        "art_load_min_rps": None,
        "art_load_min_requests": 1,
    },
    "ART-LICENSE-ALLOWLIST": {
        "art_license_allow": [
            "MIT",
            "MIT License",
            "BSD",
            "BSD License",
            "BSD-2-Clause",
            "BSD-3-Clause",
            "0BSD",
            "Apache-2.0",
            "Apache 2.0",
            "Apache License 2.0",
            "Apache Software License",
            "ISC",
            "ISC License (ISCL)",
            "PSF-2.0",
            "Python Software Foundation License",
            "MPL-2.0",
            "Mozilla Public License 2.0 (MPL 2.0)",
            "Unlicense",
            "Zlib",
        ],
        "art_license_ignore_packages": [],
    },
    "ART-CIS-REPORT": {"art_cis_max_failures": 0, "art_cis_waived_ids": []},
}

T = TypeVar("T")
_NO_QUANTILE = "k6: add it to summaryTrendStats; Locust: the stats CSV has the percentile columns"


def _threshold(readiness: ReadinessContext, check: str, name: str) -> Any:
    return readiness.threshold(name, THRESHOLDS[check][name])


def _reports(
    artifact_files: ArtifactFiles, kind: str, parser: Callable[[str], T], evidence: Evidence
) -> list[tuple[str, T]]:
    """Every file of ``kind`` parsed; not applicable when the target names none."""
    __tracebackhide__ = True
    if not artifact_files.configured(kind):
        pytest.skip(f"N/A: the target names no {kind} report (setting {kind})")
    files = artifact_files.files(kind)
    texts = [(artifact_files.relative(f), artifact_files.read(f)) for f in files]
    parsed, problems = parse_all(texts, parser)
    evidence(f"{kind} files", observed=[name for name, _ in texts], expected="at least one")
    assert files, (
        f"no file matches {kind} {list(artifact_files.patterns[kind])} "
        f"under {artifact_files.client}; publish the report or fix the {kind} setting"
    )
    assert not problems, "unreadable report: " + "; ".join(problems)
    return parsed


@pytest.mark.critical(
    id="ART-JUNIT-PASS",
    section="Build artifacts",
    remediation="fix the failing tests before release; thresholds.art_junit_min_tests sets the minimum count",
)
def test_artifacts_junit_results_all_pass(
    artifact_files: ArtifactFiles, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Test results show no failures or errors

    Over all JUnit XML files of the ``junit`` setting: failures + errors == 0 and at least
    ``art_junit_min_tests`` test cases.
    """
    minimum = int(_threshold(readiness, "ART-JUNIT-PASS", "art_junit_min_tests"))
    reports = _reports(artifact_files, "junit", parse_junit, evidence)
    tests = sum(r.tests for _, r in reports)
    failures = sum(r.failures for _, r in reports)
    errors = sum(r.errors for _, r in reports)
    failed = [case for _, r in reports for case in r.failed_cases]
    evidence(
        "results",
        observed={"tests": tests, "failures": failures, "errors": errors},
        expected={"tests": f">= {minimum}", "failures": 0, "errors": 0},
        skipped=sum(r.skipped for _, r in reports),
        failed_cases=failed[:20],
    )
    assert failures + errors == 0, (
        f"{failures} failures and {errors} errors in {tests} tests: {', '.join(failed[:5])}"
    )
    assert tests >= minimum, f"only {tests} tests reported, expected at least {minimum}"


@pytest.mark.important(
    id="ART-COVERAGE-MIN",
    section="Build artifacts",
    remediation="add tests for the uncovered code, or agree a different thresholds.art_coverage_min_percent",
)
def test_artifacts_coverage_over_threshold(
    artifact_files: ArtifactFiles, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Test coverage is at least the minimum

    Each coverage report (Cobertura XML or coverage.py JSON) of the ``coverage`` setting shows
    total line coverage of at least ``art_coverage_min_percent`` percent.
    """
    minimum = float(_threshold(readiness, "ART-COVERAGE-MIN", "art_coverage_min_percent"))
    reports = _reports(artifact_files, "coverage", parse_coverage, evidence)
    low = [f"{name} {percent:g}%" for name, percent in reports if percent < minimum]
    for name, percent in reports:
        evidence(name, observed=percent, expected=f">= {minimum:g}", unit="%")
    assert not low, f"coverage below {minimum:g}%: {', '.join(low)}"


@pytest.mark.critical(
    id="ART-SARIF-CLEAN",
    section="Build artifacts",
    remediation="fix the error-level findings (or suppress them in the tool with a justification); thresholds.art_sarif_max_errors",
    docs="https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html",
)
def test_artifacts_sarif_has_no_errors(
    artifact_files: ArtifactFiles, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Static analysis reports no error-level findings

    Over all SARIF files of the ``sarif`` setting, at most ``art_sarif_max_errors`` results
    have level ``error`` (a result without a level takes its rule's default).
    """
    allowed = int(_threshold(readiness, "ART-SARIF-CLEAN", "art_sarif_max_errors"))
    reports = _reports(artifact_files, "sarif", parse_sarif, evidence)
    errors = [e for _, r in reports for e in r.errors]
    levels: dict[str, int] = {}
    for _, report in reports:
        for level, count in report.levels.items():
            levels[level] = levels.get(level, 0) + count
    evidence("error results", observed=len(errors), expected=f"<= {allowed}", levels=levels)
    assert len(errors) <= allowed, (
        f"{len(errors)} error-level findings (allowed {allowed}): {'; '.join(errors[:5])}"
    )


@pytest.mark.critical(
    id="ART-VULN-SCAN",
    section="Build artifacts",
    remediation="upgrade the affected packages or base image and rescan; thresholds.art_vuln_max_high allows a few HIGH",
)
def test_artifacts_vulnerability_scan_clean(
    artifact_files: ArtifactFiles, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Vulnerability scan shows no critical and few high findings

    Over all Trivy or Grype JSON reports of the ``vulnerabilities`` setting: at most
    ``art_vuln_max_critical`` CRITICAL and ``art_vuln_max_high`` HIGH findings, and none of
    ``art_vuln_forbidden_ids``.
    """
    max_critical = int(_threshold(readiness, "ART-VULN-SCAN", "art_vuln_max_critical"))
    max_high = int(_threshold(readiness, "ART-VULN-SCAN", "art_vuln_max_high"))
    forbidden = set(_threshold(readiness, "ART-VULN-SCAN", "art_vuln_forbidden_ids"))
    reports = _reports(artifact_files, "vulnerabilities", parse_vulnerabilities, evidence)
    ids: dict[str, set[str]] = {}
    for _, report in reports:
        for severity, found in report.ids.items():
            ids.setdefault(severity, set()).update(found)
    critical, high = sorted(ids.get("CRITICAL", ())), sorted(ids.get("HIGH", ()))
    present = sorted(forbidden & set().union(*ids.values()))
    evidence(
        "findings",
        observed={"CRITICAL": len(critical), "HIGH": len(high), "forbidden": present},
        expected={"CRITICAL": f"<= {max_critical}", "HIGH": f"<= {max_high}", "forbidden": []},
        by_severity={severity: len(found) for severity, found in sorted(ids.items())},
    )
    problems = []
    if len(critical) > max_critical:
        problems.append(f"{len(critical)} CRITICAL ({', '.join(critical[:5])})")
    if len(high) > max_high:
        problems.append(f"{len(high)} HIGH, allowed {max_high} ({', '.join(high[:5])})")
    if present:
        problems.append(f"forbidden {', '.join(present)}")
    assert not problems, "vulnerabilities: " + "; ".join(problems)


@pytest.mark.critical(
    id="ART-SECRET-SCAN",
    section="Build artifacts",
    remediation="remove and rotate the leaked secrets (history too), or mark false positives in the scanner's allow-list; thresholds.art_leak_scan_max_findings",
)
def test_artifacts_secret_scan_clean(
    artifact_files: ArtifactFiles, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """The secret scan found no secrets

    Over all gitleaks JSON or trufflehog JSON-lines reports of the ``leak_scan`` setting, at
    most ``art_leak_scan_max_findings`` findings. Findings are named by rule, file and line,
    never by the secret.
    """
    allowed = int(_threshold(readiness, "ART-SECRET-SCAN", "art_leak_scan_max_findings"))
    findings = [
        f for _, r in _reports(artifact_files, "leak_scan", parse_secret_scan, evidence) for f in r
    ]
    evidence("findings", observed=findings[:50], expected=f"at most {allowed}")
    assert len(findings) <= allowed, (
        f"{len(findings)} secrets found (allowed {allowed}): {', '.join(findings[:10])}"
    )


@pytest.mark.important(
    id="ART-LOADTEST-SUMMARY",
    section="Build artifacts",
    remediation="fix the performance regression, or agree the thresholds (art_load_p95_ms, art_load_max_error_rate, art_load_min_rps)",
)
def test_artifacts_load_test_within_thresholds(
    artifact_files: ArtifactFiles, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Load test met its latency, error-rate and throughput targets

    Each k6 JSON summary or Locust stats CSV of the ``load_test`` setting: p95 (and p99 when
    ``art_load_p99_ms`` is set) latency under the limit, error rate at most
    ``art_load_max_error_rate``, throughput at least ``art_load_min_rps`` when set, at least
    ``art_load_min_requests`` requests, and every threshold the tool itself evaluated passed.
    A k6 summary without ``http_req_failed`` (k6 before 0.31) fails: its error rate is unknown.
    """
    check = "ART-LOADTEST-SUMMARY"
    p95_limit = _threshold(readiness, check, "art_load_p95_ms")
    p99_limit = _threshold(readiness, check, "art_load_p99_ms")
    max_errors = float(_threshold(readiness, check, "art_load_max_error_rate"))
    min_rps = _threshold(readiness, check, "art_load_min_rps")
    min_requests = int(_threshold(readiness, check, "art_load_min_requests"))
    problems = []
    for name, s in _reports(artifact_files, "load_test", parse_load_test, evidence):
        evidence(
            name,
            observed={
                "p95_ms": s.p95_ms,
                "p99_ms": s.p99_ms,
                "error_rate": s.error_rate,
                "rps": s.rps,
            },
            expected={
                "p95_ms": f"<= {p95_limit}",
                "p99_ms": f"<= {p99_limit}" if p99_limit is not None else "any",
                "error_rate": f"<= {max_errors:g}",
                "rps": f">= {min_rps}" if min_rps is not None else "any",
            },
            tool=s.tool,
            requests=s.requests,
            failed_thresholds=list(s.failed_thresholds),
        )
        for label, value, limit in (("p95", s.p95_ms, p95_limit), ("p99", s.p99_ms, p99_limit)):
            if limit is not None and value is None:
                problems.append(f"{name}: no {label} latency in the summary ({_NO_QUANTILE})")
            elif limit is not None and value is not None and value > float(limit):
                problems.append(f"{name}: {label} {value} ms over {limit} ms")
        if s.error_rate is None:
            problems.append(f"{name}: no error rate (k6's http_req_failed metric is missing)")
        elif s.error_rate > max_errors:
            problems.append(f"{name}: error rate {s.error_rate:.2%} over {max_errors:.2%}")
        if min_rps is not None and s.rps < float(min_rps):
            problems.append(f"{name}: {s.rps:g} requests/s under {min_rps}")
        if s.requests < min_requests:
            problems.append(f"{name}: {s.requests} requests, expected at least {min_requests}")
        problems += [f"{name}: {s.tool} threshold {t} failed" for t in s.failed_thresholds]
    assert not problems, "; ".join(problems)


@pytest.mark.important(
    id="ART-LICENSE-ALLOWLIST",
    section="Build artifacts",
    remediation="replace the dependency, get its licence approved into thresholds.art_license_allow, or exempt it in art_license_ignore_packages",
)
def test_artifacts_licenses_on_allow_list(
    artifact_files: ArtifactFiles, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Every dependency licence is on the allow-list

    Each package of the licence reports (pip-licenses or license-checker JSON) of the
    ``licenses`` setting has a licence on ``art_license_allow`` (for ``A OR B`` one of them,
    for ``A AND B`` both); packages in ``art_license_ignore_packages`` (name or name@version)
    are exempt.
    """
    allow = _threshold(readiness, "ART-LICENSE-ALLOWLIST", "art_license_allow")
    ignore = set(_threshold(readiness, "ART-LICENSE-ALLOWLIST", "art_license_ignore_packages"))
    packages: dict[str, str] = {}
    for _, report in _reports(artifact_files, "licenses", parse_licenses, evidence):
        packages.update(report)
    rejected = {
        package: licence
        for package, licence in sorted(packages.items())
        if package not in ignore
        and package.rsplit("@", 1)[0] not in ignore
        and not license_allowed(licence, allow)
    }
    evidence("not allowed", observed=rejected, expected={}, packages=len(packages))
    assert not rejected, (
        f"{len(rejected)} of {len(packages)} packages have licences not on the allow-list: "
        + ", ".join(f"{p} ({licence})" for p, licence in list(rejected.items())[:10])
    )


@pytest.mark.important(
    id="ART-CIS-REPORT",
    section="Build artifacts",
    remediation="apply the failed controls' remediation and rerun the benchmark; accepted deviations go in thresholds.art_cis_waived_ids, art_cis_max_failures allows a count",
    docs="https://www.cisecurity.org/cis-benchmarks",
)
def test_artifacts_cis_benchmark_has_no_failures(
    artifact_files: ArtifactFiles, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """The CIS benchmark shows no failed controls

    Over all kube-bench ``--json`` results and trivy compliance reports (``--compliance ...
    --format json``, all or summary) of the ``cis_benchmark`` setting, at most
    ``art_cis_max_failures`` controls have status FAIL once the control ids listed in
    ``art_cis_waived_ids`` are set aside. WARN, INFO and manual controls are not judged.
    """
    allowed = int(_threshold(readiness, "ART-CIS-REPORT", "art_cis_max_failures"))
    waived = {str(i) for i in _threshold(readiness, "ART-CIS-REPORT", "art_cis_waived_ids")}
    failed: list[str] = []
    set_aside: list[str] = []
    for name, report in _reports(artifact_files, "cis_benchmark", parse_cis, evidence):
        evidence(
            name,
            observed={"FAIL": len(report.failed), "PASS": report.passed},
            tool=report.tool,
            benchmark=report.benchmark,
            not_judged=report.unjudged,
        )
        for control in report.failed:
            (set_aside if control.split(" ", 1)[0] in waived else failed).append(control)
    evidence(
        "failed controls",
        observed=failed[:50],
        expected=f"at most {allowed}",
        waived=set_aside,
    )
    assert len(failed) <= allowed, (
        f"{len(failed)} failed CIS controls (allowed {allowed}): {'; '.join(failed[:8])}"
    )
