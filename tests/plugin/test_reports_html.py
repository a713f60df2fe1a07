"""--readiness-html end to end: written by the controller, serially and under xdist, also when
the run fails or stops early."""

from __future__ import annotations

import re

import pytest

from tests.plugin.conftest import DIST

pytest.importorskip("jinja2")

CHECKS = '''
import pytest

@pytest.mark.critical(id="SEC-1", section="Security", remediation="rotate <all> tokens",
                      docs="https://docs.invalid/tokens")
def test_token(evidence):
    """<script>alert(1)</script>"""
    evidence("expires_in_days", -3, expected=">= 30")
    assert False, "token expired 3 days ago"

@pytest.mark.important(id="DB-1", section="Database", owner="dba & co")
def test_db(evidence):
    """Primary accepts connections."""
    evidence(observed="16.4", expected=">= 15")

@pytest.mark.nice_to_have(section="Database")
@pytest.mark.parametrize("zone", ["a", "b"])
def test_zone(zone):
    pass
'''


def run_html(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, str]:
    out = pytester.path / "out" / "report.html"
    result = pytester.runpytest(
        "--readiness=prod", f"--readiness-html={out}", "-p", "no:cacheprovider", *args
    )
    return result, out.read_text(encoding="utf-8")


@DIST
def test_report_of_a_real_run(project: pytest.Pytester, dist: list[str]) -> None:
    project.makepyfile(test_checks=CHECKS)
    result, page = run_html(project, *dist)
    assert result.ret == 1
    assert '<span class="decision">NO-GO</span><span class="score">score 50/100</span>' in page
    assert page.count('<tr class="o-') == 4
    assert '<td class="id">test_checks.py::test_zone[b]</td>' in page
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in page
    assert "<script>alert(1)</script>" not in page
    assert '<div class="rem">rotate &lt;all&gt; tokens</div>' in page
    assert '<div class="own">dba &amp; co</div>' in page
    assert '<div class="ev">expires_in_days: -3 (expected &gt;= 30)</div>' in page
    assert '<a href="https://docs.invalid/tokens"' in page
    blockers = page[page.index('<section id="blockers">') : page.index("</section>")]
    assert page.index('<section id="blockers">') < page.index('<section id="completion">')
    assert "<h2>Not met (1), most severe first</h2>" in blockers
    assert (
        '<tr class="b-critical"><td>critical</td><td>failed</td><td class="id">SEC-1</td>'
        in blockers
    )
    assert "token expired 3 days ago" in blockers
    assert '<option value="not-met">not met</option>' in page
    assert page.count('<tr class="o-failed nm on">') == 1
    workers = re.search(r"<dt>xdist workers</dt><dd>(\d+)</dd>", page)
    assert (workers is not None) is bool(dist)


def test_a_run_with_everything_met_says_so_under_the_banner(project: pytest.Pytester) -> None:
    project.makepyfile(test_ok="import pytest\n\n@pytest.mark.critical\ndef test_ok():\n    pass\n")
    result, page = run_html(project)
    assert result.ret == 0
    assert "<h2>Not met: none</h2>" in page
    assert 'id="blockers-table"' not in page


def test_report_is_written_when_the_run_stops_early(project: pytest.Pytester) -> None:
    project.makepyfile(test_checks=CHECKS)
    result, page = run_html(project, "-x")
    assert result.ret != 0
    assert '<span class="decision">INCOMPLETE</span>' in page
    assert [p.name for p in (project.path / "out").iterdir()] == ["report.html"]
