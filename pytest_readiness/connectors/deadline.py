"""End-to-end deadlines for connector operations.

Drivers bound each socket read by a timeout, so a server that drips one byte just inside it, or
a frozen process whose kernel still accepts connections, keeps an operation alive for ever. A
facade runs each operation inside :meth:`Operations.bounded`: when the target's timeout has
passed, one shared watchdog thread aborts the operation's I/O (it shuts its sockets down), the
blocked driver call returns with an error, and the facade raises
:class:`~pytest_readiness.errors.TimedOut` with the time the operation took.

Name resolution runs in the C library and cannot be aborted this way; it is bounded by the
system resolver's own timeout (``/etc/resolv.conf``).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from typing import TypeVar

from pytest_readiness.connectors.base import Target, fail
from pytest_readiness.errors import TimedOut
from pytest_readiness.redaction import Redactor

__all__ = ["Deadline", "Operations", "SocketWatch", "call_within"]

_T = TypeVar("_T")


class Deadline:
    """One operation's time limit; ``abort`` runs once, on the watchdog thread, at expiry."""

    def __init__(self, seconds: float, abort: Callable[[], None]) -> None:
        self.started = time.monotonic()
        self.expires_at = self.started + seconds
        self._abort = abort
        self._lock = threading.Lock()
        self._done = False
        self.expired = False

    def remaining(self) -> float:
        return max(0.0, self.expires_at - time.monotonic())

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def finish(self) -> None:
        """The operation ended: the abort will not run any more."""
        with self._lock:
            self._done = True

    def fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self._done = self.expired = True
        with contextlib.suppress(Exception):  # best effort: the operation times out anyway
            self._abort()

    @property
    def done(self) -> bool:
        return self._done


class _Watchdog:
    """One daemon thread for every deadline of the process, woken by the nearest one."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: Deadline) -> None:
        with self._cond:
            heapq.heappush(self._heap, (deadline.expires_at, next(self._order), deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._serve, name="readiness-deadlines", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def _serve(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)  # finished in time: nothing to do
                if not self._heap:
                    self._cond.wait()
                    continue
                delay = self._heap[0][0] - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                due = heapq.heappop(self._heap)[2]
            due.fire()  # outside the lock: aborting may take a system call or two


_WATCHDOG = _Watchdog()


class SocketWatch:
    """The sockets a facade opened; :meth:`abort` shuts every live one down, which wakes any
    thread blocked reading or writing it."""

    def __init__(self) -> None:
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._lock = threading.Lock()

    def add(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.add(sock)
        return sock

    def abort(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            shutdown(sock)


def shutdown(sock: socket.socket) -> None:
    """Shut a socket down for reading and writing; closed or detached sockets are skipped."""
    try:
        if sock.fileno() >= 0:
            socket.socket.shutdown(sock, socket.SHUT_RDWR)  # also for TLS sockets: no close_notify
    except OSError:
        pass


class Operations:
    """The operations of one facade: each bounded by the target's timeout, end to end.

    Nested operations (a facade method calling another) share the outermost deadline. With
    ``latch``, a timed-out target stays timed out: a server that froze once is not waited for
    again by every later check (each would pay the whole timeout).
    """

    def __init__(
        self, target: Target, redactor: Redactor, abort: Callable[[], None], *, latch: bool
    ) -> None:
        self.target = target
        self._redactor = redactor
        self._abort = abort
        self._latch = latch
        self._current: Deadline | None = None
        self.stuck: TimedOut | None = None

    @contextmanager
    def bounded(self, action: str = "query", *, seconds: float | None = None) -> Iterator[Deadline]:
        """Run the block within the target's timeout; raise TimedOut, with the time the operation
        took, when it ran out or the driver's own timeout fired first."""
        if self._current is not None:
            yield self._current
            return
        if self.stuck is not None:
            raise self._stuck_again(action)
        deadline = Deadline(self.target.timeout if seconds is None else seconds, self._abort)
        self._current = deadline
        _WATCHDOG.watch(deadline)
        try:
            yield deadline
        except Exception as exc:
            deadline.finish()
            if not (deadline.expired or isinstance(exc, TimedOut)):
                raise
            error = self._timed_out(action, deadline)
        else:
            deadline.finish()
            if not deadline.expired:
                return
            error = self._timed_out(action, deadline)
        finally:
            deadline.finish()  # also on KeyboardInterrupt or pytest's own outcomes
            self._current = None
        # No chain back to the driver's exception and its text (which may hold a secret).
        raise error from None

    def _timed_out(self, action: str, deadline: Deadline) -> TimedOut:
        cause = f"timed out after {deadline.elapsed():.1f}s"
        error = fail(self.target, self._redactor, cause, kind=TimedOut, action=action)
        assert isinstance(error, TimedOut)
        if self._latch:
            self.stuck = error
        return error

    def _stuck_again(self, action: str) -> TimedOut:
        cause = "it timed out earlier in this run and is not asked again"
        error = fail(self.target, self._redactor, cause, kind=TimedOut, action=action)
        assert isinstance(error, TimedOut)
        return error


def call_within(
    seconds: float, call: Callable[[], _T], late: Callable[[_T], None], name: str
) -> _T:
    """``call()`` on a helper thread, waited for at most ``seconds``; on expiry raise
    TimeoutError and hand a result that still arrives to ``late`` (to close it).

    For driver calls that expose nothing to abort while they run (a connect that resolves
    names and tries address after address).
    """
    future: Future[_T] = Future()

    def run() -> None:
        try:
            future.set_result(call())
        except BaseException as exc:  # handed to the waiting thread
            future.set_exception(exc)

    threading.Thread(target=run, name=name, daemon=True).start()
    try:
        return future.result(seconds)
    except FutureTimeout:
        future.add_done_callback(lambda done: _hand_late(done, late))
        raise TimeoutError from None


def _hand_late(done: Future[_T], late: Callable[[_T], None]) -> None:
    if done.exception() is None:
        late(done.result())
