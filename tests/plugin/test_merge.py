"""pytest-readiness merge over results of real runs: shards, clusters, every report."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.cli import main
from tests.golden import junit_schema
from tests.plugin.test_shards import SHARDS, make_suite, nodeids, run_shard
from tests.plugin.test_xdist import validate_result

REPO = Path(__file__).resolve().parents[2]
UNTIL = (date.today() + timedelta(days=30)).isoformat()  # within policy.max_waiver_days

TWO_CLUSTERS = """
policy:
  important_min_percent: 60
profiles:
  prod: {}
  eu:
    extends: prod
  us:
    extends: prod
"""


def merge(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    capsys.readouterr()
    assert Path.cwd() == project.path  # pytester runs each test in its directory
    status = main(["merge", *args])
    out, err = capsys.readouterr()
    return status, out, err


def shards(project: pytest.Pytester, *args: str) -> list[str]:
    for index in range(SHARDS):
        run_shard(project, f"s{index}", f"--readiness-shard={index}/{SHARDS}", *args)
    return [f"s{index}.json" for index in range(SHARDS)]


def outcomes(data: dict[str, Any]) -> dict[str, str]:
    return {item["id"]: item["outcome"] for item in data["items"]}


@pytest.mark.parametrize("dist", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_three_shards_merged_decide_like_the_unsharded_run(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str], dist: list[str]
) -> None:
    make_suite(project)
    whole_run, whole = run_shard(project, "whole", *dist)
    parts = shards(project, *dist)
    status, out, err = merge(project, capsys, *parts, "--json", "merged.json")
    merged = json.loads((project.path / "merged.json").read_text())
    validate_result(merged)
    assert (
        (merged["decision"], merged["score"])
        == (whole["decision"], whole["score"])
        == ("DELAY", 91)
    )
    assert nodeids(merged) == nodeids(whole)  # the suite's collection order, not the shards'
    assert outcomes(merged) == outcomes(whole)
    assert merged["totals"] == whole["totals"]
    assert merged["scope"]["description"] == whole["scope"]["description"] == "full, 12 items"
    assert status == whole_run.ret == merged["exit_status"] == 1
    assert "readiness decision: DELAY - score 91/100 - scope: full, 12 items" in out
    assert err == ""


def test_a_missing_shard_makes_the_merge_incomplete_and_is_named(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    make_suite(project)
    project.makepyfile(test_ops="")  # only passing items: the shards alone would say GO
    parts = shards(project)
    status, out, _ = merge(project, capsys, parts[0], parts[2], "--json", "merged.json")
    merged = json.loads((project.path / "merged.json").read_text())
    assert merged["decision"] == "INCOMPLETE"
    assert merged["reasons"][0] == "prod: shard 1/3 missing (no result)"
    assert status == 1
    assert "readiness decision: INCOMPLETE" in out


def test_a_shard_that_disagrees_with_another_run_of_it_makes_the_merge_incomplete(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    make_suite(project)
    parts = shards(project)
    rerun = json.loads((project.path / parts[0]).read_text())
    flipped = rerun["items"][0]
    flipped.update(outcome="failed", met=False, raw_outcome="failed", message="flaky")
    (project.path / "s0-rerun.json").write_text(json.dumps(rerun))
    status, _, _ = merge(project, capsys, *parts, "s0-rerun.json", "--json", "merged.json")
    merged = json.loads((project.path / "merged.json").read_text())
    assert merged["decision"] == "INCOMPLETE"
    assert merged["reasons"][0].startswith(
        f"conflict in prod: {flipped['id']} is passed in prod shard 0/3"
    )
    assert outcomes(merged)[flipped["id"]] == "failed"  # fail closed: the one not met is kept
    assert status == 1


def test_shards_decided_under_different_policies_make_the_merge_incomplete(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    make_suite(project)
    project.makepyfile(test_ops="")
    parts = shards(project)
    project.makefile(
        ".yaml", readiness="policy: {important_min_percent: 50}\nprofiles:\n  prod: {}\n"
    )
    run_shard(project, "s1", "--readiness-shard=1/3")
    status, _, _ = merge(project, capsys, *parts, "--json", "merged.json")
    merged = json.loads((project.path / "merged.json").read_text())
    assert merged["decision"] == "INCOMPLETE"
    assert merged["reasons"][0].startswith("the results were decided under different policies: ")
    assert status == 1


def test_two_clusters_are_kept_apart_and_the_worse_one_decides(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makefile(".yaml", readiness=TWO_CLUSTERS)
    project.makepyfile(
        test_cluster="""
        import os, pytest

        @pytest.mark.critical(id="NODES", section="Cluster")
        def test_nodes():
            assert os.environ.get("BROKEN") != "nodes", "2 nodes NotReady"
        """
    )
    for cluster in ("eu", "us"):
        if cluster == "us":
            monkeypatch.setenv("BROKEN", "nodes")
        project.runpytest(
            f"--readiness={cluster}", f"--readiness-json={cluster}.json", "-p", "no:cacheprovider"
        )
    status, out, _ = merge(project, capsys, "eu.json", "us.json", "--json", "merged.json")
    merged = json.loads((project.path / "merged.json").read_text())
    assert outcomes(merged) == {"eu:NODES": "passed", "us:NODES": "failed"}
    assert [row["section"] for row in merged["sections"]] == ["Cluster [eu]", "Cluster [us]"]
    assert merged["profile"] == "eu + us"
    assert merged["decision"] == "NO-GO"
    assert merged["reasons"] == ["critical us:NODES failed"]
    assert status == 1
    assert "readiness [eu + us]" in out


def test_labels_on_the_command_line_keep_two_results_of_one_profile_apart(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    make_suite(project)
    run_shard(project, "a")
    run_shard(project, "b")
    status, _, _ = merge(project, capsys, "berlin=a.json", "paris=b.json", "--json", "merged.json")
    merged = json.loads((project.path / "merged.json").read_text())
    assert len(merged["items"]) == 24
    assert {i["id"].split(":", 1)[0] for i in merged["items"]} == {"berlin", "paris"}
    assert merged["decision"] == "DELAY"
    assert status == 1


def test_every_report_is_rendered_from_the_merged_result(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    make_suite(project)
    parts = shards(project)
    status, _, _ = merge(
        project, capsys, *parts, "--json", "m.json", "--junitxml", "m.xml", "--html", "m.html",
        "--md", "m.md",
    )  # fmt: skip
    assert status == 1
    junit_schema.validate(project.path / "m.xml", "xunit2")
    root = ET.parse(project.path / "m.xml").getroot()
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["readiness.decision"] == "DELAY"
    assert props["readiness.item.OPS-1[disk]"] == "important|Ops|3|failed"
    decision = [c for c in root.iter("testcase") if c.get("classname") == "readiness"]
    assert decision
    assert decision[0].find("failure") is not None
    failures = [c for c in root.iter("testcase") if c.find("failure") is not None]
    assert {c.get("name") for c in failures} == {"test_alerts[disk]", "decision"}
    assert root.find("testsuite").get("tests") == "13"  # type: ignore[union-attr]
    assert "DELAY" in (project.path / "m.html").read_text(encoding="utf-8")
    assert "DELAY" in (project.path / "m.md").read_text(encoding="utf-8")
    baseline = project.runpytest(
        "--readiness=prod", "--readiness-baseline=m.json", "-p", "no:cacheprovider"
    )
    baseline.stdout.fnmatch_lines(["*since m.json (DELAY, 91/100)*"])


def test_a_result_that_decided_worse_than_its_items_show_passes_that_on(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    """A collection error (the other modules ran anyway) leaves no failed item behind; the
    shard's INCOMPLETE must not turn into GO."""
    make_suite(project)
    project.makepyfile(test_ops="")
    parts = shards(project)
    project.makepyfile(test_broken="import not_a_module_anywhere")
    run_shard(project, "s2", "--readiness-shard=2/3", "--continue-on-collection-errors")
    # only the suite differs now: keep it out of this test by restoring the suite list
    first = json.loads((project.path / parts[0]).read_text())
    broken = json.loads((project.path / "s2.json").read_text())
    assert broken["decision"] == "INCOMPLETE"
    broken["scope"]["shard"]["suite"] = first["scope"]["shard"]["suite"]
    (project.path / "s2.json").write_text(json.dumps(broken))
    status, _, _ = merge(project, capsys, *parts, "--json", "merged.json")
    merged = json.loads((project.path / "merged.json").read_text())
    assert merged["decision"] == "INCOMPLETE"
    assert merged["reasons"][0].startswith("prod shard 2/3 (s2.json) decided INCOMPLETE: ")
    assert "error(s) during collection" in merged["reasons"][0]
    assert status == 1


def test_the_profile_given_to_the_merge_decides_with_its_waivers(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    make_suite(project)
    parts = shards(project)
    project.makefile(
        ".yaml",
        readiness="""
        profiles:
          prod:
            waivers:
              - {id: "OPS-1[disk]", reason: "disk alert ships next week", by: ops, until: UNTIL}
        """.replace("UNTIL", UNTIL),
    )
    status, _, _ = merge(
        project, capsys, *parts, "--readiness-config", "readiness.yaml", "--readiness", "prod",
        "--json", "merged.json",
    )  # fmt: skip
    merged = json.loads((project.path / "merged.json").read_text())
    item = next(i for i in merged["items"] if i["id"] == "OPS-1[disk]")
    assert item["outcome"] == "waived"
    assert (
        item["message"]
        == f"waived until {UNTIL} by ops: disk alert ships next week (failure: no disk alert)"
    )
    assert merged["decision"] == "GO"
    assert status == 0


def test_waivers_the_shards_applied_still_apply_without_a_profile(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    make_suite(project)
    project.makefile(
        ".yaml",
        readiness="""
        profiles:
          prod:
            waivers:
              - {id: "OPS-1[disk]", reason: "next week", by: ops, until: UNTIL}
        """.replace("UNTIL", UNTIL),
    )
    parts = shards(project)
    status, _, _ = merge(project, capsys, *parts, "--json", "merged.json")
    merged = json.loads((project.path / "merged.json").read_text())
    item = next(i for i in merged["items"] if i["id"] == "OPS-1[disk]")
    assert (item["outcome"], merged["decision"], status) == ("waived", "GO", 0)
    assert item["message"].count("waived until") == 1  # decided again, not wrapped twice


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("not json {", "the result is not JSON"),
        ('{"schema_version": 2}', "schema_version: expected 1, got 2"),
        ('{"schema_version": 1}', "s.json: "),
        (None, "result file not found"),
    ],
)
def test_bad_input_is_exit_4_with_one_line(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str], content: str | None, says: str
) -> None:
    if content is not None:
        (project.path / "s.json").write_text(content)
    status, out, err = merge(project, capsys, "s.json", "--json", "merged.json")
    assert status == 4
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert says in err
    assert not (project.path / "merged.json").exists()


def test_a_report_that_cannot_be_written_is_exit_4_and_the_others_say_so(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    make_suite(project)
    project.makepyfile(test_ops="")
    parts = shards(project)
    (project.path / "blocker").write_text("a file where the report's directory should be")
    status, _, err = merge(project, capsys, *parts, "--json", "m.json", "--md", "blocker/m.md")
    assert status == 4
    assert json.loads((project.path / "m.json").read_text())["exit_status"] == 4
    assert "cannot write blocker/m.md" in err


def test_a_report_may_not_overwrite_an_input(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    make_suite(project)
    parts = shards(project)
    before = (project.path / parts[0]).read_text()
    status, _, err = merge(project, capsys, *parts, "--json", parts[0])
    assert status == 4
    assert "is both an input and a report" in err
    assert (project.path / parts[0]).read_text() == before


def test_the_console_script_runs_the_merge(project: pytest.Pytester) -> None:
    make_suite(project)
    project.makepyfile(test_ops="")
    parts = shards(project)
    done = subprocess.run(
        [sys.executable, "-m", "pytest_readiness.cli", "merge", *parts, "-q"],
        cwd=project.path, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "readiness decision: GO - score 100/100 - scope: full, 7 items" in done.stdout
    scripts = (REPO / "pyproject.toml").read_text()
    assert 'pytest-readiness = "pytest_readiness.cli:main"' in scripts


def doc_commands() -> list[list[str]]:
    """The ``pytest-readiness merge`` commands of docs/in-cluster.md, as argument lists."""
    text = (REPO / "docs" / "in-cluster.md").read_text().replace("\\\n", " ")
    return [
        shlex.split(line)[1:]
        for line in text.splitlines()
        if line.startswith("pytest-readiness merge ")
    ]


def test_the_merge_commands_of_the_docs_run(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shard_command, cluster_command = doc_commands()
    make_suite(project)
    (project.path / "reports").mkdir()
    for index in range(SHARDS):
        out = f"reports/shard-{index}.json"
        project.runpytest("--readiness=prod", f"--readiness-shard={index}/{SHARDS}",
                          f"--readiness-json={out}", "-p", "no:cacheprovider")  # fmt: skip
    status, out, _ = merge(project, capsys, *shard_command[1:])
    assert status == 1
    assert "readiness decision: DELAY - score 91/100 - scope: full, 12 items" in out
    for report in ("merged.json", "merged.xml", "merged.html", "merged.md"):
        assert (project.path / report).stat().st_size > 0
    project.makefile(".yaml", readiness=TWO_CLUSTERS)
    for cluster in ("eu", "us"):
        project.runpytest(f"--readiness={cluster}", f"--readiness-json={cluster}.json",
                          "-p", "no:cacheprovider")  # fmt: skip
    status, out, _ = merge(project, capsys, *cluster_command[1:])
    assert status == 0  # the profile's 60% bar: 7 of 8 important items met
    assert "readiness decision: GO" in out
