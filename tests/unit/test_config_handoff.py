"""xdist workers resolve the profile from the controller's readiness.yaml document."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_readiness.config import load_profile
from pytest_readiness.config_handoff import WORKERINPUT_KEY, DocumentShipper, read_document
from pytest_readiness.errors import ConfigError

UNTIL = date.today() + timedelta(days=30)
CONFIG = f"""\
profiles:
  prod:
    waivers:
      - {{id: X-1, reason: accepted, by: ops, until: {UNTIL.isoformat()}}}
    thresholds:
      t: {{n: "${{HANDOFF_N:-3}}"}}
"""


def worker_given(tmp_path: Path) -> tuple[Any, Path]:
    """A worker's config whose controller read ``CONFIG``; the file itself is gone since."""
    path = tmp_path / "readiness.yaml"
    path.write_text(CONFIG)
    node = SimpleNamespace(workerinput={})
    DocumentShipper(read_document(SimpleNamespace(), path)).pytest_configure_node(node)  # type: ignore[arg-type]
    path.unlink()
    return SimpleNamespace(workerinput=node.workerinput), path


def test_a_worker_builds_the_profile_from_the_shipped_document(tmp_path: Path) -> None:
    worker, path = worker_given(tmp_path)
    document = read_document(worker, path)
    profile = load_profile(path, "prod", {"HANDOFF_N": "5"}, document)
    assert profile.waivers[0].until == UNTIL  # a YAML date survives the trip
    assert profile.thresholds == {"t": {"n": "5"}}  # interpolated from the worker's environment


def test_the_shipped_document_is_checked_like_a_file(tmp_path: Path) -> None:
    worker, path = worker_given(tmp_path)
    with pytest.raises(ConfigError, match="unknown profile 'staging'"):
        load_profile(path, "staging", os.environ, read_document(worker, path))


def test_without_a_shipped_document_the_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "readiness.yaml"
    earlier = UNTIL - timedelta(days=1)
    path.write_text(CONFIG.replace(UNTIL.isoformat(), earlier.isoformat()))
    worker = SimpleNamespace(workerinput={"other": 1})
    profile = load_profile(path, "prod", {}, read_document(worker, path))  # type: ignore[arg-type]
    assert profile.waivers[0].until == earlier
    assert WORKERINPUT_KEY not in worker.workerinput
