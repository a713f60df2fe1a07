"""Kubernetes configuration: Ingress TLS and rate limits, references, environment, probe timings.

Same items, evidence and waivers as ``test_k8s_workloads.py``: one item per check and target,
every offending object named with what it has and what it needs, live or from manifests.

Secrets are never read whole: the checks see their names and types only
(``k8s_api.secrets_without_data()``). Live, that needs ``list`` on secrets; a profile whose
credentials may not list them sets ``verify_secrets_live: false``, and the evidence then says
which Secret references were not verified. Offline, an object that is not among the rendered
manifests counts as existing when something rendered produces it (a cert-manager Certificate's
``secretName``, a SealedSecret, an ExternalSecret's target) or when the profile lists it in
``k8s_external_objects`` (``"shop/Secret/db"`` or ``"Secret/db"`` for any namespace), for what
another pipeline creates; the ConfigMap ``kube-root-ca.crt``, which the cluster publishes in
every namespace, always does.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ._k8s import (
    Finding,
    Workload,
    listed,
    message,
    object_name,
    object_namespace,
    record,
    subject,
    workloads,
)

DOMAIN = "kubernetes"
TARGET_KIND = "kubernetes"
THRESHOLDS: dict[str, dict[str, Any]] = {
    "K8S-INGRESS-TLS": {"verify_secrets_live": True, "k8s_external_objects": []},
    "K8S-REFS-EXIST": {"verify_secrets_live": True, "k8s_external_objects": []},
    "K8S-ENV-REQUIRED": {"k8s_required_env": []},
    "K8S-INGRESS-RATELIMIT": {"require_ingress_ratelimit": False},
    "K8S-PROBE-TIMEOUTS": {
        "max_probe_timeout_seconds": 10,
        "min_liveness_window_seconds": 10,
    },
}
SECTION = "Kubernetes config"
TLS_TYPE = "kubernetes.io/tls"
_ISSUER_ANNOTATIONS = ("cert-manager.io/issuer", "cert-manager.io/cluster-issuer")
#: What the cluster itself publishes in every namespace (kube-controller-manager, since 1.20),
#: so rendered manifests never hold it.
CLUSTER_PROVIDED = frozenset({("ConfigMap", "kube-root-ca.crt")})

_secrets: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], str]] = weakref.WeakKeyDictionary()


# -- what exists ---------------------------------------------------------------------------------


def _external(readiness: Any) -> set[tuple[str, str, str]]:
    """``k8s_external_objects`` as (namespace or '*', Kind, name); a malformed entry fails."""
    entries = readiness.threshold("k8s_external_objects", [])
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        pytest.fail("k8s_external_objects must be a list like ['shop/Secret/db', 'ConfigMap/x']")
    found = set()
    for entry in entries:
        parts = entry.split("/")
        if len(parts) == 2:
            found.add(("*", parts[0], parts[1]))
        elif len(parts) == 3:
            found.add((parts[0], parts[1], parts[2]))
        else:
            pytest.fail(f"k8s_external_objects: {entry!r} is not [namespace/]Kind/name")
    return found


def _secret_types(k8s_api: Any) -> dict[tuple[str, str], str]:
    """(namespace, name) -> type of every Secret, plus offline what rendered objects produce."""
    if k8s_api in _secrets:
        return _secrets[k8s_api]
    types = {
        (object_namespace(s), object_name(s)): str(s.get("type"))
        for s in k8s_api.secrets_without_data()
    }
    if not k8s_api.is_live:  # live, a producer's Secret exists by now or it is missing
        for cert in k8s_api.custom_objects("cert-manager.io", "v1", "certificates"):
            secret = str((cert.get("spec") or {}).get("secretName") or "")
            types.setdefault((object_namespace(cert), secret), TLS_TYPE)
        for sealed in k8s_api.custom_objects("bitnami.com", "v1alpha1", "sealedsecrets"):
            template = (sealed.get("spec") or {}).get("template") or {}
            kind = str(template.get("type") or "Opaque")
            types.setdefault((object_namespace(sealed), object_name(sealed)), kind)
        for external in k8s_api.custom_objects("external-secrets.io", "v1beta1", "externalsecrets"):
            target = (external.get("spec") or {}).get("target") or {}
            kind = str(((target.get("template") or {}).get("type")) or "Opaque")
            types.setdefault(
                (object_namespace(external), str(target.get("name") or object_name(external))), kind
            )
    _secrets[k8s_api] = types
    return types


def _configmap_keys(k8s_api: Any) -> dict[tuple[str, str], set[str]]:
    return {
        (object_namespace(c), object_name(c)): set(c.get("data") or {})
        | set(c.get("binaryData") or {})
        for c in listed(k8s_api, "configmaps")
    }


def _verify_secrets(k8s_api: Any, readiness: Any) -> bool:
    """Whether Secrets are looked at: always offline, live unless the profile says it may not."""
    wanted = readiness.threshold("verify_secrets_live", True)
    if not isinstance(wanted, bool):
        pytest.fail(f"verify_secrets_live must be true or false, not {wanted!r}")
    return wanted or not k8s_api.is_live


def _listed_as_external(external: set[tuple[str, str, str]], ns: str, kind: str, name: str) -> bool:
    return (ns, kind, name) in external or ("*", kind, name) in external


# -- K8S-REFS-EXIST ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """One use of a ConfigMap or Secret by a workload (``container`` None: the pod's)."""

    container: str | None
    setting: str
    kind: str
    name: str
    optional: bool
    key: str | None = None


def _reference(
    container: str | None, setting: str, kind: str, ref: dict[str, Any], *, name: str = "name"
) -> Reference:
    return Reference(
        container,
        setting,
        kind,
        str(ref.get(name) or ""),
        bool(ref.get("optional")),
        ref.get("key"),
    )


_SOURCES = (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret"))
_ENV_FROM = (("configMapRef", "ConfigMap"), ("secretRef", "Secret"))
_PROJECTED = (("configMap", "ConfigMap"), ("secret", "Secret"))


def _references(workload: Workload) -> Iterator[Reference]:
    """Every ConfigMap and Secret the workload's pods use: env, envFrom, volumes, pull secrets."""
    for container in workload.containers(init=True):
        name = container.get("name")
        for env in container.get("env") or []:
            for field, kind in _SOURCES:
                ref = (env.get("valueFrom") or {}).get(field)
                if ref:
                    yield _reference(name, f"env[{env.get('name')}].valueFrom.{field}", kind, ref)
        for index, env_from in enumerate(container.get("envFrom") or []):
            for field, kind in _ENV_FROM:
                if env_from.get(field):
                    yield _reference(name, f"envFrom[{index}].{field}", kind, env_from[field])
    spec = workload.pod_spec
    for volume in spec.get("volumes") or []:
        where = f"volumes[{volume.get('name')}]"
        if volume.get("configMap"):
            yield _reference(None, f"{where}.configMap", "ConfigMap", volume["configMap"])
        if volume.get("secret"):
            ref = volume["secret"]
            yield _reference(None, f"{where}.secret", "Secret", ref, name="secretName")
        for source in (volume.get("projected") or {}).get("sources") or []:
            for field, kind in _PROJECTED:
                if source.get(field):
                    yield _reference(None, f"{where}.projected.{field}", kind, source[field])
    for pull in spec.get("imagePullSecrets") or []:
        yield _reference(None, "imagePullSecrets", "Secret", {"name": pull.get("name")})


@pytest.mark.critical(
    id="K8S-REFS-EXIST",
    section=SECTION,
    remediation="Create the ConfigMap or Secret in the workload's namespace (or fix the name in env valueFrom, envFrom, volumes or imagePullSecrets); mark a truly optional one optional: true, and list objects another pipeline creates in k8s_external_objects.",
    docs="https://kubernetes.io/docs/concepts/configuration/configmap/",
)
def test_k8s_referenced_configmaps_and_secrets_exist(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Every ConfigMap and Secret a workload references exists in its namespace.

    References from env ``valueFrom`` (and a ConfigMap key it names), ``envFrom``, configMap,
    secret and projected volumes, and ``imagePullSecrets``, init containers included: a missing
    one keeps the pod from starting (or from pulling its image). References marked
    ``optional: true`` are not required. Offline, an object counts as existing when it is
    rendered, produced by a rendered object, or listed in ``k8s_external_objects``; live, it
    must exist. The keys of Secrets are not checked: their data is never read.
    """
    external = _external(readiness)
    verify = _verify_secrets(k8s_api, readiness)
    configmaps = _configmap_keys(k8s_api)
    secrets = _secret_types(k8s_api) if verify else {}
    findings: list[Finding] = []
    checked = 0
    unverified: list[str] = []
    for workload in workloads(k8s_api):
        ns = workload.namespace
        for ref in _references(workload):
            if ref.optional:
                continue
            if ref.kind == "Secret" and not verify:
                unverified.append(f"{workload.ref}: {ref.setting} Secret {ref.name}")
                continue
            checked += 1
            if not k8s_api.is_live and (
                (ref.kind, ref.name) in CLUSTER_PROVIDED
                or _listed_as_external(external, ns, ref.kind, ref.name)
            ):
                continue
            known = configmaps if ref.kind == "ConfigMap" else secrets
            expected = f"{ref.kind} {ns}/{ref.name} exists"
            observed = None
            if (ns, ref.name) not in known:
                observed = f"{ref.kind} {ref.name} missing"
            elif ref.kind == "ConfigMap" and ref.key and ref.key not in configmaps[(ns, ref.name)]:
                observed = f"ConfigMap {ref.name} has no key {ref.key}"
                expected = f"key {ref.key} in ConfigMap {ns}/{ref.name}"
            if observed:
                findings.append(Finding(workload, ref.container, ref.setting, observed, expected))
    if unverified:
        evidence(
            "Secret references not verified",
            observed=unverified,
            expected="verified (verify_secrets_live is false in this profile)",
        )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-REFS-EXIST",
        findings,
        checked,
        "ConfigMap and Secret references",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders,
        "references to missing ConfigMaps or Secrets",
        "Create them in the workload's namespace or fix the names.",
    )


# -- K8S-INGRESS-TLS -----------------------------------------------------------------------------


def _host_matches(pattern: str, host: str) -> bool:
    """A TLS host entry covers a rule host: equal, or a wildcard for exactly one label."""
    pattern, host = pattern.lower(), host.lower()
    if pattern == host:
        return True
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return False


def _tls_secret_problem(
    k8s_api: Any, ingress: dict[str, Any], name: str, external: set[tuple[str, str, str]]
) -> str | None:
    """Why the TLS Secret ``name`` of ``ingress`` will not serve a certificate, or None."""
    ns = object_namespace(ingress)
    if not k8s_api.is_live:
        annotations = (ingress.get("metadata") or {}).get("annotations") or {}
        if _listed_as_external(external, ns, "Secret", name) or any(
            a in annotations for a in _ISSUER_ANNOTATIONS
        ):
            return None  # created elsewhere, or by cert-manager's ingress-shim from the annotation
    kind = _secret_types(k8s_api).get((ns, name))
    if kind is None:
        return f"Secret {name} missing"
    if kind != TLS_TYPE:
        return f"Secret {name} is of type {kind}"
    return None


@pytest.mark.critical(
    id="K8S-INGRESS-TLS",
    section=SECTION,
    remediation="Add a spec.tls entry listing every host of the Ingress with a secretName, and make that Secret a kubernetes.io/tls Secret in the Ingress's namespace (e.g. issued by cert-manager).",
    docs="https://kubernetes.io/docs/concepts/services-networking/ingress/#tls",
)
def test_k8s_ingress_hosts_are_served_over_tls(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Every Ingress host is served over TLS with its own certificate.

    Each host of an Ingress's rules is listed (exactly, or by a one-label wildcard) in a
    spec.tls entry that names a secretName; an Ingress without hosts needs a spec.tls entry
    with a secretName. A spec.tls entry without hosts does not count for a named host (the
    controller would serve its default certificate). The Secret must exist in the Ingress's
    namespace with type kubernetes.io/tls: live, as listed; offline, rendered, produced by a
    cert-manager Certificate or ingress-shim annotation, or in ``k8s_external_objects``.
    """
    external = _external(readiness)
    verify = _verify_secrets(k8s_api, readiness)
    findings: list[Finding] = []
    checked = 0
    unverified: list[str] = []
    for ingress in listed(k8s_api, "ingresses"):
        spec = ingress.get("spec") or {}
        who = subject(k8s_api, ingress)
        tls = spec.get("tls") or []
        hosts = [str(r["host"]) for r in spec.get("rules") or [] if r.get("host")]
        wanted: list[tuple[str, list[dict[str, Any]]]] = []
        for host in hosts:
            covering = [
                t for t in tls if any(_host_matches(str(p), host) for p in t.get("hosts") or [])
            ]
            wanted.append((host, covering))
        if not hosts:
            wanted.append(("(every host)", tls))
        for host, covering in wanted:
            checked += 1
            named = [str(t["secretName"]) for t in covering if t.get("secretName")]
            if not covering:
                findings.append(
                    Finding(
                        who,
                        None,
                        "spec.tls[].hosts",
                        f"{host} not listed",
                        "a spec.tls entry for it",
                    )
                )
            elif not named:
                findings.append(
                    Finding(
                        who, None, "spec.tls[].secretName", f"unset for {host}", "a TLS Secret name"
                    )
                )
            elif not verify:
                unverified.append(f"{who.ref}: Secret {named[0]} for {host}")
            else:
                problem = _tls_secret_problem(k8s_api, ingress, named[0], external)
                if problem:
                    findings.append(
                        Finding(
                            who,
                            None,
                            "spec.tls[].secretName",
                            f"{problem} (host {host})",
                            f"a {TLS_TYPE} Secret in {object_namespace(ingress)}",
                        )
                    )
    if unverified:
        evidence(
            "TLS Secrets not verified",
            observed=unverified,
            expected="verified (verify_secrets_live is false in this profile)",
        )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-INGRESS-TLS",
        findings,
        checked,
        "Ingress hosts",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "Ingress hosts are not served over TLS", "Set spec.tls with a secretName."
    )


# -- K8S-ENV-REQUIRED ----------------------------------------------------------------------------


def _env_rules(readiness: Any) -> dict[str, list[str]]:
    """``k8s_required_env`` as {selector: names}; a list applies to every container ('*')."""
    value = readiness.threshold("k8s_required_env", [])
    if isinstance(value, list):
        value = {"*": value} if value else {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(n, str) for n in v)
        for k, v in value.items()
    ):
        pytest.fail(
            "k8s_required_env must be a list of variable names, or a mapping of '*', a container "
            "name or a workload ('shop/Deployment/api', 'Deployment/api') to such a list"
        )
    return {k: v for k, v in value.items() if v}


def _selects(selector: str, workload: Workload, container: str) -> bool:
    if selector == "*" or selector == container:
        return True
    return selector in (workload.ref, f"{workload.kind}/{workload.name}")


def _defined_names(
    workload: Workload,
    container: dict[str, Any],
    configmaps: dict[tuple[str, str], set[str]],
    secret_keys: dict[tuple[str, str], set[str]],
) -> tuple[set[str], list[str]]:
    """Variable names a container surely defines, and the envFrom sources whose keys are unknown."""
    names = {str(e.get("name")) for e in container.get("env") or []}
    unknown = []
    for env_from in container.get("envFrom") or []:
        prefix = str(env_from.get("prefix") or "")
        if env_from.get("configMapRef"):
            ref = str(env_from["configMapRef"].get("name") or "")
            keys = configmaps.get((workload.namespace, ref))
            label = f"ConfigMap {ref}"
        else:
            ref = str((env_from.get("secretRef") or {}).get("name") or "")
            keys = secret_keys.get((workload.namespace, ref))
            label = f"Secret {ref}"
        if keys is None:
            unknown.append(label)
        else:
            names |= {prefix + k for k in keys}
    return names, unknown


def _offline_secret_keys(k8s_api: Any) -> dict[tuple[str, str], set[str]]:
    """Offline, the keys (never values) of rendered Secrets; live, none are read."""
    if k8s_api.is_live:
        return {}
    from pytest_readiness.connectors.k8s_cluster import SECRETS

    return {
        (object_namespace(s), object_name(s)): set(s.get("data") or {})
        | set(s.get("stringData") or {})
        for s in k8s_api.objects(SECRETS)
    }


@pytest.mark.important(
    id="K8S-ENV-REQUIRED",
    section=SECTION,
    remediation="Define every variable k8s_required_env lists in the container's env (or through envFrom of a ConfigMap holding it).",
    docs="https://kubernetes.io/docs/tasks/inject-data-application/define-environment-variable-container/",
)
def test_k8s_containers_define_the_required_environment(
    k8s_api: Any, evidence: Any, readiness: Any
) -> None:
    """Containers define the environment variables the profile requires.

    ``k8s_required_env`` is a list of names every app container must define, or a mapping
    from ``*``, a container name or a workload (``shop/Deployment/api`` or ``Deployment/api``)
    to such a list. A name counts as defined by ``env``, or by ``envFrom`` of a ConfigMap (or,
    offline, a rendered Secret) holding that key with its prefix; live, a Secret's keys are
    not read, so a name only an ``envFrom`` Secret might hold is not met. When no key selects
    any container of a target that has workloads, the check fails (a typo must not pass); keys
    that select nothing while others do are listed in the evidence (another target may hold
    them). An empty list (the default) states that nothing is required: not applicable.
    """
    rules = _env_rules(readiness)
    if not rules:
        pytest.skip("N/A: k8s_required_env is empty: the profile requires no variables")
    configmaps, secret_keys = _configmap_keys(k8s_api), _offline_secret_keys(k8s_api)
    findings: list[Finding] = []
    checked = 0
    used: set[str] = set()
    for workload in workloads(k8s_api):
        for container in workload.containers():
            name = str(container.get("name"))
            required = sorted(
                {n for sel, names in rules.items() if _selects(sel, workload, name) for n in names}
            )
            used |= {sel for sel in rules if _selects(sel, workload, name)}
            if not required:
                continue
            checked += 1
            defined, unknown = _defined_names(workload, container, configmaps, secret_keys)
            missing = [n for n in required if n not in defined]
            if missing:
                why = f"missing {', '.join(missing)}" + (
                    f" (keys of envFrom {', '.join(unknown)} not known)" if unknown else ""
                )
                findings.append(Finding(workload, name, "env", why, ", ".join(required)))
    unmatched = sorted(set(rules) - used - {"*"})
    if unmatched:  # another target of the profile may hold them: said, not failed
        evidence(
            "k8s_required_env keys that select no container here",
            observed=unmatched,
            expected="each key selects a container",
        )
    if checked == 0 and workloads(k8s_api):
        pytest.fail(
            f"k8s_required_env selects no container of this target's workloads "
            f"(keys: {', '.join(sorted(rules))}); check the container and workload names"
        )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-ENV-REQUIRED",
        findings,
        checked,
        "containers with required variables",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "containers lack required environment variables", "Define them in env."
    )


# -- K8S-INGRESS-RATELIMIT -----------------------------------------------------------------------

#: Annotations that set a per-client limit: ingress-nginx, HAProxy Technologies, haproxy-ingress.
RATE_ANNOTATIONS = (
    "nginx.ingress.kubernetes.io/limit-rps",
    "nginx.ingress.kubernetes.io/limit-rpm",
    "nginx.ingress.kubernetes.io/limit-connections",
    "haproxy.org/rate-limit-requests",
    "haproxy-ingress.github.io/limit-rps",
    "haproxy-ingress.github.io/limit-connections",
)
TRAEFIK_MIDDLEWARES = "traefik.ingress.kubernetes.io/router.middlewares"
KONG_PLUGINS = "konghq.com/plugins"
KONG_RATE_PLUGINS = ("rate-limiting", "rate-limiting-advanced")


def _traefik_limiters(k8s_api: Any) -> set[str]:
    """``<namespace>-<name>@kubernetescrd`` of every Traefik Middleware that limits requests."""
    found = set()
    for group in ("traefik.io", "traefik.containo.us"):
        for middleware in k8s_api.custom_objects(group, "v1alpha1", "middlewares"):
            spec = middleware.get("spec") or {}
            if spec.get("rateLimit") or spec.get("inFlightReq"):
                found.add(f"{object_namespace(middleware)}-{object_name(middleware)}@kubernetescrd")
    return found


def _kong_limiters(k8s_api: Any) -> set[tuple[str, str]]:
    """(namespace or '*', name) of every Kong plugin object that rate-limits."""
    found = set()
    for plural in ("kongplugins", "kongclusterplugins"):
        for plugin in k8s_api.custom_objects("configuration.konghq.com", "v1", plural):
            if plugin.get("plugin") in KONG_RATE_PLUGINS:
                ns = object_namespace(plugin) if plural == "kongplugins" else "*"
                found.add((ns, object_name(plugin)))
    return found


def _rate_limit(
    ingress: dict[str, Any], traefik: set[str], kong: set[tuple[str, str]]
) -> tuple[bool, str]:
    annotations = (ingress.get("metadata") or {}).get("annotations") or {}
    for key in RATE_ANNOTATIONS:
        if key in annotations:
            value = str(annotations[key]).strip()
            if value.isdigit() and int(value) > 0:
                return True, f"{key}={value}"
            return False, f"{key}={value!r} (not a positive number)"
    ns = object_namespace(ingress)
    names = [
        m.strip() for m in str(annotations.get(TRAEFIK_MIDDLEWARES, "")).split(",") if m.strip()
    ]
    if names:
        limiting = [m for m in names if m in traefik]
        if limiting:
            return True, f"Traefik middleware {limiting[0]}"
        return False, f"Traefik middlewares {', '.join(names)} set no rateLimit"
    plugins = [p.strip() for p in str(annotations.get(KONG_PLUGINS, "")).split(",") if p.strip()]
    if plugins:
        limiting = [p for p in plugins if (ns, p) in kong or ("*", p) in kong]
        if limiting:
            return True, f"Kong plugin {limiting[0]}"
        return False, f"Kong plugins {', '.join(plugins)} are not rate-limiting"
    return False, "no rate-limit annotation"


@pytest.mark.important(
    id="K8S-INGRESS-RATELIMIT",
    section=SECTION,
    remediation="Limit requests per client on every Ingress: nginx.ingress.kubernetes.io/limit-rps (or limit-rpm, limit-connections), haproxy.org/rate-limit-requests, a Traefik rateLimit Middleware in router.middlewares, or a Kong rate-limiting plugin in konghq.com/plugins.",
    docs="https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#rate-limiting",
)
def test_k8s_ingresses_limit_request_rates(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Ingresses limit the request rate per client, when the profile requires it.

    With ``require_ingress_ratelimit: true``, every Ingress carries a rate limit that a known
    controller applies: ingress-nginx ``limit-rps``, ``limit-rpm`` or ``limit-connections``;
    HAProxy's ``haproxy.org/rate-limit-requests`` or haproxy-ingress ``limit-rps`` /
    ``limit-connections`` (a positive number); a Traefik ``router.middlewares`` reference to a
    Middleware with ``rateLimit`` or ``inFlightReq``; or a Kong ``konghq.com/plugins``
    reference to a KongPlugin or KongClusterPlugin of ``rate-limiting(-advanced)``. The
    Middleware and plugin objects must be found (live: served by the cluster; offline:
    rendered). Not applicable while the profile does not require it (the default).
    """
    required = readiness.threshold("require_ingress_ratelimit", False)
    if not isinstance(required, bool):
        pytest.fail(f"require_ingress_ratelimit must be true or false, not {required!r}")
    if not required:
        pytest.skip("N/A: require_ingress_ratelimit is false in this profile")
    ingresses = listed(k8s_api, "ingresses")
    traefik = _traefik_limiters(k8s_api) if ingresses else set()
    kong = _kong_limiters(k8s_api) if ingresses else set()
    findings = []
    for ingress in ingresses:
        ok, observed = _rate_limit(ingress, traefik, kong)
        if not ok:
            findings.append(
                Finding(
                    subject(k8s_api, ingress),
                    None,
                    "metadata.annotations",
                    observed,
                    "a rate limit of a known ingress controller",
                )
            )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-INGRESS-RATELIMIT",
        findings,
        len(ingresses),
        "Ingresses",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "Ingresses do not limit request rates", "Add a rate-limit annotation."
    )


# -- K8S-PROBE-TIMEOUTS --------------------------------------------------------------------------

_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def _timing(probe: dict[str, Any], key: str) -> int:
    """A probe timing with the API server's default."""
    defaults = {"timeoutSeconds": 1, "periodSeconds": 10, "failureThreshold": 3}
    value = probe.get(key)
    return int(defaults.get(key, 0) if value is None else value)


def _window(probe: dict[str, Any]) -> int:
    """Seconds of consecutive failures before the probe acts: failureThreshold x periodSeconds."""
    return _timing(probe, "failureThreshold") * _timing(probe, "periodSeconds")


def _probe_problems(
    container: dict[str, Any], limits: dict[str, int]
) -> Iterator[tuple[str, str, str]]:
    """(setting, observed, expected) of every unsafe timing of a container's probes."""
    for kind in _PROBES:
        probe = container.get(kind)
        if not probe:
            continue
        timeout, period = _timing(probe, "timeoutSeconds"), _timing(probe, "periodSeconds")
        if timeout > limits["max_probe_timeout_seconds"]:
            yield (
                f"{kind}.timeoutSeconds",
                str(timeout),
                f"<= {limits['max_probe_timeout_seconds']}",
            )
        if timeout >= period:
            yield f"{kind}.timeoutSeconds", f"{timeout} (periodSeconds {period})", "< periodSeconds"
    liveness, readiness = container.get("livenessProbe"), container.get("readinessProbe")
    if liveness:
        window = _window(liveness)
        if window < limits["min_liveness_window_seconds"]:
            yield (
                "livenessProbe.failureThreshold",
                f"restarts after {window}s of failures",
                f">= {limits['min_liveness_window_seconds']}s (failureThreshold x periodSeconds)",
            )
        if readiness and window < _window(readiness):
            yield (
                "livenessProbe.failureThreshold",
                f"restarts after {window}s, unready after {_window(readiness)}s",
                "liveness no quicker than readiness",
            )
    startup = container.get("startupProbe")
    if startup:
        allows = int(startup.get("initialDelaySeconds") or 0) + _window(startup)
        for kind in ("livenessProbe", "readinessProbe"):
            delay = int((container.get(kind) or {}).get("initialDelaySeconds") or 0)
            if allows < delay:
                yield (
                    "startupProbe.failureThreshold",
                    f"gives up after {allows}s, {kind} expects a start of {delay}s",
                    f">= {delay}s (initialDelaySeconds + failureThreshold x periodSeconds)",
                )


@pytest.mark.important(
    id="K8S-PROBE-TIMEOUTS",
    section=SECTION,
    remediation="Keep probe timeoutSeconds below periodSeconds and max_probe_timeout_seconds, give the livenessProbe failureThreshold x periodSeconds of at least min_liveness_window_seconds and no less than the readinessProbe's, and let the startupProbe's failureThreshold x periodSeconds cover the start the other probes' initialDelaySeconds expect.",
    docs="https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#configure-probes",
)
def test_k8s_probe_timings_are_sane(k8s_api: Any, evidence: Any, readiness: Any) -> None:
    """Probe timings neither kill healthy containers nor hide hung ones.

    For every probe (unset values read as the API server's defaults: timeoutSeconds 1,
    periodSeconds 10, failureThreshold 3): timeoutSeconds is below periodSeconds and at most
    ``max_probe_timeout_seconds``; the livenessProbe acts only after
    ``min_liveness_window_seconds`` of failures (failureThreshold x periodSeconds) and no
    sooner than the readinessProbe, so a slow pod is taken out of the Service before it is
    restarted; and a startupProbe waits (initialDelaySeconds + failureThreshold x
    periodSeconds) at least as long as the start the liveness and readiness probes'
    initialDelaySeconds expect, else it kills a container that is still starting.
    """
    defaults = THRESHOLDS["K8S-PROBE-TIMEOUTS"]
    limits = {key: int(readiness.threshold(key, default)) for key, default in defaults.items()}
    findings = []
    checked = 0
    for workload in workloads(k8s_api):
        for container in workload.containers():
            if not any(container.get(p) for p in _PROBES):
                continue
            checked += 1
            for setting, observed, expected in _probe_problems(container, limits):
                findings.append(
                    Finding(workload, container.get("name"), setting, observed, expected)
                )
    offenders = record(
        evidence,
        k8s_api,
        "K8S-PROBE-TIMEOUTS",
        findings,
        checked,
        "containers with probes",
        readiness=readiness,
    )
    assert not offenders, message(
        offenders, "probe timings are unsafe", "Adjust the probe timings."
    )
