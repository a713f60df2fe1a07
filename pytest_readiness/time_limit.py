"""The profile's ``check_timeout``: a check that runs longer fails, and the run goes on.

pytest-timeout would stop each check through a ``timeout`` marker: per test it parses the
marker, calls two hooks, installs and removes a SIGALRM handler and sets and cancels a timer,
most of what a readiness run added to a trivial test. Here one handler is installed for the
run and each test only notes its deadline when it starts (setup, call and teardown count).
The process's real-time timer is armed when no alarm is pending; when it fires during a test
whose deadline is still ahead (it was armed for an earlier one), it is armed again for the
time left. So a run of short tests makes about one system call per limit's length, not two
per test, and each test still gets exactly its limit. What fires is
pytest-timeout's own handler, so the failure reads the same (``Timeout (>300.0s) from
pytest-timeout.``, other threads' stacks, no stop while a debugger is attached).

Items with a ``timeout`` marker of their own keep pytest-timeout's limit. Where a SIGALRM
timer cannot be used (no SIGALRM, or pytest not on the main thread), each item without its
own marker gets a pytest-timeout marker with the thread method instead.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import pytest

#: Registered under this name in each process that runs tests.
PLUGIN_NAME = "readiness-time-limit"
_UNSET = object()


def limit_time(config: pytest.Config, items: list[pytest.Item], seconds: float) -> None:
    """Put every item without its own ``timeout`` marker under ``seconds``."""
    own = _own_limits(items)
    if _signal_timer_usable():
        limit = config.pluginmanager.get_plugin(PLUGIN_NAME)
        if isinstance(limit, CheckTimeLimit):  # collected again (e.g. pytester in-process)
            limit.seconds, limit.own = seconds, own
        else:
            config.pluginmanager.register(CheckTimeLimit(config, seconds, own), PLUGIN_NAME)
    elif config.pluginmanager.hasplugin("timeout"):
        _mark_items(config, items, own, seconds)


def _signal_timer_usable() -> bool:
    return (
        hasattr(signal, "SIGALRM")
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )


def _own_limits(items: list[pytest.Item]) -> set[int]:
    """ids of the items with a ``timeout`` marker on their chain; each collector read once."""
    chains: dict[int, bool] = {}
    own: set[int] = set()
    for item in items:
        if _has_timeout(item.own_markers) or _chain_has_timeout(item.parent, chains):
            own.add(id(item))
    return own


def _chain_has_timeout(node: Any, chains: dict[int, bool]) -> bool:
    if node is None:
        return False
    known = chains.get(id(node))
    if known is None:
        known = chains[id(node)] = _has_timeout(node.own_markers) or _chain_has_timeout(
            node.parent, chains
        )
    return known


def _has_timeout(marks: list[pytest.Mark]) -> bool:
    return any(mark.name == "timeout" for mark in marks)


class CheckTimeLimit:
    """One SIGALRM handler for the run; a deadline per test, checked when the timer fires."""

    def __init__(self, config: pytest.Config, seconds: float, own: set[int]) -> None:
        from pytest_timeout import Settings, timeout_sigalrm  # type: ignore[import-untyped]

        self.seconds = seconds
        self.own = own  # ids of items pytest-timeout limits through their own marker
        self.current: pytest.Item | None = None  # the test running under the limit
        self.deadline = 0.0  # time.monotonic() at which the current test is stopped
        self.armed = False  # whether an alarm of ours is pending
        self.installed = False  # whether our handler is SIGALRM's
        self.previous: Any = _UNSET  # SIGALRM's handler before ours
        self._stop = timeout_sigalrm
        self._settings = Settings
        self._no_debugger_detection = bool(
            getattr(config, "_env_timeout_disable_debugger_detection", False)
        )

    def _fire(self, signum: int, frame: Any) -> None:
        self.armed = False
        item = self.current
        if item is None:  # armed for a test that has finished: nothing to stop
            return
        left = self.deadline - time.monotonic()
        if left > 0:  # armed for an earlier test: this one still has time
            self._arm(left)
            return
        __tracebackhide__ = True
        settings = self._settings(self.seconds, "signal", False, self._no_debugger_detection)
        self._stop(item, settings)

    def _arm(self, seconds: float) -> None:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        self.armed = True

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> None:
        if self.own and id(item) in self.own:
            self.current = None
            # pytest-timeout installs its own handler and timer, and removes both after
            self.installed = self.armed = False
            return
        if not self.installed:
            previous = signal.signal(signal.SIGALRM, self._fire)
            if self.previous is _UNSET:
                self.previous = previous
            self.installed = True
        self.current = item
        self.deadline = time.monotonic() + self.seconds
        if not self.armed:
            self._arm(self.seconds)

    def pytest_runtest_logfinish(self) -> None:
        self.current = None  # a pending alarm finds no test and stays quiet

    def pytest_enter_pdb(self) -> None:
        """A developer in the debugger is not a hanging check."""
        self.pytest_runtest_logfinish()

    @pytest.hookimpl(tryfirst=True, optionalhook=True)
    def pytest_timeout_set_timer(self, item: pytest.Item) -> bool | None:
        """pytest-timeout's own default (``--timeout``, its ini key) would arm a second timer
        for every item: the profile's limit is the one for items without their own marker."""
        return None if id(item) in self.own else True

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        """Interrupted in a test: disarm before the reports are written; restore the handler."""
        self.current = None
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self.armed = False
        if self.installed:
            previous = self.previous
            signal.signal(
                signal.SIGALRM, signal.SIG_DFL if previous in (None, _UNSET) else previous
            )
            self.installed = False


def _mark_items(
    config: pytest.Config, items: list[pytest.Item], own: set[int], seconds: float
) -> None:
    """The limit as pytest-timeout markers (thread method: no SIGALRM here). When no item
    has a marker of its own, pytest-timeout's session default carries it instead: marking
    each item, then pytest-timeout parsing the marker twice per test, costs per test."""
    if not own and _session_default_is_equivalent(config):
        config._env_timeout = seconds  # type: ignore[attr-defined]
        return
    marker = pytest.mark.timeout(seconds, method="thread")
    for item in items:
        if id(item) not in own:
            item.add_marker(marker)


def _session_default_is_equivalent(config: pytest.Config) -> bool:
    """Whether pytest-timeout's session default (what it read from --timeout, the environment
    and the ini file at configure time) can carry the limit instead of a marker on every item:
    the default method is the marker's, and no -m or -k could match the marker's name."""
    return (
        hasattr(config, "_env_timeout")  # pytest-timeout 2.x keeps its defaults there
        and getattr(config, "_env_timeout_method", None) == "thread"
        and not config.option.markexpr
        and not config.option.keyword
    )
