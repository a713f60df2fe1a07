"""Pure helpers of the HTTP and TLS checks: body status, metrics text, version leaks, DNS.

They return facts (or an error text) instead of raising, so the checks stay probe -> evidence ->
assert without exception handling of their own.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterable, Mapping
from typing import Any

#: Headers whose value names the server software (and often its version).
SOFTWARE_HEADERS = ("Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version", "Via")

#: Headers that announce a rate limit: the IETF draft's combined and split fields, and the
#: widespread ``X-RateLimit-*`` / ``X-Rate-Limit-*`` conventions.
RATE_LIMIT_HEADERS = (
    "RateLimit",
    "RateLimit-Policy",
    "RateLimit-Limit",
    "X-RateLimit-Limit",
    "X-Rate-Limit-Limit",
)
#: What the evidence shows of a rate-limited answer.
RATE_LIMIT_EVIDENCE = (
    *RATE_LIMIT_HEADERS,
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
)

_VERSION = re.compile(r"\d+\.\d+|/\s*\d")


def body_status(content_type: str, body: bytes) -> str | None:
    """The ``status`` field of a JSON object body, lowercased; None when there is none."""
    import json

    if "json" not in content_type.lower():
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return "<invalid JSON>"
    if isinstance(document, Mapping) and isinstance(document.get("status"), str | bool | int):
        return str(document["status"]).lower()
    return None


def parse_metrics(content_type: str, text: str) -> tuple[dict[str, int], str | None]:
    """Metric family name -> sample count, parsed by prometheus-client; or the parse error.

    OpenMetrics bodies (``application/openmetrics-text``) go through the OpenMetrics parser,
    everything else through the Prometheus text-format parser.
    """
    from prometheus_client import parser as text_format
    from prometheus_client.openmetrics import parser as openmetrics

    module: Any = openmetrics if "openmetrics" in content_type.lower() else text_format
    families: dict[str, int] = {}
    try:
        for family in module.text_string_to_metric_families(text):
            families[family.name] = families.get(family.name, 0) + len(family.samples)
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        return families, f"{type(exc).__name__}: {exc}"[:200]
    return families, None


def version_leaks(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers that disclose software versions: header -> value."""
    leaks: dict[str, str] = {}
    for name in SOFTWARE_HEADERS:
        value = headers.get(name)
        if value is None:
            continue
        if name.startswith("X-AspNet") or _VERSION.search(value):
            leaks[name] = value
    return leaks


def missing_headers(headers: Mapping[str, str], required: Iterable[str]) -> list[str]:
    """The requirements not met; ``A|B`` is met by either header being present and non-empty."""
    missing = []
    for requirement in required:
        names = [n.strip() for n in requirement.split("|") if n.strip()]
        if not any(headers.get(n, "").strip() for n in names):
            missing.append(requirement)
    return missing


def hsts_max_age(value: str | None) -> int | None:
    """``max-age`` of a Strict-Transport-Security value; None when absent or malformed."""
    if not value:
        return None
    match = re.search(r"(?i)(?:^|;)\s*max-age\s*=\s*\"?(\d+)\"?", value)
    return int(match.group(1)) if match else None


def resolve(name: str) -> tuple[list[str], str | None]:
    """The addresses ``name`` resolves to (sorted, unique), or the resolver's error."""
    try:
        infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        return [], str(getattr(exc, "strerror", None) or exc)
    return sorted({str(info[4][0]) for info in infos}), None


def as_list(value: Any, setting: str) -> list[str]:
    """A threshold that must be a list of strings (a single string is accepted as one item)."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"threshold {setting} must be a list of strings, got {value!r}")
    return list(value)


def status_matches(code: int, expected: Any) -> bool:
    """``code`` against an expected status: an int, or a class such as ``"2xx"``."""
    text = str(expected).strip().lower()
    if len(text) == 3 and text.endswith("xx") and text[0].isdigit():
        return str(code)[0] == text[0]
    return text.isdigit() and code == int(text)


def rate_limit_problem(status: int, headers: Mapping[str, str]) -> str | None:
    """Why an answer does not show rate limiting, or None when it does: a 429 must say when to
    retry (``Retry-After``), any other answer must announce its limit (one of
    :data:`RATE_LIMIT_HEADERS`)."""
    if status == 429:
        return None if headers.get("Retry-After", "").strip() else "429 without Retry-After"
    if any(headers.get(name, "").strip() for name in RATE_LIMIT_HEADERS):
        return None
    return "no rate-limit header"
