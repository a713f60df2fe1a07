"""Waivers people can audit: required fields, a maximum term, expired and unmatched ones in every
report, strict mode, a central file shared by profiles, and waivers limited to one object."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from typing import Any

import pytest
import yaml

from tests.plugin.conftest import DIST
from tests.plugin.test_k8s_checks_waivers import DEPLOYMENT

SOON = (date.today() + timedelta(days=10)).isoformat()
LATER = (date.today() + timedelta(days=60)).isoformat()
PAST = (date.today() - timedelta(days=3)).isoformat()

CHECKS = """
import pytest

@pytest.mark.critical(id="SEC-1")
def test_pentest():
    assert False, "no pen-test report"

@pytest.mark.important(id="DB-1")
def test_db():
    assert False, "replication lag 40 s"

@pytest.mark.important(id="OPS-1")
def test_ops():
    assert False, "no runbook"
"""


def profile(waivers: str, policy: str = "") -> str:
    return f"""
{policy}
profiles:
  prod:
    checks: []
    waivers: {waivers}
"""


def run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, Any]]:
    out = pytester.path / "r.json"
    out.unlink(missing_ok=True)
    result = pytester.runpytest(
        "--readiness=prod", f"--readiness-json={out}", "-p", "no:cacheprovider", *args
    )
    return result, json.loads(out.read_text()) if out.exists() else {}


@pytest.mark.parametrize("missing", ["reason", "by", "until"])
def test_a_waiver_without_reason_by_or_until_stops_the_run_naming_it(
    pytester: pytest.Pytester, missing: str
) -> None:
    entry = {"id": "SEC-1", "reason": "booked", "by": "alice", "until": SOON}
    del entry[missing]
    pytester.makefile(".yaml", readiness=profile(json.dumps([entry])))
    pytester.makepyfile(test_checks=CHECKS)
    result, _ = run(pytester)
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        [f"ERROR: *readiness.yaml: profiles.prod.waivers[[]0[]].{missing}: waiver 'SEC-1': *"]
    )


def test_a_waiver_beyond_the_policy_maximum_stops_the_run(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        readiness=profile(
            f"[{{id: SEC-1, reason: r, by: alice, until: {LATER}}}]",
            "policy: {max_waiver_days: 30}",
        ),
    )
    pytester.makepyfile(test_checks=CHECKS)
    result, _ = run(pytester)
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*waiver 'SEC-1': * is more than 30 days ahead*"])


def test_the_default_maximum_is_ninety_days(pytester: pytest.Pytester) -> None:
    far = (date.today() + timedelta(days=91)).isoformat()
    pytester.makefile(
        ".yaml", readiness=profile(f"[{{id: SEC-1, reason: r, by: a, until: {far}}}]")
    )
    pytester.makepyfile(test_checks=CHECKS)
    result, _ = run(pytester)
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*is more than 90 days ahead*max_waiver_days*"])


AUDITED = f"""[
      {{id: SEC-1, reason: pen-test booked, by: alice, until: {SOON}}},
      {{id: DB-1, reason: replica rebuild, by: bob, until: {LATER}}},
      {{id: OPS-1, reason: old, by: carol, until: {PAST}}},
      {{id: TYPO-9, reason: renamed check, by: dan, until: {LATER}}}
    ]"""


@DIST
def test_every_report_lists_each_waiver_with_its_state(
    pytester: pytest.Pytester, dist: list[str]
) -> None:
    pytester.makefile(".yaml", readiness=profile(AUDITED))
    pytester.makepyfile(test_checks=CHECKS)
    md, xml = pytester.path / "r.md", pytester.path / "junit.xml"
    result, data = run(pytester, f"--readiness-md={md}", f"--junitxml={xml}", *dist)
    by_id = {w["id"]: w for w in data["waivers"]}
    assert {i: (w["health"], w["covered_count"]) for i, w in by_id.items()} == {
        "SEC-1": ("expiring", 1),
        "DB-1": ("active", 1),
        "OPS-1": ("expired", 0),
        "TYPO-9": ("unmatched", 0),
    }
    assert by_id["SEC-1"]["days_left"] == 10
    assert by_id["SEC-1"]["scope"] == "item"
    assert by_id["OPS-1"]["days_left"] == -3
    outcomes = {i["id"]: i["outcome"] for i in data["items"]}
    assert outcomes == {
        "SEC-1": "waived",
        "DB-1": "waived",
        "OPS-1": "failed",
    }  # expired: not applied
    result.stdout.fnmatch_lines_random(
        [
            f"expiring  SEC-1 [[]item[]] until {SOON} (10 days left), covers 1 (SEC-1), by alice: *",
            f"active    DB-1 [[]item[]] until {LATER} (60 days left), covers 1 (DB-1), by bob: *",
            f"expired   OPS-1 [[]item[]] until {PAST} (3 days ago), covers 0, by carol: old - expired*",
            "unmatched TYPO-9 *covers 0, by dan: renamed check - matched no item of this run*",
        ]
    )
    text = md.read_text(encoding="utf-8")
    assert f"| TYPO-9 | item | unmatched | {LATER} | 60 | 0 | dan | renamed check |" in text
    assert f"| SEC-1 | item | expiring | {SOON} | 10 | 1: SEC-1 | alice | pen-test booked |" in text
    suite = ET.parse(xml).getroot().find("testsuite")
    assert suite is not None
    props = {p.get("name", ""): p.get("value", "") for p in suite.iter("property")}
    waivers = [v for k, v in props.items() if k.startswith("readiness.waiver.")]
    assert f"TYPO-9|item|unmatched|{LATER}|60|0|dan|renamed check" in waivers
    assert f"OPS-1|item|expired|{PAST}|-3|0|carol|old" in waivers


def test_quiet_runs_still_show_the_waivers_to_act_on(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", readiness=profile(AUDITED))
    pytester.makepyfile(test_checks=CHECKS)
    result, _ = run(pytester, "-q")
    text = result.stdout.str()
    assert "unmatched TYPO-9" in text
    assert "expired   OPS-1" in text
    assert "active    DB-1" not in text


@DIST
def test_strict_waivers_stop_on_an_unmatched_waiver_before_the_run(
    pytester: pytest.Pytester, dist: list[str]
) -> None:
    pytester.makefile(
        ".yaml",
        readiness=profile(
            f"[{{id: TYPO-9, reason: r, by: dan, until: {LATER}}}]",
            "policy: {strict_waivers: true}",
        ),
    )
    pytester.makepyfile(test_checks=CHECKS + "\n\ndef test_marker():\n    open('ran', 'w')\n")
    result, _ = run(pytester, *dist)
    assert result.ret == 4
    assert (
        "waivers matching no collected item: 'TYPO-9'" in result.stdout.str() + result.stderr.str()
    )
    assert not (pytester.path / "ran").exists()


def test_strict_waivers_stop_on_an_expired_waiver(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        readiness=profile(
            f"[{{id: OPS-1, reason: old, by: carol, until: {PAST}}}]",
            "policy: {strict_waivers: true}",
        ),
    )
    pytester.makepyfile(test_checks=CHECKS)
    result, _ = run(pytester)
    assert result.ret == 4
    result.stderr.fnmatch_lines([f"*waivers[[]0[]].until: waiver 'OPS-1': expired on {PAST}*"])


def test_a_central_waivers_file_is_shared_by_profiles(pytester: pytest.Pytester) -> None:
    (pytester.path / "ops").mkdir()
    (pytester.path / "ops" / "waivers.yaml").write_text(
        f"waivers:\n  - {{id: SEC-1, reason: pen-test booked, by: alice, until: {SOON}}}\n"
    )
    pytester.makefile(
        ".yaml",
        readiness=f"""
profiles:
  base:
    checks: []
    waivers: ops/waivers.yaml
  prod:
    extends: base
  staging:
    extends: base
    waivers: [ops/waivers.yaml, {{id: DB-1, reason: rebuild, by: bob, until: {SOON}}}]
""",
    )
    pytester.makepyfile(test_checks=CHECKS)
    _, data = run(pytester)
    assert [(w["id"], w["source"].endswith("waivers.yaml")) for w in data["waivers"]] == [
        ("SEC-1", True)
    ]
    out = pytester.path / "s.json"
    pytester.runpytest("--readiness=staging", f"--readiness-json={out}", "-p", "no:cacheprovider")
    staging = json.loads(out.read_text())
    assert [w["id"] for w in staging["waivers"]] == ["SEC-1", "DB-1"]
    assert {i["id"]: i["outcome"] for i in staging["items"]}["DB-1"] == "waived"


def test_a_bad_entry_in_the_central_file_names_the_file_and_the_waiver(
    pytester: pytest.Pytester,
) -> None:
    (pytester.path / "waivers.yaml").write_text("waivers:\n  - {id: SEC-1, reason: r, by: a}\n")
    pytester.makefile(".yaml", readiness=profile("waivers.yaml"))
    pytester.makepyfile(test_checks=CHECKS)
    result, _ = run(pytester)
    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: *waivers.yaml: waivers[[]0[]].until: waiver 'SEC-1': *"])


# -- object scope: the Kubernetes checks honour profile waivers per object and container ------


def k8s_run(pytester: pytest.Pytester, waivers: str) -> dict[str, Any]:
    deployment = json.loads(json.dumps(DEPLOYMENT))
    (pytester.path / "app.yaml").write_text(yaml.safe_dump(deployment))
    pytester.makefile(
        ".yaml",
        readiness=f"""
        profiles:
          ci:
            checks: [K8S-SEC-RO-ROOTFS]
            kubernetes:
              - {{name: app, manifests: ["{pytester.path / "app.yaml"}"]}}
            waivers: {waivers}
        """,
    )
    out = pytester.path / "r.json"
    pytester.runpytest("--readiness=ci", f"--readiness-json={out}", "-p", "no:cacheprovider")
    return dict(json.loads(out.read_text()))


def test_an_object_and_container_waiver_from_the_profile_covers_that_container(
    pytester: pytest.Pytester,
) -> None:
    data = k8s_run(
        pytester,
        f"[{{id: K8S-SEC-RO-ROOTFS, object: shop/Deployment/api, container: sidecar, "
        f"reason: vendor image writes /tmp, by: alice, until: {SOON}}}]",
    )
    (item,) = data["items"]
    assert item["outcome"] == "passed"  # the only finding was waived; the item itself was not
    waived = [r["details"] for r in item["evidence"] if "waived" in (r.get("details") or {})]
    assert [(d["container"], d["profile_waiver"]) for d in waived] == [
        ("sidecar", "shop/Deployment/api/container:sidecar")
    ]
    (waiver,) = data["waivers"]
    assert waiver["scope"] == "shop/Deployment/api/container:sidecar"
    assert waiver["health"] == "expiring"
    assert waiver["covered"] == [f"{item['id']}: shop/Deployment/api/container:sidecar"]


def test_an_object_waiver_for_an_object_that_is_gone_is_unmatched(
    pytester: pytest.Pytester,
) -> None:
    data = k8s_run(
        pytester,
        f"[{{id: K8S-SEC-RO-ROOTFS, object: shop/Deployment/old-api, reason: r, by: a, "
        f"until: {SOON}}}]",
    )
    (item,) = data["items"]
    assert item["outcome"] == "failed"
    (waiver,) = data["waivers"]
    assert (waiver["health"], waiver["covered_count"]) == ("unmatched", 0)
    assert "object" in waiver["note"]
