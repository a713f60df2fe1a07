"""Deterministic verdicts for report tests: built through the real policy, never by a run.

``sample_verdict`` touches every outcome, waiver and attestation state, a baseline diff and
values that are active in HTML, Markdown or XML, so one golden file covers the escaping.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from pytest_readiness.model import (
    Attestation,
    BaselineDiff,
    EvidenceRecord,
    ItemSpec,
    RawOutcome,
    RawResult,
    RunInfo,
    Scope,
    Severity,
    Verdict,
    Waiver,
)
from pytest_readiness.policy import Policy, evaluate

TODAY = date(2026, 11, 23)
XSS_TITLE = "<script>alert(1)</script>"
C, IMP, N = Severity.CRITICAL, Severity.IMPORTANT, Severity.NICE_TO_HAVE
WEIGHTS = {C: 5.0, IMP: 3.0, N: 1.0}

RUN = RunInfo(
    profile="prod",
    config_path="/srv/app/readiness.yaml",
    started_at="2026-11-23T09:00:00+00:00",
    duration=12.5,
    hostname="ci-runner-1",
    git_commit="0123456789ab",
    pytest_version="9.2.0",
    plugin_version="0.1.0",
    python_version="3.11.7",
    workers=2,
)


def _spec(
    id: str,
    severity: Severity,
    section: str,
    title: str,
    *,
    manual: bool = False,
    **extra: str,
) -> ItemSpec:
    return ItemSpec(
        id=id,
        nodeid=f"checks/test_{section.split()[0].lower()}.py::test_{id.replace('-', '_').lower()}",
        title=title,
        severity=severity,
        section=section,
        weight=WEIGHTS[severity],
        manual=manual,
        **extra,
    )


def _ev(observed: object, expected: object = None, label: str | None = None) -> EvidenceRecord:
    return EvidenceRecord(label=label, observed=observed, expected=expected)


SPECS = [
    _spec("SEC-1", C, "Security", "TLS certificates are valid for 30 more days"),
    _spec(
        "SEC-2",
        C,
        "Security",
        XSS_TITLE,
        remediation="Rotate the *admin* token | see [runbook](https://x.invalid)",
        docs="javascript:alert(2)",
    ),
    _spec("DB-1", C, "Database", "PostgreSQL accepts connections", owner="dba-team"),
    _spec(
        "DB-2",
        IMP,
        "Database",
        "Replication lag < 5 s",
        remediation="Check the replica's WAL receiver",
        docs="https://docs.invalid/db#lag",
    ),
    _spec("DB-3", IMP, "Database", "Backups restored in the last 7 days"),
    _spec("OBS-1", IMP, "Observability", "Alerts route to on-call"),
    _spec("OBS-2", N, "Observability", "Dashboards | panels_with_pipes"),
    _spec("OPS-1", IMP, "Operations", "On-call rotation signed off", manual=True),
    _spec("OPS-2", IMP, "Operations", "Runbook reviewed", manual=True),
    _spec("OPS-3", N, "Operations", "Chaos drill held (not in this profile)"),
]

RAW = {
    "SEC-1": RawResult(RawOutcome.PASSED, evidence=(_ev(87, ">= 30", "days_left"),)),
    "SEC-2": RawResult(
        RawOutcome.FAILED,
        message="token <b>expired</b> & not rotated",
        evidence=(_ev("2026-10-01", "> today", "expires"),),
    ),
    "DB-1": RawResult(RawOutcome.PASSED, evidence=(_ev("16.4", ">= 15", "server_version"),)),
    "DB-2": RawResult(
        RawOutcome.FAILED, message="replication lag 9.2s exceeds 5s", evidence=(_ev(9.2, "< 5"),)
    ),
    "DB-3": RawResult(RawOutcome.ERROR, message="Cannot connect to db-2:5432: connection refused"),
    "OBS-1": RawResult(RawOutcome.PASSED),
    "OBS-2": RawResult(RawOutcome.FAILED, message="3 of 10 panels have no data"),
    "OPS-1": RawResult(RawOutcome.PASSED),
    "OPS-2": RawResult(RawOutcome.PASSED),
    "OPS-3": RawResult(RawOutcome.SKIPPED, message="no chaos target configured"),
}

WAIVERS = (
    Waiver("DB-2", "replica being rebuilt, ticket OPS-42", "alice", date(2026, 12, 31)),
    Waiver("SEC-1", "old exception", "bob", date(2026, 12, 1)),
    Waiver("OBS-2", "dashboards later", "carol", date(2026, 1, 1)),
)
ATTESTATIONS = (
    Attestation("OPS-1", "dave", date(2026, 11, 1), 90, "https://wiki.invalid/oncall"),
    Attestation("OPS-2", "erin", date(2026, 1, 2), 30),
)
BASELINE = BaselineDiff(
    source="previous.json",
    previous_decision="GO",
    previous_score=91,
    score_change=-30,
    newly_failing=("SEC-2", "DB-3"),
    fixed=("OBS-1",),
    added=("OPS-3",),
    removed=("LEGACY-1",),
)


def sample_verdict(*, baseline: bool = True) -> Verdict:
    specs = list(SPECS)
    raw = {s.nodeid: RAW[s.id] for s in specs}
    verdict = evaluate(
        specs,
        raw,
        Policy(),
        waivers=WAIVERS,
        attestations=ATTESTATIONS,
        today=TODAY,
        scope=Scope(selected=len(specs), total=len(specs)),
        run=RUN,
    )
    return replace(verdict, exit_status=1, baseline=BASELINE if baseline else None)


def big_verdict(count: int = 10_000) -> Verdict:
    """``count`` items over 12 sections, all severities, about one in eight not met."""
    specs: list[ItemSpec] = []
    raw: dict[str, RawResult] = {}
    severities = (C, IMP, IMP, N)
    for n in range(count):
        sev = severities[n % 4]
        spec = ItemSpec(
            id=f"ITEM-{n:05d}",
            nodeid=f"checks/test_s{n % 12}.py::test_item_{n}",
            title=f"Check number {n} holds for target node-{n % 97}.example.internal",
            severity=sev,
            section=f"Section {n % 12:02d}",
            weight=WEIGHTS[sev],
            remediation="Restart the service and re-run the check" if n % 8 == 3 else None,
        )
        specs.append(spec)
        outcome = RawOutcome.FAILED if n % 8 == 3 else RawOutcome.PASSED
        raw[spec.nodeid] = RawResult(
            outcome,
            message=f"observed {n % 7} replicas, expected >= 3"
            if outcome is RawOutcome.FAILED
            else "",
            evidence=(_ev(n % 7, ">= 3", "replicas"),),
        )
    verdict = evaluate(specs, raw, Policy(), today=TODAY, run=RUN)
    return replace(verdict, exit_status=1)
