"""Hostile text from a check, serial and under xdist: a decision, every report written and
valid, nothing raw on the terminal; bad marker arguments are collection errors naming the test."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from tests.plugin.conftest import DIST

pytest.importorskip("xdist")

HOSTILE_CHECK = r"""
import pytest

HOSTILE = "\x1b[2J\x07\x1b]8;;https://evil.invalid\x07click\x1b]8;;\x07 \u202eevil \x00nul \x9b c1 \udc80"

@pytest.mark.critical(
    id="H-1", title="title " + HOSTILE, section="sec\nond", remediation="fix " + HOSTILE
)
def test_hostile(evidence):
    evidence("lag" + HOSTILE, float("nan"), expected=float("inf"), note=HOSTILE)
    evidence("dump", "x" * 10_000_000)
    print("captured " + HOSTILE)
    assert False, "boom " + HOSTILE + "m" * 1_000_000

@pytest.mark.important(id="OK-1")
def test_fine(evidence):
    evidence("lag", float("-inf"))

@pytest.mark.nice_to_have(id="SKIP-1")
def test_skipped():
    pytest.skip("skipped " + HOSTILE)

@pytest.mark.nice_to_have(id="XFAIL-1")
def test_xfailed():
    pytest.xfail("xfailed " + HOSTILE)
"""

#: Raw bytes no output may carry: C0 controls but newline, tab and the CR of CRLF, DEL, C1
#: controls (UTF-8 encoded), bidi overrides and isolates.
RAW_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _no_constants(name: str) -> object:
    raise AssertionError(f"invalid JSON number {name}")


@DIST
def test_a_hostile_check_ends_in_a_decision_with_every_report_valid_and_clean(
    pytester: pytest.Pytester, dist: list[str]
) -> None:
    pytester.makefile(".yaml", readiness="profiles:\n  prod: {}\n")
    pytester.makepyfile(test_hostile=HOSTILE_CHECK)
    result = pytester.runpytest(
        "--readiness=prod",
        "--readiness-json=r.json",
        "--readiness-html=r.html",
        "--readiness-md=r.md",
        "--junitxml=r.xml",
        "-rA",
        "-p",
        "no:cacheprovider",
        *dist,
    )
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == 1, output[-3000:]
    assert "INTERNALERROR" not in output
    result.stdout.fnmatch_lines(["readiness decision: NO-GO - score *"])
    assert RAW_CONTROL.findall(output) == []
    assert "\udc80" not in output
    assert len(output) < 400_000  # the 1 MB message and the 10 MB evidence are cut
    assert "\\x1b[2J\\x07" in output
    assert "sec\\nond" in output

    files = {
        name: (pytester.path / name).read_bytes() for name in ("r.json", "r.html", "r.md", "r.xml")
    }
    for name, data in files.items():
        text = data.decode("utf-8")  # valid UTF-8: no lone surrogate made it through
        assert RAW_CONTROL.findall(text) == [], name
    data = json.loads(files["r.json"], parse_constant=_no_constants)
    assert data["decision"] == "NO-GO"
    assert data["exit_status"] == 1
    hostile, fine, skipped, xfailed = data["items"]
    assert skipped["message"].startswith("skipped \\x1b[2J")  # from pytest's cleaned report
    assert "not met: xfailed \\x1b[2J" in xfailed["message"]
    assert hostile["title"].startswith("title \x1b[2J\x07")
    assert "\ufffd" in hostile["title"]
    assert next(e["observed"] for e in hostile["evidence"]) == "nan"
    assert hostile["evidence"][0]["expected"] == "inf"
    assert fine["evidence"][0]["observed"] == "-inf"
    assert len(hostile["evidence"][1]["observed"]) < 70_000
    assert hostile["message"].startswith("boom ")
    assert len(hostile["message"]) < 70_000
    assert len(files["r.html"]) < 300_000
    assert b"full value in the JSON report" in files["r.html"]
    assert b"full value in the JSON report" in files["r.md"]
    ET.fromstring(files["r.xml"])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("weight=float('nan')", "weight=nan *; use a number > 0 and <= 1,000,000"),
        ("weight=float('inf')", "weight=inf *"),
        ("weight=0", "weight=0 *"),
        ("docs=123", "docs=123 in @pytest.mark.critical; use a string"),
        ("remediation={'x': 1}", "remediation={'x': 1} *; use a string"),
        ("title=b'raw'", "title=b'raw' *; use a string"),
        ("manual='yes'", "manual='yes' *; use True or False"),
    ],
)
def test_bad_marker_arguments_are_a_collection_error_naming_the_test(
    pytester: pytest.Pytester, arguments: str, message: str
) -> None:
    pytester.makefile(".yaml", readiness="profiles:\n  prod: {}\n")
    pytester.makepyfile(
        test_a=f"import pytest\n@pytest.mark.critical({arguments})\ndef test_a():\n    pass\n"
    )
    result = pytester.runpytest(
        "--readiness=prod", "--readiness-json=r.json", "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([f"test_a.py::test_a: {message}"])
    result.stdout.fnmatch_lines(["readiness decision: INCOMPLETE *"])
    json.loads((pytester.path / "r.json").read_text(), parse_constant=_no_constants)


def test_a_bad_marker_argument_is_a_collection_error_under_xdist_too(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".yaml", readiness="profiles:\n  prod: {}\n")
    pytester.makepyfile(
        test_a="import pytest\n@pytest.mark.critical(weight=float('nan'))\ndef test_a():\n    pass\n"
    )
    result = pytester.runpytest("--readiness=prod", "-p", "no:cacheprovider", "-n", "2")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # xdist: a worker's collection error is 1
    result.stdout.fnmatch_lines(["test_a.py::test_a: weight=nan in @pytest.mark.critical; *"])
    result.stdout.fnmatch_lines(["readiness decision: INCOMPLETE *"])
