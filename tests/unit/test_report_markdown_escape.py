"""The Markdown report's shortcut for values that need no escaping returns exactly what the full
escape does, for hostile values too."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_readiness.reporters import markdown
from pytest_readiness.text import MESSAGE_LIMIT
from tests.golden.verdicts import XSS_TITLE
from tests.unit.test_report_hostile import HOSTILE

CORPUS = [
    "",
    " ",
    "Check 12 holds for node-7.example.internal",
    "PG-001",
    "a  b",
    " leading",
    "trailing ",
    "tab\there",
    "line\nbreak",
    "cr\rhere",
    "nbsp\u00a0here",
    "ideographic\u3000space",
    "a|b",
    "`code`",
    "*em* _em_ ~~strike~~ $x$",
    "[link](http://x)",
    "\\backslash",
    XSS_TITLE,
    "<b>bold</b> &amp; &#169; &x",
    "issue #12 and # 12 and #x and #",
    "@someone mail@example.com a @ b",
    "see https://example.com/a_b|c). and http://x",
    "ratio 3:1 at 10:30, ftp://host, a://b",
    "caf\u00e9 \U0001f600 \u4e2d\u6587",
    "\x00\x07\x1b[31m\x7f\x85\x9f",
    "\u202eevil\u2066\u200e\u2028\u2029",
    "\udc80lone",
    "x" * MESSAGE_LIMIT,
    "x" * (MESSAGE_LIMIT + 1),
    HOSTILE,
]


@pytest.mark.parametrize("text", CORPUS)
@pytest.mark.parametrize("limit", [MESSAGE_LIMIT, 5])
def test_shortcut_and_full_escape_agree(text: str, limit: int) -> None:
    assert markdown.esc(text, limit) == markdown._escaped(text, limit)


def test_the_shortcut_takes_titles_and_ids_without_whitespace_controls_or_links() -> None:
    assert markdown._LITERAL.fullmatch("Check test_12 holds for node-7.example.internal: 3/4 #x")
    assert markdown.esc("test_12 `a|b`") == "test\\_12 \\`a\\|b\\`"
    for text in ("a  b", "#1", "a@b", "a&b", "http://x", "\x1b", " a", "a\u00a0b", "\udc80"):
        assert not markdown._LITERAL.fullmatch(text), text


def test_values_that_are_not_text_take_the_full_escape() -> None:
    assert markdown.esc(12) == "12"
    assert markdown.esc(None) == "None"


alphabet = st.sampled_from(
    [
        *"ab1 :/#@&|`*_[]<>~$\\().,-\t\n\r\x00\x1b\x85\u00a0\u202e\u2028\udc80\u00e9",
        *("http://", "https://h.x/", "&#1;", "&x;"),
    ]
)


@settings(max_examples=500, deadline=None)
@given(parts=st.lists(alphabet, max_size=20), limit=st.sampled_from([MESSAGE_LIMIT, 8]))
def test_shortcut_and_full_escape_agree_on_generated_text(parts: list[str], limit: int) -> None:
    text = "".join(parts)
    assert markdown.esc(text, limit) == markdown._escaped(text, limit)
