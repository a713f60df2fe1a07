"""Nothing the run did not evaluate may pass the gate, and every fault ends in a decision.

The faults of the run itself (a hanging check, SIGINT and SIGTERM) are in tests/faults/.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.plugin.conftest import DIST, suite


def _json(project: pytest.Pytester) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project.path / "r.json").read_text(encoding="utf-8"))
    return data


@DIST
def test_a_module_skipped_at_collection_blocks_go(
    project: pytest.Pytester, dist: list[str]
) -> None:
    project.makepyfile(
        test_db="import pytest\npytest.importorskip('no_such_driver')\n\n"
        "@pytest.mark.critical\ndef test_db():\n    assert False\n",
        test_ok=suite([True], [True]),
    )
    result = project.runpytest("--readiness=prod", "--readiness-json=r.json", *dist)
    data = _json(project)
    assert data["decision"] == "NO-GO"
    assert any(
        "test_db.py" in reason and "skipped at collection" in reason for reason in data["reasons"]
    )
    assert result.ret == 1


def test_a_module_skipped_as_not_applicable_does_not_block(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_db="import pytest\npytest.skip('N/A: no database here', allow_module_level=True)\n",
        test_ok=suite([True], [True]),
    )
    result = project.runpytest("--readiness=prod", "--readiness-json=r.json")
    assert _json(project)["decision"] == "GO"
    assert result.ret == 0


@DIST
def test_skip_inside_a_critical_check_or_its_fixture_is_not_evaluated(
    project: pytest.Pytester, dist: list[str]
) -> None:
    project.makepyfile(
        test_checks="""
        import pytest

        @pytest.fixture
        def replica():
            pytest.skip("replica not reachable today")

        @pytest.mark.critical(id="C-1")
        def test_in_check():
            pytest.skip("too slow")

        @pytest.mark.critical(id="C-2")
        def test_in_fixture(replica):
            pass

        @pytest.mark.critical(id="C-3")
        def test_na():
            pytest.skip("N/A: single-node environment")
        """
    )
    result = project.runpytest("--readiness=prod", "--readiness-json=r.json", *dist)
    outcomes = {i["id"]: (i["outcome"], i["message"]) for i in _json(project)["items"]}
    assert outcomes["C-1"][0] == outcomes["C-2"][0] == "error"
    assert outcomes["C-1"][1].startswith("not evaluated: skipped (too slow)")
    assert outcomes["C-3"] == ("skipped", "N/A: single-node environment")
    assert result.ret == 1


@pytest.mark.parametrize(
    ("args", "decision", "status", "left_out"),
    [
        (["-m", "critical"], "GO", 0, 0),
        (["-m", "not critical"], "GO", 1, 2),
        (["-k", "important"], "GO", 1, 2),
    ],
    ids=["critical-only-may-pass", "not-critical-is-no-release", "keyword-is-no-release"],
)
def test_a_selection_leaving_critical_items_out_is_not_a_release_decision(
    project: pytest.Pytester, args: list[str], decision: str, status: int, left_out: int
) -> None:
    project.makepyfile(test_checks=suite([True, True], [True, True]))
    result = project.runpytest("--readiness=prod", "--readiness-json=r.json", *args)
    data = _json(project)
    assert data["decision"] == decision
    assert result.ret == data["exit_status"] == status
    if left_out:
        result.stdout.fnmatch_lines(
            [f"readiness decision: GO *, {left_out} critical items not evaluated"]
        )
    else:
        assert "not evaluated" not in result.stdout.str()


def test_an_empty_profile_name_is_a_usage_error(project: pytest.Pytester) -> None:
    project.makepyfile(test_checks=suite([True], []))
    result = project.runpytest("--readiness= ")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--readiness: the profile name is empty*"])
