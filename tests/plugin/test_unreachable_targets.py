"""An unreachable target is tried once per run, whatever the number of its checks or workers."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.plugin.conftest import DIST
from tests.support.black_holes import counting_black_hole

CHECKS = """
import pytest

@pytest.mark.critical
@pytest.mark.parametrize("n", range(6))
def test_redis_answers(redis_conn, n):
    redis_conn.ping()

@pytest.mark.important
@pytest.mark.parametrize("n", range(6))
def test_http_answers(http_session, n):
    http_session.get("/")
"""


@DIST
def test_each_black_holed_target_is_connected_to_once_per_run(
    pytester: pytest.Pytester, dist: list[str]
) -> None:
    with counting_black_hole() as redis_hole, counting_black_hole() as http_hole:
        profile = {
            "timeout": 0.5,
            "checks": [],
            "redis": [{"name": "cache", "url": f"redis://127.0.0.1:{redis_hole.port}/0"}],
            "http": [{"name": "api", "base_url": f"http://127.0.0.1:{http_hole.port}"}],
        }
        pytester.makefile(".yaml", readiness=yaml.safe_dump({"profiles": {"prod": profile}}))
        pytester.makepyfile(test_checks=CHECKS)
        result = pytester.runpytest_subprocess(
            "--readiness=prod", "--readiness-json=r.json", "-p", "no:cacheprovider", *dist
        )
        tried = (redis_hole.accepted, http_hole.accepted)
    data = json.loads((pytester.path / "r.json").read_text(encoding="utf-8"))
    assert data["decision"] == "NO-GO"
    not_met = [i for i in data["items"] if not i["met"]]
    assert len(not_met) == 12
    assert all("timed out" in i["message"] for i in not_met), not_met[0]["message"]
    assert tried == (1, 1)
    assert result.ret == 1
