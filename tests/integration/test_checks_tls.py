"""The built-in TLS checks (checks/test_tls.py) in a readiness run against real HTTPS servers.

Real: the plugin, the stdlib ``ssl`` client and server, certificates from a trustme CA with an
intermediate. Each server gets one thing wrong: a certificate expiring in 5 days (against one
for 90 days), a chain without its intermediate, a certificate for another name, TLS 1.0 and
1.1 still accepted. The application behind TLS is the ready stand-in service.
"""

from __future__ import annotations

import datetime as dt
import ssl
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.support.check_runs import run_checks
from tests.support.http_servers import ServedHttp
from tests.support.service_apps import ReadyService

pytestmark = pytest.mark.integration


def _in_days(days: int) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)


def _context(
    ca: trustme.CA, tmp: Path, name: str = "127.0.0.1", days: int = 90, *, full_chain: bool = True
) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    leaf = ca.create_child_ca().issue_cert(name, not_after=_in_days(days))
    if full_chain:
        leaf.configure_cert(context)
    else:  # the leaf alone: clients cannot build a path to the root
        cert, key = tmp / f"{name}-leaf.pem", tmp / f"{name}-key.pem"
        leaf.cert_chain_pems[0].write_to_path(str(cert))
        leaf.private_key_pem.write_to_path(str(key))
        context.load_cert_chain(str(cert), str(key))
    return context


def _legacy(ca: trustme.CA, tmp: Path) -> ssl.SSLContext:
    context = _context(ca, tmp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """CA bundle path, and target name -> (base URL, verify setting)."""
    ca = trustme.CA()
    tmp = tmp_path_factory.mktemp("tls")
    ca_path = str(tmp / "ca.pem")
    ca.cert_pem.write_to_path(ca_path)
    contexts = {
        "secure": _context(ca, tmp),
        "expiring": _context(ca, tmp, days=5),
        "nochain": _context(ca, tmp, full_chain=False),
        "wrongname": _context(ca, tmp, name="other.example"),
        "legacy": _legacy(ca, tmp),
    }
    started = {
        name: ServedHttp(ReadyService, ssl_context=c).start() for name, c in contexts.items()
    }
    started["plain"] = ServedHttp(ReadyService).start()
    yield ca_path, {name: server.url for name, server in started.items()}
    for server in started.values():
        server.stop()


def test_tls_checks_fail_each_broken_server_and_pass_the_good_one(
    pytester: pytest.Pytester, servers: tuple[str, dict[str, str]]
) -> None:
    ca_path, urls = servers
    # nochain and wrongname cannot even connect with verification on: the profile turns it
    # off for their sessions, and the checks judge the certificate against tls_ca_bundle.
    verify = {"nochain": "false", "wrongname": "false"}
    targets = "\n".join(
        f"      - {{name: {name}, base_url: '{url}', verify: {verify.get(name, repr(ca_path))}}}"
        for name, url in urls.items()
    )
    profile = f"""
profiles:
  prod:
    thresholds: {{tls_ca_bundle: '{ca_path}', tls_min_days_left: 30}}
    http:
{targets}
"""
    run = run_checks(pytester, profile, "test_tls.py")
    outcomes = run.outcomes()
    failed = {item_id for item_id, outcome in outcomes.items() if outcome == "failed"}
    assert failed == {
        "TLS-HTTPS[plain]",
        "TLS-CERT-VALID[nochain]",
        "TLS-CERT-VALID[wrongname]",
        "TLS-CERT-EXPIRY[expiring]",
        "TLS-MIN-VERSION[legacy]",
    }
    assert {i for i, o in outcomes.items() if o == "skipped"} == {
        "TLS-CERT-VALID[plain]",
        "TLS-CERT-EXPIRY[plain]",
        "TLS-MIN-VERSION[plain]",
    }
    assert sum(o == "passed" for o in outcomes.values()) == 4 * 6 - 5 - 3

    items = run.items
    assert items["TLS-CERT-VALID[nochain]"]["message"] == (
        "certificate does not verify: unable to get local issuer certificate "
        "(incomplete chain: send the intermediates)"
    )
    assert len(items["TLS-CERT-VALID[secure]"]["evidence"][0]["observed"]["chain"]) == 2
    assert items["TLS-CERT-VALID[wrongname]"]["message"] == (
        "certificate names ['other.example'] do not cover 127.0.0.1"
    )
    expiry = items["TLS-CERT-EXPIRY[expiring]"]
    assert expiry["message"].startswith("certificate expires in 4 days (")
    assert expiry["evidence"][0]["observed"] == 4
    assert expiry["remediation"].endswith("thresholds.tls_min_days_left sets the margin")
    assert items["TLS-CERT-EXPIRY[secure]"]["evidence"][0]["observed"] == 89
    assert items["TLS-MIN-VERSION[legacy]"]["message"] == (
        "server accepts TLSv1, TLSv1.1 (below TLSv1.2)"
    )
    assert items["TLS-MIN-VERSION[secure]"]["evidence"][0]["observed"] == {
        "TLSv1": "not-offered",
        "TLSv1.1": "not-offered",
        "TLSv1.2": "offered",
        "TLSv1.3": "offered",
    }
    assert items["TLS-HTTPS[plain]"]["message"].startswith("base_url http://127.0.0.1:")
    assert run.data["decision"] == "NO-GO"


def test_unverified_target_without_a_ca_bundle_fails_closed(
    pytester: pytest.Pytester, servers: tuple[str, dict[str, str]]
) -> None:
    _, urls = servers
    profile = f"""
    profiles:
      prod:
        http:
          - {{name: secure, base_url: '{urls["secure"]}', verify: false}}
    """
    run = run_checks(pytester, profile, "test_tls.py", args=("-k", "valid"))
    item = run.items["TLS-CERT-VALID[secure]"]
    assert item["outcome"] == "failed"
    assert item["message"].startswith("the chain was not verified: the target sets verify: false")
