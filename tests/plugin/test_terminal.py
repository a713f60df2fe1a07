"""The terminal summary: matrix, failures with evidence and remediation, verbosity and colour."""

from __future__ import annotations

import pytest

SUITE = """
import pytest

@pytest.mark.critical(id="PG-1", section="Data", remediation="raise max_connections to 200")
def test_connections(evidence):
    \"\"\"PostgreSQL allows enough connections.\"\"\"
    evidence("max_connections", 100, expected=">= 200")
    assert 100 >= 200, "max_connections 100 is below 200"

@pytest.mark.important(id="PG-2", section="Data")
def test_ok():
    pass
"""


@pytest.fixture
def checks(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".yaml", readiness="profiles:\n  prod: {}\n")
    pytester.makepyfile(test_db=SUITE)
    return pytester


def test_default_output_has_matrix_failures_and_decision(checks: pytest.Pytester) -> None:
    result = checks.runpytest("--readiness=prod")
    result.stdout.fnmatch_lines(
        [
            "*= readiness [[]prod[]] =*",
            "section * critical * important * nice_to_have * completion",
            "Data * 0/1 * 1/1 * - * 37%",
            "all * 0/1 * 1/1 * - * score 37/100",
            "*- not met -*",
            "FAILED * critical * PG-1  PostgreSQL allows enough connections.",
            "    max_connections 100 is below 200",
            "    evidence: max_connections: 100 (expected >= 200)",
            "    remediation: raise max_connections to 200",
            "why: critical PG-1 failed",
            "readiness decision: NO-GO - score 37/100 - scope: full, 2 items",
        ]
    )


def test_quiet_drops_the_matrix(checks: pytest.Pytester) -> None:
    result = checks.runpytest("--readiness=prod", "-q")
    result.stdout.fnmatch_lines(["FAILED * PG-1 *", "readiness decision: NO-GO *"])
    result.stdout.no_fnmatch_line("section * critical*")


def test_very_quiet_prints_only_the_decision(checks: pytest.Pytester) -> None:
    result = checks.runpytest("--readiness=prod", "-qq")
    result.stdout.fnmatch_lines(["readiness decision: NO-GO *"])
    result.stdout.no_fnmatch_line("*not met*")
    result.stdout.no_fnmatch_line("*readiness [[]prod[]]*")


def test_verbose_lists_every_item(checks: pytest.Pytester) -> None:
    result = checks.runpytest("--readiness=prod", "-v")
    result.stdout.fnmatch_lines(["*- items -*", "FAILED * PG-1 *", "PASSED * PG-2 *"])


def test_colour_follows_pytest(checks: pytest.Pytester) -> None:
    coloured = checks.runpytest("--readiness=prod", "--color=yes")
    assert any(
        "\x1b[31m" in line and "readiness decision: NO-GO" in line for line in coloured.outlines
    )
    plain = checks.runpytest_subprocess("--readiness=prod", "--color=auto")  # NO_COLOR set below
    assert not any("\x1b[" in line for line in plain.outlines)


def test_no_color_env_is_honoured(checks: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("FORCE_COLOR", "")
    monkeypatch.delenv("PY_COLORS", raising=False)
    result = checks.runpytest_subprocess("--readiness=prod")
    assert not any("\x1b[" in line for line in result.outlines)
    result.stdout.fnmatch_lines(["readiness decision: NO-GO *"])


@pytest.mark.parametrize("dist", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_secret_from_the_environment_never_reaches_output(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, dist: list[str]
) -> None:
    monkeypatch.setenv("API_TOKEN", "tok-9f8e7d6c")
    pytester.makefile(
        ".yaml", readiness="profiles:\n  prod:\n    thresholds: {token: '${API_TOKEN}'}\n"
    )
    pytester.makepyfile(
        test_a="""
        import pytest

        @pytest.mark.critical
        def test_leaky(readiness, evidence):
            token = readiness.threshold("token")
            evidence("token", token, expected="other")
            assert token == "x", f"bad token {token}"
        """
    )
    out = pytester.path / "r.json"
    junit = pytester.path / "j.xml"
    result = pytester.runpytest(
        "--readiness=prod",
        f"--readiness-json={out}",
        f"--junitxml={junit}",
        "--tb=long",
        "--showlocals",
        "-rA",
        "-p",
        "no:cacheprovider",
        *dist,
    )
    result.stdout.fnmatch_lines(["*bad token ****"])
    assert "tok-9f8e7d6c" not in result.stdout.str() + result.stderr.str()
    assert "tok-9f8e7d6c" not in out.read_text()
    assert "tok-9f8e7d6c" not in junit.read_text()
    assert "***" in out.read_text()
