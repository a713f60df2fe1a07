"""End-to-end decisions of real pytest runs (pytester), serially and under xdist."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from tests.plugin.conftest import DIST, LATE_BLOCKER, RunJson, suite


@DIST
def test_one_critical_failure_is_no_go(
    project: pytest.Pytester, run_json: RunJson, dist: list[str]
) -> None:
    project.makepyfile(test_checks=suite([True, False], [True] * 10))
    result, data = run_json(*dist)
    assert data["decision"] == "NO-GO"
    assert result.ret != 0
    result.stdout.fnmatch_lines(["readiness decision: NO-GO - score * - scope: full, 12 items"])


@DIST
def test_all_critical_and_nine_of_ten_important_is_go_even_with_nice_to_have_failing(
    project: pytest.Pytester,
    run_json: RunJson,
    dist: list[str],
) -> None:
    project.makepyfile(test_checks=suite([True, True], [True] * 9 + [False], [False]))
    result, data = run_json(*dist)
    assert data["decision"] == "GO"
    assert result.ret == 0  # pytest said 1: the plugin lowers it only to report GO


@DIST
def test_eight_of_ten_important_is_delay(
    project: pytest.Pytester, run_json: RunJson, dist: list[str]
) -> None:
    project.makepyfile(test_checks=suite([True], [True] * 8 + [False] * 2))
    result, data = run_json(*dist)
    assert data["decision"] == "DELAY"
    assert result.ret == 1


def test_delay_exits_zero_when_the_policy_says_so(
    pytester: pytest.Pytester, run_json: RunJson
) -> None:
    pytester.makefile(".yaml", readiness="policy: {delay_exit_zero: true}\nprofiles:\n  prod: {}\n")
    pytester.makepyfile(test_checks=suite([True], [True] * 8 + [False] * 2))
    result, data = run_json()
    assert data["decision"] == "DELAY"
    assert result.ret == 0


@DIST
def test_critical_erroring_in_its_fixture_is_no_go(
    project: pytest.Pytester, run_json: RunJson, dist: list[str]
) -> None:
    project.makepyfile(
        test_checks="""
        import pytest

        @pytest.fixture
        def database():
            raise ConnectionError("cannot reach db-1:5432")

        @pytest.mark.critical(id="DB-1")
        def test_db(database):
            pass

        @pytest.mark.important
        def test_other():
            pass
        """
    )
    result, data = run_json(*dist)
    assert data["decision"] == "NO-GO"
    item = next(i for i in data["items"] if i["id"] == "DB-1")
    assert item["outcome"] == "error"
    assert "cannot reach db-1:5432" in item["message"]
    assert result.ret == 1


@DIST
def test_marker_m_critical_reports_its_scope(
    project: pytest.Pytester, run_json: RunJson, dist: list[str]
) -> None:
    project.makepyfile(test_checks=suite([True, True], [False] * 5, [True]))
    result, data = run_json("-m", "critical", *dist)
    assert data["decision"] == "GO"
    assert data["scope"] == {
        "description": "critical only, 2 of 8 items",
        "full": False,
        "selected": 2,
        "total": 8,
        "narrowed_by": ["critical only"],
    }
    result.stdout.fnmatch_lines(
        ["readiness decision: GO - score 100/100 - scope: critical only, 2 of 8 items"]
    )


@DIST
def test_empty_selection_is_no_data_never_go(
    project: pytest.Pytester, run_json: RunJson, dist: list[str]
) -> None:
    project.makepyfile(test_checks=suite([], [True]))
    result, data = run_json("-m", "critical", *dist)
    assert data["decision"] == "NO DATA"
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


@DIST
def test_everything_skipped_is_no_data_and_fails(
    project: pytest.Pytester, run_json: RunJson, dist: list[str]
) -> None:
    project.makepyfile(
        test_checks="""
        import pytest

        @pytest.mark.critical
        def test_a():
            pytest.skip("N/A: no postgres target in this profile")
        """
    )
    result, data = run_json(*dist)
    assert data["decision"] == "NO DATA"
    assert data["items"][0]["outcome"] == "skipped"
    assert result.ret == 1  # pytest said 0


def test_critical_skipped_as_na_is_not_applicable(
    project: pytest.Pytester, run_json: RunJson
) -> None:
    project.makepyfile(
        test_checks="""
        import pytest

        @pytest.mark.critical
        def test_not_here():
            pytest.skip("N/A: no redis target")

        @pytest.mark.critical
        def test_here():
            pass
        """
    )
    _result, data = run_json()
    assert data["decision"] == "GO"
    assert data["totals"]["critical"] == {
        "met": 1,
        "total": 1,
        "weight_met": 5.0,
        "weight_total": 5.0,
        "percent": 100.0,
    }


@DIST
def test_xfail_critical_is_not_met(
    project: pytest.Pytester, run_json: RunJson, dist: list[str]
) -> None:
    project.makepyfile(
        test_checks="""
        import pytest

        @pytest.mark.critical
        @pytest.mark.xfail(reason="replica not built yet")
        def test_replica():
            assert False
        """
    )
    result, data = run_json(*dist)
    assert data["decision"] == "NO-GO"
    assert data["items"][0]["outcome"] == "failed"
    assert "replica not built yet" in data["items"][0]["message"]
    assert result.ret == 1  # pytest alone would have said 0


def test_exitfirst_is_incomplete(project: pytest.Pytester, run_json: RunJson) -> None:
    project.makepyfile(test_checks=suite([True], [False, True, True]))
    result, data = run_json("-x")
    assert data["decision"] == "INCOMPLETE"
    assert result.ret != 0


def test_exitfirst_under_xdist_is_never_go(project: pytest.Pytester, run_json: RunJson) -> None:
    project.makepyfile(test_checks=suite([True], [False] + [True] * 6))
    result, data = run_json("-x", "-n", "2")
    assert data["decision"] in ("INCOMPLETE", "NO-GO", "DELAY")
    assert result.ret != 0


def test_collection_error_is_incomplete(project: pytest.Pytester, run_json: RunJson) -> None:
    project.makepyfile(test_ok=suite([True], [True]), test_broken="import not_a_module_anywhere")
    out = project.path / "r.json"  # a subprocess: the interrupt must not reach this test run
    result = project.runpytest_subprocess(
        "--readiness=prod", f"--readiness-json={out}", "-p", "no:cacheprovider"
    )
    assert json.loads(out.read_text())["decision"] == "INCOMPLETE"
    assert result.ret == pytest.ExitCode.INTERRUPTED


def test_waiver_and_attestation_from_the_profile(
    pytester: pytest.Pytester, run_json: RunJson
) -> None:
    attested_on = (date.today() - timedelta(days=3)).isoformat()
    until = (date.today() + timedelta(days=30)).isoformat()
    pytester.makefile(
        ".yaml",
        readiness=f"""
        profiles:
          prod:
            waivers:
              - {{id: SEC-1, reason: pen-test booked, by: alice, until: {until}}}
              - {{id: SEC-2, reason: old, by: alice, until: 2000-01-01}}
            attestations:
              - {{id: ONCALL-1, by: bob, date: {attested_on}, valid_days: 30}}
        """,
    )
    pytester.makepyfile(
        test_checks="""
        import pytest

        @pytest.mark.critical(id="SEC-1")
        def test_pentest():
            assert False, "no pen-test report"

        @pytest.mark.nice_to_have(id="SEC-2")
        def test_stale():
            pass

        @pytest.mark.critical(id="ONCALL-1", manual=True, title="On-call rotation staffed")
        def test_oncall():
            pass
        """
    )
    result, data = run_json()
    outcomes = {i["id"]: i["outcome"] for i in data["items"]}
    assert outcomes == {"SEC-1": "waived", "SEC-2": "passed", "ONCALL-1": "attested"}
    assert [w["state"] for w in data["waivers"]] == ["applied", "expired"]
    assert [w["health"] for w in data["waivers"]] == ["active", "expired"]
    assert data["decision"] == "GO"
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*waivers*",
            f"active    SEC-1 [[]item[]] until {until} (30 days left), covers 1 (SEC-1), "
            "by alice: pen-test booked",
        ]
    )
    # pytest's own view agrees: the waived failure is a skip saying who, until when and why
    result.stdout.fnmatch_lines(["*2 passed, 1 skipped*"])


def test_manual_item_without_attestation_is_pending(
    project: pytest.Pytester, run_json: RunJson
) -> None:
    project.makepyfile(
        test_checks="""
        import pytest

        @pytest.mark.critical(id="SIGNOFF-1", manual=True)
        def test_signoff():
            pass
        """
    )
    result, data = run_json()
    assert data["items"][0]["outcome"] == "pending"
    assert data["decision"] == "NO-GO"
    assert result.ret == 1  # pytest said 0


def test_profile_severity_override_changes_the_decision(
    pytester: pytest.Pytester, run_json: RunJson
) -> None:
    pytester.makefile(
        ".yaml",
        readiness="""
        profiles:
          prod:
            severity: {"MZ-*": critical}
          staging:
            severity: {"MZ-*": nice_to_have}
        """,
    )
    pytester.makepyfile(
        test_checks="""
        import pytest

        @pytest.mark.important(id="MZ-1")
        def test_multi_zone():
            assert False

        @pytest.mark.critical
        def test_ok():
            pass
        """
    )
    _, prod = run_json()
    assert prod["decision"] == "NO-GO"
    staging = pytester.runpytest("--readiness=staging", "-p", "no:cacheprovider")
    staging.stdout.fnmatch_lines(["readiness decision: GO *"])
    assert staging.ret == 0


def test_keyboard_interrupt_is_incomplete_and_still_writes_the_report(
    project: pytest.Pytester, run_json: RunJson
) -> None:
    project.makepyfile(
        test_checks="""
        import pytest

        @pytest.mark.critical
        def test_a():
            pass

        @pytest.mark.critical
        def test_b():
            raise KeyboardInterrupt
        """
    )
    out = project.path / "r.json"  # a subprocess: the interrupt must not reach this test run
    result = project.runpytest_subprocess(
        "--readiness=prod", f"--readiness-json={out}", "-p", "no:cacheprovider"
    )
    assert json.loads(out.read_text())["decision"] == "INCOMPLETE"
    assert result.ret == pytest.ExitCode.INTERRUPTED


def test_unwritable_report_fails_the_run_with_one_line(project: pytest.Pytester) -> None:
    project.makepyfile(test_checks=suite([True], [True]) + LATE_BLOCKER)
    result = project.runpytest("--readiness=prod", "--readiness-json=late/r.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # GO, but CI must not pass without its report
    result.stdout.fnmatch_lines(
        ["readiness decision: GO *", "readiness: cannot write --readiness-json=late/r.json: *"]
    )


@DIST
def test_a_waived_failure_does_not_count_for_maxfail(
    pytester: pytest.Pytester, dist: list[str]
) -> None:
    """pytest's own failure count follows the readiness outcome: -x does not stop on a failure
    a waiver covers."""
    until = (date.today() + timedelta(days=30)).isoformat()
    pytester.makefile(
        ".yaml",
        readiness=f"""
        profiles:
          prod:
            checks: []
            waivers:
              - {{id: SEC-1, reason: pen-test booked, by: alice, until: {until}}}
        """,
    )
    pytester.makepyfile(
        test_checks="""
        import pytest

        @pytest.mark.critical(id="SEC-1")
        def test_pentest():
            assert False, "no pen-test report"

        @pytest.mark.critical(id="SEC-2")
        def test_tokens():
            pass
        """
    )
    result = pytester.runpytest("--readiness=prod", "-x", "-p", "no:cacheprovider", *dist)
    assert result.ret == 0
    result.assert_outcomes(passed=1, skipped=1)
