"""Pure helpers of the log and trace checks: queries out, API documents in, findings out.

Log backends: Loki (LogQL) and Elasticsearch / OpenSearch (a Lucene ``q=`` query string, so
every request stays a plain GET). Tracing backends: Jaeger's query API and Tempo's search API.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

_DURATION = re.compile(r"^([1-9][0-9]*)([smhdw])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def window_seconds(window: Any, setting: str) -> int:
    """Seconds of a window such as ``15m`` (units s, m, h, d, w: valid for LogQL, Lucene date
    math and Jaeger alike)."""
    match = _DURATION.match(str(window))
    if not match:
        raise ValueError(f"threshold {setting} must be a duration like 15m or 1h, got {window!r}")
    return int(match.group(1)) * _SECONDS[match.group(2)]


def loki_count_query(selector: str, window: str) -> str:
    """LogQL counting the lines of ``selector`` within ``window`` (one series, or none)."""
    return f"sum(count_over_time({selector}[{window}]))"


def loki_lines(data: Mapping[str, Any]) -> list[str]:
    """Log lines of a Loki ``streams`` result, newest first across streams."""
    entries = [
        (str(value[0]), str(value[1]))
        for stream in data.get("result", [])
        for value in stream.get("values", [])
    ]
    entries.sort(key=lambda entry: int(entry[0]) if entry[0].isdigit() else 0, reverse=True)
    return [line for _, line in entries]


def es_index_path(index: Any, action: str) -> str:
    """``/<index>/<action>`` for an index name, pattern or comma list; anything that would
    leave the index part of the path (a slash, a space, a query) is refused."""
    text = str(index)
    if not text or re.search(r"[/\\?#\s]", text):
        raise ValueError(
            f"threshold obs_logs_index must be an index name or pattern, got {index!r}"
        )
    return f"/{text}/{action}"


def lucene_recent(query: str, field: str, window: str) -> str:
    """A Lucene query string for ``query`` restricted to ``field`` within the last ``window``."""
    return f"({query}) AND {field}:[now-{window} TO *]"


def es_documents(data: Mapping[str, Any]) -> list[Any]:
    """The ``_source`` documents of an Elasticsearch / OpenSearch ``_search`` answer."""
    return [hit.get("_source") for hit in data.get("hits", {}).get("hits", [])]


def _field(document: Mapping[str, Any], name: str) -> Any:
    """A field by its flat name, or by a dotted path into nested objects (ECS ``log.level``)."""
    if name in document:
        return document[name]
    value: Any = document
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def missing_fields(line: Any, required: Iterable[str]) -> list[str] | None:
    """The requirements a log record does not meet (``a|b``: either field, non-empty); None
    when the record is not a JSON object at all. A string record is parsed as JSON."""
    document = line
    if isinstance(line, str | bytes):
        try:
            document = json.loads(line)
        except ValueError:
            return None
    if not isinstance(document, Mapping):
        return None
    missing = []
    for requirement in required:
        names = [n.strip() for n in requirement.split("|") if n.strip()]
        if not any(_field(document, name) not in (None, "") for name in names):
            missing.append(requirement)
    return missing


def structured_report(lines: Iterable[Any], required: Iterable[str]) -> tuple[int, int, list[str]]:
    """(records judged, records that are JSON objects with every required field, up to three
    examples of why others are not).

    Examples name fields, never values: a log record may carry user data or credentials that
    the run does not know to mask.
    """
    wanted = list(required)
    total = good = 0
    why: list[str] = []
    for line in lines:
        total += 1
        missing = missing_fields(line, wanted)
        if missing == []:
            good += 1
        elif len(why) < 3:
            why.append(_why(line, missing))
    return total, good, why


def _why(line: Any, missing: list[str] | None) -> str:
    if missing is None:
        return f"not a JSON object ({len(str(line))} characters)"
    document = json.loads(line) if isinstance(line, str | bytes) else line
    keys = sorted(str(key) for key in document)
    shown = ", ".join(keys[:8]) + (", ..." if len(keys) > 8 else "")
    return f"no {', '.join(missing)} (fields: {shown})"


def tempo_query(service: str | None) -> str:
    """TraceQL for the traces of ``service`` (every trace when None)."""
    if service is None:
        return "{}"
    return "{ resource.service.name = " + json.dumps(service) + " }"  # a JSON string is TraceQL's


def trace_count(data: Any, key: str) -> int:
    """How many traces an answer lists under ``key`` (``data`` for Jaeger, ``traces`` for
    Tempo); a null list counts none."""
    return len(data.get(key) or []) if isinstance(data, Mapping) else 0
