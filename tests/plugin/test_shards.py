"""--readiness-shard: real runs split one suite into parts that cover it exactly once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_readiness.shards import shard_of
from tests.plugin.conftest import DIST
from tests.plugin.test_xdist import validate_result

#: 2 critical, 8 important (one fails), 2 nice-to-have items in two modules.
SUITE_DB = """
import pytest

@pytest.mark.critical(id="DB-1", section="Data")
def test_db_up():
    pass

@pytest.mark.critical(id="DB-2", section="Data")
def test_db_backups():
    pass

@pytest.mark.important(id="DB-3", section="Data")
@pytest.mark.parametrize("replica", range(5))
def test_db_replicas(replica):
    pass
"""
SUITE_OPS = """
import pytest

@pytest.mark.important(id="OPS-1", section="Ops")
@pytest.mark.parametrize("alert", ["cpu", "disk", "memory"])
def test_alerts(alert):
    assert alert != "disk", "no disk alert"

@pytest.mark.nice_to_have(id="OPS-2", section="Ops")
@pytest.mark.parametrize("page", ["runbook", "dashboard"])
def test_pages(page):
    pass
"""
SHARDS = 3


def make_suite(project: pytest.Pytester) -> None:
    project.makepyfile(test_db=SUITE_DB, test_ops=SUITE_OPS)


def run_shard(
    project: pytest.Pytester, name: str, *args: str
) -> tuple[pytest.RunResult, dict[str, Any]]:
    out = project.path / f"{name}.json"
    out.unlink(missing_ok=True)
    run = project.runpytest(
        "--readiness=prod", f"--readiness-json={out}", "-p", "no:cacheprovider", *args
    )
    assert out.exists(), run.stdout.str()[-2000:]
    return run, json.loads(out.read_text())


def nodeids(data: dict[str, Any]) -> list[str]:
    return [item["nodeid"] for item in data["items"]]


@DIST
def test_every_item_runs_in_exactly_one_shard(project: pytest.Pytester, dist: list[str]) -> None:
    make_suite(project)
    _, whole = run_shard(project, "whole", *dist)
    parts = [
        run_shard(project, f"s{i}", f"--readiness-shard={i}/{SHARDS}", *dist)[1]
        for i in range(SHARDS)
    ]
    ran = [nodeid for part in parts for nodeid in nodeids(part)]
    assert sorted(ran) == sorted(nodeids(whole))
    assert len(ran) == len(set(ran)) == 12
    for index, part in enumerate(parts):
        validate_result(part)
        assert part["scope"]["shard"] == {
            "index": index,
            "count": SHARDS,
            "suite": nodeids(whole),
        }
        assert all(shard_of(n, SHARDS) == index for n in nodeids(part))


def test_the_split_does_not_depend_on_collection_order(project: pytest.Pytester) -> None:
    make_suite(project)
    _, forward = run_shard(project, "forward", "--readiness-shard=1/3", "test_db.py", "test_ops.py")
    _, backward = run_shard(
        project, "backward", "--readiness-shard=1/3", "test_ops.py", "test_db.py"
    )
    assert sorted(nodeids(forward)) == sorted(nodeids(backward))
    assert nodeids(forward)


@DIST
def test_a_shard_says_so_and_does_not_count_other_shards_criticals_as_left_out(
    project: pytest.Pytester, dist: list[str]
) -> None:
    make_suite(project)
    index = next(
        i for i in range(SHARDS) if shard_of("test_ops.py::test_alerts[disk]", SHARDS) != i
    )
    run, data = run_shard(project, "part", f"--readiness-shard={index}/{SHARDS}", *dist)
    criticals = {"test_db.py::test_db_up", "test_db.py::test_db_backups"}
    assert criticals - set(nodeids(data)), "this shard must leave a critical item to another"
    assert data["scope"]["critical_left_out"] == 0
    assert "not evaluated" not in data["scope"]["description"]
    assert data["scope"]["description"].startswith(f"shard {index}/{SHARDS}, ")
    assert data["scope"]["full"] is False
    run.stdout.fnmatch_lines(
        [f"readiness decision: GO - score 100/100 - scope: shard {index}/3, *"]
    )
    assert run.ret == 0


def test_a_shard_of_a_narrowed_selection_still_counts_what_the_selection_left_out(
    project: pytest.Pytester,
) -> None:
    make_suite(project)
    suites = []
    for index in range(SHARDS):
        run, data = run_shard(
            project, f"s{index}", f"--readiness-shard={index}/3", "-m", "not critical"
        )
        assert data["scope"]["critical_left_out"] == 2
        assert run.ret == 1  # -m "not critical" is no release decision, sharded or not
        suites.append(data["scope"]["shard"]["suite"])
    assert suites[0] == suites[1] == suites[2]
    assert not [n for n in suites[0] if "test_db_up" in n or "test_db_backups" in n]


def test_an_indexed_job_pod_picks_its_shard_from_the_environment(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_suite(project)
    _, by_option = run_shard(project, "option", "--readiness-shard=2/3")
    monkeypatch.setenv("JOB_COMPLETION_INDEX", "2")
    _, by_count_option = run_shard(project, "count", "--readiness-shards=3")
    monkeypatch.setenv("READINESS_SHARDS", "3")
    _, by_env = run_shard(project, "env")
    assert nodeids(by_option) == nodeids(by_count_option) == nodeids(by_env)
    assert by_env["scope"]["shard"]["index"] == 2


def test_without_a_count_the_completion_index_alone_does_not_split(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_suite(project)
    monkeypatch.setenv("JOB_COMPLETION_INDEX", "1")
    monkeypatch.delenv("READINESS_SHARDS", raising=False)
    _, data = run_shard(project, "all")
    assert len(data["items"]) == 12
    assert "shard" not in data["scope"]


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--readiness-shard=3/3"], {}, "--readiness-shard: shard '3' of '3' is not a shard"),
        (["--readiness-shard=1"], {}, "--readiness-shard='1': expected INDEX/COUNT"),
        (["--readiness-shard=a/b"], {}, "--readiness-shard: shard 'a' of 'b' is not a shard"),
        (["--readiness-shard=0/0"], {}, "--readiness-shard: shard '0' of '0' is not a shard"),
        (["--readiness-shards=3"], {}, "no shard index; set JOB_COMPLETION_INDEX"),
        ([], {"READINESS_SHARDS": "2", "JOB_COMPLETION_INDEX": "-1"}, "is not a shard"),
    ],
)
def test_a_shard_that_cannot_be_is_a_usage_error(
    project: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    says: str,
) -> None:
    make_suite(project)
    monkeypatch.delenv("JOB_COMPLETION_INDEX", raising=False)
    monkeypatch.delenv("READINESS_SHARDS", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    run = project.runpytest("--readiness=prod", "-p", "no:cacheprovider", *args)
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    assert says in run.stderr.str()


def test_the_stable_hash_is_fixed_across_processes() -> None:
    """hash() changes with PYTHONHASHSEED; the shard of a node id must not."""
    assert [shard_of(f"test_x.py::test_{n}", 4) for n in range(8)] == [
        shard_of(f"test_x.py::test_{n}", 4) for n in range(8)
    ]
    assert shard_of("test_db.py::test_db_up", 3) == 0
    assert {shard_of(f"t.py::test_{n}", 3) for n in range(60)} == {0, 1, 2}
