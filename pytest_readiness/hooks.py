"""Hook specifications of pytest-readiness (hook specs only, as xdist and pytest-html do)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_readiness.model import Verdict


@pytest.hookspec(historic=False)
def pytest_readiness_verdict(verdict: Verdict, config: pytest.Config) -> None:
    """Called once on the controller (or the single process) after the decision is made.

    Runs at the end of ``pytest_sessionfinish``, after every other plugin's, before the reports are
    written; notifiers get the final :class:`~pytest_readiness.model.Verdict` (exit status aside).
    Values in the verdict are already redacted.
    """
