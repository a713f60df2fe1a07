"""The profile's ``check_timeout`` stops a hanging check wherever it hangs (setup, call,
teardown), after an item that pytest-timeout limited through its own marker, and even with the
pytest-timeout plugin disabled; a check that starts while an earlier check's alarm is pending
still gets its whole limit, and short checks do not set the timer each; nothing of the limit
is left armed after the run (see pytest_readiness/time_limit.py)."""

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

# The sleeps are the checks' work: each runs for a set share of the 2 s limit.
SECOND_STARTS_UNDER_A_PENDING_ALARM = """
import threading
import time
import pytest

@pytest.mark.critical(id="FIRST")
def test_first_uses_most_of_its_limit():
    time.sleep(1.2)

@pytest.mark.critical(id="SECOND")
def test_second_runs_past_the_first_ones_alarm():
    time.sleep(1.5)

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


def test_a_check_started_under_a_pending_alarm_gets_its_whole_limit(tmp_path: Path) -> None:
    """The alarm armed for FIRST fires 0.8 s into SECOND; SECOND has 2 s of its own."""
    profile = "profiles:\n  prod: {check_timeout: 2}\n"
    run = run_gate(project(tmp_path, profile, SECOND_STARTS_UNDER_A_PENDING_ALARM))
    assert run.items["FIRST"]["outcome"] == "passed"
    assert run.items["SECOND"]["outcome"] == "passed"
    assert "Timeout (>2.0s)" in run.items["HANG"]["message"]
    assert run.status == 1


def test_short_checks_set_the_timer_once_not_per_check(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    armed: list[float] = []
    setitimer = signal.setitimer

    def counting(which: int, seconds: float, interval: float = 0.0) -> tuple[float, float]:
        if which == signal.ITIMER_REAL and seconds:
            armed.append(seconds)
        return setitimer(which, seconds, interval)

    monkeypatch.setattr(signal, "setitimer", counting)
    pytester.makefile(".yaml", readiness="profiles:\n  prod: {check_timeout: 300}\n")
    pytester.makepyfile(
        "import pytest\n\n@pytest.mark.critical\n"
        "@pytest.mark.parametrize('n', range(50))\ndef test_ok(n):\n    pass\n"
    )
    result = pytester.runpytest_inprocess("--readiness=prod", "-p", "no:cacheprovider")
    assert result.ret == 0
    assert armed == [300.0]
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
