"""Which limit stops a hanging check: the profile's ``check_timeout`` for every item without a
timeout marker of its own (also over ``--timeout``), the item's own marker otherwise. The plugin
carries the limit either as pytest-timeout's session default or as a marker per item (see
session._limit_time); each test drives one of those paths. pytest-timeout's message names the
limit that fired."""

from __future__ import annotations

from pathlib import Path

from tests.faults.gate import project, run_gate

PROFILE = "profiles:\n  prod: {check_timeout: 1}\n"
HANGS = """
import threading
import pytest

@pytest.mark.critical(id="HANG")
def test_hangs():
    threading.Event().wait(3600)
"""
OWN_LIMIT = """

@pytest.mark.timeout(2)
@pytest.mark.critical(id="OWN")
def test_hangs_with_its_own_limit():
    threading.Event().wait(3600)
"""


def test_the_profiles_limit_beats_the_timeout_option(tmp_path: Path) -> None:
    run = run_gate(project(tmp_path, PROFILE, HANGS), "--timeout=300")
    assert "Timeout (>1.0s)" in run.items["HANG"]["message"]
    assert run.status == 1


def test_an_items_own_timeout_marker_beats_the_profiles_limit(tmp_path: Path) -> None:
    run = run_gate(project(tmp_path, PROFILE, HANGS + OWN_LIMIT))
    assert "Timeout (>1.0s)" in run.items["HANG"]["message"]
    assert "Timeout (>2.0s)" in run.items["OWN"]["message"]
    assert run.status == 1


def test_a_keyword_selection_keeps_the_profiles_limit(tmp_path: Path) -> None:
    run = run_gate(project(tmp_path, PROFILE, HANGS), "-k", "hangs")
    assert "Timeout (>1.0s)" in run.items["HANG"]["message"]
    assert run.status == 1
