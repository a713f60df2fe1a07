"""Checklist files as readiness suites in real pytest runs, serially and under xdist."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tests.plugin.conftest import DIST

TODAY = date.today().isoformat()
DATA = Path(__file__).parent.parent / "data" / "checklists"

CHECKLIST = """\
# Release

## Critical

- [ ] TLS enabled
- [x] Backups configured

## Optional

- [ ] Dashboards exported
"""

CHECKS = """\
import pytest

@pytest.mark.critical(id="PG-SSL")
@pytest.mark.parametrize("target", ["primary", "replica"])
def test_ssl(target):
    assert target != {failing!r}
"""


def run(pytester: pytest.Pytester, profile: str, *args: str) -> tuple[pytest.RunResult, dict]:  # type: ignore[type-arg]
    pytester.makefile(".yaml", readiness=profile)
    out = pytester.path / "result.json"
    result = pytester.runpytest(
        "--readiness=prod", f"--readiness-json={out}", "-p", "no:cacheprovider", *args
    )
    return result, (json.loads(out.read_text()) if out.exists() else {})


def outcomes(data: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {i["id"]: i["outcome"] for i in data["items"]}


@DIST
def test_unattested_checklist_is_no_go_with_every_item_pending(
    pytester: pytest.Pytester, dist: list[str]
) -> None:
    pytester.makefile(".md", RELEASE=CHECKLIST)
    result, data = run(pytester, "profiles:\n  prod: {}\n", "RELEASE.md", *dist)
    assert data["decision"] == "NO-GO"
    assert set(outcomes(data).values()) == {"pending"}
    assert result.ret == 1


@DIST
def test_attested_critical_items_make_go(pytester: pytest.Pytester, dist: list[str]) -> None:
    pytester.makefile(".md", RELEASE=CHECKLIST)
    profile = (
        "profiles:\n  prod:\n    attestations:\n"
        f"      - {{id: critical.tls-enabled, by: ana, date: '{TODAY}', valid_days: 30}}\n"
        f"      - {{id: critical.backups-configured, by: ana, date: '{TODAY}', valid_days: 30}}\n"
    )
    result, data = run(pytester, profile, "RELEASE.md", *dist)
    assert outcomes(data) == {
        "critical.tls-enabled": "attested",
        "critical.backups-configured": "attested",
        "optional.dashboards-exported": "pending",
    }
    assert data["decision"] == "GO"
    assert result.ret == 0


def test_hand_ticked_boxes_are_shown_as_not_verified(pytester: pytest.Pytester) -> None:
    pytester.makefile(".md", RELEASE=CHECKLIST)
    result, _ = run(pytester, "profiles:\n  prod: {}\n", "RELEASE.md", "-rA")
    result.stdout.fnmatch_lines(["*remediation: ticked by hand, not verified*"])


def test_minus_m_critical_selects_checklist_items_by_severity(pytester: pytest.Pytester) -> None:
    pytester.makefile(".md", RELEASE=CHECKLIST)
    _, data = run(pytester, "profiles:\n  prod: {}\n", "RELEASE.md", "-m", "critical")
    assert sorted(outcomes(data)) == ["critical.backups-configured", "critical.tls-enabled"]


def test_ini_globs_collect_checklists_of_any_extension(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nreadiness_checklists = docs/*.txt\n")
    pytester.mkdir("docs")
    (pytester.path / "docs" / "launch.txt").write_text(CHECKLIST)
    (pytester.path / "docs" / "notes.md").write_text("- [ ] not collected\n")
    _, data = run(pytester, "profiles:\n  prod: {}\n")
    assert len(data["items"]) == 3


def test_plain_runs_do_not_collect_checklists(pytester: pytest.Pytester) -> None:
    pytester.makefile(".md", RELEASE=CHECKLIST)
    result = pytester.runpytest("RELEASE.md", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # what pytest says without the plugin
    result.stderr.fnmatch_lines(["ERROR: not found: *RELEASE.md"])


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"\xff\xfe\x00binary", "a binary file"), (b"- [ ] a\n\xc3(", "not UTF-8 text")],
    ids=["binary", "invalid-utf8"],
)
def test_unreadable_checklists_are_one_line_collection_errors(
    pytester: pytest.Pytester, content: bytes, message: str
) -> None:
    (pytester.path / "RELEASE.md").write_bytes(content)
    result, _ = run(pytester, "profiles:\n  prod: {}\n", "RELEASE.md")
    result.stdout.fnmatch_lines([f"RELEASE.md: {message}*"])
    assert "Traceback" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.INTERRUPTED


def test_mojibake_is_a_warning_naming_the_file(pytester: pytest.Pytester) -> None:
    (pytester.path / "pt.md").write_bytes((DATA / "mojibake-pt.md").read_bytes())
    result, data = run(pytester, "profiles:\n  prod: {}\n", "pt.md", "-W", "default")
    result.stdout.fnmatch_lines(["*ChecklistEncodingWarning: pt.md: text was UTF-8 decoded*"])
    assert "Requisitos Obrigatórios > Cache Redis" in {i["section"] for i in data["items"]}


@DIST
def test_linked_item_takes_the_combined_outcome_of_its_check_on_every_target(
    pytester: pytest.Pytester, dist: list[str]
) -> None:
    pytester.makefile(".md", RELEASE="## Critical\n- [ ] TLS <!-- readiness: PG-SSL -->\n")
    pytester.makepyfile(test_checks=CHECKS.format(failing="replica"))
    _, data = run(pytester, "profiles:\n  prod: {}\n", "RELEASE.md", "test_checks.py", *dist)
    item = next(i for i in data["items"] if i["id"] == "critical.tls")
    assert item["outcome"] == "failed"
    assert "PG-SSL[replica] failed" in item["message"]
    assert data["decision"] == "NO-GO"


@DIST
def test_linked_item_is_met_when_its_check_passes_everywhere(
    pytester: pytest.Pytester, dist: list[str]
) -> None:
    pytester.makefile(".md", RELEASE="## Critical\n- [ ] TLS <!-- readiness: PG-SSL -->\n")
    pytester.makepyfile(test_checks=CHECKS.format(failing="none"))
    _, data = run(pytester, "profiles:\n  prod: {}\n", "RELEASE.md", "test_checks.py", *dist)
    assert outcomes(data)["critical.tls"] == "passed"
    assert data["decision"] == "GO"


def test_parent_is_met_only_when_all_sub_items_are(pytester: pytest.Pytester) -> None:
    pytester.makefile(".md", RELEASE="## Critical\n- [ ] Group\n  - [ ] a\n  - [ ] b\n")
    profile = (
        "profiles:\n  prod:\n    attestations:\n"
        f"      - {{id: group.a, by: ana, date: '{TODAY}', valid_days: 30}}\n"
    )
    _, data = run(pytester, profile, "RELEASE.md")
    assert outcomes(data) == {
        "critical.group": "failed",
        "group.a": "attested",
        "group.b": "pending",
    }
    assert "group.b pending" in next(
        i["message"] for i in data["items"] if i["id"] == "critical.group"
    )


@DIST
def test_link_to_an_unknown_check_is_a_collection_error_naming_file_and_line(
    pytester: pytest.Pytester, dist: list[str]
) -> None:
    pytester.makefile(".md", RELEASE="# R\n\n- [ ] TLS <!-- readiness: PG-NOPE -->\n")
    result, data = run(pytester, "profiles:\n  prod: {}\n", "RELEASE.md", *dist)
    result.stdout.fnmatch_lines(["*RELEASE.md:3: link to unknown check 'PG-NOPE'*"])
    assert result.ret != 0
    assert data.get("decision", "INCOMPLETE") == "INCOMPLETE"


def test_profile_mapping_links_items_to_checks(pytester: pytest.Pytester) -> None:
    pytester.makefile(".md", RELEASE="## Critical\n- [ ] TLS\n- [ ] Other\n")
    pytester.makepyfile(test_checks=CHECKS.format(failing="none"))
    profile = "profiles:\n  prod:\n    checklist_links: {critical.tls: [PG-SSL]}\n"
    _, data = run(pytester, profile, "RELEASE.md", "test_checks.py")
    assert outcomes(data)["critical.tls"] == "passed"
    assert outcomes(data)["critical.other"] == "pending"


def test_profile_mapping_to_an_unknown_check_is_a_collection_error(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".md", RELEASE="## Critical\n- [ ] TLS\n")
    profile = "profiles:\n  prod:\n    checklist_links: {'critical.*': [PG-NOPE]}\n"
    result, _ = run(pytester, profile, "RELEASE.md")
    result.stdout.fnmatch_lines(["*RELEASE.md:2: link to unknown check 'PG-NOPE'*"])
