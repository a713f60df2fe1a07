"""The HTML report as a pure render: content, escaping, self-containment, size, golden file."""

from __future__ import annotations

import base64
import hashlib
import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from pytest_readiness.errors import MissingExtra
from pytest_readiness.model import Decision
from pytest_readiness.reporters import html
from tests.golden import golden
from tests.golden.verdicts import XSS_TITLE, big_verdict, sample_verdict

pytest.importorskip("jinja2")


@pytest.fixture(scope="module")
def page() -> str:
    return html.render(sample_verdict())


def test_matches_the_golden_file(page: str) -> None:
    assert page == golden("sample.html", page)


def test_decision_banner_with_score_and_scope(page: str) -> None:
    banner = page[page.index('<header class="banner d-nogo"') : page.index("</header>")]
    assert '<span class="decision">NO-GO</span>' in banner
    assert "score 61/100" in banner
    assert "scope: full, 10 items" in banner
    assert "<li>critical SEC-2 failed</li>" in banner


@pytest.mark.parametrize(
    ("decision", "css"),
    [(Decision.GO, "d-go"), (Decision.DELAY, "d-delay"), (Decision.INCOMPLETE, "d-incomplete")],
    ids=["go", "delay", "incomplete"],
)
def test_banner_colour_follows_the_decision(decision: Decision, css: str) -> None:
    assert f'class="banner {css}"' in html.render(replace(sample_verdict(), decision=decision))


def test_every_part_is_present(page: str) -> None:
    for section in ("baseline", "completion", "matrix", "items", "waivers", "attestations", "run"):
        assert f'<section id="{section}">' in page
    for item_id in ("SEC-1", "SEC-2", "DB-1", "DB-2", "DB-3", "OBS-1", "OBS-2", "OPS-3"):
        assert f'<td class="id">{item_id}</td>' in page
    assert 'style="width:72%"' in page  # Database completion bar
    assert "<td>2026-12-31</td><td>alice</td>" in page  # waiver expiry
    assert "<td>2026-11-01</td><td>2027-01-30</td>" in page  # attestation date and expiry
    assert '<div class="ev">days_left: 87 (expected &gt;= 30)</div>' in page
    assert '<div class="rem">Check the replica&#39;s WAL receiver</div>' in page
    for fact in ("ci-runner-1", "0123456789ab", "2026-11-23T09:00:00+00:00", "12.5 s", "9.2.0"):
        assert f"<dd>{fact}</dd>" in page
    assert '<li class="id">LEGACY-1</li>' in page  # removed since the baseline


def test_filters_offer_every_severity_outcome_and_section(page: str) -> None:
    for option in ("critical", "nice_to_have", "waived", "pending", "skipped", "Observability"):
        assert f"<option>{option}</option>" in page
    assert '<input id="f-search" type="search"' in page


def test_values_are_escaped(page: str) -> None:
    assert XSS_TITLE not in page
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in page
    assert "token &lt;b&gt;expired&lt;/b&gt; &amp; not rotated" in page


def test_only_web_links_become_links(page: str) -> None:
    assert 'href="https://docs.invalid/db#lag"' in page
    assert 'href="javascript:' not in page
    assert "javascript:alert(2)" in page  # shown as text


def test_nothing_is_fetched(page: str) -> None:
    """Self-contained: no external stylesheet, script, font, image or frame."""
    assert re.findall(r"<(?:link|img|iframe|object|embed)\b", page) == []
    assert re.findall(r"<script\b[^>]*\bsrc=", page) == []
    assert "@import" not in page
    assert "url(" not in page
    assert "default-src 'none'" in page  # and the browser is told to fetch nothing


def test_the_csp_allows_exactly_the_inline_script(page: str) -> None:
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page


def test_a_missing_jinja2_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jinja2", None)  # makes ``import jinja2`` fail
    with pytest.raises(MissingExtra) as info:
        html.render(sample_verdict())
    assert info.value.extra == "html"
    assert "pip install 'pytest-readiness[html]'" in str(info.value)


def test_write_is_atomic(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.html"
    html.write(sample_verdict(), str(target))
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


def test_ten_thousand_items_stay_under_five_megabytes() -> None:
    page = html.render(big_verdict(10_000))
    assert page.count('<tr class="o-') == 10_000
    assert len(page.encode("utf-8")) < 5_000_000
