"""--junitxml in a readiness run: valid for both families, serially and under xdist, with the
decision as a testcase of its own and the readiness data where each family allows it.

"Valid" means what CI relies on, not only a schema: every file is checked against the project's
own schema (tests/schemas; it takes ``<error>`` where Jenkins' junit-10.xsd says ``<errors>``,
see tests/golden/junit_schema.py), read by junitparser and rendered by junit2html.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.golden import junit_consumers, junit_schema
from tests.golden.junit_consumers import Counts
from tests.plugin.conftest import DIST
from tests.support.http_servers import refusing_port

FAMILIES = pytest.mark.parametrize("family", ["xunit1", "xunit2"])

CHECKS = '''
import pytest

@pytest.mark.critical(id="SEC-1", section="security", remediation="rotate it")
def test_token(evidence):
    """Token <b> & "quotes" stay text."""
    evidence("days_left", -3, expected=">= 30")
    assert False, "token expired 3 days ago"

@pytest.mark.important(id="DB-1", section="database")
def test_db(evidence):
    evidence(observed=1, expected=1)

class TestOps:
    @pytest.mark.nice_to_have(section="ops")
    @pytest.mark.parametrize("zone", ["a", "b::c"])
    def test_zone(self, zone):
        pass
'''


def run_junit(
    pytester: pytest.Pytester, family: str, *args: str
) -> tuple[pytest.RunResult, ET.Element]:
    xml = pytester.path / "junit.xml"
    result = pytester.runpytest(
        "--readiness=prod", f"--junitxml={xml}", "-o", f"junit_family={family}",
        "-p", "no:cacheprovider", *args,
    )  # fmt: skip
    junit_schema.validate(xml, family)
    suite = ET.parse(xml).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert suite.get("tests") == str(len(cases))
    assert suite.get("failures") == str(len(suite.findall("testcase/failure")))
    return result, suite


def properties(suite: ET.Element) -> dict[str, str]:
    node = suite.find("properties")
    assert node is not None
    return {p.get("name", ""): p.get("value", "") for p in node}


def decision_case(suite: ET.Element) -> ET.Element:
    cases = suite.findall("testcase[@classname='readiness'][@name='decision']")
    assert len(cases) == 1
    return cases[0]


@FAMILIES
@DIST
def test_no_go_run_is_valid_and_carries_the_verdict(
    project: pytest.Pytester, family: str, dist: list[str]
) -> None:
    project.makepyfile(test_checks=CHECKS)
    result, suite = run_junit(project, family, *dist)
    assert result.ret == 1
    props = properties(suite)
    assert props["readiness.decision"] == "NO-GO"
    assert props["readiness.score"] == "50"
    assert props["readiness.profile"] == "prod"
    assert props["readiness.scope"] == "full, 4 items"
    assert props["readiness.item.SEC-1"] == "critical|security|5|failed"
    assert props["readiness.item.DB-1"] == "important|database|3|passed"
    assert props["readiness.evidence.SEC-1"] == "days_left: -3 (expected >= 30)"
    zone = "readiness.item.test_checks.py::TestOps::test_zone[b::c]"
    assert props[zone] == "nice_to_have|ops|1|passed"
    failure = decision_case(suite).find("failure")
    assert failure is not None
    assert failure.get("message") == "NO-GO - score 50/100 - scope: full, 4 items - exit status 1"
    assert "critical SEC-1 failed" in (failure.text or "")
    assert "remediation: rotate it" in (failure.text or "")
    assert len(suite.findall("testcase")) == 5


@FAMILIES
@DIST
def test_testcase_properties_only_where_the_family_allows_them(
    project: pytest.Pytester, family: str, dist: list[str]
) -> None:
    project.makepyfile(test_checks=CHECKS)
    _, suite = run_junit(project, family, *dist)
    case = suite.find("testcase[@name='test_zone[b::c]']")
    assert case is not None
    props = [(p.get("name"), p.get("value")) for p in case.iter("property")]
    if family == "xunit2":
        assert props == []
    else:
        assert props == [
            ("readiness.id", "test_checks.py::TestOps::test_zone[b::c]"),
            ("readiness.severity", "nice_to_have"),
            ("readiness.section", "ops"),
            ("readiness.weight", "1"),
            ("readiness.outcome", "passed"),
        ]


@DIST
def test_go_decision_testcase_passes(project: pytest.Pytester, dist: list[str]) -> None:
    project.makepyfile(test_ok="import pytest\n\n@pytest.mark.critical\ndef test_ok():\n    pass\n")
    result, suite = run_junit(project, "xunit2", *dist)
    assert result.ret == 0
    case = decision_case(suite)
    assert case.find("failure") is None
    assert "readiness decision: GO" in (case.findtext("system-out") or "")
    assert suite.get("failures") == "0"


DELAY = "import pytest\n\n@pytest.mark.important\ndef test_a():\n    assert False\n"


@pytest.mark.parametrize(
    ("policy", "fails"), [("", True), ("policy: {delay_exit_zero: true}\n", False)],
    ids=["delay fails", "delay_exit_zero passes"],
)  # fmt: skip
def test_delay_follows_the_exit_policy(pytester: pytest.Pytester, policy: str, fails: bool) -> None:
    pytester.makefile(".yaml", readiness=policy + "profiles:\n  prod: {}\n")
    pytester.makepyfile(
        test_ok="import pytest\n\n@pytest.mark.critical\ndef test_ok():\n    pass\n"
    )
    pytester.makepyfile(test_delay=DELAY)
    result, suite = run_junit(pytester, "xunit2")
    assert properties(suite)["readiness.decision"] == "DELAY"
    assert (decision_case(suite).find("failure") is not None) is fails
    assert (result.ret != 0) is fails


@FAMILIES
def test_interrupted_run_is_incomplete_and_still_valid(
    project: pytest.Pytester, family: str
) -> None:
    project.makepyfile(test_checks=CHECKS)
    result, suite = run_junit(project, family, "-x")
    assert result.ret != 0
    assert properties(suite)["readiness.decision"] == "INCOMPLETE"
    failure = decision_case(suite).find("failure")
    assert failure is not None
    assert failure.get("type") == "INCOMPLETE"


def test_junit_prefix_still_maps_testcases(project: pytest.Pytester) -> None:
    project.makepyfile(test_checks=CHECKS)
    _, suite = run_junit(project, "xunit1", "--junit-prefix=pre")
    case = suite.find("testcase[@classname='pre.test_checks'][@name='test_token']")
    assert case is not None
    assert ("readiness.id", "SEC-1") in [
        (p.get("name"), p.get("value")) for p in case.iter("property")
    ]


def test_without_readiness_the_file_is_pytests_own(project: pytest.Pytester) -> None:
    project.makepyfile(test_checks=CHECKS)
    xml = project.path / "junit.xml"
    project.runpytest(f"--junitxml={xml}", "-p", "no:cacheprovider")
    text = Path(xml).read_text(encoding="utf-8")
    assert "<property" not in text
    assert 'classname="readiness"' not in text
    junit_schema.validate(xml, "xunit2")


# Every outcome a readiness item can have, and pytest's own names for odd node ids: a class
# inside a class, a module in a directory, parametrize ids with ".", "/", "[" and "::".
EVERY_OUTCOME = """
import pytest

@pytest.mark.critical(id="OK-1")
def test_ok():
    pass

@pytest.mark.important(id="DB-1")
def test_db():
    assert False, "replication lag 40 s"

@pytest.mark.critical(id="PG-1")
def test_pg(pg_conn):
    pass

@pytest.mark.critical(id="REDIS-1")
def test_redis():
    pytest.skip("N/A: no redis target in this profile")

@pytest.mark.critical(id="REPLICA-1")
@pytest.mark.xfail(reason="replica not built yet")
def test_replica():
    assert False

@pytest.mark.critical(id="SEC-1")
def test_pentest():
    assert False, "no pen-test report"

@pytest.mark.critical(id="ONCALL-1", manual=True)
def test_oncall():
    pass

@pytest.mark.important(id="SIGNOFF-1", manual=True)
def test_signoff():
    pass

@pytest.mark.critical(id="BACKUP-1")
def test_backup():
    pytest.skip("backup bucket not configured")

@pytest.fixture
def tls_endpoint():
    pytest.skip("no TLS endpoint yet")

@pytest.mark.critical(id="TLS-1")
def test_tls(tls_endpoint):
    pass

class TestOps:
    class TestZones:
        @pytest.mark.nice_to_have(section="ops")
        @pytest.mark.parametrize("zone", ["a.b", "c/d", "e[f", "g::h"])
        def test_zone(self, zone):
            pass
"""
MODULE = "checks.test_every_outcome"
ZONES = "checks/test_every_outcome.py::TestOps::TestZones::test_zone"
# (classname, name) as pytest names each testcase, and the readiness outcome of its item.
EXPECTED = {
    (MODULE, "test_ok"): ("OK-1", "passed"),
    (MODULE, "test_db"): ("DB-1", "failed"),
    (MODULE, "test_pg[orders]"): ("PG-1[orders]", "error"),  # one item per target
    (MODULE, "test_redis"): ("REDIS-1", "skipped"),
    (MODULE, "test_replica"): ("REPLICA-1", "failed"),
    (MODULE, "test_pentest"): ("SEC-1", "waived"),
    (MODULE, "test_oncall"): ("ONCALL-1", "attested"),
    (MODULE, "test_signoff"): ("SIGNOFF-1", "pending"),
    (MODULE, "test_backup"): ("BACKUP-1", "error"),  # not evaluated: skipped in the test
    (MODULE, "test_tls"): ("TLS-1", "error"),  # not evaluated: skipped by its fixture
    **{
        (f"{MODULE}.TestOps.TestZones", f"test_zone[{zone}]"): (f"{ZONES}[{zone}]", "passed")
        for zone in ("a.b", "c/d", "e[f", "g::h")
    },
}


WAIVED_UNTIL = (date.today() + timedelta(days=30)).isoformat()
# The testcase status every CI consumer must show for each readiness outcome, and how its
# message starts: what blocks leads with severity and id, a waiver with who, until and why.
STATUS_OF = {"passed": "passed", "attested": "passed", "skipped": "skipped", "waived": "skipped",
             "failed": "failure", "pending": "failure", "error": "error"}  # fmt: skip
NOT_EVALUATED = ("BACKUP-1", "TLS-1")  # outcome error, shown as a failure of the test


@pytest.fixture
def every_outcome(pytester: pytest.Pytester) -> Iterator[pytest.Pytester]:
    """A project whose items end in every outcome; PG-1's target refuses connections."""
    attested_on = (date.today() - timedelta(days=3)).isoformat()
    with refusing_port() as port:
        pytester.makefile(
            ".yaml",
            readiness=f"""
            profiles:
              prod:
                timeout: 1
                checks: []
                postgres:
                  - {{name: orders, dsn: 'postgresql://app@127.0.0.1:{port}/orders'}}
                waivers:
                  - {{id: SEC-1, reason: pen-test booked, by: alice, until: {WAIVED_UNTIL}}}
                attestations:
                  - {{id: ONCALL-1, by: bob, date: {attested_on}, valid_days: 30}}
            """,
        )
        (pytester.path / "checks").mkdir()
        (pytester.path / "checks" / "test_every_outcome.py").write_text(EVERY_OUTCOME)
        yield pytester


@FAMILIES
@DIST
def test_every_outcome_is_valid_and_read_alike_by_ci_consumers(
    every_outcome: pytest.Pytester, family: str, dist: list[str]
) -> None:
    result, suite = run_junit(every_outcome, family, *dist)
    xml = every_outcome.path / "junit.xml"
    assert result.ret == 1
    seen = result.parseoutcomes()
    assert {k: v for k, v in seen.items() if k not in ("warnings", "warning")} == {
        "passed": 6, "failed": 5, "errors": 1, "skipped": 2,
    }  # fmt: skip
    # junitparser: pytest's summary plus the decision testcase, which fails on NO-GO.
    declared, found = junit_consumers.junitparser_counts(xml)
    expected = Counts(
        tests=sum(seen.get(k, 0) for k in ("passed", "failed", "errors", "skipped")) + 1,
        failures=seen["failed"] + 1,
        errors=seen["errors"],
        skipped=seen["skipped"],
    )
    assert declared == found == expected
    html = junit_consumers.junit2html_render(xml)
    assert "NO-GO - score" in html  # the decision testcase's failure message
    assert "test_zone[g::h]" in html
    # The readiness outcome of every item, where each family carries it.
    props = properties(suite)
    assert props["readiness.decision"] == "NO-GO"
    for item_id, outcome in EXPECTED.values():
        assert props[f"readiness.item.{item_id}"].endswith(f"|{outcome}"), item_id
    cases = {
        (c.get("classname"), c.get("name")): c
        for c in suite.findall("testcase")
        if c.get("classname") != "readiness"
    }
    assert set(cases) == set(EXPECTED)
    for key, (item_id, outcome) in EXPECTED.items():
        case_props = {p.get("name"): p.get("value") for p in cases[key].iter("property")}
        if family == "xunit2":
            assert case_props == {}
        else:
            assert case_props["readiness.id"] == item_id, key
            assert case_props["readiness.outcome"] == outcome, key
    assert "readiness.nodeid" not in xml.read_text(encoding="utf-8")


@FAMILIES
@DIST
def test_every_testcase_status_is_its_readiness_outcome(
    every_outcome: pytest.Pytester, family: str, dist: list[str]
) -> None:
    """What CI dashboards read (junitparser's testcase status and message, the terminal's
    short summary) says what the decision says: nothing blocking shows as passed or skipped,
    nothing met shows as failed."""
    result, suite = run_junit(every_outcome, family, "-rA", *dist)
    statuses = junit_consumers.junitparser_statuses(every_outcome.path / "junit.xml")
    assert statuses.pop(("readiness", "decision"))[0] == "failure"
    assert set(statuses) == set(EXPECTED)
    for key, (item_id, outcome) in EXPECTED.items():
        status, message = statuses[key]
        wanted = "failure" if item_id in NOT_EVALUATED else STATUS_OF[outcome]
        assert status == wanted, (key, outcome, message)
        severity = "important" if item_id in ("DB-1", "SIGNOFF-1") else "critical"
        if status == "failure":
            assert message.startswith(f"{severity} {item_id}: "), message
        elif status == "error":  # junitxml: failed on setup with "<message>"
            assert f'"{severity} {item_id}: ' in message, message
    assert statuses[MODULE, "test_pentest"][1] == (
        f"waived by alice until {WAIVED_UNTIL}: pen-test booked"
    )
    assert "human item: no attestation" in statuses[MODULE, "test_signoff"][1]
    assert "not evaluated: skipped (no TLS endpoint yet)" in statuses[MODULE, "test_tls"][1]
    assert "expected to fail (xfail)" in statuses[MODULE, "test_replica"][1]
    where = "checks/test_every_outcome.py"  # the short summary is cut at the terminal width
    result.stdout.fnmatch_lines_random(
        [
            f"FAILED {where}::test_signoff - important SIGNOFF-1: *",
            f"FAILED {where}::test_backup - critical BACKUP-1: *",
            f"FAILED {where}::test_replica - critical REPLICA-1: *",
            f"FAILED {where}::test_db - important DB-1: *",
            f"ERROR {where}::test_pg[[]orders[]] - critical PG-1[[]orders[]]: *",
            f"SKIPPED [[]1[]] {where}:*: waived by alice until {WAIVED_UNTIL}: pen-test booked",
            f"PASSED {where}::test_oncall",
        ]
    )
    assert "XFAIL" not in result.stdout.str()
    # xunit1: file and line on every testcase (annotation actions), the decision's pointing at
    # the profile in the readiness config; xunit2's schema has neither.
    for case in suite.iter("testcase"):
        assert (case.get("file") is not None) == (family == "xunit1"), case.attrib
        assert (case.get("line") is not None) == (family == "xunit1"), case.attrib
    if family == "xunit1":
        decision = decision_case(suite)
        config = (every_outcome.path / "readiness.yaml").read_text().splitlines()
        assert decision.get("file") == "readiness.yaml"
        assert config[int(decision.get("line", "-1"))].strip() == "prod:"


FAILS_TWICE = """
import pytest

@pytest.fixture
def cleanup():
    yield
    raise RuntimeError("cleanup failed")

@pytest.mark.critical(id="TWICE-1")
def test_twice(cleanup):
    assert False, "call failed"
"""


@DIST
def test_call_failure_and_teardown_error_both_carry_the_item(
    project: pytest.Pytester, dist: list[str]
) -> None:
    """junitxml writes two testcases for one item here, the first finished only when the
    teardown report arrives: both must carry the item's properties."""
    project.makepyfile(test_twice=FAILS_TWICE)
    result, suite = run_junit(project, "xunit1", *dist)
    assert result.parseoutcomes() == {"failed": 1, "errors": 1}
    cases = suite.findall("testcase[@name='test_twice']")
    assert [c[-1].tag for c in cases] == ["failure", "error"]
    for case in cases:
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        assert props["readiness.id"] == "TWICE-1"
        assert props["readiness.outcome"] == "failed"
