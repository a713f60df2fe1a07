"""Secrets are masked wherever they appear, in the forms drivers and reprs print them."""

from __future__ import annotations

import pytest

from pytest_readiness.redaction import MASK, Redactor


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
    from pytest_readiness.config import Profile
    from pytest_readiness.connectors.base import Target
    from pytest_readiness.plugin import redactor_for

    targets = {
        "nats": (Target("nats", "bus", {"servers": "nats://h:4222", "password": "nats-pw-1"}),),
        "http": (
            Target(
                "http",
                "api",
                {
                    "base_url": "https://u:url-pw-2@h",
                    "headers": {"Authorization": "Bearer tok-3", "Accept": "text/html"},
                },
            ),
        ),
    }
    redactor = redactor_for(Profile("p", "f", targets=targets))
    text = redactor.redact("nats-pw-1 url-pw-2 Bearer tok-3 text/html")
    assert text == f"{MASK} {MASK} {MASK} text/html"
