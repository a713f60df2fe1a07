"""The xdist worker's side of a readiness run: ship to the controller what it cannot see.

Marker arguments do not travel to the controller, reports do. Each test's spec rides on its
setup report and its evidence on its teardown report (xdist serialises report attributes),
so the controller knows every item that ran as soon as its report arrives, even if the run is
interrupted before the workers finish.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Protocol

import pytest

from pytest_readiness.evidence import EvidenceStore
from pytest_readiness.model import ItemSpec, Severity

SPEC_ATTRIBUTE = "readiness_spec"
EVIDENCE_ATTRIBUTE = "readiness_evidence"
WORKEROUTPUT_KEY = "readiness"


class ShippedRun(Protocol):
    """What the shipper reads of the worker's readiness session."""

    specs: dict[str, ItemSpec]
    evidence: EvidenceStore


class ReportShipper:
    """Registered on xdist workers: attaches specs and evidence to the reports xdist forwards."""

    def __init__(self, run: ShippedRun) -> None:
        self.run = run

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "setup":
            spec = self.run.specs.get(report.nodeid)
            if spec is not None:
                setattr(report, SPEC_ATTRIBUTE, spec_to_dict(spec))
        elif report.when == "teardown" and self.run.evidence.records:
            records = self.run.evidence.records.pop(report.nodeid, None)
            if records:
                setattr(report, EVIDENCE_ATTRIBUTE, records)


def spec_to_dict(spec: ItemSpec) -> dict[str, Any]:
    data = asdict(spec)
    data["severity"] = spec.severity.value
    return data


def spec_from_dict(data: dict[str, Any]) -> ItemSpec:
    return ItemSpec(**dict(data, severity=Severity(data["severity"])))
