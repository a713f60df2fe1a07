"""TLS facts of a server: certificate chain, expiry, accepted protocol versions, hostname match.

Used by the HTTP connector for ``https`` targets. Pure stdlib ``ssl`` for the handshakes;
``cryptography`` (imported lazily) parses the certificates, including ones that fail
verification, since an expired or mismatched certificate is exactly what a check reports.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from pytest_readiness.connectors.warning_scope import warnings_filtered

#: Protocol versions probed, oldest first, named as ``ssl.SSLSocket.version()`` names them.
PROTOCOLS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")

OFFERED = "offered"
NOT_OFFERED = "not-offered"
#: The local OpenSSL cannot speak the version at all (compiled out or policy), so the server
#: could not be asked; a check should treat it as "unknown", not as "not offered".
CLIENT_UNSUPPORTED = "client-unsupported"

_VERSIONS = {
    "TLSv1": "TLSv1",
    "TLSv1.1": "TLSv1_1",
    "TLSv1.2": "TLSv1_2",
    "TLSv1.3": "TLSv1_3",
}
_CLIENT_REFUSALS = {"NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE"}


@dataclass(frozen=True)
class CertificateFacts:
    """One certificate of the chain the server sent."""

    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class TlsFacts:
    """What a TLS client learns about a server; ``chain[0]`` is the server's own certificate."""

    host: str
    port: int
    server_name: str
    protocol: str
    chain: tuple[CertificateFacts, ...]
    protocols: Mapping[str, str]
    hostname_matches: bool
    verified: bool | None
    verify_error: str | None
    days_left: int

    @property
    def subject(self) -> str:
        return self.chain[0].subject

    @property
    def issuer(self) -> str:
        return self.chain[0].issuer

    @property
    def not_after(self) -> datetime:
        return self.chain[0].not_after

    @property
    def offered(self) -> tuple[str, ...]:
        """Protocol versions the server accepted, oldest first."""
        return tuple(name for name in PROTOCOLS if self.protocols.get(name) == OFFERED)


def inspect_tls(
    host: str,
    port: int,
    *,
    server_name: str | None = None,
    timeout: float = 5.0,
    cafile: str | None = None,
    verify: bool = True,
) -> TlsFacts:
    """Handshake with ``host:port`` a few times and describe what the server offers.

    Network errors (refused, timeout, a server that is not TLS) propagate as ``OSError`` /
    ``ssl.SSLError`` for the caller to translate; version probes that fail are facts instead.
    """
    name = server_name or host
    context = _context(None)
    with (
        _connect(host, port, timeout) as raw,
        context.wrap_socket(raw, server_hostname=name) as tls,
    ):
        protocol = tls.version() or ""
        chain = tuple(_parse(der) for der in _peer_chain(tls))
    if not chain:
        raise ssl.SSLError(f"{host}:{port} sent no certificate")
    verified, verify_error = (None, None)
    if verify:
        verified, verify_error = _verify(host, port, name, timeout, cafile)
    protocols = {version: _probe(host, port, name, timeout, version) for version in PROTOCOLS}
    now = datetime.now(timezone.utc)
    return TlsFacts(
        host=host,
        port=port,
        server_name=name,
        protocol=protocol,
        chain=chain,
        protocols=protocols,
        hostname_matches=hostname_matches(chain[0], name),
        verified=verified,
        verify_error=verify_error,
        days_left=(chain[0].not_after - now).days,
    )


def hostname_matches(cert: CertificateFacts, hostname: str) -> bool:
    """RFC 6125 matching against the subjectAltName (no CN fallback, one leftmost wildcard)."""
    try:
        address = ipaddress.ip_address(hostname.strip("[]"))
    except ValueError:
        address = None
    if address is not None:
        return any(ipaddress.ip_address(ip) == address for ip in cert.ip_addresses)
    host = hostname.lower().rstrip(".")
    for pattern in (name.lower().rstrip(".") for name in cert.dns_names):
        if pattern.startswith("*."):
            label, _, rest = host.partition(".")
            if label and rest == pattern[2:]:
                return True
        elif pattern == host:
            return True
    return False


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    return socket.create_connection((host, port), timeout=timeout)


def _context(version: str | None) -> ssl.SSLContext:
    """An unverified client context, pinned to one protocol version when given."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # Old versions are deprecated in Python and need security level 0 in OpenSSL 3; probing
    # whether a server still accepts them is the point, so ask for them explicitly.
    with warnings_filtered("ignore", DeprecationWarning):
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        if version is not None:
            pinned = getattr(ssl.TLSVersion, _VERSIONS[version])
            context.minimum_version = pinned
            context.maximum_version = pinned
    with contextlib.suppress(ssl.SSLError):  # an OpenSSL without security levels
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def _probe(host: str, port: int, name: str, timeout: float, version: str) -> str:
    try:
        context = _context(version)
    except (ValueError, ssl.SSLError):
        return CLIENT_UNSUPPORTED
    with _connect(host, port, timeout) as raw:
        try:
            with context.wrap_socket(raw, server_hostname=name) as tls:
                return OFFERED if tls.version() == version else NOT_OFFERED
        except ssl.SSLError as exc:
            return CLIENT_UNSUPPORTED if exc.reason in _CLIENT_REFUSALS else NOT_OFFERED
        except (ConnectionError, TimeoutError):
            return NOT_OFFERED  # some servers just drop the connection


def _verify(
    host: str, port: int, name: str, timeout: float, cafile: str | None
) -> tuple[bool, str | None]:
    """Whether the chain verifies against ``cafile`` (a file or a directory of CAs)."""
    capath = cafile if cafile and os.path.isdir(cafile) else None
    context = ssl.create_default_context(cafile=None if capath else cafile, capath=capath)
    context.check_hostname = False  # reported separately by hostname_matches
    with _connect(host, port, timeout) as raw:
        try:
            with context.wrap_socket(raw, server_hostname=name):
                return True, None
        except ssl.SSLCertVerificationError as exc:
            return False, str(exc.verify_message or exc.reason)
        except ssl.SSLError as exc:
            return False, str(exc.reason or exc)


def _peer_chain(tls: ssl.SSLSocket) -> list[bytes | str]:
    """The certificates the server sent, leaf first (Python 3.13 API, else its 3.10 precursor)."""
    getter: Any = getattr(tls, "get_unverified_chain", None)
    if getter is None:
        getter = getattr(getattr(tls, "_sslobj", None), "get_unverified_chain", None)
    if getter is not None:
        certs = getter() or []
        return [c if isinstance(c, bytes | str) else c.public_bytes() for c in certs]
    leaf = tls.getpeercert(binary_form=True)  # pragma: no cover - very old Pythons
    return [leaf] if leaf else []  # pragma: no cover


def _parse(data: bytes | str) -> CertificateFacts:
    from cryptography import x509

    if isinstance(data, str):
        cert = x509.load_pem_x509_certificate(data.encode("ascii"))
    else:
        cert = x509.load_der_x509_certificate(data)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns_names = tuple(san.get_values_for_type(x509.DNSName))
        ips = tuple(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        dns_names, ips = (), ()
    return CertificateFacts(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        dns_names=dns_names,
        ip_addresses=ips,
    )
