"""A pytest plugin for the benchmarks: times pytest's collection phase in the process.

    python -m pytest -p collect_timer --collect-timer-out=FILE ...   (bench/ on PYTHONPATH)

Appends "<wall seconds> <CPU seconds>" of ``pytest_collection`` (finding the files, parsing
them, building the items, ``pytest_collection_modifyitems`` and ``_finish``) to FILE: the
cost of collecting, without the interpreter's start-up and exit that a whole-process figure
also holds.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--collect-timer-out", default=None)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_collection(session: pytest.Session) -> Generator[None, None, None]:
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    out = session.config.getoption("--collect-timer-out")
    if out:
        with Path(out).open("a", encoding="utf-8") as handle:
            handle.write(f"{wall:.4f} {cpu:.4f}\n")
