"""One connection per target per process: opened on first use, failures remembered, closed at the end.

An unreachable target costs one timeout per run, not one per target, check or worker:
- at the first use of any target, every target the selected checks need is tried at once, in
  threads, so several black-holed targets wait out their timeouts side by side;
- a target that failed is not tried again: every check that needs it fails fast with the same
  message;
- under xdist, the workers share what the first attempt learned through a run-scoped directory
  the controller creates (:class:`SharedAttempts`): per target, one file lock and one outcome
  file. The first worker to take the lock connects; the others wait for it, then fail fast on
  its failure or open their own connection after its success.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness import errors
from pytest_readiness.connectors import get_connector
from pytest_readiness.connectors.base import Target
from pytest_readiness.errors import ReadinessError
from pytest_readiness.redaction import Redactor

#: workerinput key: the directory where workers share connection outcomes
WORKERINPUT_KEY = "readiness_attempts_dir"

Key = tuple[str, str]


class ConnectionPool:
    """``shared``: the run's attempts directory (xdist), or None for a process on its own.
    ``wanted``: the targets the selected checks need, tried together at the first use."""

    def __init__(
        self,
        redactor: Redactor,
        shared: Path | None = None,
        wanted: Iterable[Target] = (),
    ) -> None:
        self.redactor = redactor
        self.shared = shared
        self._wanted = wanted
        self._open: dict[Key, Any] = {}
        self._failed: dict[Key, ReadinessError] = {}

    def get(self, target: Target) -> Any:
        key = _key(target)
        if key not in self._open and key not in self._failed:
            self._attempt_all([target, *self._wanted])
            self._wanted = ()
        if key in self._failed:
            raise self._failed[key]
        return self._open[key]

    def close_all(self) -> None:
        """Close every open connection; a failing close must not hide the run's result."""
        while self._open:
            _, facade = self._open.popitem()
            with contextlib.suppress(Exception):  # best effort at session end
                facade.close()

    def _attempt_all(self, targets: Iterable[Target]) -> None:
        pending: dict[Key, Target] = {}
        for target in targets:
            key = _key(target)
            if key not in self._open and key not in self._failed:
                pending.setdefault(key, target)
        if len(pending) == 1:
            outcomes = [self._attempt(next(iter(pending.values())))]
        else:  # connect() blocks in the driver: threads overlap the waiting
            with ThreadPoolExecutor(len(pending), thread_name_prefix="readiness-connect") as pool:
                outcomes = list(pool.map(self._attempt, pending.values()))
        for key, outcome in zip(pending, outcomes, strict=True):
            if isinstance(outcome, ReadinessError):
                self._failed[key] = outcome
            else:
                self._open[key] = outcome

    def _attempt(self, target: Target) -> Any:
        """The facade, or the ReadinessError to raise for this target (never raises)."""
        if self.shared is None:
            return self._connect(target)
        with _locked(self.shared / f"{_file_stem(target)}.lock"):
            outcome = self.shared / f"{_file_stem(target)}.json"
            if outcome.exists():
                failure = _read_failure(outcome)
                return failure if failure is not None else self._connect(target)
            result = self._connect(target)
            _write_outcome(outcome, result)
            return result

    def _connect(self, target: Target) -> Any:
        try:
            return get_connector(target.kind)(target, self.redactor)
        except ReadinessError as exc:
            return exc
        except Exception as exc:  # a driver error the connector did not translate
            return ReadinessError(
                self.redactor.redact(f"Cannot connect to {target}: {type(exc).__name__}: {exc}")
            )


def shared_directory(config: Any) -> Path | None:
    """The attempts directory the xdist controller handed this worker, if any."""
    value = getattr(config, "workerinput", {}).get(WORKERINPUT_KEY)
    return Path(value) if value else None


class SharedAttempts:
    """Registered on the xdist controller: one attempts directory per run, handed to workers."""

    def __init__(self) -> None:
        self.directory: Path | None = None

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        if self.directory is None:
            self.directory = Path(tempfile.mkdtemp(prefix="readiness-attempts-"))
        node.workerinput[WORKERINPUT_KEY] = str(self.directory)

    def pytest_unconfigure(self) -> None:
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)


def targets_needed(items: Iterable[Any]) -> list[Target]:
    """The targets the connection fixtures of ``items`` are parametrized with, in order."""
    seen: dict[Key, Target] = {}
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None:
            continue
        for value in callspec.params.values():
            if isinstance(value, Target):
                seen.setdefault(_key(value), value)
    return list(seen.values())


def _key(target: Target) -> Key:
    return (target.kind, target.name)


def _file_stem(target: Target) -> str:
    """Target names are free text: hash them into a safe file name."""
    return hashlib.sha256(f"{target.kind}\0{target.name}".encode()).hexdigest()[:32]


@contextlib.contextmanager
def _locked(path: Path) -> Any:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


def _write_outcome(path: Path, result: Any) -> None:
    """Failures carry the connector's message, already redacted; success is just ``ok``."""
    data: dict[str, Any] = {"ok": True}
    if isinstance(result, ReadinessError):
        data = {"error": type(result).__name__, "message": str(result)}
    path.write_text(json.dumps(data), encoding="utf-8")


def _read_failure(path: Path) -> ReadinessError | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # unreadable: this worker tries for itself
    if "error" not in data:
        return None
    kind = getattr(errors, str(data["error"]), None)
    if not (isinstance(kind, type) and issubclass(kind, ReadinessError)):
        kind = ReadinessError
    try:
        return kind(str(data["message"]))
    except TypeError:  # an error class with another signature (e.g. ConfigError)
        return ReadinessError(str(data["message"]))
