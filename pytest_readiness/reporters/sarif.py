"""``--readiness-sarif``: SARIF 2.1.0 for code-scanning dashboards (GitHub, GitLab, Azure DevOps).

One run of one tool. Each check id (the item id without its parametrization) is a rule whose
default level follows its severity; each item that is not met is a result, or one result per
offending object when its evidence names objects (the Kubernetes checks: ``object``,
``container`` and, offline, ``source`` as ``path:line``). Waived items are results with an
external suppression carrying the waiver's justification; objects waived by an annotation are
results with an in-source suppression. Met and not-applicable items are not results.

Fingerprints hash only what identifies a finding (the item id and the object), never messages,
lines or timings, so a dashboard recognises the same finding in the next run and does not open
a duplicate alert. The verdict reaching this renderer has its secrets masked already
(:func:`pytest_readiness.redaction.redact_verdict`); every shown text is made printable and cut.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from pytest_readiness.files import write_atomic
from pytest_readiness.model import (
    BaselineDiff,
    Decision,
    EvidenceRecord,
    ItemResult,
    ItemSpec,
    Outcome,
    Severity,
    Verdict,
    WaiverState,
    WaiverStatus,
)
from pytest_readiness.text import EVIDENCE_LIMIT, MESSAGE_LIMIT, shown

SARIF_VERSION = "2.1.0"
SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
TOOL_NAME = "pytest-readiness"
#: The partialFingerprints key; bump its version only if what it hashes changes.
FINGERPRINT = "readinessFinding/v1"
SRCROOT = "%SRCROOT%"
LEVELS = {Severity.CRITICAL: "error", Severity.IMPORTANT: "warning", Severity.NICE_TO_HAVE: "note"}
_SOURCE = re.compile(r"^(?P<path>.+?):(?P<line>[1-9][0-9]*)$")
_DRIVE = re.compile(r"^[A-Za-z]:/")


def write(verdict: Verdict, path: str, config: object = None) -> None:
    write_atomic(path, render(verdict))


def render(verdict: Verdict) -> str:
    """ASCII-only JSON (every other character escaped), so the file is safe to ``cat``."""
    return json.dumps(to_dict(verdict), ensure_ascii=True, allow_nan=False) + "\n"


def to_dict(verdict: Verdict) -> dict[str, Any]:
    rules, rule_index = _rules(verdict.items)
    new = _new_ids(verdict.baseline)
    results = [
        result
        for item in verdict.items
        for result in _results(item, rule_index[item.spec.base_id], verdict.waivers, new)
    ]
    run: dict[str, Any] = {
        "tool": {"driver": _driver(verdict, rules)},
        # One category per profile: uploads of two profiles never close each other's alerts.
        "automationDetails": {"id": f"{TOOL_NAME}/{_text(verdict.run.profile)}/"},
        "invocations": [_invocation(verdict)],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": _run_properties(verdict),
    }
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def _driver(verdict: Verdict, rules: list[dict[str, Any]]) -> dict[str, Any]:
    driver: dict[str, Any] = {"name": TOOL_NAME, "rules": rules}
    if verdict.run.plugin_version:
        driver["version"] = verdict.run.plugin_version
    return driver


def _invocation(verdict: Verdict) -> dict[str, Any]:
    invocation: dict[str, Any] = {
        # The checks ran to the end (a NO-GO is a successful run that found problems).
        "executionSuccessful": verdict.decision is not Decision.INCOMPLETE,
        "exitCode": verdict.exit_status,
    }
    if verdict.run.started_at:
        invocation["startTimeUtc"] = verdict.run.started_at
    return invocation


def _run_properties(verdict: Verdict) -> dict[str, Any]:
    props: dict[str, Any] = {
        "decision": verdict.decision.value,
        "score": verdict.score,
        "scope": _text(verdict.scope.describe()),
        "reasons": [_text(reason) for reason in verdict.reasons],
    }
    diff = verdict.baseline
    if diff is not None:  # fixed and removed items have no result to mark "absent"
        props["baseline"] = {
            "source": _text(diff.source),
            "fixed": [_text(i) for i in diff.fixed],
            "removed": [_text(i) for i in diff.removed],
        }
    return props


def _rules(items: Sequence[ItemResult]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """One rule per check id, described by the first item of that check."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for item in items:
        spec = item.spec
        if spec.base_id not in index:
            index[spec.base_id] = len(rules)
            rules.append(_rule(spec))
    return rules, index


def _rule(spec: ItemSpec) -> dict[str, Any]:
    title, section = _text(spec.title), _text(spec.section)
    rule: dict[str, Any] = {
        "id": _text(spec.base_id),
        "name": _text(_function(spec.nodeid)),
        "shortDescription": {"text": title},
        "fullDescription": {
            "text": f"{title} ({spec.severity.value}, section {section}, weight {spec.weight:g})"
        },
        "defaultConfiguration": {"level": LEVELS[spec.severity]},
        "properties": {"tags": ["readiness", spec.severity.value], "section": section},
    }
    if spec.remediation:
        rule["help"] = {"text": _text(spec.remediation)}
    if spec.docs and spec.docs.startswith(("https://", "http://")):
        rule["helpUri"] = spec.docs
    return rule


def _function(nodeid: str) -> str:
    """``checks/test_pg.py::test_pg_up[db-1]`` -> ``test_pg_up``."""
    return nodeid.rsplit("::", 1)[-1].split("[", 1)[0] or nodeid


def _new_ids(diff: BaselineDiff | None) -> frozenset[str] | None:
    """Item ids whose findings are new since the baseline; None without a baseline."""
    return None if diff is None else frozenset(diff.newly_failing) | frozenset(diff.added)


def _results(
    item: ItemResult,
    rule_index: int,
    waivers: Sequence[WaiverStatus],
    new: frozenset[str] | None,
) -> Iterator[dict[str, Any]]:
    outcome = item.outcome
    if not outcome.applicable:
        return
    objects = [record for record in item.evidence if _is_object(record)]
    open_objects = [r for r in objects if "waived" not in r.details]
    waived_objects = [r for r in objects if "waived" in r.details]
    waived = outcome is Outcome.WAIVED
    if outcome.met and not waived and not waived_objects:
        return
    suppression = _waiver_suppression(item, waivers) if waived else None
    base = _base(item, rule_index, new)
    if not outcome.met or waived:
        if open_objects:
            for record in open_objects:
                yield _object_result(base, item, record, suppression)
        else:
            yield _item_result(base, item, suppression)
    for record in waived_objects:
        justification = _text(f"waived by annotation: {record.details['waived']}")
        yield _object_result(
            base, item, record, {"kind": "inSource", "justification": justification}
        )


def _is_object(record: EvidenceRecord) -> bool:
    """A finding about one object; an unused waiver annotation names an object but is none."""
    return isinstance(record.details.get("object"), str) and "waiver" not in record.details


def _base(item: ItemResult, rule_index: int, new: frozenset[str] | None) -> dict[str, Any]:
    spec = item.spec
    base: dict[str, Any] = {
        "ruleId": _text(spec.base_id),
        "ruleIndex": rule_index,
        "level": LEVELS[spec.severity],
        "properties": {
            "item": _text(spec.id),
            "outcome": item.outcome.value,
            "severity": spec.severity.value,
            "section": _text(spec.section),
        },
    }
    if new is not None:
        base["baselineState"] = "new" if spec.id in new else "unchanged"
    return base


def _item_result(
    base: dict[str, Any], item: ItemResult, suppression: dict[str, str] | None
) -> dict[str, Any]:
    spec = item.spec
    what = item.message or f"{item.outcome.value}: {spec.title}"
    result = dict(base)
    result["message"] = {"text": _text(f"{spec.severity.value} {spec.id}: {what}")}
    result["locations"] = [_test_location(spec)]
    result["partialFingerprints"] = {FINGERPRINT: _fingerprint(spec.id, "")}
    if suppression is not None:
        result["suppressions"] = [suppression]
    return result


def _object_result(
    base: dict[str, Any],
    item: ItemResult,
    record: EvidenceRecord,
    suppression: dict[str, str] | None,
) -> dict[str, Any]:
    spec = item.spec
    name = _object_name(record)
    setting = record.details.get("setting")
    observed = "unset" if record.observed is None else record.observed
    text = f"{spec.severity.value} {spec.id} {name}: "
    text += f"{setting}={observed}" if setting else f"observed {observed}"
    if record.expected is not None:
        text += f", expected {record.expected}"
    location = _source_location(record.details.get("source")) or _test_location(spec)
    location["logicalLocations"] = [
        {"fullyQualifiedName": _text(name), "kind": "resource"},
    ]
    result = dict(base)
    result["message"] = {"text": shown(text, EVIDENCE_LIMIT)}
    result["locations"] = [location]
    key = f"{name}\0{setting}" if setting else name  # two settings of one object: two findings
    result["partialFingerprints"] = {FINGERPRINT: _fingerprint(spec.id, key)}
    if suppression is not None:
        result["suppressions"] = [suppression]
    return result


def _object_name(record: EvidenceRecord) -> str:
    """``shop/Deployment/api/container:web``: the object, and the container when there is one."""
    name = str(record.details["object"])
    container = record.details.get("container")
    return f"{name}/container:{container}" if container else name


def _test_location(spec: ItemSpec) -> dict[str, Any]:
    """The file that declares the item (a test module or a checklist), from its node id."""
    path = spec.nodeid.split("::", 1)[0]
    return {"physicalLocation": {"artifactLocation": _artifact(path)}}


def _source_location(source: Any) -> dict[str, Any] | None:
    """An offline object's file, ``manifests/app.yaml:12`` with the line it starts on."""
    if not isinstance(source, str) or not source:
        return None
    match = _SOURCE.match(source)
    path = match["path"] if match else source
    location: dict[str, Any] = {"artifactLocation": _artifact(path)}
    if match:
        location["region"] = {"startLine": int(match["line"])}
    return {"physicalLocation": location}


def _artifact(path: str) -> dict[str, str]:
    """Relative paths are relative to the source root (what code scanning expects); absolute
    ones become ``file://`` URIs."""
    return dict(_uri(path))


@lru_cache(maxsize=1024)
def _uri(path: str) -> tuple[tuple[str, str], ...]:
    posix = path.replace("\\", "/")
    if posix.startswith("/"):
        return (("uri", "file://" + quote(posix)),)
    if _DRIVE.match(posix):  # C:/...
        return (("uri", "file:///" + quote(posix, safe="/:")),)
    return (("uri", quote(posix)), ("uriBaseId", SRCROOT))


def _waiver_suppression(item: ItemResult, waivers: Sequence[WaiverStatus]) -> dict[str, str]:
    for status in waivers:
        if status.state is WaiverState.APPLIED and item.spec.id in status.items:
            waiver = status.waiver
            text = f"waived by {waiver.by} until {waiver.until.isoformat()}: {waiver.reason}"
            break
    else:  # the item's message says who waived it and why (policy writes it)
        text = item.message
    return {"kind": "external", "status": "accepted", "justification": _text(text)}


def _fingerprint(item_id: str, obj: str) -> str:
    return hashlib.sha256(f"{item_id}\0{obj}".encode("utf-8", "replace")).hexdigest()


def _text(value: object) -> str:
    return shown(value, MESSAGE_LIMIT)
