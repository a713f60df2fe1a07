"""Real loopback servers for the connector tests: a small HTTP(S) app and misbehaving ports.

- :class:`ServedHttp` runs any ``BaseHTTPRequestHandler`` on a free 127.0.0.1 port in a thread,
  optionally behind TLS, and stops by its own handle.
- :func:`silent_port` is a port that completes the TCP handshake and never answers (the kernel
  queues the connection; nobody accepts it), to exercise read timeouts.
- :func:`refusing_port` is a bound, non-listening port: connections are refused.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit


class _Server(http.server.ThreadingHTTPServer):
    """Remembers open connections so that ``stop()`` also ends keep-alive ones."""

    daemon_threads = True

    def server_activate(self) -> None:
        self.connections: set[socket.socket] = set()
        self.lock = threading.Lock()
        super().server_activate()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self.lock:
            for conn in self.connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)


class ServedHttp:
    """A threaded HTTP server on loopback; use as a context manager or call ``stop()``."""

    def __init__(
        self,
        handler: type[http.server.BaseHTTPRequestHandler],
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.server = _Server(("127.0.0.1", 0), handler)
        if ssl_context is not None:
            self.server.socket = ssl_context.wrap_socket(self.server.socket, server_side=True)
        self.port: int = self.server.server_address[1]
        scheme = "https" if ssl_context is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> ServedHttp:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.server.drop_connections()
        self._thread.join(timeout=5)

    def __enter__(self) -> ServedHttp:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class DemoHandler(http.server.BaseHTTPRequestHandler):
    """``/health`` 200, ``/status/<code>``, ``/private`` needs ``X-Api-Key: k3y-s3cret``,
    ``/headers`` echoes request headers as JSON, ``/delay?ms=N`` answers after N ms."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    api_key = "k3y-s3cret"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path in ("/", "/health"):
            self._reply(200, {"status": "ok"})
        elif url.path.startswith("/status/"):
            self._reply(int(url.path.rsplit("/", 1)[1]), {"status": url.path})
        elif url.path == "/private":
            ok = self.headers.get("X-Api-Key") == self.api_key
            self._reply(200 if ok else 401, {"authorized": ok})
        elif url.path == "/headers":
            self._reply(200, dict(self.headers.items()))
        elif url.path == "/delay":
            ms = int(parse_qs(url.query).get("ms", ["0"])[0])
            time.sleep(ms / 1000)  # simulated server work, not synchronisation
            self._reply(200, {"delayed_ms": ms})
        else:
            self._reply(404, {"error": "not found"})

    def _reply(self, code: int, body: object) -> None:
        send_json(self, code, body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def silent_port() -> Iterator[int]:
    """A loopback port whose connections are accepted by the kernel and never answered."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield sock.getsockname()[1]
    finally:
        sock.close()


@contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port that is bound but not listening, so connecting to it is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]
    finally:
        sock.close()


def send_json(handler: http.server.BaseHTTPRequestHandler, code: int, body: object) -> None:
    """Answer a request with ``body`` as JSON and an exact Content-Length."""
    data = json.dumps(body).encode()
    handler.send_response(code)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
