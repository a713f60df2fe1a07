"""``requests`` sessions whose sockets a deadline can shut down (HTTP targets, NATS monitoring).

requests and urllib3 bound each socket read by a timeout, not a whole request: a server that
drips its answer keeps a request alive for ever. The urllib3 connections of these sessions hand
every socket they open to a :class:`~pytest_readiness.connectors.deadline.SocketWatch`, which
shuts them down when an operation's deadline passes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_readiness.connectors.deadline import SocketWatch

if TYPE_CHECKING:
    import requests

__all__ = ["MAX_CONCURRENCY", "bounded_session"]

#: Connection pool size per host (also the upper bound of concurrent latency probes).
MAX_CONCURRENCY = 32


def bounded_session() -> tuple[requests.Session, SocketWatch]:
    """A ``requests.Session`` whose every socket the returned watch can shut down."""
    import requests

    watch = SocketWatch()
    adapter = _tracked_adapter(watch)
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session, watch


def _tracked_adapter(watch: SocketWatch) -> Any:
    """An HTTPAdapter whose urllib3 connections hand each socket they open to ``watch``."""
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    def tracked(base: type[HTTPConnection]) -> type[HTTPConnection]:
        class Tracked(base):  # type: ignore[valid-type,misc]  # a class chosen at run time
            def _new_conn(self) -> Any:
                return watch.add(super()._new_conn())

            def connect(self) -> None:
                super().connect()
                if self.sock is not None:
                    watch.add(self.sock)  # the TLS socket that replaced the plain one

        return Tracked

    pools = {
        "http": type("TrackedPool", (HTTPConnectionPool,), {"ConnectionCls": tracked(HTTPConnection)}),
        "https": type("TrackedTlsPool", (HTTPSConnectionPool,), {"ConnectionCls": tracked(HTTPSConnection)}),
    }  # fmt: skip

    class TrackedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

    return TrackedAdapter(pool_maxsize=MAX_CONCURRENCY)
