"""Display text of checklist items: markup removed, code and blanks kept, links found."""

from __future__ import annotations

import re

import pytest

from pytest_readiness.checklist.inline import link_ids, render


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("**Code review** completed by *two* people", "Code review completed by two people"),
        ("`/health` and `/ready` answer", "/health and /ready answer"),
        ("`snake_case_name` and plain snake_case", "snake_case_name and plain snake_case"),
        ("see [the runbook](https://x/r) and ![logo](l.png)", "see the runbook and logo"),
        ("a <b>bold</b> word <br/> and <https://x.io>", "a bold word and https://x.io"),
        (r"escaped \*stars\* and \| pipe", "escaped *stars* and | pipe"),
        ("Signature: ______ Date: ___ms", "Signature: ______ Date: ___ms"),
        ("latency &lt; 50 ms &amp; p95", "latency < 50 ms & p95"),
        ("wrapped\nover   lines", "wrapped over lines"),
        ("TLS <!-- readiness: PG-SSL --> on", "TLS on"),
    ],
)
def test_render_gives_readable_text(source: str, text: str) -> None:
    assert render(source) == text


def test_links_are_read_from_readiness_comments_but_not_from_code_spans() -> None:
    assert link_ids("a <!-- readiness: PG-SSL,PG-VERSION  K8S-1 --> b") == [
        "PG-SSL",
        "PG-VERSION",
        "K8S-1",
    ]
    assert link_ids("`<!-- readiness: NOT-A-LINK -->`") == []
    assert link_ids("<!-- a plain comment -->") == []


def test_every_unicode_whitespace_collapses_as_the_regex_would() -> None:
    """render collapses blanks with str.split (fast); it must agree with ``\\s+`` everywhere."""
    spaces = "".join(chr(c) for c in range(0x110000) if re.fullmatch(r"\s", chr(c)))
    assert spaces == "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
    source = f"{spaces}a{spaces}b\u00a0\u2003c{spaces}"
    assert render(source) == re.sub(r"\s+", " ", source).strip() == "a b c"
