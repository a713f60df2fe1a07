"""Connector warning filters stay in force while any thread still needs them."""

from __future__ import annotations

import threading
import warnings

import pytest
from urllib3.exceptions import InsecureRequestWarning

from pytest_readiness.connectors.warning_scope import warnings_filtered


def test_overlapping_uses_keep_the_filter_until_the_last_one_leaves() -> None:
    # Threads probe targets at once: the first to leave must not re-arm the warning for the other.
    entered, leave, left = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:  # enters first and leaves first, while the main thread still sends
        with warnings_filtered("ignore", InsecureRequestWarning):
            entered.set()
            assert leave.wait(10)
        left.set()

    with warnings.catch_warnings():
        warnings.simplefilter("error", InsecureRequestWarning)
        thread = threading.Thread(target=first)
        thread.start()
        assert entered.wait(10)
        with warnings_filtered("ignore", InsecureRequestWarning):
            leave.set()
            assert left.wait(10)
            thread.join()
            warnings.warn("unverified", InsecureRequestWarning, stacklevel=1)  # ignored, not raised
        with pytest.raises(InsecureRequestWarning):
            warnings.warn("unverified", InsecureRequestWarning, stacklevel=1)
