"""Built-in checks of the TLS of HTTP services: HTTPS used, certificate valid and not expiring,
old protocol versions refused.

They run once per ``http`` target; the certificate checks handshake with the base URL's host
and port (several times: the chain, a verification, one probe per protocol version).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from pytest_readiness import Evidence, ReadinessContext
from pytest_readiness.connectors.http import HttpSession
from pytest_readiness.connectors.tls import CLIENT_UNSUPPORTED, OFFERED, PROTOCOLS, TlsFacts

DOMAIN = "tls"
TARGET_KIND = "http"
THRESHOLDS: dict[str, dict[str, Any]] = {
    "TLS-CERT-VALID": {"tls_ca_bundle": None},
    "TLS-CERT-EXPIRY": {"tls_min_days_left": 30},
    "TLS-MIN-VERSION": {"tls_min_version": "TLSv1.2"},
}

# OpenSSL's words for a chain that stops short of a trusted root: the server left out an
# intermediate (or the certificate is self-signed).
_INCOMPLETE = ("unable to get local issuer certificate", "unable to verify the first certificate")


def _facts(http_session: HttpSession, readiness: ReadinessContext) -> TlsFacts:
    facts = http_session.tls(
        cafile=readiness.threshold("tls_ca_bundle", THRESHOLDS["TLS-CERT-VALID"]["tls_ca_bundle"])
    )
    if facts is None:
        pytest.skip("N/A: base_url is plain http (TLS-HTTPS reports it)")
    return facts


@pytest.mark.important(
    id="TLS-HTTPS",
    section="TLS",
    remediation="serve the endpoint over https and set the target's base_url to the https URL",
    docs="https://www.rfc-editor.org/rfc/rfc9110#name-https-uri-scheme",
)
def test_tls_endpoint_uses_https(http_session: HttpSession, evidence: Evidence) -> None:
    """The endpoint is served over HTTPS

    The target's base URL uses the https scheme.
    """
    scheme = urlsplit(http_session.base_url).scheme
    evidence("scheme", observed=scheme, expected="https")
    assert scheme == "https", f"base_url {http_session.base_url} is plain {scheme}"


@pytest.mark.critical(
    id="TLS-CERT-VALID",
    section="TLS",
    remediation="serve a certificate for the host from a trusted CA with its full chain (leaf + intermediates); set thresholds.tls_ca_bundle for a private CA",
    docs="https://www.rfc-editor.org/rfc/rfc5280#section-6",
)
def test_tls_certificate_valid_for_host(
    http_session: HttpSession, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """The TLS certificate is trusted, complete and valid for the host

    The chain the server sends verifies against the CA bundle (``tls_ca_bundle``, else the
    target's ``verify``) without fetching missing intermediates, and the leaf's subjectAltName
    matches the host.
    """
    facts = _facts(http_session, readiness)
    evidence(
        "certificate",
        observed={
            "verified": facts.verified,
            "verify_error": facts.verify_error,
            "hostname_matches": facts.hostname_matches,
            "chain": [c.subject for c in facts.chain],
        },
        expected={"verified": True, "hostname_matches": True},
        issuer=facts.issuer,
        dns_names=list(facts.chain[0].dns_names),
    )
    assert facts.verified is not None, (
        "the chain was not verified: the target sets verify: false; "
        "set thresholds.tls_ca_bundle to the CA bundle to judge it against"
    )
    error = facts.verify_error or ""
    incomplete = " (incomplete chain: send the intermediates)" if error in _INCOMPLETE else ""
    assert facts.verified, f"certificate does not verify: {error}{incomplete}"
    assert facts.hostname_matches, (
        f"certificate names {list(facts.chain[0].dns_names) + list(facts.chain[0].ip_addresses)} "
        f"do not cover {facts.server_name}"
    )


@pytest.mark.critical(
    id="TLS-CERT-EXPIRY",
    section="TLS",
    remediation="renew the certificate (automate it, e.g. cert-manager or ACME); thresholds.tls_min_days_left sets the margin",
)
def test_tls_certificate_not_expiring_soon(
    http_session: HttpSession, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """The TLS certificate has more than the minimum days left

    The leaf certificate expires more than ``tls_min_days_left`` days from now.
    """
    minimum = int(
        readiness.threshold("tls_min_days_left", THRESHOLDS["TLS-CERT-EXPIRY"]["tls_min_days_left"])
    )
    facts = _facts(http_session, readiness)
    evidence(
        "days_left",
        observed=facts.days_left,
        expected=f"> {minimum}",
        not_after=facts.not_after.isoformat(),
    )
    assert facts.days_left > minimum, (
        f"certificate expires in {facts.days_left} days ({facts.not_after:%Y-%m-%d}), "
        f"not more than {minimum}"
    )


@pytest.mark.critical(
    id="TLS-MIN-VERSION",
    section="TLS",
    remediation="disable TLS 1.0 and 1.1 on the server (e.g. nginx ssl_protocols TLSv1.2 TLSv1.3); thresholds.tls_min_version sets the floor",
    docs="https://www.rfc-editor.org/rfc/rfc8996",
)
def test_tls_old_protocol_versions_refused(
    http_session: HttpSession, evidence: Evidence, readiness: ReadinessContext
) -> None:
    """Only TLS 1.2 or newer is accepted

    A handshake pinned to each version older than ``tls_min_version`` is refused, and the
    server negotiates a version at least that new. A version this machine's OpenSSL cannot
    offer cannot be decided and fails the check.
    """
    minimum = str(
        readiness.threshold("tls_min_version", THRESHOLDS["TLS-MIN-VERSION"]["tls_min_version"])
    )
    assert minimum in PROTOCOLS, f"tls_min_version {minimum!r} is not one of {PROTOCOLS}"
    facts = _facts(http_session, readiness)
    older = PROTOCOLS[: PROTOCOLS.index(minimum)]
    accepted = [v for v in older if facts.protocols.get(v) == OFFERED]
    unknown = [v for v in older if facts.protocols.get(v) == CLIENT_UNSUPPORTED]
    evidence(
        "protocols",
        observed=dict(facts.protocols),
        expected=f"none below {minimum} offered",
        negotiated=facts.protocol,
    )
    assert not accepted, f"server accepts {', '.join(accepted)} (below {minimum})"
    assert not unknown, (
        f"cannot tell whether {', '.join(unknown)} is accepted: this machine's OpenSSL cannot offer it"
    )
    assert facts.protocol in PROTOCOLS[PROTOCOLS.index(minimum) :], (
        f"negotiated {facts.protocol}, older than {minimum}"
    )
