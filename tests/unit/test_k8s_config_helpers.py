"""Pure helpers of the Kubernetes configuration checks: TLS host matching, rate-limit
annotations, probe timing rules, references a workload makes."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_readiness.builtin import checks_dir, import_package

import_package(checks_dir())  # type: ignore[arg-type]
from pytest_readiness.checks._k8s import Workload  # noqa: E402
from pytest_readiness.checks.test_k8s_config import (  # noqa: E402
    THRESHOLDS,
    _host_matches,
    _probe_problems,
    _rate_limit,
    _references,
)

LIMITS: dict[str, int] = THRESHOLDS["K8S-PROBE-TIMEOUTS"]


@pytest.mark.parametrize(
    ("pattern", "host", "covered"),
    [
        ("api.example.com", "api.example.com", True),
        ("API.example.com", "api.EXAMPLE.com", True),
        ("*.example.com", "api.example.com", True),
        ("*.example.com", "a.b.example.com", False),  # a wildcard covers one label only
        ("*.example.com", "example.com", False),
        ("api.example.com", "www.example.com", False),
    ],
)
def test_a_tls_host_covers_a_rule_host_exactly_or_by_one_label_wildcard(
    pattern: str, host: str, covered: bool
) -> None:
    assert _host_matches(pattern, host) is covered


def _ingress(annotations: dict[str, str], ns: str = "shop") -> dict[str, Any]:
    return {"metadata": {"name": "web", "namespace": ns, "annotations": annotations}}


@pytest.mark.parametrize(
    ("annotations", "ok", "observed"),
    [
        ({"nginx.ingress.kubernetes.io/limit-rps": "10"}, True, "limit-rps=10"),
        ({"nginx.ingress.kubernetes.io/limit-connections": "5"}, True, "limit-connections=5"),
        ({"haproxy.org/rate-limit-requests": "100"}, True, "rate-limit-requests=100"),
        ({"nginx.ingress.kubernetes.io/limit-rpm": "0"}, False, "not a positive number"),
        ({"nginx.ingress.kubernetes.io/limit-rps": "ten"}, False, "not a positive number"),
        ({"nginx.ingress.kubernetes.io/limit-rate": "100"}, False, "no rate-limit annotation"),
        ({}, False, "no rate-limit annotation"),
    ],
)
def test_rate_limit_annotations_need_a_known_key_and_a_positive_number(
    annotations: dict[str, str], ok: bool, observed: str
) -> None:
    result = _rate_limit(_ingress(annotations), set(), set())
    assert result[0] is ok
    assert observed in result[1]


def test_traefik_and_kong_references_count_only_when_the_object_limits() -> None:
    traefik = {"shop-limit@kubernetescrd"}
    kong = {("shop", "rl"), ("*", "global-rl")}
    middlewares = "traefik.ingress.kubernetes.io/router.middlewares"
    assert _rate_limit(
        _ingress({middlewares: "shop-hdr@kubernetescrd, shop-limit@kubernetescrd"}), traefik, kong
    )[0]
    assert not _rate_limit(_ingress({middlewares: "shop-hdr@kubernetescrd"}), traefik, kong)[0]
    assert _rate_limit(_ingress({"konghq.com/plugins": "cors,rl"}), traefik, kong)[0]
    assert _rate_limit(_ingress({"konghq.com/plugins": "global-rl"}), traefik, kong)[0]
    # a KongPlugin is namespaced: another namespace's plugin of that name does not apply
    assert not _rate_limit(_ingress({"konghq.com/plugins": "rl"}, ns="other"), traefik, kong)[0]  # fmt: skip


def _problems(**probes: dict[str, Any]) -> list[str]:
    return [setting for setting, _, _ in _probe_problems(dict(probes), LIMITS)]


def test_probe_defaults_of_the_api_server_are_sane() -> None:
    """Unset timings read as 1 s timeout, 10 s period, 3 failures: nothing to flag."""
    probe = {"httpGet": {"path": "/", "port": 80}}
    assert _problems(livenessProbe=probe, readinessProbe=probe, startupProbe=probe) == []


def test_probe_timeouts_must_stay_below_the_period_and_the_maximum() -> None:
    assert _problems(readinessProbe={"timeoutSeconds": 5, "periodSeconds": 5}) == [
        "readinessProbe.timeoutSeconds"
    ]
    assert _problems(readinessProbe={"timeoutSeconds": 11, "periodSeconds": 30}) == [
        "readinessProbe.timeoutSeconds"
    ]


def test_liveness_must_not_act_sooner_than_the_minimum_or_than_readiness() -> None:
    quick = {"periodSeconds": 3, "failureThreshold": 3}  # 9 s
    assert _problems(livenessProbe=quick) == ["livenessProbe.failureThreshold"]
    slow_readiness = {"periodSeconds": 10, "failureThreshold": 6}  # 60 s > liveness 30 s
    liveness = {"tcpSocket": {"port": 80}}  # 30 s by default
    assert _problems(livenessProbe=liveness, readinessProbe=slow_readiness) == [
        "livenessProbe.failureThreshold"
    ]


def test_a_startup_probe_must_wait_as_long_as_the_initial_delays_expect() -> None:
    liveness = {"initialDelaySeconds": 45}
    assert _problems(livenessProbe=liveness, startupProbe={"periodSeconds": 5}) == [
        "startupProbe.failureThreshold"  # gives up after 15 s
    ]
    assert _problems(livenessProbe=liveness, startupProbe={"failureThreshold": 5}) == []


def test_references_cover_env_envfrom_volumes_projected_and_pull_secrets() -> None:
    pod = {
        "imagePullSecrets": [{"name": "registry"}],
        "volumes": [
            {"name": "conf", "configMap": {"name": "conf"}},
            {"name": "certs", "secret": {"secretName": "certs", "optional": True}},
            {"name": "all", "projected": {"sources": [{"secret": {"name": "token"}}, {"configMap": {"name": "ca"}}]}},
        ],
        "initContainers": [{"name": "init", "envFrom": [{"secretRef": {"name": "init-env"}}]}],
        "containers": [
            {
                "name": "app",
                "env": [
                    {"name": "A", "value": "1"},
                    {"name": "B", "valueFrom": {"configMapKeyRef": {"name": "conf", "key": "b"}}},
                    {"name": "C", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw", "optional": False}}},
                    {"name": "D", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                ],
            }
        ],
    }  # fmt: skip
    workload = Workload("Pod", "shop", "web", {"kind": "Pod", "spec": pod}, {"spec": pod})
    found = [
        (r.container, r.setting, r.kind, r.name, r.optional, r.key) for r in _references(workload)
    ]
    assert found == [
        ("init", "envFrom[0].secretRef", "Secret", "init-env", False, None),
        ("app", "env[B].valueFrom.configMapKeyRef", "ConfigMap", "conf", False, "b"),
        ("app", "env[C].valueFrom.secretKeyRef", "Secret", "db", False, "pw"),
        (None, "volumes[conf].configMap", "ConfigMap", "conf", False, None),
        (None, "volumes[certs].secret", "Secret", "certs", True, None),
        (None, "volumes[all].projected.secret", "Secret", "token", False, None),
        (None, "volumes[all].projected.configMap", "ConfigMap", "ca", False, None),
        (None, "imagePullSecrets", "Secret", "registry", False, None),
    ]  # fmt: skip
