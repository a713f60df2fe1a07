"""Usage errors (exit 4, one line, no traceback), markers, and inertness without --readiness."""

from __future__ import annotations

import json
import re

import pytest

BAD_CONFIGS = {
    "yaml_syntax": "profiles:\n  prod: {timeout: 5\n",
    "empty": "",
    "not_a_mapping": "- prod\n",
    "unknown_profile": "profiles:\n  staging: {}\n",
    "missing_variable": "profiles:\n  prod:\n    redis: [{name: cache, url: '${CACHE_URL_NOT_SET}'}]\n",
    "wrong_type": "profiles:\n  prod: {timeout: [1, 2]}\n",
    "unknown_key": "profiles:\n  prod: {thresolds: {}}\n",
    "bad_severity_override": "profiles:\n  prod: {severity: {X-1: urgent}}\n",
    "bad_waiver_date": "profiles:\n  prod:\n    waivers: [{id: X, reason: r, by: me, until: 31/12/2026}]\n",
    "extends_loop": "profiles:\n  prod: {extends: base}\n  base: {extends: prod}\n",
    "negative_weight": "policy: {weights: {critical: -1}}\nprofiles:\n  prod: {}\n",
    "duplicate_profile": "profiles:\n  prod: {}\n  prod: {timeout: 1}\n",
    "impossible_date": "profiles:\n  prod:\n    waivers: [{id: X, reason: r, by: me, until: 2099-02-30}]\n",
    "nested_5000_deep": "profiles:\n  prod:\n    thresholds: {x: "
    + "[" * 5000
    + "]" * 5000
    + "}\n",
    "non_text_key": "profiles:\n  prod: {severity: {1: critical}}\n",
    "alias_bomb": "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{chr(98 + n)}: &{chr(98 + n)} [" + ", ".join([f"*{chr(97 + n)}"] * 10) + "]\n"
        for n in range(8)
    )
    + "profiles:\n  prod: {}\n",
    "alias_inside_itself": "profiles:\n  prod:\n    thresholds: &t {x: [1, *t]}\n",
    "nan_policy": "policy: {important_min_percent: .nan}\nprofiles:\n  prod: {}\n",
    "infinite_timeout": "profiles:\n  prod: {timeout: .inf}\n",
    "nan_timeout": "profiles:\n  prod: {timeout: .nan}\n",
    "too_large": "profiles:\n  prod: {}\n" + "# padding\n" * 120_000,
    "nan_check_timeout": "profiles:\n  prod: {check_timeout: .nan}\n",
}


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_bad_config_exits_4_with_one_clear_line(pytester: pytest.Pytester, name: str) -> None:
    pytester.makefile(".yaml", readiness=BAD_CONFIGS[name])
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    result = pytester.runpytest_subprocess("--readiness=prod", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.lines + result.stderr.lines
    assert not any("Traceback" in line for line in output)
    errors = [line for line in result.stderr.lines if line.strip()]
    assert len(errors) == 1, errors
    assert re.match(r"ERROR: .*readiness\.yaml(: [\w.\[\]-]+)?: .+", errors[0]), errors[0]


def test_missing_config_file_names_the_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    result = pytester.runpytest("--readiness=prod", "--readiness-config=nope/readiness.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: *nope/readiness.yaml: file not found; *--readiness-config=PATH"]
    )


def test_config_from_ini_key(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nreadiness_config = cfg/ready.yaml\n")
    (pytester.path / "cfg").mkdir()
    (pytester.path / "cfg" / "ready.yaml").write_text("profiles:\n  prod: {}\n")
    pytester.makepyfile(test_a="import pytest\n@pytest.mark.critical\ndef test_a():\n    pass\n")
    result = pytester.runpytest("--readiness=prod")
    result.stdout.fnmatch_lines(
        ["readiness: profile prod (config *cfg/ready.yaml)", "readiness decision: GO *"]
    )


@pytest.mark.parametrize("dist", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_two_severities_on_one_test_is_a_collection_error_naming_it(
    pytester: pytest.Pytester, dist: list[str]
) -> None:
    pytester.makefile(".yaml", readiness="profiles:\n  prod: {}\n")
    pytester.makepyfile(
        test_a="""
        import pytest

        @pytest.mark.critical
        @pytest.mark.important
        def test_confused():
            pass

        def test_fine():
            pass
        """
    )
    result = pytester.runpytest("--readiness=prod", "-p", "no:cacheprovider", *dist)
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        [
            "*ERROR collecting test_a.py*",
            "test_a.py::test_confused: two severities (critical and important) on the same node; keep one",
        ]
    )
    result.stdout.fnmatch_lines(["readiness decision: INCOMPLETE *"])


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("critical('DB-1')", "keyword arguments only"),
        ("critical(severity='x')", "unknown keyword severity"),
        ("important(weight='heavy')", "weight='heavy'"),
    ],
)
def test_marker_misuse_is_a_collection_error(
    pytester: pytest.Pytester, marker: str, message: str
) -> None:
    pytester.makefile(".yaml", readiness="profiles:\n  prod: {}\n")
    pytester.makepyfile(test_a=f"import pytest\n@pytest.mark.{marker}\ndef test_a():\n    pass\n")
    result = pytester.runpytest("--readiness=prod")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([f"test_a.py::test_a: *{message}*"])


EFFECTIVE = """
import pytest

pytestmark = pytest.mark.critical(section="auth")

class TestLogin:
    def test_password(self):
        pass

    @pytest.mark.important
    def test_mfa(self):
        pass

@pytest.mark.nice_to_have
def test_theme():
    pass

def test_session_timeout():
    pass
"""


@pytest.mark.parametrize("dist", [[], ["-n", "2"]], ids=["serial", "xdist"])
@pytest.mark.parametrize(
    ("expr", "selected"),
    [
        ("critical", ["test_password", "test_session_timeout"]),
        ("important", ["test_mfa"]),
        ("not critical", ["test_mfa", "test_theme"]),
    ],
)
def test_m_selects_by_effective_severity(
    pytester: pytest.Pytester, expr: str, selected: list[str], dist: list[str]
) -> None:
    pytester.makefile(".yaml", readiness="profiles:\n  prod: {}\n")
    pytester.makepyfile(test_auth=EFFECTIVE)
    out = pytester.path / "r.json"
    pytester.runpytest(
        "--readiness=prod", "-m", expr, f"--readiness-json={out}", "-p", "no:cacheprovider", *dist
    )
    ran = sorted(item["nodeid"].rsplit("::", 1)[1] for item in json.loads(out.read_text())["items"])
    assert ran == sorted(selected)


def test_default_severity_is_important_and_configurable(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        readiness="profiles:\n  prod: {}\n  strict: {policy: {default_severity: critical}}\n",
    )
    pytester.makepyfile(test_a="def test_plain():\n    pass\n")
    assert pytester.runpytest("--readiness=prod", "-m", "important").ret == 0
    assert pytester.runpytest("--readiness=strict", "-m", "critical").ret == 0
    assert (
        pytester.runpytest("--readiness=strict", "-m", "important").ret
        == pytest.ExitCode.NO_TESTS_COLLECTED
    )


def test_markers_are_registered_without_readiness(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.critical(id=None, section=None, weight=None, title=None, owner=None, docs=None, remediation=None, manual=False): *",
            "@pytest.mark.important(*",
            "@pytest.mark.nice_to_have(*",
        ]
    )


INERT_SUITE = """
import pytest

@pytest.mark.critical
def test_fails():
    assert 1 == 2

@pytest.mark.nice_to_have
def test_skips():
    pytest.skip("later")

def test_passes():
    pass
"""


def _normalised(result: pytest.RunResult) -> list[str]:
    lines = []
    for line in result.outlines:
        if line.startswith(("plugins:", "platform ")):
            continue
        line = re.sub(r"in \d+\.\d+s( \(\d+:\d\d:\d\d\))?", "in Xs", line)
        if re.fullmatch(r"=+ .* =+", line):  # the padding follows the duration's length
            line = line.strip("= ")
        line = re.sub(r"\[gw\d+\]", "[gw]", line)  # which xdist worker ran a test varies
        progress = re.fullmatch(r"([.sFE]+)(\s+\[\d+%\])", line)
        if progress:  # under xdist, tests finish in any order
            line = "".join(sorted(progress.group(1))) + progress.group(2)
        lines.append(line)
    return lines


@pytest.mark.parametrize(
    "args", [[], ["-q"], ["-rA", "--strict-markers", "-m", "critical"], ["-n", "2"]], ids=str
)
def test_without_readiness_the_plugin_is_inert(pytester: pytest.Pytester, args: list[str]) -> None:
    pytester.makefile(".yaml", readiness="this is: [not valid")  # must not even be read
    pytester.makeini("[pytest]\nmarkers =\n    critical\n    important\n    nice_to_have\n")
    pytester.makepyfile(test_inert=INERT_SUITE)
    with_plugin = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    without = pytester.runpytest_subprocess("-p", "no:readiness", "-p", "no:cacheprovider", *args)
    assert with_plugin.ret == without.ret == 1
    assert _normalised(with_plugin) == _normalised(without)


def test_evidence_fixture_works_outside_a_readiness_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_a="""
        def test_a(evidence):
            evidence("replicas", 2, expected=">= 1")
            assert evidence.records == [{"observed": 2, "expected": ">= 1", "label": "replicas"}]
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_yaml_merge_keys_work_and_may_be_overridden(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        readiness="profiles:\n  base: &base {timeout: 2, thresholds: {p95_ms: 300}}\n"
        "  prod:\n    <<: *base\n    timeout: 3\n",
    )
    pytester.makepyfile(
        test_a="import pytest\n@pytest.mark.critical\n"
        "def test_a(readiness):\n    assert readiness.timeout == 3\n"
        "    assert readiness.threshold('p95_ms') == 300\n"
    )
    result = pytester.runpytest_subprocess("--readiness=prod", "-p", "no:cacheprovider")
    assert result.ret == 0, result.stderr.str()
