"""Secrets are masked wherever they appear, in the forms drivers and reprs print them."""

from __future__ import annotations

import pytest

from pytest_readiness.redaction import MASK, SECRET_NAMES, Redactor, is_secret_name, redactor_for
from tests.support.targets import profile_with


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("postgresql://app:p%40ss-word@db:5432/orders", "p@ss-word"),
        ("postgresql://app:p%40ss-word@db:5432/orders", "p%40ss-word"),
        ("rediss://:cache-pass@redis:6380/0", "cache-pass"),
        ("host=db user=app password=kw-secret dbname=x", "kw-secret"),
        ("host=db password='quoted secret' dbname=x", "quoted secret"),
    ],
)
def test_passwords_in_urls_and_dsns_are_masked(url: str, secret: str) -> None:
    redactor = Redactor()
    redactor.add_from_url(url)
    assert secret not in redactor.redact(f"failed to connect with {secret} via {url}")


def test_longer_secret_wins_over_a_contained_one() -> None:
    redactor = Redactor(["abcd", "abcdefgh"])
    assert redactor.redact("x abcdefgh y") == f"x {MASK} y"


def test_short_values_are_not_treated_as_secrets() -> None:
    redactor = Redactor(["5", "yes"])
    assert redactor.redact("5 yes") == "5 yes"


def test_nested_values() -> None:
    redactor = Redactor(["hunter22"])
    assert redactor.redact_value({"a": ["x hunter22", 3], "hunter22": True}) == {
        "a": [f"x {MASK}", 3],
        MASK: True,
    }


def test_credentials_in_target_settings_are_secrets_before_any_connection() -> None:
    profile = profile_with(
        {
            "nats": [
                {
                    "name": "bus",
                    "servers": ["nats://h:4222", "nats://nats-token-0@h2:4222"],
                    "user": "checker",
                    "password": "nats-pw-1",
                    "tls": {"ca": "/etc/nats/ca.pem", "key": "/etc/nats/client.key"},
                }
            ],
            "http": [
                {
                    "name": "api",
                    "base_url": "https://u:url-pw-2@h/v1?api_key=query-key-4&page=20",
                    "headers": {"Authorization": "Bearer tok-3", "Accept": "text/html"},
                }
            ],
            "redis": [{"name": "cache", "url": "redis://h", "password": "redis-pw-5"}],
            "hosts": [{"name": "web", "spec": "ssh://deploy@web-1", "sudo_user": "postgres"}],
        }
    )
    redactor = redactor_for(profile)
    shown = (
        "nats-token-0 nats-pw-1 url-pw-2 Bearer tok-3 query-key-4 redis-pw-5 "
        "checker text/html deploy postgres /etc/nats/client.key page=20"
    )
    kept = "checker text/html deploy postgres /etc/nats/client.key page=20"
    assert redactor.redact(shown) == " ".join([MASK] * 6) + " " + kept
    assert redactor.redact("sent tok-3") == f"sent {MASK}"  # the credential without its scheme


@pytest.mark.parametrize(
    ("url", "token"),
    [
        ("nats://s3cr3t-token@127.0.0.1:4222", "s3cr3t-token"),
        ("tls://tls-token-1@nats.example.com:4443", "tls-token-1"),
        ("wss://ws-token-22@nats.example.com:443", "ws-token-22"),
        ("nats://tok%2Fen-33@h:4222", "tok/en-33"),
    ],
)
def test_a_nats_token_in_a_server_url_is_a_secret(url: str, token: str) -> None:
    redactor = Redactor()
    redactor.add_from_url(url)
    as_written = url.split("//")[1].split("@")[0]
    assert redactor.redact(f"cannot reach {url} with {token}") == (
        f"cannot reach {url.replace(as_written, MASK)} with {MASK}"
    )


@pytest.mark.parametrize(
    "url", ["ssh://deploy@web-1", "postgresql://app@db:5432/orders", "redis://default@h:6379"]
)
def test_a_user_name_alone_is_no_secret_outside_nats(url: str) -> None:
    redactor = Redactor()
    redactor.add_from_url(url)
    assert redactor.secrets == frozenset()


def test_secret_names_cover_the_usual_credential_headers() -> None:
    for name in (
        "Authorization",
        "Proxy-Authorization",
        "X-Api-Key",
        "apikey",
        "Cookie",
        "X-Auth-Token",
        "X-Session-Id",
        "client_secret",
        "X-Amz-Signature",
    ):
        assert is_secret_name(name), name
    for name in ("Accept", "Content-Type", "User-Agent", "X-Request-Id", "page"):
        assert not is_secret_name(name), name


def test_registry_marks_every_secret_named_setting_secret() -> None:
    from pytest_readiness.registry import CONNECTORS

    for connector in CONNECTORS.values():
        for setting in connector.settings:
            assert setting.secret == is_secret_name(setting.name), (connector.kind, setting.name)


def test_the_docs_list_every_secret_name() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    assert [name for name in SECRET_NAMES if f"`{name}`" not in docs] == []
