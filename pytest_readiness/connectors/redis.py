"""Redis through redis-py: one eager PING, no retries, every socket call bounded.

Its settings are declared in :mod:`~pytest_readiness.registry`.

Replies are decoded to ``str``. Read-only by construction: the driver is not exposed, and
:meth:`RedisConnection.command` runs only what the server itself classifies as read-only
(``COMMAND INFO`` flag ``readonly``) plus :data:`READ_COMMANDS`. Every call finishes within the
target's timeout, end to end (a server that drips its reply byte by byte is cut off).

Commands that a hardened server refuses
(``CONFIG`` renamed away or denied by ACL) are reported by :meth:`RedisConnection.config_get`
as ``None`` with the reason in :meth:`RedisConnection.config_unavailable`, so a check can tell
"setting is wrong" from "setting cannot be read".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pytest_readiness.connectors.base import Target, WriteRefused, fail, map_errors
from pytest_readiness.connectors.deadline import Operations, SocketWatch
from pytest_readiness.errors import AuthFailed, ConfigError, ConnectorError, TimedOut, Unreachable
from pytest_readiness.redaction import Redactor

if TYPE_CHECKING:
    import redis

__all__ = ["READ_COMMANDS", "RedisConnection", "connect"]

_T = TypeVar("_T")

#: INFO persistence fields that are 0/1 flags.
_PERSISTENCE_FLAGS = (
    "loading", "async_loading", "aof_enabled", "aof_rewrite_in_progress",
    "aof_rewrite_scheduled", "rdb_bgsave_in_progress", "module_fork_in_progress",
)  # fmt: skip

#: Queueing refusals that are about permission (others, like OOM, are not).
_DENIED = re.compile(r"^(ERR )?unknown command|enable-[a-z-]+ option", re.IGNORECASE)

#: Commands without the ``readonly`` flag that only read, for checks: server facts, settings,
#: who this user is and what it may run. Lower case; a subcommand as ``parent|sub``.
READ_COMMANDS = frozenset({
    "ping", "echo", "info", "time", "lastsave", "role", "dbsize", "config|get", "acl|whoami",
    "acl|dryrun", "cluster|info", "cluster|nodes", "cluster|shards", "command|info",
    "command|count", "command|docs", "client|info", "slowlog|get", "slowlog|len",
    "latency|latest", "memory|stats", "module|list",
})  # fmt: skip

_ERRNO_TEXT = re.compile(r"^Error -?\d+ connecting to (?P<where>\S+?)\.? (?P<what>.+?)\.?$")


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

    watch = SocketWatch()
    options: dict[str, Any] = {
        "socket_connect_timeout": target.timeout,
        "socket_timeout": target.timeout,
        "retry": Retry(NoBackoff(), 0),  # attempted once; the fixture layer caches the outcome
        "decode_responses": True,
    }
    if url.startswith(("redis://", "rediss://")):  # unix:// keeps redis-py's socket class
        options["connection_class"] = _tracked(watch, tls=url.startswith("rediss://"))
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

    connection = RedisConnection(target, client, redactor, watch)
    try:
        connection.ping()
    except ConnectorError:
        client.close()
        raise
    return connection


class RedisConnection:
    """A Redis client that has answered PING. The driver is not exposed.

    Lost connections and timeouts become :class:`Unreachable`/:class:`TimedOut`; error replies
    (``ResponseError``) surface as redis-py raises them.
    """

    def __init__(
        self, target: Target, client: redis.Redis, redactor: Redactor, watch: SocketWatch
    ) -> None:
        self.target = target
        self._client = client
        self._redactor = redactor
        self._watch = watch
        self._ops = Operations(target, redactor, watch.abort, latch=True)
        self._flags: dict[str, frozenset[str] | None] = {}
        self._config_unavailable: str | None = None

    def __repr__(self) -> str:
        return f"<RedisConnection {self.target.name!r}>"

    def ping(self) -> bool:
        return bool(self._call(self._client.ping, "connect to"))

    def command(self, *args: str) -> Any:
        """Run one read-only command (``command("SCAN", "0", "COUNT", "10")``) and return the
        reply. Refused with WriteRefused, before it is sent, unless the server flags it
        ``readonly`` in ``COMMAND INFO`` or it is one of :data:`READ_COMMANDS`."""
        if not args:
            raise ValueError("command() needs a command name")
        name = self._classified_name(args)
        flags = self._flags.get(name)
        listed = {name, f"{args[0]}|{args[1]}".lower() if len(args) > 1 else name} & READ_COMMANDS
        if not listed and (flags is None or "readonly" not in flags):
            why = "unknown to the server" if flags is None else f"flags {', '.join(sorted(flags))}"
            raise WriteRefused(
                f"Refused on {self.target}: {name.upper()} is not a read-only command ({why})"
            )
        return self._call(lambda: _command(self._client, *args))

    def _classified_name(self, args: tuple[str, ...]) -> str:
        """``parent|sub`` when the server knows it as a subcommand, else the command; the
        server's flags of it are cached in ``self._flags``."""
        names = [str(args[0]).lower()]
        if len(args) > 1:
            names.insert(0, f"{names[0]}|{str(args[1]).lower()}")
        unknown = [n for n in names if n not in self._flags]
        if unknown:
            reply = self._call(lambda: self._raw("COMMAND", "INFO", *unknown))
            for name, info in zip(unknown, reply, strict=False):
                # [name, arity, [flags...], ...], or nil for a command the server lacks
                flags = info[2] if isinstance(info, list) and len(info) > 2 else None
                self._flags[name] = frozenset(map(str, flags)) if flags is not None else None
        return next((n for n in names if self._flags.get(n) is not None), names[-1])

    def _raw(self, *args: str) -> Any:
        """The server's reply as it comes, without redis-py's parsing (which fails on nil
        entries of COMMAND INFO)."""
        pool = self._client.connection_pool
        connection = pool.get_connection()
        send: Callable[..., None] = connection.send_command  # untyped in redis-py
        drop: Callable[[], None] = connection.disconnect
        try:
            send(*args)
            return connection.read_response()
        except BaseException:
            drop()
            raise
        finally:
            pool.release(connection)

    def info(self, section: str | None = None) -> dict[str, Any]:
        """INFO as a dict (numbers parsed); ``section`` e.g. ``"server"``, ``"replication"``."""
        reply = self._call(lambda: self._client.info(section) if section else self._client.info())
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
            reply = self._call(lambda: self._client.config_get(pattern))
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

    def uses_tls(self) -> bool:
        """True when this connection is TLS-encrypted (a ``rediss://`` URL)."""
        import redis

        return issubclass(self._client.connection_pool.connection_class, redis.SSLConnection)

    def address(self) -> str:
        """``host:port`` this connection talks to."""
        kwargs = self._client.connection_pool.connection_kwargs
        return f"{kwargs.get('host')}:{kwargs.get('port')}"

    def unauthenticated_ping(self) -> str:
        """PING from a fresh connection to the same address without credentials.

        Returns ``"PONG"`` when the server answers anyone, otherwise the refusal (``NOAUTH
        ...``, ``NOPERM ...``); connection failures raise like every other call.
        """
        import redis

        kwargs = self._client.connection_pool.connection_kwargs
        bare = self._bare_client(str(kwargs.get("host")), int(kwargs.get("port") or 6379))
        try:
            return "PONG" if self._call(bare.ping) else "no PONG"
        except (redis.exceptions.AuthenticationError, redis.exceptions.ResponseError) as exc:
            return _cause(exc)
        except ConnectorError as exc:
            if isinstance(exc, AuthFailed):
                return str(exc)
            raise
        finally:
            bare.close()

    def command_allowed(self, *command: str) -> tuple[bool, str]:
        """Whether this user may run ``command`` (e.g. ``"FLUSHALL"``), without running it.

        Queues the command inside ``MULTI`` and discards it: when queueing, the server refuses
        commands the ACL denies, renamed-away ones and protected ones (``DEBUG`` without
        ``enable-debug-command``), and a discarded transaction never runs. When queueing says
        nothing about permission (``MULTI`` denied, or refused for memory), asks
        ``ACL DRYRUN``, which knows ACLs only. Returns ``(allowed, the server's word)``.
        """
        import redis

        verdict = self._queue_probe(command)
        if verdict is not None:
            return verdict
        user = str(self._call(lambda: _command(self._client, "ACL", "WHOAMI")))
        try:
            reply = self._call(lambda: _command(self._client, "ACL", "DRYRUN", user, *command))
        except redis.exceptions.ResponseError as exc:  # unknown (renamed) command
            return False, f"ACL DRYRUN: {_cause(exc)}"
        return str(reply) == "OK", f"ACL DRYRUN: {reply}"

    def cluster_info(self) -> dict[str, str]:
        """CLUSTER INFO as a dict (``cluster_state``, ``cluster_slots_ok``, ...); raises the
        server's error when cluster mode is off."""
        reply = self._call(lambda: _command(self._client, "CLUSTER", "INFO"))
        if isinstance(reply, dict):
            return {str(key): str(value) for key, value in reply.items()}
        pairs = (line.split(":", 1) for line in str(reply).splitlines() if ":" in line)
        return {key.strip(): value.strip() for key, value in pairs}

    def sentinel(self, address: str, master: str) -> dict[str, Any]:
        """What the Sentinel at ``host:port`` says about ``master``: its ``SENTINEL MASTER``
        fields (``flags``, ``quorum``, ``num-other-sentinels``, ``ip``, ``port``...) plus
        ``ckquorum`` (``SENTINEL CKQUORUM``'s reply or refusal)."""
        import redis

        host, _, port = address.rpartition(":")
        sentinel = self._bare_client(host or address, int(port or 26379), tls=False)
        try:
            state = dict(self._call(lambda: _command(sentinel, "SENTINEL", "MASTER", master)))
            try:
                state["ckquorum"] = str(
                    self._call(lambda: _command(sentinel, "SENTINEL", "CKQUORUM", master))
                )
            except redis.exceptions.ResponseError as exc:
                state["ckquorum"] = _cause(exc)
        finally:
            sentinel.close()
        return {str(key): value for key, value in state.items()}

    def _bare_client(self, host: str, port: int, *, tls: bool | None = None) -> redis.Redis:
        """A client for ``host:port`` with this target's timeouts and TLS, no credentials."""
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        kwargs = self._client.connection_pool.connection_kwargs
        use_tls = self.uses_tls() if tls is None else tls
        options: dict[str, Any] = {
            "socket_connect_timeout": self.target.timeout,
            "socket_timeout": self.target.timeout,
            "retry": Retry(NoBackoff(), 0),
            "decode_responses": True,
        }
        if use_tls:
            for key in ("ssl_ca_certs", "ssl_cert_reqs", "ssl_check_hostname"):
                if key in kwargs:
                    options[key] = kwargs[key]
        pool = redis.ConnectionPool(
            connection_class=_tracked(self._watch, tls=use_tls), host=host, port=port, **options
        )
        return redis.Redis(connection_pool=pool)

    def _queue_probe(self, command: tuple[str, ...]) -> tuple[bool, str] | None:
        """MULTI, the command, DISCARD on one connection; None when the answer is no verdict."""
        import redis

        pool = self._client.connection_pool

        def probe() -> tuple[bool, str] | None:
            connection = pool.get_connection()
            send: Callable[..., None] = connection.send_command  # untyped in redis-py
            drop: Callable[[], None] = connection.disconnect
            try:
                send("MULTI")
                try:
                    connection.read_response()
                except redis.exceptions.ResponseError:
                    return None
                send(*command)
                try:
                    reply = connection.read_response()
                except redis.exceptions.ResponseError as exc:
                    denied = isinstance(exc, redis.exceptions.NoPermissionError)
                    if denied or _DENIED.search(str(exc)):
                        return False, f"refused when queued: {_cause(exc)}"
                    return None
                finally:
                    send("DISCARD")
                    connection.read_response()
                return str(reply) == "QUEUED", f"accepted when queued ({reply}), then discarded"
            except BaseException:
                drop()  # never hand a connection inside a transaction back to the pool
                raise
            finally:
                pool.release(connection)

        return self._call(probe)

    def close(self) -> None:
        self._client.close()

    def _why_unavailable(self, how: str, exc: Exception) -> str:
        reason = str(exc).split(",")[0].strip()
        return self._redactor.redact(f"CONFIG is {how} on {self.target}: {reason}")

    def _call(self, call: Callable[[], _T], action: str = "query") -> _T:
        """Run one driver call within the target's timeout, end to end."""
        with self._ops.bounded(action):
            return self._translated(call, action)

    def _translated(self, call: Callable[[], _T], action: str) -> _T:
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


def _tracked(watch: SocketWatch, *, tls: bool) -> type[redis.Connection]:
    """redis-py's connection class whose sockets ``watch`` can shut down at a deadline."""
    import redis

    base: type[redis.Connection] = redis.SSLConnection if tls else redis.Connection

    class Tracked(base):  # type: ignore[valid-type,misc]  # a class chosen at run time
        def _connect(self) -> Any:
            return watch.add(super()._connect())

    return Tracked


def _command(client: redis.Redis, *args: str) -> Any:
    """``client.execute_command(*args)``, typed (redis-py leaves it untyped)."""
    execute: Callable[..., Any] = client.execute_command
    return execute(*args)


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
