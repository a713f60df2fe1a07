"""The xdist worker's side of a readiness run: ship to the controller what it cannot see.

Marker arguments do not travel to the controller, reports do. Each test's spec rides on its
setup report and its evidence on its teardown report (xdist serialises report attributes),
so the controller knows every item that ran as soon as its report arrives, even if the run is
interrupted before the workers finish.

A spec travels as one JSON string: execnet serialises a report attribute object by object in
Python, so a spec as a dict of ten fields cost more than the rest of a trivial test's report.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol

import pytest

from pytest_readiness.evidence import EvidenceStore
from pytest_readiness.model import ItemSpec, Severity

SPEC_ATTRIBUTE = "readiness_spec"
EVIDENCE_ATTRIBUTE = "readiness_evidence"
WORKEROUTPUT_KEY = "readiness"

_encode = json.JSONEncoder(separators=(",", ":")).encode
#: Severity by value: a dict lookup per spec instead of the enum's call machinery.
_SEVERITY = {severity.value: severity for severity in Severity}


class ShippedRun(Protocol):
    """What the shipper reads of the worker's readiness session."""

    specs: dict[str, ItemSpec]
    evidence: EvidenceStore


class ReportShipper:
    """Registered on xdist workers: attaches evidence to the teardown reports xdist forwards
    (the session attaches the spec, before it may rewrite the setup report's phase)."""

    def __init__(self, run: ShippedRun) -> None:
        self.run = run

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown" and self.run.evidence.records:
            records = self.run.evidence.records.pop(report.nodeid, None)
            if records:
                setattr(report, EVIDENCE_ATTRIBUTE, records)


def _fields(spec: ItemSpec) -> list[Any]:
    return [
        spec.id,
        spec.nodeid,
        spec.title,
        spec.severity,  # a str enum: encoded as its value
        spec.section,
        spec.weight,
        spec.owner,
        spec.docs,
        spec.remediation,
        spec.manual,
    ]


def _spec(fields: list[Any]) -> ItemSpec:
    id_, nodeid, title, severity, section, weight, owner, docs, remediation, manual = fields
    return ItemSpec(
        id_, nodeid, title, _SEVERITY[severity], section, weight, owner, docs, remediation, manual
    )


def spec_to_wire(spec: ItemSpec) -> str:
    return _encode(_fields(spec))


def spec_from_wire(text: str) -> ItemSpec:
    return _spec(json.loads(text))


def specs_to_wire(specs: Iterable[ItemSpec]) -> str:
    return _encode([_fields(s) for s in specs])


def specs_from_wire(text: str) -> list[ItemSpec]:
    return [_spec(fields) for fields in json.loads(text)]
