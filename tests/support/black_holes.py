"""Black-holed targets that count the connections made to them.

A black hole accepts TCP connections and never answers, like a hung server or a firewall that
swallows traffic after the handshake: every client waits out its own timeout. Counting the
accepted connections tells how many times a run tried the target.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.support.ports import LOOPBACK


@dataclass
class BlackHole:
    port: int
    accepted: int = 0
    _held: list[socket.socket] = field(default_factory=list, repr=False)


@contextmanager
def counting_black_hole() -> Iterator[BlackHole]:
    """A loopback port that accepts, counts and holds every connection without a byte back."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((LOOPBACK, 0))
    listener.listen(64)
    hole = BlackHole(listener.getsockname()[1])

    def accept_forever() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # the listener was shut down: the test is over
                return
            hole.accepted += 1
            hole._held.append(conn)

    thread = threading.Thread(target=accept_forever, name="black-hole", daemon=True)
    thread.start()
    try:
        yield hole
    finally:
        listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        listener.close()
        thread.join(5)
        for conn in hole._held:
            conn.close()
