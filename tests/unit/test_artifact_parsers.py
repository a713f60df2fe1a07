"""The artifact parsers (checks/_artifacts.py) on real tool output and documented samples.

Real: pytest's JUnit XML and coverage.py's Cobertura XML and JSON, generated here. Samples
(tests/data/artifacts/, see its README) for tools not installable here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from checks._artifacts import (
    ArtifactError,
    license_allowed,
    parse_cis,
    parse_coverage,
    parse_junit,
    parse_licenses,
    parse_load_test,
    parse_sarif,
    parse_secret_scan,
    parse_vulnerabilities,
)
from tests.support.artifact_tools import coverage_reports, junit_report

DATA = Path(__file__).resolve().parents[1] / "data" / "artifacts"


def _sample(name: str) -> str:
    return (DATA / name).read_text()


def test_junit_from_pytest_counts_failures_and_names_the_failed_cases(tmp_path: Path) -> None:
    summary = parse_junit(junit_report(tmp_path, failing=True).read_text())
    assert (summary.tests, summary.failures, summary.errors, summary.skipped) == (5, 2, 0, 1)
    assert summary.failed_cases == ("test_demo::test_compares", "test_demo::test_breaks")
    clean = parse_junit(junit_report(tmp_path / "clean", failing=False).read_text())
    assert (clean.tests, clean.failures, clean.errors, clean.failed_cases) == (3, 0, 0, ())


def test_junit_error_cases_and_suite_attributes_without_cases() -> None:
    with_error = """<testsuite name="s" tests="2"><testcase classname="a" name="x"><error/></testcase>
        <testcase classname="a" name="y"/></testsuite>"""
    assert parse_junit(with_error).errors == 1
    assert parse_junit(with_error).failed_cases == ("a::x",)
    attributes_only = """<testsuites><testsuite tests="7" failures="1" errors="0" skipped="2"/>
        <testsuite tests="3" failures="0" errors="1"/></testsuites>"""
    summary = parse_junit(attributes_only)
    assert (summary.tests, summary.failures, summary.errors, summary.skipped) == (10, 1, 1, 2)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<html/>", "root element is <html>"),
        ("<testsuite", "not well-formed XML"),
        ('<!DOCTYPE x [<!ENTITY a "b">]><testsuite/>', "DOCTYPE/ENTITY"),
        ('<testsuite tests="many"/>', "testsuite tests is not a number"),
    ],
)
def test_junit_unreadable_reports_say_why(text: str, reason: str) -> None:
    with pytest.raises(ArtifactError, match=reason):
        parse_junit(text)


def test_coverage_from_coverage_py_xml_and_json_agree(tmp_path: Path) -> None:
    partial_xml, partial_json = coverage_reports(tmp_path / "partial", full=False)
    assert parse_coverage(partial_xml.read_text()) == 62.5
    assert parse_coverage(partial_json.read_text()) == 62.5
    full_xml, full_json = coverage_reports(tmp_path / "full", full=True)
    assert parse_coverage(full_xml.read_text()) == parse_coverage(full_json.read_text()) == 100.0


def test_coverage_rejects_other_documents() -> None:
    with pytest.raises(ArtifactError, match="no <coverage line-rate"):
        parse_coverage("<report/>")
    with pytest.raises(ArtifactError, match=r"no totals.percent_covered"):
        parse_coverage('{"files": {}}')


def test_sarif_levels_use_the_rule_default_and_list_errors() -> None:
    summary = parse_sarif(_sample("semgrep-errors.sarif"))
    # explicit note; default from the rule (error via ruleIndex, warning via ruleId)
    assert summary.levels == {"error": 1, "note": 1, "warning": 1}
    assert summary.errors == ("Semgrep OSS: demo.sql-injection at app/db.py:42",)
    bare = '{"runs": [{"tool": {"driver": {"name": "t"}}, "results": [{"ruleId": "r"}]}]}'
    assert parse_sarif(bare).levels == {"warning": 1}  # SARIF's default level
    with pytest.raises(ArtifactError, match="no runs array"):
        parse_sarif("{}")


def test_checkov_sarif_from_the_real_tool_has_error_results() -> None:
    summary = parse_sarif(_sample("checkov.sarif"))  # an open SSH port and a bare S3 bucket
    assert summary.levels == {"error": 10}
    assert "Checkov: CKV_AWS_24 at main.tf:5" in summary.errors


def test_trivy_and_grype_findings_by_severity() -> None:
    trivy = parse_vulnerabilities(_sample("trivy-findings.json"))
    assert trivy.tool == "trivy"
    assert trivy.by_severity == {"CRITICAL": 1, "HIGH": 2, "MEDIUM": 1}
    assert trivy.ids["HIGH"] == ("CVE-2099-0002", "CVE-2099-0004")
    assert parse_vulnerabilities(_sample("trivy-clean.json")).by_severity == {"MEDIUM": 1, "LOW": 1}
    grype = parse_vulnerabilities(_sample("grype-findings.json"))
    assert (grype.tool, grype.by_severity) == ("grype", {"HIGH": 1, "NEGLIGIBLE": 1})
    with pytest.raises(ArtifactError, match="neither Trivy"):
        parse_vulnerabilities('{"vulns": []}')


def test_k6_handle_summary_and_summary_export() -> None:
    passing = parse_load_test(_sample("k6-summary.json"))
    assert (passing.tool, passing.requests, passing.p95_ms, passing.p99_ms) == (
        "k6",
        3000,
        214.8,
        402.6,
    )
    assert (passing.error_rate, passing.rps, passing.failed_thresholds) == (0.002, 49.99, ())
    failing = parse_load_test(_sample("k6-summary-export.json"))
    assert (failing.p95_ms, failing.p99_ms, failing.error_rate) == (1893.4, None, 0.061)
    assert failing.failed_thresholds == (
        "http_req_duration: p(95)<500",
        "http_req_failed: rate<0.01",
    )


def test_locust_stats_use_the_aggregated_row() -> None:
    summary = parse_load_test(_sample("locust_stats.csv"))
    assert (summary.tool, summary.requests, summary.p95_ms, summary.p99_ms) == (
        "locust",
        3000,
        140.0,
        260.0,
    )
    assert summary.error_rate == pytest.approx(1 / 3000)
    assert summary.rps == 50.0
    with pytest.raises(ArtifactError, match="no Aggregated row"):
        parse_load_test("Type,Name\nGET,/x\n")


def test_licence_reports_and_the_allow_list() -> None:
    pip = parse_licenses(_sample("pip-licenses.json"))
    assert pip["demo-gpl-tool@1.2.0"] == "GNU General Public License v3 (GPLv3)"
    npm = parse_licenses(_sample("license-checker.json"))
    assert npm["demo-multi@1.0.0"] == "BSD-3-Clause OR MIT"
    allowed = ["MIT", "Apache-2.0", "Apache Software License", "MIT License"]
    assert license_allowed("(MIT OR Apache-2.0)", allowed)
    assert license_allowed("Apache Software License; BSD License", allowed)
    assert license_allowed("mit", allowed)
    assert not license_allowed("MIT AND GPL-3.0-only", allowed)
    assert license_allowed("MIT AND Apache-2.0", allowed)
    assert not license_allowed("UNKNOWN", allowed)
    assert not license_allowed("", allowed)


def test_licence_expressions_follow_spdx_precedence() -> None:
    allowed = ["MIT", "Apache-2.0", "MPL-2.0", "Mozilla Public License 2.0 (MPL 2.0)"]
    assert not license_allowed("GPL-3.0-only AND (Apache-2.0 OR MIT)", allowed)
    assert license_allowed("MPL-2.0 AND (Apache-2.0 OR MIT)", allowed)
    assert license_allowed("GPL-3.0-only OR MIT AND Apache-2.0", allowed)
    assert license_allowed("Apache-2.0 WITH LLVM-exception", allowed)
    assert license_allowed("BSD License; Mozilla Public License 2.0 (MPL 2.0)", allowed)
    for malformed in ("MIT AND", "(MIT", "MIT)", "AND MIT"):
        assert not license_allowed(malformed, allowed), malformed


def test_real_pip_licenses_report_against_the_default_allow_list() -> None:
    from checks.test_artifacts import THRESHOLDS

    allowed = THRESHOLDS["ART-LICENSE-ALLOWLIST"]["art_license_allow"]
    packages = parse_licenses(_sample("pip-licenses-real.json"))
    rejected = {
        p.split("@")[0] for p, licence in packages.items() if not license_allowed(licence, allowed)
    }
    assert len(packages) == 126
    assert rejected == {"cffi", "numpy", "regex", "zope.event", "zope.interface"}


def test_real_locust_stats() -> None:
    summary = parse_load_test(_sample("locust-real_stats.csv"))
    assert (summary.requests, summary.p95_ms, summary.p99_ms) == (1530, 10.0, 16.0)
    assert summary.error_rate == pytest.approx(311 / 1530)
    assert summary.rps == pytest.approx(305.765, abs=0.001)


def test_secret_scans_name_rule_and_place_never_the_secret() -> None:
    assert parse_secret_scan(_sample("gitleaks-findings.json")) == (
        "aws-access-token at deploy/settings.py:12",
        "private-key at certs/server.key:1",
    )
    assert parse_secret_scan(_sample("gitleaks-clean.json")) == ()
    assert parse_secret_scan("") == ()
    assert parse_secret_scan(_sample("trufflehog.jsonl")) == ("Slack at config/app.env:3",)
    with pytest.raises(ArtifactError, match="trufflehog output line 1: not JSON"):
        parse_secret_scan("found a secret!")


def _kube_bench(statuses: dict[str, str]) -> dict[str, object]:
    results = [{"test_number": n, "test_desc": f"d{n}", "status": s} for n, s in statuses.items()]
    return {"id": "1", "version": "cis-1.8", "node_type": "master", "tests": [{"results": results}]}


def test_kube_bench_forms_agree() -> None:
    control = _kube_bench({"1.1.1": "FAIL", "1.1.2": "PASS", "1.1.3": "WARN", "1.1.4": "INFO"})
    forms = [
        json.dumps({"Controls": [control], "Totals": {"total_fail": 1}}),
        json.dumps([control]),  # --json of some releases: an array of controls
        json.dumps(control) + "\n" + json.dumps(control),  # older: one control per line
    ]
    summaries = [parse_cis(text) for text in forms]
    assert [(s.tool, s.benchmark, s.passed, s.unjudged) for s in summaries[:2]] == [
        ("kube-bench", "cis-1.8", 1, 2)
    ] * 2
    assert summaries[0].failed == ("1.1.1 d1.1.1",)
    assert summaries[2].failed == ("1.1.1 d1.1.1",) * 2


def test_trivy_compliance_summary_and_all_reports() -> None:
    summary = {
        "ID": "k8s-cis-1.23",
        "Title": "CIS",
        "SummaryControls": [
            {"ID": "1.1", "Name": "a", "TotalFail": 2},
            {"ID": "1.2", "Name": "b (Manual)"},
            {"ID": "1.3", "Name": "c", "TotalFail": 0},
        ],
    }
    parsed = parse_cis(json.dumps(summary))
    assert (parsed.failed, parsed.passed, parsed.unjudged) == (("1.1 a",), 1, 1)
    everything = {
        "ID": "docker-cis-1.6.0",
        "Title": "CIS Docker",
        "Results": [
            {"ID": "4.1", "Name": "user", "Results": [{"Misconfigurations": [{"Status": "PASS"}]}]},
            {"ID": "5.1", "Name": "vuln", "Results": [{"Vulnerabilities": [{"VulnerabilityID": "x"}]}]},
            {"ID": "6.1", "Name": "audit (Manual)", "Results": []},
        ],
    }  # fmt: skip
    parsed = parse_cis(json.dumps(everything))
    assert (parsed.failed, parsed.passed, parsed.unjudged) == (("5.1 vuln",), 1, 1)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"Report": []}', "neither kube-bench (Controls) nor trivy compliance (Results) JSON"),
        ("not json", "CIS report: not JSON"),
        ('"text"', "the top level is a str"),
    ],
)
def test_unreadable_cis_reports(text: str, reason: str) -> None:
    with pytest.raises(ArtifactError, match=re.escape(reason)):
        parse_cis(text)
