"""readiness.yaml loading: profiles, extends, ${ENV}, validation messages, the shipped JSON Schema."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml

from pytest_readiness.config import load_profile
from pytest_readiness.errors import ConfigError
from pytest_readiness.model import Severity
from pytest_readiness.schema import readiness_schema, validate

GOOD = """
version: 1
policy:
  important_min_percent: 80
profiles:
  base:
    timeout: 3
    thresholds: {min_replicas: 2, p95_ms: 300}
    severity: {"MZ-*": nice_to_have}
    postgres:
      - name: orders
        dsn: postgresql://app:${PG_PASSWORD}@127.0.0.1:5432/orders
  prod:
    extends: base
    thresholds: {min_replicas: 3}
    severity: {"MZ-*": critical}
    policy: {delay_exit_zero: true}
    redis:
      - name: cache
        url: ${REDIS_URL:-redis://127.0.0.1:6379/0}
        timeout: ${REDIS_TIMEOUT:-1.5}
    waivers:
      - {id: SEC-3, reason: pen-test booked, by: alice, until: 2026-12-31}
    attestations:
      - {id: ONCALL-1, by: bob, date: 2026-11-01, valid_days: 30, evidence: "https://wiki/oncall"}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "readiness.yaml"
    path.write_text(text)
    return path


def test_extends_merges_maps_and_inherits_lists(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, GOOD), "prod", {"PG_PASSWORD": "s3cret-pw"})
    assert profile.thresholds == {"min_replicas": 3, "p95_ms": 300}
    assert profile.timeout == 3.0
    assert [t.name for t in profile.targets_of("postgres")] == ["orders"]
    assert profile.targets_of("redis")[0].timeout == 1.5
    assert profile.targets_of("redis")[0].settings["url"] == "redis://127.0.0.1:6379/0"
    assert profile.severity_overrides == (("MZ-*", Severity.CRITICAL),)
    assert profile.policy.important_min_percent == 80
    assert profile.policy.delay_exit_zero is True
    assert profile.waivers[0].until == date(2026, 12, 31)
    assert profile.attestations[0].expires == date(2026, 12, 1)


def test_environment_values_are_secrets_and_defaults_are_not(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, GOOD), "prod", {"PG_PASSWORD": "s3cret-pw"})
    assert profile.secrets == ("s3cret-pw",)
    dsn = profile.targets_of("postgres")[0].settings["dsn"]
    assert dsn == "postgresql://app:s3cret-pw@127.0.0.1:5432/orders"
    assert type(dsn) is str  # plain builtins, so the profile crosses process boundaries


def test_numbers_from_the_environment_are_coerced(tmp_path: Path) -> None:
    env = {"PG_PASSWORD": "xxxx", "REDIS_TIMEOUT": "2"}
    assert load_profile(write(tmp_path, GOOD), "prod", env).targets_of("redis")[0].timeout == 2.0


def test_dollar_dollar_escapes(tmp_path: Path) -> None:
    text = "profiles:\n  p:\n    thresholds: {literal: '$${NOT_A_VAR}'}\n"
    assert load_profile(write(tmp_path, text), "p", {}).thresholds == {"literal": "${NOT_A_VAR}"}


def test_unselected_profile_may_reference_unset_variables(tmp_path: Path) -> None:
    text = "profiles:\n  a: {}\n  b:\n    postgres: [{name: x, dsn: '${UNSET_DSN}'}]\n"
    assert load_profile(write(tmp_path, text), "a", {}).name == "a"


BAD = [
    # (id, file text, profile, env, expected key, expected words in message)
    (
        "yaml syntax",
        "profiles:\n  prod: {timeout: 5\n",
        "prod",
        {},
        None,
        "YAML syntax error at line",
    ),
    ("empty file", "", "prod", {}, None, "empty"),
    ("top level list", "- a\n- b\n", "prod", {}, None, "not a mapping"),
    (
        "unknown profile",
        "profiles:\n  staging: {}\n  dev: {}\n",
        "prod",
        {},
        "profiles",
        "known profiles: dev, staging",
    ),
    (
        "missing variable",
        "profiles:\n  prod:\n    postgres: [{name: a, dsn: '${ORDERS_DSN}'}]\n",
        "prod",
        {},
        "profiles.prod.postgres[0].dsn",
        "ORDERS_DSN is not set",
    ),
    (
        "wrong type",
        "profiles:\n  prod: {timeout: soon}\n",
        "prod",
        {},
        "profiles.prod.timeout",
        "expected a number",
    ),
    (
        "unknown key",
        "profiles:\n  prod: {tiemout: 5}\n",
        "prod",
        {},
        "profiles.prod.tiemout",
        "did you mean 'timeout'",
    ),
    ("unknown top key", "profile:\n  prod: {}\n", "prod", {}, "profile", "unknown key"),
    (
        "bad severity",
        "profiles:\n  prod: {severity: {A-1: blocker}}\n",
        "prod",
        {},
        "profiles.prod.severity.A-1",
        "use one of: critical",
    ),
    (
        "waiver without date",
        "profiles:\n  prod:\n    waivers: [{id: A, reason: r, by: b}]\n",
        "prod",
        {},
        "profiles.prod.waivers[0].until",
        "required",
    ),
    (
        "bad date",
        "profiles:\n  prod:\n    waivers: [{id: A, reason: r, by: b, until: someday}]\n",
        "prod",
        {},
        "profiles.prod.waivers[0].until",
        "YYYY-MM-DD",
    ),
    (
        "extends loop",
        "profiles:\n  a: {extends: b}\n  b: {extends: a}\n",
        "a",
        {},
        "extends",
        "loop",
    ),
    (
        "extends unknown",
        "profiles:\n  a: {extends: nope}\n",
        "a",
        {},
        "profiles.a.extends",
        "unknown profile 'nope'",
    ),
    (
        "duplicate key",
        "profiles:\n  prod: {}\n  prod: {}\n",
        "prod",
        {},
        None,
        "duplicate key 'prod'",
    ),
    (
        "duplicate target",
        "profiles:\n  prod:\n    redis: [{name: a, url: 'redis://x'}, {name: a, url: 'redis://y'}]\n",
        "prod",
        {},
        "profiles.prod.redis[1].name",
        "duplicate target",
    ),
    (
        "missing required target key",
        "profiles:\n  prod:\n    postgres: [{name: a}]\n",
        "prod",
        {},
        "profiles.prod.postgres[0].dsn",
        "required",
    ),
    (
        "percent out of range",
        "policy: {important_min_percent: 120}\nprofiles:\n  prod: {}\n",
        "prod",
        {},
        "policy.important_min_percent",
        "maximum",
    ),
    (
        "env value of wrong type",
        "profiles:\n  prod: {timeout: '${T}'}\n",
        "prod",
        {"T": "fast"},
        "profiles.prod.timeout",
        "a value from the environment",
    ),
]


@pytest.mark.parametrize(
    ("text", "profile", "env", "key", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_config_names_file_key_and_fix(
    tmp_path: Path, text: str, profile: str, env: dict[str, str], key: str | None, words: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_profile(path, profile, env)
    message = str(info.value)
    assert message.startswith(str(path))
    assert words in message
    if key is not None:
        assert info.value.key is not None
        assert key in info.value.key
    assert "\n" not in message


def test_wrong_env_value_is_not_echoed(tmp_path: Path) -> None:
    path = write(tmp_path, "profiles:\n  prod: {timeout: '${T}'}\n")
    with pytest.raises(ConfigError) as info:
        load_profile(path, "prod", {"T": "hunter2-secret"})
    assert "hunter2-secret" not in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found; create it"):
        load_profile(tmp_path / "nope.yaml", "prod", {})


# -- the shipped JSON Schema agrees with jsonschema -------------------------------------------------


def test_shipped_schema_is_a_valid_json_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(readiness_schema())


def _jsonschema_accepts(document: object) -> bool:
    import jsonschema

    validator = jsonschema.Draft202012Validator(
        readiness_schema(), format_checker=jsonschema.FormatChecker()
    )
    return bool(validator.is_valid(json.loads(json.dumps(document, default=str))))


def _ours_accepts(document: object) -> bool:
    try:
        validate(document, source="x")
    except ConfigError:
        return False
    return True


@pytest.mark.parametrize(
    "text",
    [
        GOOD.replace("${PG_PASSWORD}", "pw")
        .replace("${REDIS_URL:-redis://127.0.0.1:6379/0}", "redis://h")
        .replace("${REDIS_TIMEOUT:-1.5}", "1.5")
    ]
    + [
        b[1]
        for b in BAD
        if b[0]
        not in (
            "yaml syntax",
            "empty file",
            "duplicate key",
            "duplicate target",
            "extends loop",
            "extends unknown",
            "unknown profile",
            "missing variable",
            "env value of wrong type",
        )
    ],
)
def test_our_validator_agrees_with_jsonschema(text: str) -> None:
    pytest.importorskip("jsonschema")
    document = yaml.safe_load(text)
    assert _ours_accepts(document) == _jsonschema_accepts(document)


def waiver_config(tmp_path: Path, waivers: str, policy: str = "") -> Path:
    return write(tmp_path, f"{policy}\nprofiles:\n  prod:\n    waivers: {waivers}\n")


def test_waiver_fields_object_container_and_source(tmp_path: Path) -> None:
    until = date.fromordinal(date.today().toordinal() + 5).isoformat()
    path = waiver_config(
        tmp_path,
        f"[{{id: K-1, object: shop/Deployment/api, container: web, reason: r, by: a, "
        f"until: {until}}}]",
    )
    (waiver,) = load_profile(path, "prod", {}).waivers
    assert (waiver.object, waiver.container, waiver.source) == (
        "shop/Deployment/api",
        "web",
        str(path),
    )
    assert waiver.scope == "shop/Deployment/api/container:web"


@pytest.mark.parametrize(
    ("waivers", "policy", "words"),
    [
        (
            "[{id: K-1, container: web, reason: r, by: a, until: 2026-12-10}]",
            "",
            "needs its object",
        ),
        ("[{id: K-1, reason: r, by: a, until: 2026-12-10, scope: x}]", "", "unknown key"),
        ("[{id: K-1, reason: r, by: a, until: 2099-01-01}]", "", "more than 90 days ahead"),
        (
            f"[{{id: K-1, reason: r, by: a, until: {date.fromordinal(date.today().toordinal() + 8)}}}]",
            "policy: {max_waiver_days: 7}",
            "more than 7 days ahead",
        ),
        (
            "[{id: K-1, reason: r, by: a, until: 2020-01-01}]",
            "policy: {strict_waivers: true}",
            "expired on 2020-01-01",
        ),
        ("missing.yaml", "", "file not found"),
    ],
)
def test_bad_waivers_name_the_waiver(tmp_path: Path, waivers: str, policy: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_profile(waiver_config(tmp_path, waivers, policy), "prod", {})
    assert words in str(info.value)
    if not waivers.endswith(".yaml"):
        assert "waiver 'K-1'" in str(info.value)


def test_a_central_waivers_file_is_read_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    central = tmp_path / "shared" / "waivers.yaml"
    central.write_text("waivers:\n  - {id: A-1, reason: r, by: a, until: 2026-12-10}\n")
    path = waiver_config(
        tmp_path, "[shared/waivers.yaml, {id: B-1, reason: r, by: b, until: 2026-12-10}]"
    )
    waivers = load_profile(path, "prod", {}).waivers
    assert [(w.id, w.source) for w in waivers] == [("A-1", str(central)), ("B-1", str(path))]
