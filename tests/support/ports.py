"""Loopback ports for tests: free ones, closed ones, and ones that accept but never answer."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now (the OS picked it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def closed_port() -> int:
    """A port that refuses connections: bound for a moment, never listened on, then released."""
    return free_port()


@contextmanager
def silent_listener() -> Iterator[int]:
    """A port whose kernel completes the TCP handshake but whose owner never accepts or answers.

    Stands in for a hung server or a firewall that swallows traffic after the handshake.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def port_open(port: int, host: str = LOOPBACK, timeout: float = 0.2) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(port: int, deadline: float, host: str = LOOPBACK) -> bool:
    """Poll until ``host:port`` accepts connections or the monotonic ``deadline`` passes."""
    while time.monotonic() < deadline:
        if port_open(port, host):
            return True
        time.sleep(0.02)
    return port_open(port, host)
