"""Stand-ins for the log and trace backends of the telemetry check tests.

Loki, Elasticsearch / OpenSearch, Jaeger and Tempo are in none of the package registries this
project installs from (Debian's ``loki`` is an unrelated genetics tool), so each is a small
``http.server`` app answering the documented API requests the checks make, in the documented
answer shapes, over records whose ages are fixed relative to the time of the request:

- :class:`LokiStandIn`: ``/loki/api/v1/query`` for ``sum(count_over_time({...}[w]))`` and
  ``/loki/api/v1/query_range`` for a stream selector (equality matchers only).
- :class:`ElasticsearchStandIn`: ``/<index>/_count`` and ``/<index>/_search`` with a Lucene
  ``q`` of the form ``(field:value or *) AND <time field>:[now-<w> TO *]``.
- :class:`JaegerStandIn`: ``/api/services`` and ``/api/traces`` (start and end in microseconds).
- :class:`TempoStandIn`: ``/api/search`` with a TraceQL ``q`` on ``resource.service.name``.

Subclasses set the records: a ``Good*`` one of each holds what the checks want to see, a
``Bad*`` one what real services get wrong (too few, stale, unstructured, missing records).
"""

from __future__ import annotations

import fnmatch
import http.server
import json
import re
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.http_servers import send_json

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _seconds(duration: str) -> int:
    match = re.fullmatch(r"(\d+)([smhdw])", duration)
    if not match:
        raise ValueError(f"bad duration {duration!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _matchers(selector: str) -> dict[str, str]:
    """``{a="x", b="y"}`` -> {a: x, b: y}; anything else is a parse error."""
    body = re.fullmatch(r"\{(.*)\}", selector.strip())
    if not body:
        raise ValueError(f"parse error: {selector!r} is not a stream selector")
    pairs = [p.strip() for p in body.group(1).split(",") if p.strip()]
    found = {}
    for pair in pairs:
        match = re.fullmatch(r'(\w+)\s*=\s*"([^"]*)"', pair)
        if not match:
            raise ValueError(f"parse error: unsupported matcher {pair!r}")
        found[match.group(1)] = match.group(2)
    return found


class _StandIn(http.server.BaseHTTPRequestHandler):
    def params(self) -> tuple[str, dict[str, str]]:
        url = urlsplit(self.path)
        return url.path, {k: v[-1] for k, v in parse_qs(url.query).items()}

    def log_message(self, format: str, *args: object) -> None:
        pass


class LokiStandIn(_StandIn):
    """Loki's query API (stand-in: Loki is not installable here). Lines: (labels, age in
    seconds, line)."""

    lines: tuple[tuple[Mapping[str, str], float, str], ...] = ()

    def do_GET(self) -> None:
        path, params = self.params()
        try:
            if path == "/loki/api/v1/query":
                self._count(params["query"])
            elif path == "/loki/api/v1/query_range":
                self._range(params)
            else:
                send_json(self, 404, {"message": "404 page not found"})
        except (KeyError, ValueError) as exc:
            send_json(self, 400, {"status": "error", "errorType": "bad_data", "error": str(exc)})

    def _matching(self, selector: str, window: int) -> list[tuple[Mapping[str, str], float, str]]:
        wanted = _matchers(selector).items()
        return [e for e in self.lines if wanted <= e[0].items() and e[1] <= window]

    def _count(self, query: str) -> None:
        match = re.fullmatch(r"sum\(count_over_time\((\{.*\})\[(\w+)\]\)\)", query)
        if not match:
            raise ValueError(f"parse error: unsupported query {query!r}")
        count = len(self._matching(match.group(1), _seconds(match.group(2))))
        now = time.time()
        result = [{"metric": {}, "value": [now, str(count)]}] if count else []
        send_json(
            self, 200, {"status": "success", "data": {"resultType": "vector", "result": result}}
        )

    def _range(self, params: dict[str, str]) -> None:
        entries = self._matching(params["query"], _seconds(params.get("since", "1h")))
        entries.sort(key=lambda e: e[1])  # direction=backward: newest first
        entries = entries[: int(params.get("limit", "100"))]
        now = time.time()
        streams: dict[str, dict[str, Any]] = {}
        for labels, age, line in entries:
            key = json.dumps(dict(labels), sort_keys=True)
            stream = streams.setdefault(key, {"stream": dict(labels), "values": []})
            stream["values"].append([str(int((now - age) * 1e9)), line])
        data = {"resultType": "streams", "result": list(streams.values())}
        send_json(self, 200, {"status": "success", "data": data})


class ElasticsearchStandIn(_StandIn):
    """Elasticsearch's ``_count`` and ``_search`` with a ``q`` query string (stand-in:
    Elasticsearch and OpenSearch are not installable here). Documents: (age in seconds,
    ``_source`` without its ``@timestamp``), all in one index."""

    index = "logs-shop-2026.12"
    documents: tuple[tuple[float, Mapping[str, Any]], ...] = ()

    def do_GET(self) -> None:
        path, params = self.params()
        index, _, action = path.strip("/").partition("/")
        if action not in ("_count", "_search"):
            send_json(self, 404, {"error": "no handler", "status": 404})
            return
        if not fnmatch.fnmatchcase(self.index, index):
            if "*" in index:  # a pattern that matches nothing counts nothing
                self._answer(action, [], params)
            else:
                error = {"type": "index_not_found_exception", "reason": f"no such index [{index}]"}
                send_json(self, 404, {"error": error, "status": 404})
            return
        match = re.fullmatch(r"\((.*)\) AND (\S+):\[now-(\w+) TO \*\]", params.get("q", ""))
        if not match:
            error = {"type": "query_shard_exception", "reason": "unsupported q"}
            send_json(self, 400, {"error": error, "status": 400})
            return
        term, field, window = match.groups()
        hits = [
            (age, source)
            for age, source in self.documents
            if field == "@timestamp" and age <= _seconds(window) and self._matches(source, term)
        ]
        self._answer(action, hits, params)

    @staticmethod
    def _matches(source: Mapping[str, Any], term: str) -> bool:
        if term == "*":
            return True
        name, _, value = term.partition(":")
        field: Any = source
        for part in name.split("."):
            field = field.get(part) if isinstance(field, Mapping) else None
        return str(field) == value.strip('"')

    def _answer(
        self, action: str, hits: list[tuple[float, Mapping[str, Any]]], params: dict[str, str]
    ) -> None:
        shards = {"total": 1, "successful": 1, "skipped": 0, "failed": 0}
        if action == "_count":
            send_json(self, 200, {"count": len(hits), "_shards": shards})
            return
        hits.sort(key=lambda hit: hit[0])  # sort=@timestamp:desc
        now = time.time()
        found = [
            {
                "_index": self.index,
                "_id": str(n),
                "_score": None,
                "_source": {
                    "@timestamp": datetime.fromtimestamp(now - age, timezone.utc).isoformat(),
                    **source,
                },
            }
            for n, (age, source) in enumerate(hits[: int(params.get("size", "10"))])
        ]
        total = {"value": len(hits), "relation": "eq"}
        body = {
            "took": 1,
            "timed_out": False,
            "_shards": shards,
            "hits": {"total": total, "hits": found},
        }
        send_json(self, 200, body)


class JaegerStandIn(_StandIn):
    """Jaeger's query API (stand-in: Jaeger is not installable here). Traces: (service, age
    in seconds)."""

    traces: tuple[tuple[str, float], ...] = ()

    def do_GET(self) -> None:
        path, params = self.params()
        if path == "/api/services":
            services = sorted({service for service, _ in self.traces})
            body = {"data": services, "total": len(services), "limit": 0, "offset": 0}
            send_json(self, 200, {**body, "errors": None})
        elif path == "/api/traces":
            if "service" not in params:
                error = [{"code": 400, "msg": "parameter 'service' is required"}]
                send_json(self, 400, {"data": None, "total": 0, "errors": error})
                return
            now_us = time.time() * 1e6
            start = int(params.get("start", "0"))
            end = int(params.get("end", str(int(now_us))))
            data = [
                {
                    "traceID": f"{n:032x}",
                    "spans": [{"startTime": int(now_us - age * 1e6), "processID": "p1"}],
                    "processes": {"p1": {"serviceName": service}},
                }
                for n, (service, age) in enumerate(self.traces)
                if service == params["service"] and start <= now_us - age * 1e6 <= end
            ][: int(params.get("limit", "20"))]
            send_json(
                self, 200, {"data": data, "total": 0, "limit": 0, "offset": 0, "errors": None}
            )
        else:
            send_json(self, 404, {"data": None, "errors": [{"code": 404, "msg": "not found"}]})


class TempoStandIn(_StandIn):
    """Tempo's search API (stand-in: Tempo is not installable here). Traces: (service, age in
    seconds)."""

    traces: tuple[tuple[str, float], ...] = ()

    def do_GET(self) -> None:
        path, params = self.params()
        if path != "/api/search":
            send_json(self, 404, {"error": "404 page not found"})
            return
        query = params.get("q", "{}").strip()
        match = re.fullmatch(r'\{\s*resource\.service\.name\s*=\s*"([^"]*)"\s*\}', query)
        if query != "{}" and not match:
            send_json(self, 400, {"error": f"parse error: unsupported TraceQL {query!r}"})
            return
        now = time.time()
        start, end = float(params.get("start", "0")), float(params.get("end", str(now)))
        traces = [
            {
                "traceID": f"{n:032x}",
                "rootServiceName": service,
                "rootTraceName": "GET /orders",
                "startTimeUnixNano": str(int((now - age) * 1e9)),
                "durationMs": 12,
            }
            for n, (service, age) in enumerate(self.traces)
            if (match is None or service == match.group(1)) and start <= now - age <= end
        ][: int(params.get("limit", "20"))]
        send_json(self, 200, {"traces": traces, "metrics": {"completedJobs": 1, "totalJobs": 1}})


def _json_line(age: float, level: str | None = "info") -> str:
    record: dict[str, Any] = {"ts": time.time() - age, "msg": "order placed"}
    if level:
        record["level"] = level
    return json.dumps(record)


SHOP = {"app": "shop", "env": "prod"}


class GoodLoki(LokiStandIn):
    lines = tuple((SHOP, 10.0 * n, _json_line(10.0 * n)) for n in range(1, 31))


class BadLoki(LokiStandIn):
    """Three recent lines (two plain text, one JSON without a level), the rest stale."""

    lines = (
        (SHOP, 30.0, "INFO order placed id=42"),
        (SHOP, 60.0, "Traceback (most recent call last):"),
        (SHOP, 90.0, _json_line(90.0, level=None)),
        *((SHOP, 7200.0 + n, _json_line(7200.0 + n)) for n in range(50)),
    )


def _ecs(message: str) -> dict[str, Any]:
    return {"log": {"level": "info"}, "message": message, "service": {"name": "shop"}}


class GoodElasticsearch(ElasticsearchStandIn):
    documents = tuple((20.0 * n, _ecs(f"order {n} placed")) for n in range(1, 21))


class BadElasticsearch(ElasticsearchStandIn):
    """Two recent documents shipped as raw text (a message only); the rest stale."""

    documents = (
        (40.0, {"message": "order placed", "service": {"name": "shop"}}),
        (80.0, {"message": "payment failed", "service": {"name": "shop"}}),
        *((7200.0 + n, _ecs("old")) for n in range(20)),
    )


class GoodJaeger(JaegerStandIn):
    traces = tuple((service, 60.0 * n) for n in range(1, 6) for service in ("shop", "checkout"))


class BadJaeger(JaegerStandIn):
    """Only stale traces of the shop; the checkout service never reported."""

    traces = tuple(("shop", 3 * 3600.0 + n) for n in range(5))


class GoodTempo(TempoStandIn):
    traces = GoodJaeger.traces


class BadTempo(TempoStandIn):
    """No trace at all."""
