"""The HTTP connector against real loopback servers.

Real: requests/urllib3 and the stdlib ``ssl`` client on one side, ``http.server`` servers
(plain and TLS with a trustme CA + intermediate) the tests start on 127.0.0.1 on the other.
Stand-ins: the server application itself (tests/support/http_servers.py), a listening socket
nobody accepts on (timeouts) and a bound, non-listening port (refused connections).
"""

from __future__ import annotations

import datetime as dt
import ssl
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from pytest_readiness.connectors.base import WriteRefused
from pytest_readiness.connectors.http import HttpSession, connect
from pytest_readiness.connectors.tls import (
    CLIENT_UNSUPPORTED,
    NOT_OFFERED,
    OFFERED,
    CertificateFacts,
    hostname_matches,
    inspect_tls,
)
from pytest_readiness.errors import AuthFailed, ConfigError, TimedOut, Unreachable
from pytest_readiness.redaction import Redactor
from tests.support.http_servers import DemoHandler, ServedHttp, refusing_port, silent_port
from tests.support.targets import load_target

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def plain() -> Iterator[ServedHttp]:
    with ServedHttp(DemoHandler) as server:
        yield server


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_path(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def _tls_server(
    ca: trustme.CA,
    *identities: str,
    maximum: ssl.TLSVersion | None = None,
    not_after: dt.datetime | None = None,
) -> ServedHttp:
    intermediate = ca.create_child_ca()
    leaf = intermediate.issue_cert(*identities, not_after=not_after)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if maximum is not None:
        context.maximum_version = maximum
    leaf.configure_cert(context)
    return ServedHttp(DemoHandler, ssl_context=context)


@pytest.fixture(scope="module")
def tls_server(ca: trustme.CA) -> Iterator[ServedHttp]:
    with _tls_server(ca, "localhost", "127.0.0.1") as server:
        yield server


def _connect(
    settings: dict[str, object], redactor: Redactor | None = None, timeout: float = 5.0
) -> HttpSession:
    return connect(load_target("http", "api", timeout=timeout, **settings), redactor or Redactor())


def test_connect_get_and_request_join_paths_to_the_base_url(plain: ServedHttp) -> None:
    session = _connect({"base_url": plain.url + "/", "health_path": "/health"})
    try:
        assert session.get("health").json() == {"status": "ok"}
        assert session.request("get", "/status/503").status_code == 503
        assert session.url("/a/b") == plain.url + "/a/b"
        assert session.url("http://other/x") == "http://other/x"
        assert session.tls() is None
    finally:
        session.close()


@pytest.mark.parametrize("method", ["POST", "put", "DELETE", "PATCH", "TRACE"])
def test_methods_that_may_change_the_server_are_refused_before_sending(
    plain: ServedHttp, method: str
) -> None:
    session = _connect({"base_url": plain.url})
    try:
        with pytest.raises(WriteRefused, match=f"{method.upper()} may change the server"):
            session.request(method, "/")
        assert session.request("GET", "/").status_code == 200
        assert not hasattr(session, "client")  # no raw requests.Session to send them with
    finally:
        session.close()


def test_allow_methods_lets_a_target_opt_in(plain: ServedHttp) -> None:
    session = _connect({"base_url": plain.url, "allow_methods": ["post"]})
    try:
        assert session.request("POST", "/").status_code == 501  # sent: the demo has no POST
        with pytest.raises(WriteRefused):
            session.request("DELETE", "/")
    finally:
        session.close()


def test_headers_are_sent_and_their_secrets_registered(plain: ServedHttp) -> None:
    redactor = Redactor()
    session = _connect(
        {
            "base_url": plain.url,
            "headers": {"Authorization": "Bearer t0ken-xyz", "Accept": "application/json"},
        },
        redactor,
    )
    try:
        echoed = session.get("/headers").json()
    finally:
        session.close()
    assert echoed["Authorization"] == "Bearer t0ken-xyz"
    assert redactor.redact("sent t0ken-xyz") == "sent ***"
    assert redactor.redact("application/json") == "application/json"


def test_health_path_answering_401_is_auth_failed_without_the_key(plain: ServedHttp) -> None:
    redactor = Redactor()
    with pytest.raises(AuthFailed) as info:
        _connect(
            {
                "base_url": plain.url,
                "health_path": "/private",
                "headers": {"X-Api-Key": "wrong-key-123"},
            },
            redactor,
        )
    assert str(info.value).startswith("Cannot connect to http target 'api': HTTP 401")
    assert "wrong-key-123" not in str(info.value)
    good = _connect(
        {
            "base_url": plain.url,
            "health_path": "/private",
            "headers": {"X-Api-Key": DemoHandler.api_key},
        }
    )
    good.close()


def test_refused_connection_is_unreachable_and_hides_the_password() -> None:
    with refusing_port() as port, pytest.raises(Unreachable) as info:
        _connect({"base_url": f"http://user:pa55word@127.0.0.1:{port}"}, timeout=1)
    assert str(info.value) == "Cannot connect to http target 'api': connection refused (timeout 1s)"
    assert info.value.__cause__ is None


def test_silent_server_times_out_within_the_timeout() -> None:
    with silent_port() as port:
        start = time.monotonic()
        with pytest.raises(TimedOut, match=r"^Cannot connect to http target 'api': timed out"):
            _connect({"base_url": f"http://127.0.0.1:{port}"}, timeout=1)
        assert time.monotonic() - start < 2.0


def test_request_after_the_server_stopped_names_method_and_path() -> None:
    server = ServedHttp(DemoHandler).start()
    session = _connect({"base_url": server.url})
    server.stop()
    try:
        with pytest.raises(Unreachable, match=r"^Cannot GET /health from http target 'api': "):
            session.get("/health")
    finally:
        session.close()


def test_latency_reports_percentiles_and_counts_errors(plain: ServedHttp) -> None:
    session = _connect({"base_url": plain.url})
    try:
        ok = session.latency("/delay?ms=5", n=20, concurrency=4)
        bad = session.latency("/status/500", n=5, concurrency=8)
    finally:
        session.close()
    assert (ok.n, ok.errors) == (20, 0)
    assert ok.p50 is not None
    assert ok.p95 is not None
    assert ok.p99 is not None
    assert 5.0 <= ok.p50 <= ok.p95 <= ok.p99
    assert (bad.n, bad.errors, bad.p50, bad.p99) == (5, 5, None, None)


def test_config_errors_name_the_target_and_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^http target 'api': base_url: expected an http"):
        _connect({"base_url": "ftp://x"})
    with pytest.raises(ConfigError, match=r"verify: CA bundle .* does not exist"):
        _connect({"base_url": "http://127.0.0.1:1", "verify": str(tmp_path / "none.pem")})


def test_tls_facts_of_a_verified_server(tls_server: ServedHttp, ca_path: str) -> None:
    session = _connect({"base_url": tls_server.url, "verify": ca_path})
    try:
        facts = session.tls()
    finally:
        session.close()
    assert facts is not None
    assert len(facts.chain) == 2  # leaf + intermediate; the root stays with the client
    assert facts.issuer == facts.chain[1].subject
    assert facts.verified is True
    assert facts.verify_error is None
    assert facts.hostname_matches is True
    assert facts.protocol == "TLSv1.3"
    assert facts.protocols["TLSv1.2"] == OFFERED
    assert facts.protocols["TLSv1.3"] == OFFERED
    for old in ("TLSv1", "TLSv1.1"):  # local OpenSSL may refuse to even offer these
        assert facts.protocols[old] in (NOT_OFFERED, CLIENT_UNSUPPORTED)
    assert facts.offered == ("TLSv1.2", "TLSv1.3")
    assert facts.days_left > 300  # trustme's certificates last for centuries
    assert facts.not_after > dt.datetime.now(dt.timezone.utc)


def test_tls_facts_of_an_expired_tls12_only_server_for_another_name(
    ca: trustme.CA, ca_path: str
) -> None:
    expired = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3)
    with _tls_server(
        ca, "other.example", maximum=ssl.TLSVersion.TLSv1_2, not_after=expired
    ) as server:
        session = _connect({"base_url": server.url, "verify": False})
        try:
            facts = session.tls()
        finally:
            session.close()
        assert facts is not None
        assert facts.verified is None  # verify: false in the profile
        assert facts.hostname_matches is False
        assert facts.days_left < 0
        assert facts.protocol == "TLSv1.2"
        assert facts.protocols["TLSv1.3"] == NOT_OFFERED
        checked = inspect_tls("127.0.0.1", server.port, cafile=ca_path, timeout=5)
        assert checked.verified is False
        assert checked.verify_error == "certificate has expired"
        with pytest.raises(Unreachable, match="TLS certificate verify failed: "):
            _connect({"base_url": server.url, "verify": ca_path})


def test_tls_probe_finds_a_legacy_server_still_accepting_tls10(ca: trustme.CA) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with ServedHttp(DemoHandler, ssl_context=context) as server:
        facts = inspect_tls("127.0.0.1", server.port, verify=False, timeout=5)
    # the same OpenSSL serves and probes: it either speaks TLS 1.0 both ways or neither
    assert facts.protocols["TLSv1"] in (OFFERED, CLIENT_UNSUPPORTED)
    assert facts.protocols["TLSv1.3"] == OFFERED


def test_untrusted_certificate_and_plain_http_on_https_are_unreachable(
    tls_server: ServedHttp, plain: ServedHttp
) -> None:
    with pytest.raises(Unreachable, match="TLS certificate verify failed"):
        _connect({"base_url": tls_server.url})  # default trust store: the test CA is unknown
    with pytest.raises(Unreachable, match="TLS handshake failed: "):
        _connect({"base_url": plain.url.replace("http://", "https://")})


@pytest.mark.parametrize(
    ("dns_names", "ips", "hostname", "expected"),
    [
        (("api.example.com",), (), "API.example.com.", True),
        (("*.example.com",), (), "api.example.com", True),
        (("*.example.com",), (), "a.b.example.com", False),
        (("*.example.com",), (), "example.com", False),
        ((), ("127.0.0.1",), "127.0.0.1", True),
        (("127.0.0.1",), (), "127.0.0.1", False),
        ((), ("::1",), "[::1]", True),
    ],
    ids=["exact", "wildcard", "wildcard-one-label", "wildcard-not-apex", "ip", "ip-as-dns", "ipv6"],
)
def test_hostname_matching(
    dns_names: tuple[str, ...], ips: tuple[str, ...], hostname: str, expected: bool
) -> None:
    epoch = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    cert = CertificateFacts("CN=x", "CN=ca", epoch, epoch, dns_names, ips)
    assert hostname_matches(cert, hostname) is expected
