"""Warning filters that connectors need for the length of an operation, safe across threads.

Targets are probed from several threads at once. ``warnings.catch_warnings`` saves and restores
the process-wide filter list, so overlapping uses race: the first to leave restores a list
without the other's filter while that one still runs (or puts back a filter another thread had
already dropped). One shared context, entered by the first thread in and left by the last one
out, has no such gap; while uses overlap, each sees the others' filters too.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

_LOCK = threading.Lock()
_users = 0
_shared: Any = None  # the catch_warnings context open while any thread is inside


@contextmanager
def warnings_filtered(
    action: Literal["default", "error", "ignore", "always", "module", "once"],
    category: type[Warning],
) -> Iterator[None]:
    """Apply ``warnings.simplefilter(action, category)`` until this block and every overlapping
    one (in any thread) has ended."""
    global _users, _shared
    with _LOCK:
        if _users == 0:
            _shared = warnings.catch_warnings()
            _shared.__enter__()
        warnings.simplefilter(action, category)
        _users += 1
    try:
        yield
    finally:
        with _LOCK:
            _users -= 1
            if _users == 0:
                _shared.__exit__(None, None, None)
                _shared = None
