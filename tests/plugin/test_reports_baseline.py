"""--readiness-baseline end to end: the diff with a previous JSON result in every report."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.plugin.conftest import DIST

pytest.importorskip("jinja2")

BEFORE = """
import pytest

@pytest.mark.critical(id="A-1")
def test_a():
    pass

@pytest.mark.important(id="B-1")
def test_b():
    assert False, "b is broken"

@pytest.mark.important(id="OLD-1")
def test_old():
    pass
"""

AFTER = """
import pytest

@pytest.mark.critical(id="A-1")
def test_a():
    assert False, "a broke"

@pytest.mark.important(id="B-1")
def test_b():
    pass

@pytest.mark.important(id="NEW-1")
def test_new():
    pass
"""


@DIST
def test_the_diff_reaches_every_report(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, dist: list[str]
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    project.makepyfile(test_checks=BEFORE)
    first = project.runpytest("--readiness=prod", "--readiness-json=prev.json", *dist)
    assert first.ret == 1  # DELAY: half the important weight is met
    project.makepyfile(test_checks=AFTER)
    result = project.runpytest(
        "--readiness=prod", "--readiness-baseline=prev.json", "--readiness-html=r.html",
        "--readiness-md=r.md", "--junitxml=j.xml", "-p", "no:cacheprovider", *dist,
    )  # fmt: skip
    result.stdout.fnmatch_lines(
        [
            "*- baseline -*",
            "score 54/100, -18 since prev.json (DELAY, 72/100)",
            "newly failing (1): A-1",
            "fixed (1): B-1",
            "added (1): NEW-1",
            "removed (1): OLD-1",
        ]
    )
    page = (project.path / "r.html").read_text(encoding="utf-8")
    assert (
        '<th scope="row">Newly failing (1)</th><td><ul class="ids"><li class="id">A-1</li>' in page
    )
    text = (project.path / "r.md").read_text(encoding="utf-8")
    assert "Compared with prev.json (DELAY, 72/100): score **-18**." in text
    assert "| Removed | 1 | OLD-1 |" in text
    props = {
        p.get("name"): p.get("value") for p in ET.parse(project.path / "j.xml").iter("property")
    }
    assert props["readiness.baseline.score_change"] == "-18"
    assert props["readiness.baseline.fixed"] == "B-1"


BAD = [
    ("missing", None, "baseline file not found"),
    ("not JSON", "<html>", "the baseline is not JSON"),
    ("other JSON", '{"tests": 3}', "schema_version: expected 1, got None"),
]


@pytest.mark.parametrize(("content", "problem"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_an_unusable_baseline_is_a_usage_error(
    project: pytest.Pytester, content: str | None, problem: str
) -> None:
    if content is not None:
        (project.path / "prev.json").write_text(content, encoding="utf-8")
    project.makepyfile(test_checks=BEFORE)
    result = project.runpytest("--readiness=prod", "--readiness-baseline=prev.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*prev.json: {problem}*pass a file written by --readiness-json*"])
