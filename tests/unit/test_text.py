"""The text helpers every reporter relies on: visible escapes, caps, encodable strings."""

from __future__ import annotations

import json
import math

import pytest

from pytest_readiness.text import (
    EVIDENCE_LIMIT,
    IN_JSON,
    REPLACEMENT,
    STORED_LIMIT,
    capped,
    encodable,
    json_value,
    printable,
    shown,
    stored,
)


@pytest.mark.parametrize(
    ("raw", "visible"),
    [
        ("\x1b[2J", "\\x1b[2J"),
        ("bell\x07", "bell\\x07"),
        ("nul\x00", "nul\\x00"),
        ("a\nb\tc\rd", "a\\nb\\tc\\rd"),
        ("del\x7f csi\x9b", "del\\x7f csi\\x9b"),
        ("\u202eevil", "\\u202eevil"),
        ("iso\u2066late\u2069", "iso\\u2066late\\u2069"),
        ("line\u2028sep", "line\\u2028sep"),
        ("\x1b]8;;https://evil.invalid\x1b\\link\x1b]8;;\x1b\\", None),
    ],
)
def test_printable_writes_every_control_character_as_a_visible_escape(
    raw: str, visible: str | None
) -> None:
    out = printable(raw)
    if visible is not None:
        assert out == visible
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in out)
    assert "\u202e" not in out


def test_printable_keeps_ordinary_text_and_backslashes_unchanged() -> None:
    text = "Replication lag < 5 s: C:\\data ✅ — naïve ≥ 30 days"
    assert printable(text) is text


def test_printable_keep_lines_keeps_only_newline_and_tab() -> None:
    assert printable("a\nb\tc\x1b\r", keep_lines=True) == "a\nb\tc\\x1b\\r"


def test_lone_surrogates_become_the_replacement_character_everywhere() -> None:
    assert encodable("file\udc80name") == f"file{REPLACEMENT}name"
    assert printable("\udc80") == REPLACEMENT
    assert stored("x\udcff").encode("utf-8") == f"x{REPLACEMENT}".encode()


def test_capped_keeps_short_text_and_marks_what_it_cut() -> None:
    assert capped("short", 10) == "short"
    out = capped("a" * 25, 10, IN_JSON)
    assert out == "a" * 10 + "… [cut: 15 more characters, full value in the JSON report]"


def test_capping_twice_counts_the_characters_of_the_original() -> None:
    once = capped("b" * 1000, 600)
    assert capped(once, 600) == once
    assert capped(once, 100, IN_JSON) == capped("b" * 1000, 100, IN_JSON)


def test_shown_cuts_before_escaping_so_the_output_stays_bounded() -> None:
    out = shown("\x1b" * 10_000_000, EVIDENCE_LIMIT)
    assert len(out) < EVIDENCE_LIMIT * 4 + 100
    assert out.endswith("[cut: 9999500 more characters, full value in the JSON report]")
    assert "\x1b" not in out


def test_json_value_makes_nan_and_infinities_strings_and_bounds_strings() -> None:
    value = json_value(
        {"lag": math.nan, "up": [math.inf, -math.inf, 1.5, 2, True, None], "\udc80": "x" * 70_000}
    )
    text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    data = json.loads(text)
    assert data["lag"] == "nan"
    assert data["up"] == ["inf", "-inf", 1.5, 2, True, None]
    long = data[REPLACEMENT]
    assert long.startswith("x" * STORED_LIMIT)
    assert long.endswith(f"[cut: {70_000 - STORED_LIMIT} more characters]")
    text.encode("utf-8")
