"""The profile's ``check_timeout`` stops a hanging check wherever it hangs (setup, call,
teardown), after an item that pytest-timeout limited through its own marker, and even with the
pytest-timeout plugin disabled; nothing of the limit is left armed after the run (see
pytest_readiness/time_limit.py)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.faults.gate import project, run_gate

PROFILE = "profiles:\n  prod: {check_timeout: 1}\n"
HANGS_IN_TEARDOWN = """
import threading
import pytest

@pytest.fixture
def stuck():
    yield
    threading.Event().wait(3600)

@pytest.mark.critical(id="TEARDOWN")
def test_hangs_after_it_passed(stuck):
    pass

@pytest.mark.critical(id="AFTER")
def test_after():
    pass
"""
OWN_LIMIT_FIRST = """
import threading
import pytest

@pytest.mark.timeout(2)
@pytest.mark.critical(id="OWN")
def test_own_limit_first():
    threading.Event().wait(3600)

@pytest.mark.critical(id="HANG")
def test_hangs_next():
    threading.Event().wait(3600)
"""
HANGS = """
import threading
import pytest

@pytest.mark.critical(id="HANG")
def test_hangs():
    threading.Event().wait(3600)
"""


def test_a_check_hanging_in_its_teardown_is_stopped_and_the_run_goes_on(tmp_path: Path) -> None:
    run = run_gate(project(tmp_path, PROFILE, HANGS_IN_TEARDOWN))
    assert run.items["TEARDOWN"]["outcome"] == "error"
    assert "Timeout (>1.0s)" in run.items["TEARDOWN"]["message"]
    assert run.items["AFTER"]["outcome"] == "passed"
    assert run.status == 1


def test_the_profiles_limit_holds_after_an_item_with_its_own_limit(tmp_path: Path) -> None:
    run = run_gate(project(tmp_path, PROFILE, OWN_LIMIT_FIRST))
    assert "Timeout (>2.0s)" in run.items["OWN"]["message"]
    assert "Timeout (>1.0s)" in run.items["HANG"]["message"]
    assert run.status == 1


def test_the_profiles_limit_holds_with_the_timeout_plugin_disabled(tmp_path: Path) -> None:
    run = run_gate(project(tmp_path, PROFILE, HANGS), "-p", "no:timeout")
    assert run.items["HANG"]["outcome"] == "failed"
    assert "Timeout (>1.0s)" in run.items["HANG"]["message"]
    assert run.status == 1


def test_no_timer_or_handler_is_left_behind_after_a_run(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", readiness=PROFILE)
    pytester.makepyfile("import pytest\n\n@pytest.mark.critical\ndef test_ok():\n    pass\n")
    before = signal.getsignal(signal.SIGALRM)
    result = pytester.runpytest_inprocess("--readiness=prod", "-p", "no:cacheprovider")
    assert result.ret == 0
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == before
