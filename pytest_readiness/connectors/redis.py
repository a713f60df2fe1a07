"""Redis through redis-py: one eager PING, no retries, every socket call bounded.

Its settings are declared in :mod:`~pytest_readiness.registry`.

Replies are decoded to ``str``, also on ``.client``. Commands that a hardened server refuses
(``CONFIG`` renamed away or denied by ACL) are reported by :meth:`RedisConnection.config_get`
as ``None`` with the reason in :meth:`RedisConnection.config_unavailable`, so a check can tell
"setting is wrong" from "setting cannot be read".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pytest_readiness.connectors.base import Target, fail, map_errors
from pytest_readiness.errors import AuthFailed, ConfigError, ConnectorError, TimedOut, Unreachable
from pytest_readiness.redaction import Redactor

if TYPE_CHECKING:
    import redis

__all__ = ["RedisConnection", "connect"]

_T = TypeVar("_T")

#: INFO persistence fields that are 0/1 flags.
_PERSISTENCE_FLAGS = (
    "loading", "async_loading", "aof_enabled", "aof_rewrite_in_progress",
    "aof_rewrite_scheduled", "rdb_bgsave_in_progress", "module_fork_in_progress",
)  # fmt: skip

_ERRNO_TEXT = re.compile(r"^Error \d+ connecting to (?P<where>\S+?)\.? (?P<what>.+?)\.?$")


def connect(target: Target, redactor: Redactor) -> RedisConnection:
    """Connect to ``target`` and PING it; raise a ConnectorError if that does not work."""
    url = target.settings.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(str(target), "url", "a redis:// or rediss:// URL is required")
    redactor.add_from_url(url)
    password = target.settings.get("password")
    redactor.add(password if isinstance(password, str) else None)

    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    options: dict[str, Any] = {
        "socket_connect_timeout": target.timeout,
        "socket_timeout": target.timeout,
        "retry": Retry(NoBackoff(), 0),  # attempted once; the fixture layer caches the outcome
        "decode_responses": True,
    }
    if isinstance(password, str):
        options["password"] = password
    if isinstance(target.settings.get("username"), str):
        options["username"] = target.settings["username"]
    if url.startswith("rediss://"):
        if target.settings.get("ca"):
            options["ssl_ca_certs"] = str(target.settings["ca"])
        if target.settings.get("verify") is False:
            options["ssl_cert_reqs"] = "none"
            options["ssl_check_hostname"] = False

    problem = None
    try:
        client = redis.Redis.from_url(url, **options)
    except ValueError as exc:
        problem = redactor.redact(f"invalid URL: {exc}")
    if problem is not None:
        raise ConfigError(str(target), "url", problem)

    connection = RedisConnection(target, client, redactor)
    try:
        connection.ping()
    except ConnectorError:
        client.close()
        raise
    return connection


class RedisConnection:
    """A Redis client that has answered PING; ``.client`` is the :class:`redis.Redis`.

    Lost connections and timeouts become :class:`Unreachable`/:class:`TimedOut`; error replies
    (``ResponseError``) surface as redis-py raises them.
    """

    def __init__(self, target: Target, client: redis.Redis, redactor: Redactor) -> None:
        self.target = target
        self.client = client
        self._redactor = redactor
        self._config_unavailable: str | None = None

    def __repr__(self) -> str:
        return f"<RedisConnection {self.target.name!r}>"

    def ping(self) -> bool:
        return bool(self._call(self.client.ping, "connect to"))

    def info(self, section: str | None = None) -> dict[str, Any]:
        """INFO as a dict (numbers parsed); ``section`` e.g. ``"server"``, ``"replication"``."""
        reply = self._call(lambda: self.client.info(section) if section else self.client.info())
        return dict(reply)

    def server_version(self) -> tuple[int, int, int]:
        """``redis_version`` of INFO server, e.g. ``(7, 2, 4)``."""
        version = str(self.info("server")["redis_version"])
        major, minor, patch = [*(int(part) for part in re.findall(r"\d+", version)), 0, 0, 0][:3]
        return major, minor, patch

    def persistence(self) -> dict[str, Any]:
        """INFO persistence with its 0/1 flags as booleans (``aof_enabled``, ``loading``...).

        ``rdb_last_bgsave_status`` and ``aof_last_write_status`` are ``"ok"`` when healthy.
        """
        section = self.info("persistence")
        for flag in _PERSISTENCE_FLAGS:
            if flag in section:
                section[flag] = bool(section[flag])
        return section

    def config_get(self, pattern: str) -> dict[str, str] | None:
        """CONFIG GET ``pattern``; None when the server disabled, renamed or denied CONFIG."""
        import redis

        try:
            reply = self._call(lambda: self.client.config_get(pattern))
        except redis.exceptions.NoPermissionError as exc:
            self._config_unavailable = self._why_unavailable("denied to this user", exc)
            return None
        except redis.exceptions.ResponseError as exc:
            if not str(exc).lower().startswith(("unknown command", "err unknown command")):
                raise
            self._config_unavailable = self._why_unavailable("disabled or renamed", exc)
            return None
        self._config_unavailable = None
        return {str(key): str(value) for key, value in reply.items()}

    def config_unavailable(self) -> str | None:
        """Why CONFIG cannot be used on this server, or None when it can (probes once)."""
        if self._config_unavailable is None:
            self.config_get("maxmemory")
        return self._config_unavailable

    def close(self) -> None:
        self.client.close()

    def _why_unavailable(self, how: str, exc: Exception) -> str:
        reason = str(exc).split(",")[0].strip()
        return self._redactor.redact(f"CONFIG is {how} on {self.target}: {reason}")

    def _call(self, call: Callable[[], _T], action: str = "query") -> _T:
        """Run one driver call; connection-level failures become ConnectorErrors."""
        import redis

        target, redactor = self.target, self._redactor
        try:
            with map_errors(target, redactor, action):
                return call()
        except ConnectorError as exc:
            error = exc
        except redis.exceptions.AuthenticationError as exc:
            error = fail(target, redactor, _cause(exc), kind=AuthFailed, action=action)
        except redis.exceptions.TimeoutError:
            error = fail(target, redactor, "timed out", kind=TimedOut, action=action)
        except redis.exceptions.ConnectionError as exc:
            error = fail(target, redactor, _cause(exc), kind=Unreachable, action=action)
        except redis.exceptions.NoPermissionError as exc:
            if action != "connect to":
                raise
            error = fail(target, redactor, _cause(exc), kind=AuthFailed, action=action)
        # Raised outside the handlers, without a chain back to the driver's exception.
        error.__context__ = None
        raise error


def _cause(exc: BaseException) -> str:
    """``connection refused at 127.0.0.1:6379`` from redis-py's ``Error 111 connecting to ...``."""
    text = str(exc).strip().rstrip(".") or type(exc).__name__
    if "already authenticated" in text or "authentication required" in text.lower():
        return "authentication required; no password was given"  # NOAUTH, also in HELLO's words
    match = _ERRNO_TEXT.match(text)
    if match:
        return f"{_lower_first(match['what'])} at {match['where']}"
    return _lower_first(text)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text
