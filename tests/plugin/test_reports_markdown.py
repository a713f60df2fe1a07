"""--readiness-md end to end: a real run against a golden file, serially and under xdist, and
the GitHub step summary."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.golden import golden
from tests.plugin.conftest import DIST

UNTIL = (date.today() + timedelta(days=30)).isoformat()  # 30 days left: an active waiver
CONFIG = f"""
profiles:
  prod:
    waivers:
      - {{id: DB-2, reason: "replica rebuild | OPS-42", by: alice, until: {UNTIL}}}
      - {{id: OBS-1, reason: old, by: bob, until: 2000-01-01}}
    attestations:
      - {{id: OPS-1, by: carol, date: 2020-01-01, valid_days: 30}}
"""

CHECKS = '''
import pytest

pytestmark = pytest.mark.important(section="Database")


@pytest.mark.critical(id="DB-1", remediation="start the primary")
def test_primary(evidence):
    """PostgreSQL primary accepts connections."""
    evidence("server_version", 16, expected=">= 15")


@pytest.mark.important(id="DB-2")
def test_lag(evidence):
    """Replication lag < 5 s."""
    evidence(observed=9.5, expected="< 5", unit="s")
    assert False, "replication lag 9.5s exceeds 5s"


@pytest.mark.critical(id="SEC-1", section="Security", remediation="rotate *all* tokens")
def test_token(evidence):
    """<script>alert(1)</script> | token [rotated](https://x.invalid)"""
    evidence("expires_in_days", -3, expected=">= 30")
    assert False, "token expired 3 days ago"


@pytest.mark.nice_to_have(id="OBS-1", section="Observability")
def test_dashboards():
    """Dashboards exist."""
    assert False, "no dashboards"


@pytest.mark.important(id="OPS-1", section="Operations", manual=True)
def test_oncall():
    """On-call rotation signed off."""


@pytest.mark.nice_to_have(id="OPS-2", section="Operations")
def test_chaos():
    """Chaos drill held."""
    pytest.skip("no chaos target configured")
'''

# Facts of the machine and the moment, not of the checklist.
_VOLATILE = re.compile(r"^\*\*(Date|Duration|Host|Config|Versions)\*\*: .*?(  )?$", re.M)
_COMMIT = re.compile(r"^\*\*Commit\*\*: .*\n", re.M)
_EXPIRED_DAYS = re.compile(r"\| -\d+ \|")  # days since a waiver expired in 2000


def normalise(text: str) -> str:
    text = _COMMIT.sub("", text).replace(UNTIL, "<until>")
    text = _EXPIRED_DAYS.sub("| -<days> |", text)
    return _VOLATILE.sub(lambda m: f"**{m[1]}**: <{m[1].lower()}>{m[2] or ''}", text)


@pytest.fixture
def checklist(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    pytester.makefile(".yaml", readiness=CONFIG)
    pytester.makepyfile(test_checks=CHECKS)
    return pytester


def run_md(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, str]:
    out = pytester.path / "reports" / "readiness.md"
    result = pytester.runpytest(
        "--readiness=prod", f"--readiness-md={out}", "-p", "no:cacheprovider", *args
    )
    return result, out.read_text(encoding="utf-8")


@DIST
def test_markdown_of_a_real_run_matches_the_golden_file(
    checklist: pytest.Pytester, dist: list[str]
) -> None:
    result, text = run_md(checklist, *dist)
    assert result.ret == 1
    text = normalise(text)
    assert text == golden("e2e.md", text)


def test_github_step_summary_is_appended(
    checklist: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = checklist.path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run_md(checklist)
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n\n## ❌ Readiness prod: **NO-GO**, score ")
    assert "**Not met (3)**" in text
    assert r"\<script\>alert(1)\</script\> \| token \[rotated\](<https://x.invalid>)" in text


def test_step_summary_needs_no_markdown_option(
    checklist: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under GitHub Actions every readiness run leaves its verdict in the job summary."""
    summary = checklist.path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    checklist.runpytest("--readiness=prod", "-p", "no:cacheprovider")
    assert summary.read_text(encoding="utf-8").startswith("\n## ❌ Readiness prod: **NO-GO**")


def test_interrupted_run_still_writes_the_checklist(checklist: pytest.Pytester) -> None:
    result, text = run_md(checklist, "-x")
    assert result.ret != 0
    assert "**Decision**: ❌ **INCOMPLETE**" in text
    assert [p.name for p in Path(checklist.path / "reports").iterdir()] == ["readiness.md"]
