"""Text that is safe to show and to serialise: the one place for control characters and caps.

Checks, markers and pytest hand over arbitrary text: ANSI escape sequences, BEL, NUL, bidi
overrides (U+202E), lone surrogates (``surrogateescape`` file names), megabytes of output.
Where text enters the plugin it is made *encodable* (:func:`encodable`, :func:`json_value`)
and bounded (:data:`STORED_LIMIT`); where it is shown, every reporter passes it through
:func:`shown`, which cuts it (:data:`MESSAGE_LIMIT`, :data:`EVIDENCE_LIMIT`) and writes control
characters as visible escapes (:func:`printable`). docs/reliability-content.md is the contract.
"""

from __future__ import annotations

import math
import re
from functools import cache
from typing import Any

#: Most characters of a failure or skip message shown per item in the terminal, HTML,
#: Markdown and JUnit reports.
MESSAGE_LIMIT = 2_000
#: Most characters of one evidence record shown in those reports.
EVIDENCE_LIMIT = 500
#: Most characters kept of any one string a check produced (message, evidence value, marker
#: field): what the JSON report holds and what travels from xdist workers.
STORED_LIMIT = 64 * 1024

#: Replaces a lone surrogate: it cannot be encoded as UTF-8, so no report could be written.
REPLACEMENT = "\ufffd"

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls, DEL, C1 controls, bidi marks/embeddings/overrides/isolates, line and paragraph
# separators: each can clear a screen, ring a bell, forge a link, reorder or break a line.
#: Bidi marks, embeddings, overrides and isolates, and the line and paragraph separators.
BIDI_AND_SEPARATORS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
#: The characters :func:`printable` replaces, as the inside of a regular expression's class.
CONTROL_CLASS = f"\x00-\x1f\x7f-\x9f{BIDI_AND_SEPARATORS}\ud800-\udfff"
_CONTROL = re.compile(f"[{CONTROL_CLASS}]")
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
#: Appended by :func:`shown`: the reports that show a cut value say where the rest is.
IN_JSON = ", full value in the JSON report"


# Compiled on first use: a set of BMP characters takes about a millisecond to compile, and
# most processes never show a multi-line block nor cut a long text.
@cache
def _control_but_lines() -> re.Pattern[str]:
    """_CONTROL without TAB and LF."""
    return re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI_AND_SEPARATORS}\ud800-\udfff]")


@cache
def _cut() -> re.Pattern[str]:
    return re.compile(r"… \[cut: (\d+) more characters(?:, full value in the JSON report)?\]\Z")


def encodable(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD, so it encodes as UTF-8."""
    return _SURROGATE.sub(REPLACEMENT, text) if _SURROGATE.search(text) else text


def printable(text: str, *, keep_lines: bool = False) -> str:
    """``text`` with control characters written as visible escapes: ``\\x1b``, ``\\n``,
    ``\\u202e``; lone surrogates become U+FFFD. ``keep_lines`` keeps newlines and tabs
    (multi-line blocks such as tracebacks). Backslashes are kept as they are."""
    pattern = _control_but_lines() if keep_lines else _CONTROL
    if not pattern.search(text):
        return text
    return pattern.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return REPLACEMENT
    if char in _SHORT:
        return _SHORT[char]
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def capped(text: str, limit: int, note: str = "") -> str:
    """``text`` cut to ``limit`` characters followed by ``… [cut: N more characters<note>]``.

    Idempotent: a text that was cut before is cut again only if its kept part is longer than
    ``limit``, and N still counts the characters of the original text.
    """
    if len(text) <= limit:
        return text
    body, already = text, 0
    earlier = _cut().search(text)
    if earlier is not None:
        body, already = text[: earlier.start()], int(earlier.group(1))
        if len(body) <= limit:
            return text
    return f"{body[:limit]}… [cut: {len(body) - limit + already} more characters{note}]"


def shown(text: object, limit: int | None = None, *, keep_lines: bool = False) -> str:
    """What a human-facing report shows of ``text``: cut to ``limit`` (pointing at the JSON
    report for the rest), then made printable."""
    value = text if isinstance(text, str) else str(text)
    if (limit is None or len(value) <= limit) and not _CONTROL.search(value):
        return value  # the common case, once per field of every item: keep it cheap
    if limit is not None:
        value = capped(value, limit, IN_JSON)
    return printable(value, keep_lines=keep_lines)


def stored(text: str, limit: int = STORED_LIMIT) -> str:
    """A string as the plugin keeps it: encodable and at most ``limit`` characters (+ marker)."""
    return capped(encodable(text), limit)


def json_value(value: Any) -> Any:
    """A JSON-like value (str, numbers, bool, None, lists, dicts) made valid strict JSON:
    strings :func:`stored`, NaN and infinities as the strings ``"nan"``, ``"inf"``, ``"-inf"``."""
    if isinstance(value, str):
        return stored(value)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # 'nan', 'inf', '-inf'
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {stored(str(k)): json_value(v) for k, v in value.items()}
    return value
