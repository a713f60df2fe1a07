"""The one description of every target kind: its connector, extra, fixture and settings.

Everything else that names kinds or their settings follows from :data:`CONNECTORS`: the
profile keys the config loader accepts (``config.TARGET_KINDS``), the connection fixtures,
the target part of ``schemas/readiness.schema.json`` and the target section of
``docs/configuration.md`` (both written by ``python -m pytest_readiness.connectors.derived``),
and which settings are secrets. Tests prove that every setting a connector reads is declared
here. This module imports no connector and no driver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["COMMON_SETTINGS", "CONNECTORS", "Connector", "Setting", "by_fixture"]

_STRING: Mapping[str, Any] = {"type": "string"}
_STRINGS: Mapping[str, Any] = {"type": "array", "items": {"type": "string"}}
_STRING_OR_LIST: Mapping[str, Any] = {"anyOf": [{"type": "string"}, _STRINGS]}
_BOOLEAN: Mapping[str, Any] = {"type": "boolean"}
_SECONDS: Mapping[str, Any] = {"type": "number", "exclusiveMinimum": 0}


@dataclass(frozen=True)
class Setting:
    """One key of a target entry: its JSON Schema type and a one-line explanation.

    ``secret``: the value itself is a credential and is masked in every output.
    ``secret_entries``: a mapping whose entries with credential-like names
    (:data:`~pytest_readiness.redaction.SECRET_NAMES`) hold credentials, like HTTP headers.
    Passwords and tokens in URLs and DSNs are secrets whatever the setting.
    """

    name: str
    schema: Mapping[str, Any]
    doc: str
    required: bool = False
    secret: bool = False
    secret_entries: bool = False

    def json_schema(self) -> dict[str, Any]:
        """The schema of this key as the shipped JSON Schema states it."""
        schema = {**self.schema, "description": self.doc}
        if self.secret:
            schema["writeOnly"] = True  # JSON Schema's mark for values that are never shown
        return schema


@dataclass(frozen=True)
class Connector:
    """A target kind: the profile key, what connects to it and what the profile may set.

    ``module`` exposes ``connect(target, redactor)``; ``driver`` is the module the ``extra``
    installs, checked before ``module`` is imported ("" when the module checks it itself).
    """

    kind: str
    module: str
    extra: str
    driver: str
    fixture: str
    fixture_doc: str
    settings: tuple[Setting, ...]

    def setting(self, name: str) -> Setting | None:
        return next((s for s in (*COMMON_SETTINGS, *self.settings) if s.name == name), None)


#: Keys every target has; the config loader reads them, connectors get ``target.name/timeout``.
COMMON_SETTINGS = (
    Setting(
        "name",
        {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$"},
        "Target name; appears in test ids, e.g. test_x[orders].",
        required=True,
    ),
    Setting("timeout", _SECONDS, "Seconds for every connection and request to this target."),
)

_KUBERNETES = Connector(
    kind="kubernetes",
    # the offline backend needs only pyyaml: the module imports the client when it goes live
    module="pytest_readiness.connectors.kubernetes",
    extra="k8s",
    driver="",
    fixture="k8s_api",
    fixture_doc="The Kubernetes cluster (live API or rendered manifests) of each ``kubernetes`` target.",
    settings=(
        Setting(
            "kubeconfig", _STRING, "Live: kubeconfig file (default: $KUBECONFIG or ~/.kube/config)."
        ),
        Setting(
            "context", _STRING, "Live: kubeconfig context (default: the file's current context)."
        ),
        Setting(
            "in_cluster",
            _BOOLEAN,
            "Live: true uses the pod's service account, false never does (default: only when "
            "KUBERNETES_SERVICE_HOST is set and neither kubeconfig nor context is).",
        ),
        Setting(
            "namespaces", _STRINGS, "Namespaces to read namespaced objects from (default: all)."
        ),
        Setting(
            "manifests",
            _STRING_OR_LIST,
            "Offline: files, directories or globs of rendered manifests, read instead of a cluster.",
        ),
        Setting(
            "default_namespace",
            _STRING,
            "Offline: namespace of namespaced objects that name none (default: default).",
        ),
    ),
)

_POSTGRES = Connector(
    kind="postgres",
    module="pytest_readiness.connectors.postgres",
    extra="postgres",
    driver="psycopg",
    fixture="pg_conn",
    fixture_doc="A read-only PostgreSQL session (psycopg 3) for each ``postgres`` target.",
    settings=(
        Setting(
            "dsn",
            _STRING,
            "URL (postgresql://user:pw@host:5432/db?sslmode=verify-full) or keyword DSN.",
            required=True,
        ),
        Setting("password", _STRING, "Password, when it is not in the DSN.", secret=True),
        Setting(
            "statement_timeout",
            _SECONDS,
            "Seconds a single statement may run (default: the target's timeout).",
        ),
    ),
)

_REDIS = Connector(
    kind="redis",
    module="pytest_readiness.connectors.redis",
    extra="redis",
    driver="redis",
    fixture="redis_conn",
    fixture_doc="A Redis connection (redis-py) for each ``redis`` target.",
    settings=(
        Setting(
            "url",
            _STRING,
            "redis://[user:password@]host:6379/0, or rediss://... for TLS.",
            required=True,
        ),
        Setting("username", _STRING, "ACL user name, when it is not in the URL."),
        Setting("password", _STRING, "Password, when it is not in the URL.", secret=True),
        Setting("ca", _STRING, "rediss://: CA bundle to trust."),
        Setting("verify", _BOOLEAN, "rediss://: false skips certificate checks (default true)."),
    ),
)

_NATS = Connector(
    kind="nats",
    module="pytest_readiness.connectors.nats",
    extra="nats",
    driver="nats",
    fixture="nats_conn",
    fixture_doc=(
        "A synchronous NATS connection (nats-py) with JetStream and monitoring for each "
        "``nats`` target."
    ),
    settings=(
        Setting(
            "servers", _STRING_OR_LIST, "nats:// or tls:// URL, or a list of them.", required=True
        ),
        Setting("user", _STRING, "User name, with password."),
        Setting("password", _STRING, "Password of user.", secret=True),
        Setting("token", _STRING, "Authentication token.", secret=True),
        Setting("creds", _STRING, "Path of a .creds file (needs the nkeys package)."),
        Setting(
            "tls",
            {
                "anyOf": [
                    _BOOLEAN,
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"ca": _STRING, "cert": _STRING, "key": _STRING},
                    },
                ]
            },
            "true, or paths {ca, cert, key} of the CA bundle and a client certificate and key.",
        ),
        Setting(
            "monitor", _STRING, "Monitoring endpoint (http://host:8222) for nats_conn.monitor()."
        ),
    ),
)

_HTTP = Connector(
    kind="http",
    module="pytest_readiness.connectors.http",
    extra="http",
    driver="requests",
    fixture="http_session",
    fixture_doc="An HTTP session (requests) bound to each ``http`` target's base URL.",
    settings=(
        Setting(
            "base_url",
            _STRING,
            "http:// or https:// URL that paths are relative to.",
            required=True,
        ),
        Setting(
            "headers",
            {"type": "object", "additionalProperties": _STRING},
            "Headers sent on every request; credential-like ones (Authorization, ...) are secrets.",
            secret_entries=True,
        ),
        Setting(
            "verify",
            {"anyOf": [_BOOLEAN, _STRING]},
            "true (default), false (no certificate check) or the path of a CA bundle.",
        ),
        Setting("health_path", _STRING, "Path GET at connect (default: the base URL)."),
        Setting(
            "allow_methods",
            _STRINGS,
            "HTTP methods checks may send besides GET, HEAD and OPTIONS (e.g. [POST]); "
            "anything else is refused before it is sent.",
        ),
    ),
)

_HOSTS = Connector(
    kind="hosts",
    module="pytest_readiness.connectors.hosts",
    extra="hosts",
    driver="testinfra",
    fixture="target_host",
    fixture_doc="A testinfra host for each ``hosts`` target.",
    settings=(
        Setting(
            "spec",
            _STRING,
            "testinfra host spec: local://, ssh://user@host, docker://c, kubectl://pod?namespace=x.",
            required=True,
        ),
        Setting("sudo", _BOOLEAN, "Run commands through sudo (default false)."),
        Setting("sudo_user", _STRING, "User sudo runs commands as (default: root)."),
    ),
)

_ARTIFACTS = Connector(
    kind="artifacts",
    module="pytest_readiness.connectors.artifacts",
    extra="artifacts",
    driver="defusedxml",
    fixture="artifact_files",
    fixture_doc="The pipeline's report files named by each ``artifacts`` target.",
    settings=(
        Setting(
            "base_dir",
            _STRING,
            "Folder relative paths resolve against (default: the directory pytest runs in).",
        ),
        Setting("junit", _STRING_OR_LIST, "JUnit XML test results: paths or globs."),
        Setting("coverage", _STRING_OR_LIST, "Coverage reports (Cobertura XML, coverage.py JSON)."),
        Setting("sarif", _STRING_OR_LIST, "SARIF static-analysis results."),
        Setting("vulnerabilities", _STRING_OR_LIST, "Vulnerability scans (Trivy or Grype JSON)."),
        Setting(
            "load_test",
            _STRING_OR_LIST,
            "Load-test summaries (k6 JSON summary, Locust *_stats.csv).",
        ),
        Setting(
            "licenses", _STRING_OR_LIST, "Licence reports (pip-licenses or license-checker JSON)."
        ),
        Setting(
            "leak_scan",
            _STRING_OR_LIST,
            "Secret-scan reports (gitleaks JSON, trufflehog --json lines).",
        ),
        Setting(
            "cis_benchmark",
            _STRING_OR_LIST,
            "CIS benchmark results (kube-bench --json, trivy --compliance JSON).",
        ),
    ),
)

_REPOSITORY = Connector(
    kind="repository",
    module="pytest_readiness.connectors.repository",
    extra="repository",
    driver="yaml",
    fixture="repo_checkout",
    fixture_doc="The git checkout of each ``repository`` target (read through the git CLI).",
    settings=(
        Setting("path", _STRING, "A folder inside the git working tree.", required=True),
        Setting(
            "release",
            _STRING,
            "Version being released (default: the newest tag reachable from HEAD).",
        ),
    ),
)

_OBSERVABILITY = Connector(
    kind="observability",
    module="pytest_readiness.connectors.observability",
    extra="observability",
    driver="requests",
    fixture="obs_stack",
    fixture_doc="The monitoring, logging and tracing HTTP APIs of each ``observability`` target.",
    settings=(
        Setting("prometheus", _STRING, "Prometheus base URL (http://prometheus:9090)."),
        Setting("alertmanager", _STRING, "Alertmanager base URL (http://alertmanager:9093)."),
        Setting("grafana", _STRING, "Grafana base URL (https://grafana.example.com)."),
        Setting("loki", _STRING, "Loki base URL (http://loki:3100), a log backend."),
        Setting(
            "elasticsearch",
            _STRING,
            "Elasticsearch or OpenSearch base URL (https://logs:9200), a log backend.",
        ),
        Setting("jaeger", _STRING, "Jaeger query base URL (http://jaeger-query:16686)."),
        Setting("tempo", _STRING, "Tempo base URL (http://tempo:3200)."),
        Setting(
            "grafana_token",
            _STRING,
            "Grafana service-account token, sent to Grafana only.",
            secret=True,
        ),
        Setting(
            "headers",
            {"type": "object", "additionalProperties": _STRING},
            "Headers sent to every component; credential-like ones are secrets.",
            secret_entries=True,
        ),
        Setting(
            "verify",
            {"anyOf": [_BOOLEAN, _STRING]},
            "true (default), false (no certificate check) or the path of a CA bundle.",
        ),
    ),
)

#: profile key -> its connector, in the order the docs and the schema list them
CONNECTORS: dict[str, Connector] = {
    c.kind: c
    for c in (
        _KUBERNETES,
        _POSTGRES,
        _REDIS,
        _NATS,
        _HTTP,
        _HOSTS,
        _ARTIFACTS,
        _REPOSITORY,
        _OBSERVABILITY,
    )
}


def by_fixture(fixture: str) -> Connector:
    """The connector whose connection fixture is ``fixture``."""
    for connector in CONNECTORS.values():
        if connector.fixture == fixture:
            return connector
    raise KeyError(fixture)
