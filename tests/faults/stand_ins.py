"""Misbehaving loopback servers: one that drips its answer a byte at a time."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.ports import LOOPBACK

#: Seconds between two bytes: inside a 2 s per-read timeout, so only an end-to-end deadline ends
#: the wait.
DRIP_INTERVAL = 1.5


@contextmanager
def drip_server(answer: bytes) -> Iterator[int]:
    """Accept every connection and send ``answer`` one byte every DRIP_INTERVAL seconds (then
    keep the connection open, silent). Yields the port; stops its threads on exit."""
    stop = threading.Event()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((LOOPBACK, 0))
    listener.listen(16)
    listener.settimeout(0.2)  # so the accept loop sees ``stop``

    def drip(conn: socket.socket) -> None:
        with conn:
            for byte in answer:
                if stop.wait(DRIP_INTERVAL):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return  # the client gave up: that is what the tests want
            stop.wait()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        server.join(5)
        listener.close()


#: Answers that never end: an HTTP response whose headers never finish, a Redis bulk string of
#: 100 kB. Long enough to outlast any timeout at DRIP_INTERVAL.
HTTP_DRIP = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 1000
REDIS_DRIP = b"$100000\r\n" + b"a" * 1000
