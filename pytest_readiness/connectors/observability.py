"""The observability stack of one target: the HTTP APIs of its metrics, alerting, dashboard,
log and tracing components.

Settings of an ``observability`` target: the base URLs of :data:`COMPONENTS` (``prometheus``,
``alertmanager``, ``grafana``, the log backends ``loki`` and ``elasticsearch`` (OpenSearch
too), the tracing backends ``jaeger`` and ``tempo``; each optional, at least one; checks of a
component the target does not name are not applicable),
``grafana_token`` (a secret, sent to Grafana only), ``headers`` (sent to every component) and
``verify`` (true, false or a CA bundle path). Nothing is contacted at connect: each component
answers (or fails) in the checks that use it. Every call is a read-only GET.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pytest_readiness.connectors.base import Target, describe_error, fail
from pytest_readiness.errors import ConfigError
from pytest_readiness.redaction import Redactor

if TYPE_CHECKING:
    import requests

__all__ = ["COMPONENTS", "ObservabilityStack", "connect"]

#: The components a target may name a base URL for, in the order messages list them.
COMPONENTS = ("prometheus", "alertmanager", "grafana", "loki", "elasticsearch", "jaeger", "tempo")
#: Components whose answers wrap their data in ``{"status": "success", "data": ...}``.
_ENVELOPED = ("prometheus", "loki")


class ObservabilityStack:
    """The facade of an ``observability`` target; ``client`` is its ``requests.Session``."""

    def __init__(
        self,
        target: Target,
        redactor: Redactor,
        session: requests.Session,
        urls: Mapping[str, str],
        grafana_token: str | None,
    ) -> None:
        self.target = target
        self.client = session
        self.urls = dict(urls)
        self._redactor = redactor
        self._grafana_token = grafana_token

    def has(self, component: str) -> bool:
        return component in self.urls

    def get(self, component: str, path: str, **params: Any) -> requests.Response:
        """GET ``path`` of a component; transport failures raise connector errors."""
        import requests

        headers = {}
        if component == "grafana" and self._grafana_token:
            headers["Authorization"] = f"Bearer {self._grafana_token}"
        url = self.urls[component].rstrip("/") + path
        try:
            return self.client.get(
                url, params=params or None, headers=headers, timeout=self.target.timeout
            )
        except requests.RequestException as exc:
            kind, cause = describe_error(exc)
            raise fail(
                self.target, self._redactor, cause, kind=kind, action=f"GET {component} {path} of"
            ) from None

    def api(self, component: str, path: str, **params: Any) -> Any:
        """The decoded JSON of a GET; the ``{"status": "success", "data": ...}`` envelope of
        Prometheus and Loki is unwrapped. A non-2xx answer or an error status raises connector errors."""
        response = self.get(component, path, **params)
        try:
            document = response.json()
        except ValueError:
            document = None
        if component in _ENVELOPED and isinstance(document, dict) and "status" in document:
            if document["status"] != "success":
                cause = f"{document.get('errorType', 'error')}: {document.get('error', '?')}"
                raise fail(self.target, self._redactor, cause, action=f"query {component} of")
            return document.get("data")
        if not response.ok or document is None:
            cause = f"HTTP {response.status_code} from {path}"
            raise fail(self.target, self._redactor, cause, action=f"read {component} of")
        return document

    def query(
        self, expression: str, component: str = "prometheus"
    ) -> list[tuple[dict[str, str], float]]:
        """An instant PromQL (or, from ``loki``, LogQL metric) query: (labels, value) per
        series, or one scalar with no labels."""
        path = "/loki/api/v1/query" if component == "loki" else "/api/v1/query"
        data = self.api(component, path, query=expression)
        if data.get("resultType") in ("scalar", "string"):
            return [({}, float(data["result"][1]))]
        return [(dict(s.get("metric", {})), float(s["value"][1])) for s in data.get("result", [])]

    def close(self) -> None:
        self.client.close()


def connect(target: Target, redactor: Redactor) -> ObservabilityStack:
    """Check the settings of an ``observability`` target and open one session for it."""
    import requests

    settings = target.settings
    configured = {  # literal keys: the registry test matches them with the declared settings
        "prometheus": settings.get("prometheus"),
        "alertmanager": settings.get("alertmanager"),
        "grafana": settings.get("grafana"),
        "loki": settings.get("loki"),
        "elasticsearch": settings.get("elasticsearch"),
        "jaeger": settings.get("jaeger"),
        "tempo": settings.get("tempo"),
    }
    urls: dict[str, str] = {}
    for component, url in configured.items():
        if url is None:
            continue
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigError(str(target), component, "expected an http:// or https:// URL")
        redactor.add_from_url(url)
        urls[component] = url
    if not urls:
        raise ConfigError(
            str(target), None, "names no component", f"set a URL for one of {', '.join(COMPONENTS)}"
        )
    token = settings.get("grafana_token")
    if token is not None and not isinstance(token, str):
        raise ConfigError(str(target), "grafana_token", "expected a string")
    if token:
        redactor.add(token)
    headers = settings.get("headers") or {}
    if not isinstance(headers, Mapping):
        raise ConfigError(str(target), "headers", "expected a mapping of header names to values")
    verify = settings.get("verify", True)
    if isinstance(verify, str) and not os.path.exists(verify):
        raise ConfigError(str(target), "verify", f"CA bundle {verify!r} does not exist")
    if not isinstance(verify, bool | str):
        raise ConfigError(str(target), "verify", "expected true, false or a CA bundle path")
    for name, value in headers.items():
        if any(word in str(name).lower() for word in ("auth", "token", "key", "secret", "cookie")):
            redactor.add(str(value))
            redactor.add(str(value).partition(" ")[2].strip() or str(value))
    session = requests.Session()
    session.headers.update({str(k): str(v) for k, v in headers.items()})
    session.verify = verify
    return ObservabilityStack(target, redactor, session, urls, token)
