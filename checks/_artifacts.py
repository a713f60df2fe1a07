"""Parsers of pipeline artifacts into the few numbers the artifact checks judge.

Pure functions over a file's text: JUnit XML, coverage (Cobertura XML, coverage.py JSON),
SARIF 2.1.0, vulnerability reports (Trivy and Grype JSON), load-test summaries (k6 JSON
summary, Locust ``*_stats.csv``), licence reports (pip-licenses and license-checker JSON) and
CIS benchmark results (kube-bench ``--json``, trivy ``--compliance`` JSON).
Each raises :class:`ArtifactError` with a one-line reason for a file it cannot read as its
format; the field names follow each tool's documented output.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


class ArtifactError(ValueError):
    """The file is not a readable report of the expected format."""


def parse_all(
    texts: Iterable[tuple[str, str]], parser: Callable[[str], T]
) -> tuple[list[tuple[str, T]], list[str]]:
    """(name, parsed) of each readable file, and "name: reason" of each unreadable one."""
    parsed: list[tuple[str, T]] = []
    problems: list[str] = []
    for name, text in texts:
        try:
            parsed.append((name, parser(text)))
        except ArtifactError as exc:
            problems.append(f"{name}: {exc}")
    return parsed, problems


# -- JUnit ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JUnitSummary:
    tests: int
    failures: int
    errors: int
    skipped: int
    failed_cases: tuple[str, ...] = ()


def parse_junit(text: str) -> JUnitSummary:
    """Totals over every ``<testcase>``; a case counts once, as error over failure over skip.

    Reports without ``<testcase>`` elements fall back to the suites' count attributes.
    """
    root = _xml(text, "JUnit XML")
    if root.tag not in ("testsuites", "testsuite"):
        raise ArtifactError(f"JUnit XML: root element is <{root.tag}>, not <testsuites>")
    cases = list(root.iter("testcase"))
    if not cases:
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        total = Counter[str]()
        for suite in suites:
            for key in ("tests", "failures", "errors", "skipped"):
                total[key] += _int(suite.get(key) or "0", f"testsuite {key}")
        return JUnitSummary(total["tests"], total["failures"], total["errors"], total["skipped"])
    counts = Counter[str]()
    failed: list[str] = []
    for case in cases:
        kind = next((k for k in ("error", "failure", "skipped") if case.find(k) is not None), "")
        counts[kind] += 1
        if kind in ("error", "failure"):
            failed.append(f"{case.get('classname', '')}::{case.get('name', '?')}".lstrip(":"))
    return JUnitSummary(
        len(cases), counts["failure"], counts["error"], counts["skipped"], tuple(failed)
    )


# -- Coverage ---------------------------------------------------------------------------------


def parse_coverage(text: str) -> float:
    """Total line coverage in percent from Cobertura XML or coverage.py JSON."""
    if text.lstrip().startswith("<"):
        root = _xml(text, "Cobertura XML")
        rate = root.get("line-rate")
        if root.tag != "coverage" or rate is None:
            raise ArtifactError("Cobertura XML: no <coverage line-rate=...> root")
        return round(_float(rate, "line-rate") * 100, 2)
    totals = _json(text, "coverage JSON").get("totals")
    if not isinstance(totals, Mapping) or "percent_covered" not in totals:
        raise ArtifactError("coverage JSON: no totals.percent_covered (coverage.py json format)")
    return round(_float(totals["percent_covered"], "percent_covered"), 2)


# -- SARIF ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SarifSummary:
    levels: Mapping[str, int]
    errors: tuple[str, ...] = ()  # "tool: ruleId at file:line" of each error-level result


def parse_sarif(text: str) -> SarifSummary:
    """Results per level; a result without ``level`` takes its rule's default, else warning."""
    document = _json(text, "SARIF")
    runs = document.get("runs")
    if not isinstance(runs, list):
        raise ArtifactError("SARIF: no runs array")
    levels = Counter[str]()
    errors: list[str] = []
    for run in runs:
        driver = run.get("tool", {}).get("driver", {})
        tool = str(driver.get("name", "?"))
        defaults = {
            str(rule.get("id")): rule.get("defaultConfiguration", {}).get("level")
            for rule in driver.get("rules", []) or []
        }
        rules = list(defaults.values())
        for result in run.get("results", []) or []:
            index = result.get("ruleIndex")
            default = rules[index] if isinstance(index, int) and index < len(rules) else None
            level = str(
                result.get("level")
                or defaults.get(str(result.get("ruleId")))
                or default
                or "warning"
            )
            levels[level] += 1
            if level == "error":
                errors.append(f"{tool}: {result.get('ruleId', '?')} at {_location(result)}")
    return SarifSummary(dict(levels), tuple(errors))


def _location(result: Mapping[str, Any]) -> str:
    for location in result.get("locations", []) or []:
        physical = location.get("physicalLocation", {})
        uri = physical.get("artifactLocation", {}).get("uri")
        if uri:
            line = physical.get("region", {}).get("startLine")
            return f"{uri}:{line}" if line else str(uri)
    return "?"


# -- Vulnerability scans ----------------------------------------------------------------------


@dataclass(frozen=True)
class VulnSummary:
    tool: str
    by_severity: Mapping[str, int]
    ids: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # severity -> sorted ids


def parse_vulnerabilities(text: str) -> VulnSummary:
    """Findings per upper-case severity from a Trivy (``Results``) or Grype (``matches``) report."""
    document = _json(text, "vulnerability report")
    found: list[tuple[str, str]] = []
    if "Results" in document:
        tool = "trivy"
        for result in document.get("Results") or []:
            for vuln in result.get("Vulnerabilities") or []:
                found.append(
                    (str(vuln.get("Severity", "UNKNOWN")), str(vuln.get("VulnerabilityID")))
                )
    elif "matches" in document:
        tool = "grype"
        for match in document.get("matches") or []:
            vuln = match.get("vulnerability", {})
            found.append((str(vuln.get("severity", "Unknown")), str(vuln.get("id"))))
    else:
        raise ArtifactError(
            "vulnerability report: neither Trivy (Results) nor Grype (matches) JSON"
        )
    ids: dict[str, set[str]] = {}
    for severity, vuln_id in found:
        ids.setdefault(severity.upper(), set()).add(vuln_id)
    counts = Counter(severity.upper() for severity, _ in found)
    return VulnSummary(tool, dict(counts), {k: tuple(sorted(v)) for k, v in ids.items()})


# -- Secret scans -----------------------------------------------------------------------------


def parse_secret_scan(text: str) -> tuple[str, ...]:
    """``rule at file:line`` of each finding of a gitleaks JSON report (an array) or trufflehog
    ``--json`` output (one object per line). The secret itself is never read out."""
    stripped = text.strip()
    if not stripped:
        return ()
    if stripped.startswith("["):
        findings = _json(stripped, "gitleaks report", allow_list=True)
        if not isinstance(findings, list):
            raise ArtifactError("gitleaks report: expected a JSON array of findings")
        return tuple(
            f"{f.get('RuleID', '?')} at {f.get('File', '?')}:{f.get('StartLine', '?')}"
            for f in findings
        )
    found = []
    for number, line in enumerate(stripped.splitlines(), 1):
        if not line.strip():
            continue
        finding = _json(line, f"trufflehog output line {number}")
        data = finding.get("SourceMetadata", {}).get("Data", {})
        source: Mapping[str, Any] = (
            next(iter(data.values()), {}) if isinstance(data, dict) and data else {}
        )
        where = f"{source.get('file', '?')}:{source.get('line', '?')}"
        found.append(f"{finding.get('DetectorName', '?')} at {where}")
    return tuple(found)


# -- Load tests -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadSummary:
    tool: str
    requests: int
    error_rate: float | None  # None: the summary has no error metric (k6 before 0.31)
    rps: float
    p95_ms: float | None
    p99_ms: float | None
    failed_thresholds: tuple[str, ...] = ()  # the tool's own thresholds that were crossed


def parse_k6_summary(text: str) -> LoadSummary:
    """A k6 JSON summary: ``handleSummary`` data (metrics.*.values) or ``--summary-export``.

    In ``handleSummary`` data a threshold is ``{"ok": bool}``; in the summary export it is a
    boolean that is true when the threshold was crossed (k6 kept that inverted meaning for
    compatibility). The error rate is ``http_req_failed``'s rate (``value`` in the export); its
    ``passes`` count the failed requests, so the counts are not used. A summary without
    ``http_req_failed`` (k6 before 0.31) has no error rate: None, never 0.
    """
    metrics = _json(text, "k6 summary").get("metrics")
    if not isinstance(metrics, Mapping) or "http_reqs" not in metrics:
        raise ArtifactError("k6 summary: no metrics.http_reqs")

    def values(name: str) -> Mapping[str, Any]:
        metric = metrics.get(name) or {}
        return metric.get("values", metric) if isinstance(metric, Mapping) else {}

    duration, failed, reqs = (
        values("http_req_duration"),
        values("http_req_failed"),
        values("http_reqs"),
    )
    crossed = []
    for name, metric in metrics.items():
        for expression, state in (metric.get("thresholds") or {}).items():
            ok = state.get("ok") if isinstance(state, Mapping) else not state
            if not ok:
                crossed.append(f"{name}: {expression}")
    return LoadSummary(
        tool="k6",
        requests=int(reqs.get("count", 0)),
        error_rate=_optional(failed.get("rate", failed.get("value")), "http_req_failed rate"),
        rps=float(reqs.get("rate", 0.0)),
        p95_ms=_optional(duration.get("p(95)")),
        p99_ms=_optional(duration.get("p(99)")),
        failed_thresholds=tuple(sorted(crossed)),
    )


def parse_locust_stats(text: str) -> LoadSummary:
    """The ``Aggregated`` row of Locust's ``--csv`` ``<prefix>_stats.csv``."""
    rows = list(csv.DictReader(io.StringIO(text)))
    total = next((r for r in rows if r.get("Name") == "Aggregated"), None)
    if total is None:
        raise ArtifactError("Locust stats CSV: no Aggregated row")
    requests = int(_float(total.get("Request Count"), "Request Count"))
    failures = int(_float(total.get("Failure Count"), "Failure Count"))
    return LoadSummary(
        tool="locust",
        requests=requests,
        error_rate=failures / requests if requests else 1.0,
        rps=_float(total.get("Requests/s"), "Requests/s"),
        p95_ms=_optional(total.get("95%")),
        p99_ms=_optional(total.get("99%")),
    )


def parse_load_test(text: str) -> LoadSummary:
    """k6 JSON or Locust CSV, told apart by the content."""
    return parse_k6_summary(text) if text.lstrip().startswith("{") else parse_locust_stats(text)


# -- Licences ---------------------------------------------------------------------------------


def parse_licenses(text: str) -> dict[str, str]:
    """Package -> licence expression from pip-licenses JSON (a list of {Name, Version, License})
    or license-checker JSON (``{"name@version": {"licenses": ...}}``)."""
    document = _json(text, "licence report", allow_list=True)
    packages: dict[str, str] = {}
    if isinstance(document, list):
        for entry in document:
            name = f"{entry.get('Name', '?')}@{entry.get('Version', '?')}"
            packages[name] = str(entry.get("License") or "UNKNOWN")
    else:
        for name, entry in document.items():
            licenses = entry.get("licenses") if isinstance(entry, Mapping) else None
            if isinstance(licenses, list):
                licenses = " OR ".join(map(str, licenses))
            packages[str(name)] = str(licenses or "UNKNOWN")
    return packages


def license_allowed(expression: str, allowed: Iterable[str]) -> bool:
    """Whether a licence expression is allowed, SPDX-style: ``A AND B`` needs both, ``A OR B``
    (or pip-licenses' ``A; B``) either, AND binds tighter, parentheses group; ``X WITH exc``
    counts as ``X``. Names compare ignoring case; an empty or malformed expression is not
    allowed."""
    allow = {a.strip().lower() for a in allowed}
    if expression.strip().lower() in allow:  # names with parentheses: "ISC License (ISCL)"
        return True
    if ";" in expression:  # pip-licenses joins a package's classifiers with "; "
        return any(license_allowed(part, allow) for part in expression.split(";"))
    tokens = [
        t.strip()
        for t in re.split(r"(\(|\)|\bAND\b|\bOR\b)", expression, flags=re.IGNORECASE)
        if t.strip()
    ]
    position = 0

    def peek() -> str:
        return tokens[position].upper() if position < len(tokens) else ""

    def either() -> bool:
        nonlocal position
        result = both()
        while peek() == "OR":
            position += 1
            result = both() or result
        return result

    def both() -> bool:
        nonlocal position
        result = single()
        while peek() == "AND":
            position += 1
            result = single() and result
        return result

    def single() -> bool:
        nonlocal position
        if peek() == "(":
            position += 1
            result = either()
            if peek() != ")":
                raise ValueError("unbalanced parentheses")
            position += 1
            return result
        if peek() in ("", ")", "AND", "OR"):
            raise ValueError("licence name expected")
        name = re.split(r"\s+WITH\s+", tokens[position], flags=re.IGNORECASE)[0]
        position += 1
        return name.strip().lower() in allow

    try:
        result = either()
    except ValueError:
        return False
    return result and position == len(tokens)


# -- CIS benchmarks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CisSummary:
    tool: str
    benchmark: str
    passed: int
    failed: tuple[str, ...]  # "id title" of each failed control, in report order
    unjudged: int  # WARN/INFO/manual controls: reported, not counted as failures


def parse_cis(text: str) -> CisSummary:
    """Failed controls of a kube-bench ``--json`` run (``{"Controls": [...]}``, or the older
    array or one object per line) or a trivy compliance report (``--report all``: ``Results``,
    a control failing when a misconfiguration of it has status FAIL or it lists a
    vulnerability; ``--report summary``: ``SummaryControls`` with ``TotalFail``)."""
    stripped = text.strip()
    try:
        document = json.loads(stripped)
    except ValueError:  # older kube-bench: one JSON object per line
        lines = [line for line in stripped.splitlines() if line.strip()]
        if len(lines) < 2:
            document = _json(stripped, "CIS report")
        document = [_json(line, f"kube-bench output line {n}") for n, line in enumerate(lines, 1)]
    if not isinstance(document, dict | list):
        raise ArtifactError(f"CIS report: the top level is a {type(document).__name__}")
    if isinstance(document, list):
        return _kube_bench(document, "")
    if "Controls" in document:
        return _kube_bench(document.get("Controls") or [], "")
    if "tests" in document and "node_type" in document:
        return _kube_bench([document], "")
    if "SummaryControls" in document or ("Results" in document and "Title" in document):
        return _trivy_compliance(document)
    raise ArtifactError(
        "CIS report: neither kube-bench (Controls) nor trivy compliance (Results) JSON"
    )


def _kube_bench(controls: Iterable[Any], benchmark: str) -> CisSummary:
    passed, unjudged, failed = 0, 0, []
    for control in controls:
        if not isinstance(control, Mapping):
            raise ArtifactError("kube-bench: a control is not an object")
        benchmark = benchmark or str(control.get("version") or control.get("id") or "")
        for group in control.get("tests") or []:
            for result in group.get("results") or []:
                status = str(result.get("status", "")).upper()
                if status == "PASS":
                    passed += 1
                elif status == "FAIL":
                    failed.append(f"{result.get('test_number', '?')} {result.get('test_desc', '')}")
                else:
                    unjudged += 1
    return CisSummary("kube-bench", benchmark, passed, tuple(f.strip() for f in failed), unjudged)


def _trivy_compliance(document: Mapping[str, Any]) -> CisSummary:
    passed, unjudged, failed = 0, 0, []
    benchmark = str(document.get("ID") or document.get("Title") or "")
    if "SummaryControls" in document:
        for control in document.get("SummaryControls") or []:
            total = control.get("TotalFail")
            if total is None:  # a manual control: trivy does not evaluate it
                unjudged += 1
            elif _float(total, "TotalFail") > 0:
                failed.append(f"{control.get('ID', '?')} {control.get('Name', '')}")
            else:
                passed += 1
        return CisSummary("trivy", benchmark, passed, tuple(f.strip() for f in failed), unjudged)
    for control in document.get("Results") or []:
        results = control.get("Results") or []
        fails = any(
            misconf.get("Status") == "FAIL"
            for result in results
            for misconf in result.get("Misconfigurations") or []
        ) or any(result.get("Vulnerabilities") for result in results)
        if fails:
            failed.append(f"{control.get('ID', '?')} {control.get('Name', '')}")
        elif "Manual" in str(control.get("Name", "")) and not results:
            unjudged += 1
        else:
            passed += 1
    return CisSummary("trivy", benchmark, passed, tuple(f.strip() for f in failed), unjudged)


# -- shared -----------------------------------------------------------------------------------


def _xml(text: str, what: str) -> ET.Element:
    """Parse untrusted XML with defusedxml: no DTDs, entities or external references."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        return fromstring(text, forbid_dtd=True)
    except DefusedXmlException:
        raise ArtifactError(f"{what}: DOCTYPE/ENTITY declarations are not accepted") from None
    except ET.ParseError as exc:
        raise ArtifactError(f"{what}: not well-formed XML ({exc})") from None


def _json(text: str, what: str, allow_list: bool = False) -> Any:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ArtifactError(f"{what}: not JSON ({exc})") from None
    if not isinstance(document, dict) and not (allow_list and isinstance(document, list)):
        raise ArtifactError(f"{what}: the top level is a {type(document).__name__}")
    return document


def _int(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ArtifactError(f"{what} is not a number: {value!r}") from None


def _float(value: Any, what: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ArtifactError(f"{what} is not a number: {value!r}") from None


def _optional(value: Any, what: str = "percentile") -> float | None:
    if value in (None, "", "N/A"):
        return None
    return _float(value, what)
