"""``--readiness-json``: the public, versioned, machine-readable result (docs/json-report.md).

Strict JSON: no NaN or Infinity (the entry points store them as strings, and rendering refuses
any that slipped through), valid UTF-8 (lone surrogates become U+FFFD), and every control and
bidi character written as a ``\\uXXXX`` escape, so ``cat result.json`` is safe on a terminal
while a JSON parser reads back the exact text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from pytest_readiness.files import write_atomic
from pytest_readiness.model import (
    MET_OUTCOMES,
    SEVERITIES,
    BaselineDiff,
    ItemResult,
    Tally,
    Verdict,
)
from pytest_readiness.text import BIDI_AND_SEPARATORS

SCHEMA_VERSION = 1


def to_dict(verdict: Verdict) -> dict[str, Any]:
    return _fields(verdict, [_item(item) for item in verdict.items])


def _fields(verdict: Verdict, items: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Every field, in order; without ``items`` when None (rendered one at a time)."""
    run = verdict.run
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "decision": verdict.decision.value,
        "score": verdict.score,
        "exit_status": verdict.exit_status,
        "reasons": list(verdict.reasons),
        "profile": run.profile,
        "scope": {
            "description": verdict.scope.describe(),
            "full": verdict.scope.full,
            "selected": verdict.scope.selected,
            "total": verdict.scope.total,
            "narrowed_by": list(verdict.scope.narrowed_by),
            "critical_left_out": verdict.scope.critical_left_out,
        },
        "totals": {sev.value: _tally(verdict.totals[sev]) for sev in SEVERITIES},
        "counts": {outcome.value: n for outcome, n in verdict.counts.items()},
        "sections": [
            {
                "section": row.section,
                "completion": _tally(row.completion),
                "by_severity": {sev.value: _tally(row.cells[sev]) for sev in SEVERITIES},
            }
            for row in verdict.sections
        ],
        "waivers": [
            {
                "id": s.waiver.id,
                "reason": s.waiver.reason,
                "by": s.waiver.by,
                "until": s.waiver.until.isoformat(),
                "state": s.state.value,
                "items": list(s.items),
                "health": s.health.value,
                "scope": s.scope,
                "object": s.waiver.object,
                "container": s.waiver.container,
                "source": s.waiver.source,
                "days_left": s.days_left,
                "covered": list(s.covered),
                "covered_count": s.covered_count,
                "note": s.note,
            }
            for s in verdict.waivers
        ],
        "attestations": [
            {
                "id": s.attestation.id,
                "by": s.attestation.by,
                "on": s.attestation.on.isoformat(),
                "expires": s.attestation.expires.isoformat(),
                "evidence": s.attestation.evidence,
                "state": s.state.value,
                "items": list(s.items),
            }
            for s in verdict.attestations
        ],
        "run": {
            "config": run.config_path,
            "started_at": run.started_at,
            "duration": run.duration,
            "hostname": run.hostname,
            "git_commit": run.git_commit,
            "pytest_version": run.pytest_version,
            "plugin_version": run.plugin_version,
            "python_version": run.python_version,
            "workers": run.workers,
            "policy": run.policy,
        },
    }
    if items is not None:
        data = dict(_insert_items(data, items))
    shard = verdict.scope.shard
    if shard is not None:  # absent unless --readiness-shard (docs/json-report.md)
        data["scope"]["shard"] = {
            "index": shard.index,
            "count": shard.count,
            "suite": list(shard.suite),
        }
    if verdict.baseline is not None:  # absent without --readiness-baseline (docs/json-report.md)
        data["baseline"] = _baseline(verdict.baseline)
    return data


def _insert_items(data: dict[str, Any], items: list[dict[str, Any]]) -> Iterator[tuple[str, Any]]:
    """The fields with ``items`` in its documented place, after ``sections``."""
    for key, value in data.items():
        yield key, value
        if key == "sections":
            yield "items", items


def _baseline(diff: BaselineDiff) -> dict[str, Any]:
    return {
        "source": diff.source,
        "previous_decision": diff.previous_decision,
        "previous_score": diff.previous_score,
        "score_change": diff.score_change,
        "newly_failing": list(diff.newly_failing),
        "fixed": list(diff.fixed),
        "added": list(diff.added),
        "removed": list(diff.removed),
    }


def _item(item: ItemResult) -> dict[str, Any]:
    # Severity, Outcome and RawOutcome are str enums: the encoder writes them as their value,
    # without a Python-level ``.value`` lookup for each of 10,000 items.
    spec = item.spec
    outcome = item.outcome
    return {
        "id": spec.id,
        "nodeid": spec.nodeid,
        "title": spec.title,
        "severity": spec.severity,
        "section": spec.section,
        "weight": spec.weight,
        "owner": spec.owner,
        "docs": spec.docs,
        "remediation": spec.remediation,
        "manual": spec.manual,
        "outcome": outcome,
        "met": outcome in MET_OUTCOMES,
        "raw_outcome": item.raw,
        "message": item.message,
        "evidence": [record.to_dict() for record in item.evidence] if item.evidence else [],
        "duration": round(item.duration, 6),
    }


def _tally(tally: Tally) -> dict[str, Any]:
    percent = tally.percent
    return {
        "met": tally.met,
        "total": tally.total,
        "weight_met": tally.weight_met,
        "weight_total": tally.weight_total,
        "percent": None if percent is None else round(percent, 2),
    }


def render(verdict: Verdict) -> str:
    """Indented at the top, one compact line per item: readable, diffable, and fast."""
    return "".join(chunks(verdict))


def chunks(verdict: Verdict) -> Iterator[str]:
    """:func:`render`'s text in pieces, an item line at a time: a report of 10,000 items is
    written without its whole text, or a dict per item, held in memory at once.

    ``json.dumps(indent=...)`` falls back to the pure-Python encoder, which costs about a second
    for 10,000 items; compact items go through the C encoder.
    """
    head = json.dumps(
        _fields(verdict, None), indent=2, ensure_ascii=False, default=str, allow_nan=False
    )
    yield _escape_unsafe(f"{head[:-2]},\n  ")
    if not verdict.items:
        yield '"items": []\n}\n'
        return
    encode = _item_encoder()
    separator = '"items": [\n    '
    for item in verdict.items:
        yield separator + _escape_unsafe(encode(_item(item)))
        separator = ",\n    "
    yield "\n  ]\n}\n"


def _item_encoder() -> Callable[[Any], str]:
    """One compact encoder for every item line. json.dumps with options builds a new encoder
    per call, and JSONEncoder.encode builds its C encoder per call too: this builds the C
    encoder once (the standard library's own accelerator, as JSONEncoder.iterencode does),
    or falls back to JSONEncoder.encode where it is missing."""
    encoder = json.JSONEncoder(ensure_ascii=False, default=str, allow_nan=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return encoder.encode
    c_encode = make(
        {},  # circular references are an error, as with json.dumps
        encoder.default,
        json.encoder.encode_basestring,  # ensure_ascii=False
        None,  # no indent
        encoder.key_separator,
        encoder.item_separator,
        False,  # sort_keys
        False,  # skipkeys
        False,  # allow_nan
    )
    return lambda value: "".join(c_encode(value, 0))


# json.dumps escapes C0 controls but writes DEL, C1 controls, bidi characters and lone
# surrogates (unencodable) raw. They only occur inside strings, where \uXXXX is the same text.
_UNSAFE = re.compile(f"[\x7f-\x9f{BIDI_AND_SEPARATORS}\ud800-\udfff]")


def _escape_unsafe(text: str) -> str:
    if (text.isascii() and "\x7f" not in text) or not _UNSAFE.search(text):
        return text  # isascii() is O(1): most reports skip the 4 MB search
    return _UNSAFE.sub(lambda m: _json_escape(m.group()), text)


def _json_escape(char: str) -> str:
    return "\\ufffd" if "\ud800" <= char <= "\udfff" else f"\\u{ord(char):04x}"


def write(verdict: Verdict, path: str, config: object = None) -> None:
    write_atomic(path, render(verdict))
