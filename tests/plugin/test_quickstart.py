"""The README's first command stays honest: the shipped example runs and decides.

Real peers: PostgreSQL, Redis and NATS on this machine's loopback (the example's targets).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).parents[2] / "examples" / "quickstart"


@pytest.fixture
def quickstart(pytester: pytest.Pytester) -> pytest.Pytester:
    for path in EXAMPLE.iterdir():
        if path.suffix in (".py", ".yaml", ".ini"):
            shutil.copy(path, pytester.path / path.name)
    return pytester


@pytest.mark.parametrize(
    ("profile", "decision", "status"), [("local", "GO", 0), ("broken", "NO-GO", 1)]
)
def test_quickstart_profiles(
    quickstart: pytest.Pytester, profile: str, decision: str, status: int
) -> None:
    out = quickstart.path / "r.json"
    result = quickstart.runpytest(f"--readiness={profile}", f"--readiness-json={out}")
    data = json.loads(out.read_text())
    assert data["decision"] == decision, result.stdout.str()
    assert result.ret == status
    outcomes = {item["id"]: item["outcome"] for item in data["items"]}
    assert outcomes["OPS-1"] == "attested"
    assert outcomes["NATS-3[bus]"] == "failed"  # nice-to-have: never blocks
    if profile == "broken":
        assert outcomes["REDIS-1[cache]"] == "error"
