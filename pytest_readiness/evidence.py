"""The ``evidence`` recorder: what a check observed against what it expected.

Records are JSON-compatible dicts so they cross to the xdist controller unchanged and reach
every report. Values that are not JSON scalars are stored as their ``str()``; lists and dicts of
scalars are kept. Secrets are masked when recorded, then every value is made strict JSON
(:func:`pytest_readiness.text.json_value`: NaN and infinities as strings, lone surrogates
replaced, strings cut at 64 KiB).
"""

from __future__ import annotations

from typing import Any

from pytest_readiness.redaction import Redactor
from pytest_readiness.text import json_value

_MISSING: Any = object()
_SCALARS = (str, int, float, bool, type(None))


class EvidenceStore:
    """Records per nodeid for this process; emptied as reports are shipped or the run ends."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.records: dict[str, list[dict[str, Any]]] = {}

    def recorder(self, nodeid: str) -> Evidence:
        return Evidence(self, nodeid)

    def add(self, nodeid: str, record: dict[str, Any]) -> None:
        self.records.setdefault(nodeid, []).append(record)


class Evidence:
    """Callable given to checks as the ``evidence`` fixture.

    ``evidence(observed=3, expected=">= 1")``, ``evidence("max_connections", 100, expected=">= 200")``
    or with free details: ``evidence(observed=lag, expected="< 5", unit="s", replica="db-2")``.
    """

    def __init__(self, store: EvidenceStore, nodeid: str) -> None:
        self._store = store
        self._nodeid = nodeid

    def __call__(
        self,
        label: str | None = None,
        /,
        observed: Any = _MISSING,
        expected: Any = None,
        **details: Any,
    ) -> None:
        __tracebackhide__ = True
        if label is not None and not isinstance(label, str):
            raise TypeError(
                f"evidence(): the first positional argument is a label (str), got {type(label).__name__}; "
                "write evidence(observed=..., expected=...)"
            )
        if observed is _MISSING and label is None:
            raise TypeError(
                "evidence(): nothing observed; write evidence(observed=..., expected=...)"
            )
        redactor = self._store.redactor

        def kept(value: Any) -> Any:  # masked before cut, so a cut never splits a secret
            return json_value(redactor.redact_value(_jsonable(value)))

        record: dict[str, Any] = {
            "observed": kept(None if observed is _MISSING else observed),
            "expected": kept(expected),
        }
        if label is not None:
            record["label"] = kept(label)
        if details:
            record["details"] = kept(details)
        self._store.add(self._nodeid, record)

    @property
    def records(self) -> list[dict[str, Any]]:
        """What this test recorded so far (copies)."""
        return [dict(r) for r in self._store.records.get(self._nodeid, [])]


def _jsonable(value: Any) -> Any:
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_jsonable(v) for v in items]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
