"""Hook specifications of pytest-readiness (hook specs only, as xdist and pytest-html do)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_readiness.model import Verdict


@pytest.hookspec(historic=False)
def pytest_readiness_verdict(verdict: Verdict, config: pytest.Config) -> None:
    """Called once on the controller (or the single process) after the decision is made.

    Runs inside ``pytest_sessionfinish``, before pytest's JUnit writer and pytest-html, so report
    writers and notifiers can use the final :class:`~pytest_readiness.model.Verdict`.
    Values in the verdict are already redacted.
    """
