"""The built-in artifact checks (checks/test_artifacts.py) in a readiness run.

Real: the plugin, and JUnit XML and coverage reports written by pytest and coverage.py here;
the other reports are the documented samples in tests/data/artifacts (see its README), checkov's
SARIF among them being real checkov output. Three ``artifacts`` targets: a release whose
reports are all fine, a broken one whose reports each fail, and one whose reports are missing
or unreadable.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.artifact_tools import coverage_reports, junit_report
from tests.support.check_runs import ChecksRun, run_checks

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[1] / "data" / "artifacts"
CHECKS = (
    "ART-JUNIT-PASS",
    "ART-COVERAGE-MIN",
    "ART-SARIF-CLEAN",
    "ART-VULN-SCAN",
    "ART-SECRET-SCAN",
    "ART-LOADTEST-SUMMARY",
    "ART-LICENSE-ALLOWLIST",
)


def _copy(directory: Path, *names: str) -> None:
    for name in names:
        shutil.copy(DATA / name, directory / name)


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    release = tmp_path_factory.mktemp("release")
    junit_report(release / "tests", failing=False)
    coverage_reports(release / "cov", full=True)
    _copy(release, "semgrep-clean.sarif", "trivy-clean.json", "k6-summary.json", "locust_stats.csv")
    _copy(release, "pip-licenses-clean.json", "gitleaks-clean.json")
    broken = tmp_path_factory.mktemp("broken")
    junit_report(broken / "tests", failing=True)
    coverage_reports(broken / "cov", full=False)
    _copy(broken, "semgrep-errors.sarif", "checkov.sarif", "trivy-findings.json")
    _copy(broken, "grype-findings.json", "k6-summary-export.json", "locust_slow_stats.csv")
    _copy(broken, "pip-licenses.json", "license-checker.json", "gitleaks-findings.json")
    _copy(broken, "trufflehog.jsonl", "k6-summary-export-pre031.json")
    missing = tmp_path_factory.mktemp("missing")
    (missing / "coverage.xml").write_text("<html>not a coverage report</html>")
    return {"release": release, "broken": broken, "missing": missing}


def _target(name: str, base: Path) -> str:
    return (
        f"      - name: {name}\n"
        f"        base_dir: '{base}'\n"
        "        junit: 'tests/*.xml'\n"
        "        coverage: [cov/coverage.xml, cov/coverage.json]\n"
        "        sarif: '*.sarif'\n"
        "        vulnerabilities: ['trivy-*.json', 'grype-*.json']\n"
        "        load_test: ['k6-*.json', '*_stats.csv']\n"
        "        licenses: ['*licen*.json']\n"
        "        leak_scan: ['gitleaks-*.json', '*.jsonl']\n"
    )


def test_artifact_checks_pass_the_release_and_fail_the_broken_pipeline(
    pytester: pytest.Pytester, pipelines: dict[str, Path]
) -> None:
    profile = (
        "profiles:\n  prod:\n    thresholds: {art_junit_min_tests: 3}\n    artifacts:\n"
        + _target("release", pipelines["release"])
        + _target("broken", pipelines["broken"])
        + f"      - {{name: missing, base_dir: '{pipelines['missing']}', junit: 'none/*.xml', coverage: coverage.xml}}\n"
    )
    run = run_checks(pytester, profile, "test_artifacts.py")
    outcomes = run.outcomes()
    assert {outcomes[f"{c}[release]"] for c in CHECKS} == {"passed"}, run.items
    assert {outcomes[f"{c}[broken]"] for c in CHECKS} == {"failed"}
    assert outcomes["ART-JUNIT-PASS[missing]"] == "failed"
    assert outcomes["ART-COVERAGE-MIN[missing]"] == "failed"
    assert {outcomes[f"{c}[missing]"] for c in CHECKS[2:]} == {"skipped"}
    assert message_of(run, "ART-SECRET-SCAN[broken]") == (
        "3 secrets found (allowed 0): aws-access-token at deploy/settings.py:12, "
        "private-key at certs/server.key:1, Slack at config/app.env:3"
    )

    message = {item_id: item["message"] for item_id, item in run.items.items()}
    assert message["ART-JUNIT-PASS[broken]"] == (
        "2 failures and 0 errors in 5 tests: test_demo::test_compares, test_demo::test_breaks"
    )
    assert message["ART-COVERAGE-MIN[broken]"] == (
        "coverage below 80%: cov/coverage.xml 62.5%, cov/coverage.json 62.5%"
    )
    assert message["ART-SARIF-CLEAN[broken]"].startswith(
        "11 error-level findings (allowed 0): Checkov: CKV_AWS_24 at main.tf:5; "
    )
    sarif = run.evidence("ART-SARIF-CLEAN[broken]")
    assert sarif[0]["observed"] == ["checkov.sarif", "semgrep-errors.sarif"]
    assert sarif[1]["details"]["levels"] == {"error": 11, "note": 1, "warning": 1}
    assert message["ART-VULN-SCAN[broken]"] == (
        "vulnerabilities: 1 CRITICAL (CVE-2099-0001); "
        "3 HIGH, allowed 0 (CVE-2099-0002, CVE-2099-0004, CVE-2099-1001)"
    )
    load = message["ART-LOADTEST-SUMMARY[broken]"]
    assert "k6-summary-export.json: p95 1893.4 ms over 500 ms" in load
    assert "k6-summary-export.json: error rate 6.10% over 1.00%" in load
    assert "k6-summary-export.json: k6 threshold http_req_duration: p(95)<500 failed" in load
    assert (
        "k6-summary-export-pre031.json: no error rate (k6's http_req_failed metric is missing)"
        in load
    )
    assert "locust_slow_stats.csv: p95 2100.0 ms over 500 ms" in load
    assert "locust_slow_stats.csv: error rate 5.00% over 1.00%" in load
    licences = message["ART-LICENSE-ALLOWLIST[broken]"]
    assert licences.startswith("3 of 9 packages have licences not on the allow-list: ")
    for package in ("demo-gpl-tool@1.2.0", "demo-mystery@0.1.0", "demo-left-pad@1.3.0"):
        assert package in licences
    assert message["ART-JUNIT-PASS[missing]"].startswith("no file matches junit ['none/*.xml']")
    assert message["ART-COVERAGE-MIN[missing]"] == (
        "unreadable report: coverage.xml: Cobertura XML: no <coverage line-rate=...> root"
    )
    release = run.evidence("ART-JUNIT-PASS[release]")
    assert release[1]["observed"] == {"tests": 3, "failures": 0, "errors": 0}
    assert run.items["ART-VULN-SCAN[broken]"]["remediation"].endswith(
        "thresholds.art_vuln_max_high allows a few HIGH"
    )


def message_of(run: ChecksRun, item_id: str) -> str:
    message: str = run.items[item_id]["message"]
    return message


def test_thresholds_from_the_profile_loosen_the_checks(
    pytester: pytest.Pytester, pipelines: dict[str, Path]
) -> None:
    profile = (
        "profiles:\n  prod:\n    thresholds:\n"
        "      art_coverage_min_percent: 60\n"
        "      art_vuln_max_critical: 1\n"
        "      art_vuln_max_high: 3\n"
        "      art_vuln_forbidden_ids: [CVE-2099-0004]\n"
        "    artifacts:\n" + _target("broken", pipelines["broken"])
    )
    run = run_checks(pytester, profile, "test_artifacts.py", args=("-k", "coverage or vuln"))
    assert run.outcomes() == {
        "ART-COVERAGE-MIN[broken]": "passed",
        "ART-VULN-SCAN[broken]": "failed",
    }
    assert (
        run.items["ART-VULN-SCAN[broken]"]["message"] == "vulnerabilities: forbidden CVE-2099-0004"
    )


# CIS benchmark results. kube-bench is in neither Debian nor PyPI, and trivy's compliance scan
# needs a cluster or image plus its checks bundle from the network, so these are samples
# written here after each tool's published JSON: kube-bench's `--json` (`Controls[].tests[]`
# groups with `results[]` of `test_number`/`test_desc`/`status`, and `Totals`; releases before
# 0.6 printed one control object per line) and trivy's compliance report types
# (`--report all`: `Results[]` controls holding scan results whose misconfigurations carry a
# `Status`; `--report summary`: `SummaryControls[]` with `TotalFail`, absent for manual ones).
def _kube_bench_control(statuses: dict[str, str]) -> dict[str, object]:
    results = [
        {"test_number": number, "test_desc": f"control {number}", "status": status, "scored": True}
        for number, status in statuses.items()
    ]
    return {
        "id": "4",
        "version": "cis-1.8",
        "text": "Worker Node Security Configuration",
        "node_type": "node",
        "tests": [
            {"section": "4.1", "desc": "Worker Node Configuration Files", "results": results}
        ],
        "total_pass": sum(s == "PASS" for s in statuses.values()),
        "total_fail": sum(s == "FAIL" for s in statuses.values()),
    }


KUBE_BENCH_CLEAN = {
    "Controls": [_kube_bench_control({"4.1.1": "PASS", "4.1.2": "PASS", "4.1.3": "WARN"})],
    "Totals": {"total_pass": 2, "total_fail": 0, "total_warn": 1, "total_info": 0},
}
FAILING_CONTROL = _kube_bench_control({"4.1.1": "FAIL", "4.2.6": "FAIL", "4.1.2": "PASS"})
KUBE_BENCH_FAILING = {
    "Controls": [FAILING_CONTROL],
    "Totals": {"total_pass": 1, "total_fail": 2, "total_warn": 0, "total_info": 0},
}
TRIVY_SUMMARY_CLEAN = {
    "ID": "k8s-cis-1.23",
    "Title": "CIS Kubernetes Benchmarks v1.23",
    "SummaryControls": [
        {"ID": "1.2.1", "Name": "Ensure that the --anonymous-auth argument is set to false", "Severity": "MEDIUM", "TotalFail": 0},
        {"ID": "1.1.9", "Name": "Ensure that the CNI file permissions are set (Manual)", "Severity": "HIGH"},
    ],
}  # fmt: skip
TRIVY_ALL_FAILING = {
    "ID": "docker-cis-1.6.0",
    "Title": "CIS Docker Community Edition Benchmark v1.6.0",
    "Description": "CIS Docker Community Edition Benchmark",
    "Version": "1.6.0",
    "Results": [
        {
            "ID": "4.1",
            "Name": "Ensure a user for the container has been created",
            "Severity": "HIGH",
            "Results": [
                {
                    "Target": "Dockerfile",
                    "Class": "config",
                    "MisconfSummary": {"Successes": 0, "Failures": 1},
                    "Misconfigurations": [{"AVDID": "AVD-DS-0002", "Status": "FAIL"}],
                }
            ],
        },
        {"ID": "4.6", "Name": "Ensure that HEALTHCHECK instructions have been added", "Severity": "LOW", "Results": []},
    ],
}  # fmt: skip


def test_cis_benchmark_reports_good_waived_and_failing(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    clean, failing = tmp_path / "clean", tmp_path / "failing"
    clean.mkdir()
    failing.mkdir()
    (clean / "kube-bench.json").write_text(json.dumps(KUBE_BENCH_CLEAN))
    (clean / "trivy-compliance.json").write_text(json.dumps(TRIVY_SUMMARY_CLEAN, indent=2))
    (failing / "kube-bench.json").write_text(json.dumps(KUBE_BENCH_FAILING))
    (failing / "trivy-compliance.json").write_text(json.dumps(TRIVY_ALL_FAILING, indent=2))
    old_style = "\n".join(json.dumps(c) for c in [FAILING_CONTROL, FAILING_CONTROL])
    (failing / "kube-bench-0.5.jsonl").write_text(old_style + "\n")
    (failing / "broken.json").write_text('{"Report": []}')
    profile = (
        "profiles:\n  prod:\n    thresholds: {art_cis_waived_ids: ['4.2.6']}\n    artifacts:\n"
        f"      - {{name: clean, base_dir: '{clean}', cis_benchmark: '*.json'}}\n"
        f"      - {{name: failing, base_dir: '{failing}', cis_benchmark: ['k*', trivy-*.json]}}\n"
        f"      - {{name: unreadable, base_dir: '{failing}', cis_benchmark: broken.json}}\n"
        f"      - {{name: none, base_dir: '{failing}', cis_benchmark: cis/*.json}}\n"
    )
    run = run_checks(pytester, profile, "test_artifacts.py", args=("-k", "cis"))
    assert run.outcomes() == {
        "ART-CIS-REPORT[clean]": "passed",
        "ART-CIS-REPORT[failing]": "failed",
        "ART-CIS-REPORT[unreadable]": "failed",
        "ART-CIS-REPORT[none]": "failed",
    }
    assert message_of(run, "ART-CIS-REPORT[failing]") == (
        "4 failed CIS controls (allowed 0): 4.1.1 control 4.1.1; 4.1.1 control 4.1.1; "
        "4.1.1 control 4.1.1; 4.1 Ensure a user for the container has been created"
    )
    failed = run.evidence("ART-CIS-REPORT[failing]")[-1]
    assert failed["details"]["waived"] == ["4.2.6 control 4.2.6"] * 3
    clean_trivy = run.evidence("ART-CIS-REPORT[clean]")[2]
    assert clean_trivy["observed"] == {"FAIL": 0, "PASS": 1}
    assert clean_trivy["details"] == {
        "tool": "trivy",
        "benchmark": "k8s-cis-1.23",
        "not_judged": 1,
    }
    assert message_of(run, "ART-CIS-REPORT[unreadable]") == (
        "unreadable report: broken.json: CIS report: neither kube-bench (Controls) nor "
        "trivy compliance (Results) JSON"
    )
    assert message_of(run, "ART-CIS-REPORT[none]").startswith("no file matches cis_benchmark")
    assert "art_cis_waived_ids" in run.items["ART-CIS-REPORT[failing]"]["remediation"]
