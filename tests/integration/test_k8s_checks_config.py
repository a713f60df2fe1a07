"""The Kubernetes configuration checks (checks/test_k8s_config.py), live and offline.

Real: kube-apiserver v1.20.2 + etcd (tools/kube-apiserver.sh), seeded with kubectl; the checks
run in a pytest subprocess through the plugin over a live and an offline target of the same
objects. ``cfg-good`` meets all five checks, ``cfg-bad`` breaks each of them; both give the
same outcome and evidence live and offline. The variants that need custom resources the test
server has no CRDs for (Traefik Middlewares, KongPlugins, ExternalSecrets) run offline only.
The user ``viewer`` of the test server is bound to the in-cluster ClusterRole of deploy/, which
grants nothing on Secrets. tests/integration/test_k8s_checks_parity.py covers the checks too,
with the shared good and bad fixtures.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.k8s_real import ROOT, RealApiServer, real_apiserver
from tests.support.readiness_runs import run_profile

pytestmark = [pytest.mark.k8s_real, pytest.mark.integration]

CHECKS = [
    "K8S-INGRESS-TLS",
    "K8S-REFS-EXIST",
    "K8S-ENV-REQUIRED",
    "K8S-INGRESS-RATELIMIT",
    "K8S-PROBE-TIMEOUTS",
]
THRESHOLDS: dict[str, Any] = {
    "k8s_required_env": {"app": ["LOG_LEVEL", "FEATURE_FLAGS"]},
    "require_ingress_ratelimit": True,
    "k8s_external_objects": ["cfg-producers/Secret/legacy-tls"],
}
#: a Secret's value: it must appear in no output of any run
SECRET_VALUE = "Do-Not-Print-8812"
Obj = dict[str, Any]


def _meta(kind: str, api: str, ns: str, name: str, **more: Any) -> Obj:
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": ns}, **more}


def _namespace(ns: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}


def _secret(ns: str, name: str, kind: str, data: dict[str, str]) -> Obj:
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    return _meta("Secret", "v1", ns, name, type=kind, data=encoded)


def _deployment(ns: str, container: Obj) -> Obj:
    labels = {"app": "web"}
    spec = {
        "replicas": 2,
        "selector": {"matchLabels": labels},
        "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": "app", "image": "registry.example.com/web:1.0.0", **container}]},
        },
    }  # fmt: skip
    return _meta("Deployment", "apps/v1", ns, "web", spec=spec)


def _ingress(ns: str, name: str, hosts: list[str], tls: list[Obj], notes: dict[str, str]) -> Obj:
    backend = {"service": {"name": "web", "port": {"number": 80}}}
    rules = [
        {"host": h, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}
        for h in hosts
    ]
    ingress = _meta("Ingress", "networking.k8s.io/v1", ns, name, spec={"rules": rules})
    if tls:
        ingress["spec"]["tls"] = tls
    if notes:
        ingress["metadata"]["annotations"] = notes
    return ingress


def _http(path: str, **timings: int) -> Obj:
    return {"httpGet": {"path": path, "port": 8080}, **timings}


def _good() -> list[Obj]:
    ns = "cfg-good"
    container = {
        "env": [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "app-db", "key": "password"}}},
            {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "mode"}}},
        ],
        "envFrom": [{"configMapRef": {"name": "app-config"}}],
        "readinessProbe": _http("/ready", periodSeconds=5),
        "livenessProbe": _http("/live"),
        "startupProbe": _http("/live", periodSeconds=2, failureThreshold=30),
    }  # fmt: skip
    tls = [{"hosts": ["web.cfg.example.com"], "secretName": "web-tls"}]
    return [
        _namespace(ns),
        _meta("ConfigMap", "v1", ns, "app-config", data={"FEATURE_FLAGS": "a,b", "mode": "fast"}),
        _secret(ns, "app-db", "Opaque", {"password": SECRET_VALUE}),
        _secret(ns, "web-tls", "kubernetes.io/tls", {"tls.crt": "", "tls.key": ""}),
        _deployment(ns, container),
        _ingress(ns, "web", ["web.cfg.example.com"], tls, {"nginx.ingress.kubernetes.io/limit-rpm": "600"}),
    ]  # fmt: skip


def _bad() -> list[Obj]:
    ns = "cfg-bad"
    container = {
        "env": [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "app-db", "key": "password"}}},
            {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "absent-key"}}},
        ],
        "envFrom": [{"configMapRef": {"name": "app-config"}}],
        "readinessProbe": _http("/ready", timeoutSeconds=10, periodSeconds=10),
        "livenessProbe": _http("/live", periodSeconds=2, failureThreshold=2),
    }  # fmt: skip
    tls = [{"hosts": ["a.cfg.example.com"], "secretName": "web-tls"}]
    return [
        _namespace(ns),
        _meta("ConfigMap", "v1", ns, "app-config", data={"other": "1"}),
        _secret(ns, "web-tls", "Opaque", {"tls.crt": "", "tls.key": ""}),
        _deployment(ns, container),
        _ingress(ns, "web", ["a.cfg.example.com", "b.cfg.example.com"], tls, {}),
    ]


def _producers() -> list[Obj]:
    """Offline only: Secrets other objects produce, and rate limits of Traefik, Kong, HAProxy."""
    ns = "cfg-producers"
    container = {
        "env": [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "FEATURE_FLAGS", "value": "a"},
            {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
        ]
    }  # fmt: skip
    external_secret = _meta(
        "ExternalSecret", "external-secrets.io/v1beta1", ns, "db-sync", spec={"target": {"name": "db"}}
    )  # fmt: skip
    return [
        _namespace(ns),
        _deployment(ns, container),
        external_secret,
        _meta("Certificate", "cert-manager.io/v1", ns, "a", spec={"secretName": "a-tls"}),
        _meta("Middleware", "traefik.io/v1alpha1", ns, "limit", spec={"rateLimit": {"average": 50}}),
        _meta("KongPlugin", "configuration.konghq.com/v1", ns, "rl", plugin="rate-limiting"),
        _ingress(
            ns, "a", ["a.example.com"], [{"hosts": ["a.example.com"], "secretName": "a-tls"}],
            {"traefik.ingress.kubernetes.io/router.middlewares": f"{ns}-limit@kubernetescrd"},
        ),
        _ingress(
            ns, "b", ["b.example.com"], [{"hosts": ["b.example.com"], "secretName": "b-tls"}],
            {"cert-manager.io/cluster-issuer": "letsencrypt", "konghq.com/plugins": "rl"},
        ),
        _ingress(
            ns, "c", ["x.apps.example.com"],
            [{"hosts": ["*.apps.example.com"], "secretName": "legacy-tls"}],
            {"haproxy.org/rate-limit-requests": "100"},
        ),
    ]  # fmt: skip


def _variants() -> list[Obj]:
    """Offline only: the ways an Ingress or a probe looks configured and is not."""
    ns = "cfg-variants"
    container = {
        "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "FEATURE_FLAGS", "value": "a"}],
        "livenessProbe": _http("/live", initialDelaySeconds=60, timeoutSeconds=15, periodSeconds=20),
        "startupProbe": _http("/live", periodSeconds=5, failureThreshold=2),
    }  # fmt: skip
    return [
        _namespace(ns),
        _deployment(ns, container),
        _meta("Middleware", "traefik.io/v1alpha1", ns, "hdr", spec={"headers": {"frameDeny": True}}),
        _meta("KongPlugin", "configuration.konghq.com/v1", ns, "cors", plugin="cors"),
        _ingress(
            ns, "t", ["t.example.com"], [{"secretName": "t-tls"}],
            {"traefik.ingress.kubernetes.io/router.middlewares": f"{ns}-hdr@kubernetescrd"},
        ),
        _ingress(ns, "k", ["k.example.com"], [], {"konghq.com/plugins": "cors"}),
        _ingress(ns, "n", [], [], {"nginx.ingress.kubernetes.io/limit-rps": "0"}),
    ]  # fmt: skip


SCENARIOS = {
    "cfg-good": _good,
    "cfg-bad": _bad,
    "cfg-producers": _producers,
    "cfg-variants": _variants,
}
LIVE = ("cfg-good", "cfg-bad")


def _viewer_binding() -> list[Obj]:
    """deploy/'s ClusterRole (no Secrets), bound to the test server's user ``viewer``."""
    rbac = ROOT / "deploy" / "kubernetes" / "10-rbac.yaml"
    role = next(o for o in yaml.safe_load_all(rbac.read_text()) if o["kind"] == "ClusterRole")
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "viewer-reads"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role["metadata"]["name"]},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "viewer"}],
    }  # fmt: skip
    return [role, binding]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealApiServer]:
    with real_apiserver(tmp_path_factory.mktemp("k8s-config")) as api:
        api.apply([o for ns in LIVE for o in SCENARIOS[ns]()] + _viewer_binding(), "config")
        yield api


class Run:
    """One readiness run: its items by (target, check id) and everything it printed or wrote."""

    def __init__(self, items: dict[tuple[str, str], Obj], output: str) -> None:
        self.items = items
        self.output = output

    def outcome(self, target: str, check_id: str) -> str:
        return str(self.items[target, check_id]["outcome"])

    def message(self, target: str, check_id: str) -> str:
        return str(self.items[target, check_id]["message"])


def _run(project: Path, targets: list[Obj], thresholds: dict[str, Any]) -> Run:
    profile = {"checks": CHECKS, "timeout": 30, "thresholds": thresholds, "kubernetes": targets}
    run = run_profile(project, profile, "-rA")
    return Run(run.by_target(), run.output + run.text)


def _offline_target(project: Path, ns: str) -> Obj:
    path = project / f"{ns}.yaml"
    path.write_text(yaml.safe_dump_all(SCENARIOS[ns]()))
    return {"name": f"off-{ns}", "manifests": [str(path)], "namespaces": [ns]}


@pytest.fixture(scope="module")
def both(server: RealApiServer, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Every scenario offline, and the ones the test server holds live too, in one run."""
    project = tmp_path_factory.mktemp("k8s-config-run")
    targets = [_offline_target(project, ns) for ns in SCENARIOS]
    targets += [
        {"name": f"live-{ns}", "kubeconfig": str(server.kubeconfig), "namespaces": [ns]}
        for ns in LIVE
    ]
    return _run(project, targets, THRESHOLDS)


def _evidence(item: Obj) -> list[Any]:
    """The evidence without what differs by source: file:line, and the counts line."""
    return [
        (r.get("label"), r["observed"], r["expected"], {k: v for k, v in (r.get("details") or {}).items() if k != "source"})
        for r in item["evidence"]
        if not str(r.get("label", "")).endswith(" checked")
    ]  # fmt: skip


@pytest.mark.parametrize("check_id", CHECKS)
def test_the_good_configuration_meets_the_check_live_and_offline(both: Run, check_id: str) -> None:
    for target in ("off-cfg-good", "live-cfg-good"):
        assert both.outcome(target, check_id) == "passed", both.message(target, check_id)


#: check id -> what the failure message of the bad configuration must name
BAD = {
    "K8S-INGRESS-TLS": [
        "cfg-bad/Ingress/web", "Secret web-tls is of type Opaque (host a.cfg.example.com)",
        "spec.tls[].hosts=b.cfg.example.com not listed",
    ],
    "K8S-REFS-EXIST": [
        "cfg-bad/Deployment/web/app", "env[DB_PASSWORD].valueFrom.secretKeyRef=Secret app-db missing",
        "env[MODE].valueFrom.configMapKeyRef=ConfigMap app-config has no key absent-key",
    ],
    "K8S-ENV-REQUIRED": ["cfg-bad/Deployment/web/app", "env=missing FEATURE_FLAGS"],
    "K8S-INGRESS-RATELIMIT": ["cfg-bad/Ingress/web", "metadata.annotations=no rate-limit annotation"],
    "K8S-PROBE-TIMEOUTS": [
        "readinessProbe.timeoutSeconds=10 (periodSeconds 10)",
        "livenessProbe.failureThreshold=restarts after 4s of failures",
        "livenessProbe.failureThreshold=restarts after 4s, unready after 30s",
    ],
}  # fmt: skip


#: check id -> the setting its remediation must name
SETTING = {
    "K8S-INGRESS-TLS": "spec.tls",
    "K8S-REFS-EXIST": "valueFrom",
    "K8S-ENV-REQUIRED": "env",
    "K8S-INGRESS-RATELIMIT": "limit-rps",
    "K8S-PROBE-TIMEOUTS": "timeoutSeconds",
}


@pytest.mark.parametrize("check_id", CHECKS)
def test_the_bad_configuration_fails_the_check_with_the_same_evidence_live_and_offline(
    both: Run, check_id: str
) -> None:
    offline, live = both.items["off-cfg-bad", check_id], both.items["live-cfg-bad", check_id]
    assert (offline["outcome"], live["outcome"]) == ("failed", "failed"), offline["message"]
    for named in BAD[check_id]:
        assert named in offline["message"], (named, offline["message"])
    assert _evidence(offline) == _evidence(live)
    assert [r for r in offline["evidence"] if "setting" in (r.get("details") or {})]
    assert SETTING[check_id] in offline["remediation"]
    assert str(ROOT) not in str(live["evidence"])  # live objects have no file:line


def test_no_secret_value_reaches_any_output(both: Run) -> None:
    """The Secret's data is never fetched live nor shown offline."""
    assert SECRET_VALUE not in both.output
    assert base64.b64encode(SECRET_VALUE.encode()).decode() not in both.output


def test_secrets_other_objects_produce_and_every_known_rate_limit_pass_offline(both: Run) -> None:
    target = "off-cfg-producers"
    outcomes = {c: both.outcome(target, c) for c in CHECKS}
    assert outcomes == {
        "K8S-INGRESS-TLS": "passed",  # a Certificate, cert-manager's ingress-shim, the external list
        "K8S-REFS-EXIST": "passed",  # an ExternalSecret's target
        "K8S-ENV-REQUIRED": "passed",
        "K8S-INGRESS-RATELIMIT": "passed",  # Traefik, Kong, HAProxy
        "K8S-PROBE-TIMEOUTS": "skipped",  # no probes at all
    }, {c: both.message(target, c) for c in CHECKS}
    assert both.message(target, "K8S-PROBE-TIMEOUTS") == "N/A: no containers with probes in scope"


def test_lookalike_tls_rate_limits_and_probe_timings_fail_offline(both: Run) -> None:
    target = "off-cfg-variants"
    tls = both.message(target, "K8S-INGRESS-TLS")
    assert "cfg-variants/Ingress/t" in tls
    assert "t.example.com not listed" in tls
    assert "cfg-variants/Ingress/k" in tls
    assert "cfg-variants/Ingress/n" in tls
    assert "(every host) not listed" in tls
    limits = both.message(target, "K8S-INGRESS-RATELIMIT")
    assert "Traefik middlewares cfg-variants-hdr@kubernetescrd set no rateLimit" in limits
    assert "Kong plugins cors are not rate-limiting" in limits
    assert "nginx.ingress.kubernetes.io/limit-rps='0' (not a positive number)" in limits
    probes = both.message(target, "K8S-PROBE-TIMEOUTS")
    assert "livenessProbe.timeoutSeconds=15" in probes  # over max_probe_timeout_seconds 10
    assert (
        "startupProbe.failureThreshold=gives up after 10s, livenessProbe expects a start of 60s"
        in probes
    )
    assert both.outcome(target, "K8S-REFS-EXIST") == "skipped"  # references nothing


def test_required_env_is_not_applicable_when_the_profile_requires_none(
    tmp_path: Path,
) -> None:
    run = _run(tmp_path, [_offline_target(tmp_path, "cfg-good")], {"k8s_required_env": []})
    assert run.outcome("off-cfg-good", "K8S-ENV-REQUIRED") == "skipped"
    assert "k8s_required_env is empty" in run.message("off-cfg-good", "K8S-ENV-REQUIRED")
    assert run.outcome("off-cfg-good", "K8S-INGRESS-RATELIMIT") == "skipped"
    assert "require_ingress_ratelimit is false" in run.message(
        "off-cfg-good", "K8S-INGRESS-RATELIMIT"
    )


def test_required_env_that_selects_no_container_fails(tmp_path: Path) -> None:
    thresholds = {"k8s_required_env": {"Deployment/no-such-app": ["LOG_LEVEL"]}}
    run = _run(tmp_path, [_offline_target(tmp_path, "cfg-good")], thresholds)
    assert run.outcome("off-cfg-good", "K8S-ENV-REQUIRED") == "failed"
    assert "selects no container" in run.message("off-cfg-good", "K8S-ENV-REQUIRED")


def test_secrets_the_credentials_may_not_list_are_not_met_unless_the_profile_says_so(
    server: RealApiServer, tmp_path: Path
) -> None:
    viewer = server.kubeconfig.parent / "viewer.kubeconfig"
    target = {"name": "viewer", "kubeconfig": str(viewer), "namespaces": ["cfg-good"]}
    (tmp_path / "strict").mkdir()
    strict = _run(tmp_path / "strict", [target], THRESHOLDS)
    for check_id in ("K8S-REFS-EXIST", "K8S-INGRESS-TLS"):
        assert strict.outcome("viewer", check_id) == "error", strict.message("viewer", check_id)
        assert "forbidden" in strict.message("viewer", check_id)
    lenient = {**THRESHOLDS, "verify_secrets_live": False}
    (tmp_path / "lenient").mkdir()
    run = _run(tmp_path / "lenient", [target], lenient)
    for check_id, label in (
        ("K8S-REFS-EXIST", "Secret references not verified"),
        ("K8S-INGRESS-TLS", "TLS Secrets not verified"),
    ):
        assert run.outcome("viewer", check_id) == "passed", run.message("viewer", check_id)
        (unverified,) = [
            r for r in run.items["viewer", check_id]["evidence"] if r["label"] == label
        ]
        assert "cfg-good/" in str(unverified["observed"])
