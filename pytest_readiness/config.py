"""Load readiness.yaml: YAML -> schema check -> profile chain -> ${ENV} interpolation -> Profile.

Every problem becomes one :class:`ConfigError` naming the file, the key and the fix; the plugin
turns it into pytest's usage error (exit status 4), never a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pytest_readiness.connectors.base import DEFAULT_TIMEOUT, Target
from pytest_readiness.errors import ConfigError
from pytest_readiness.links import docs_page
from pytest_readiness.model import Attestation, Severity, Waiver
from pytest_readiness.policy import DEFAULT_MAX_WAIVER_DAYS, DEFAULT_WEIGHTS, Policy
from pytest_readiness.redaction import MIN_SECRET_LENGTH
from pytest_readiness.registry import CONNECTORS
from pytest_readiness.schema import Interpolated, readiness_schema, validate

TARGET_KINDS = tuple(CONNECTORS)  # profile keys that hold targets
DEFAULT_ATTESTATION_DAYS = 90
#: Seconds one check may run before pytest-timeout stops it (profile `check_timeout`).
DEFAULT_CHECK_TIMEOUT = 300.0

_VAR = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_MERGED_MAPS = ("policy", "thresholds", "severity", "checklist_links")


@dataclass(frozen=True)
class Profile:
    """The resolved profile: what the fixtures, the policy and the reports use."""

    name: str
    source: str
    timeout: float = DEFAULT_TIMEOUT
    policy: Policy = field(default_factory=Policy)
    thresholds: Mapping[str, Any] = field(default_factory=dict)
    severity_overrides: tuple[tuple[str, Severity], ...] = ()
    waivers: tuple[Waiver, ...] = ()
    attestations: tuple[Attestation, ...] = ()
    checklist_links: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    targets: Mapping[str, tuple[Target, ...]] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    description: str = ""
    absent: frozenset[str] = frozenset()  # kinds this environment declares it has none of
    check_timeout: float = DEFAULT_CHECK_TIMEOUT  # seconds one check may run
    checks: tuple[str, ...] | None = None  # built-in domains/ids; None: by the targets' kinds

    def targets_of(self, kind: str) -> tuple[Target, ...]:
        return self.targets.get(kind, ())


def load_profile(
    path: Path, name: str, environ: Mapping[str, str], document: Any = None
) -> Profile:
    """Read ``path`` and resolve profile ``name``; raise ConfigError on any problem.

    ``document``: the file as :func:`read_config` returned it, already read (an xdist worker
    gets the controller's); it is checked and resolved here exactly like a file just read.
    """
    source = str(path)
    if document is None:
        document = read_config(path)
    document = validate(document, source=source, lenient=True)
    profiles: dict[str, Any] = document["profiles"]
    if name not in profiles:
        known = ", ".join(sorted(profiles))
        raise ConfigError(
            source, "profiles", f"unknown profile {name!r}", f"known profiles: {known}"
        )
    merged = _resolve(profiles, name, source)
    secrets: set[str] = set()
    merged = _interpolate(merged, environ, source, f"profiles.{name}", secrets)
    top_policy = _interpolate(document.get("policy", {}), environ, source, "policy", secrets)
    checked = validate({"policy": top_policy, "profiles": {name: merged}}, source=source)
    return _build(name, source, checked["policy"], checked["profiles"][name], secrets)


def read_config(path: Path) -> Any:
    """The YAML document of ``path`` (plain values, before any check); ConfigError if unreadable."""
    # PyYAML only here: a run without --readiness (the plugin inert) never reads a config.
    import yaml

    from pytest_readiness import config_yaml

    source = str(path)
    try:
        if path.stat().st_size > config_yaml.MAX_BYTES:
            raise ConfigError(
                source,
                None,
                f"the file is larger than {config_yaml.MAX_BYTES // 1024} KiB",
                "a readiness config is small: check that this is the right file",
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            source,
            None,
            "file not found",
            f"create it (see {docs_page('configuration')}) or pass --readiness-config=PATH",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            source,
            None,
            f"cannot read the file ({type(exc).__name__})",
            "check the path and that it is UTF-8 text",
        ) from None
    try:
        document = config_yaml.load(text)
    except config_yaml.BoundExceeded as exc:
        raise ConfigError(
            source, None, str(exc), "keep the config small: split it, or drop anchors that nest"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise ConfigError(
            source,
            None,
            f"YAML syntax error at {where}: {exc.problem}",
            "fix the YAML syntax there",
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(source, None, f"YAML error: {exc}", "fix the YAML syntax") from None
    if document is None:
        raise ConfigError(
            source, None, "the file is empty", "define 'profiles:' with at least one profile"
        )
    if not isinstance(document, dict):
        raise ConfigError(
            source,
            None,
            "the top level is not a mapping",
            "start the file with 'profiles:' (and optionally 'policy:')",
        )
    return document


def _resolve(profiles: dict[str, Any], name: str, source: str) -> dict[str, Any]:
    """Merge the ``extends`` chain: mappings merge key by key, everything else is replaced."""
    chain: list[str] = []
    current: str | None = name
    while current is not None:
        if current in chain:
            loop = " -> ".join([*chain, current])
            raise ConfigError(
                source,
                f"profiles.{chain[-1]}.extends",
                f"profiles extend each other in a loop ({loop})",
                "remove one of the 'extends:'",
            )
        if current not in profiles:
            known = ", ".join(sorted(profiles))
            raise ConfigError(
                source,
                f"profiles.{chain[-1]}.extends",
                f"unknown profile {current!r}",
                f"extend one of: {known}",
            )
        chain.append(current)
        current = profiles[current].get("extends")
    merged: dict[str, Any] = {}
    for link in reversed(chain):
        for key, value in profiles[link].items():
            if (
                key in _MERGED_MAPS
                and isinstance(value, dict)
                and isinstance(merged.get(key), dict)
            ):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
    merged.pop("extends", None)
    return merged


def _interpolate(
    value: Any, environ: Mapping[str, str], source: str, path: str, secrets: set[str]
) -> Any:
    if isinstance(value, dict):
        return {
            k: _interpolate(v, environ, source, f"{path}.{k}", secrets) for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            _interpolate(v, environ, source, f"{path}[{i}]", secrets) for i, v in enumerate(value)
        ]
    if not isinstance(value, str) or "$" not in value:
        return value
    substituted = False

    def replace(match: re.Match[str]) -> str:
        nonlocal substituted
        if match.group(0) == "$${":
            return "${"
        substituted = True
        var, default = match.group(1), match.group(2)
        if var in environ:
            if len(environ[var]) >= MIN_SECRET_LENGTH:
                secrets.add(environ[var])
            return environ[var]
        if default is not None:
            return default
        raise ConfigError(
            source,
            path,
            f"environment variable {var} is not set",
            f"export {var}=... or write ${{{var}:-default}}",
        )

    result = _VAR.sub(replace, value)
    return Interpolated(result) if substituted else result


def _build(
    name: str, source: str, top_policy: dict[str, Any], raw: dict[str, Any], secrets: set[str]
) -> Profile:
    policy = _policy({**top_policy, **raw.get("policy", {})})
    timeout = float(raw.get("timeout", DEFAULT_TIMEOUT))
    targets: dict[str, tuple[Target, ...]] = {}
    for kind in TARGET_KINDS:
        entries = raw.get(kind) or []
        seen: set[str] = set()
        built = []
        for index, entry in enumerate(entries):
            target_name = entry["name"]
            if target_name in seen:
                raise ConfigError(
                    source,
                    f"profiles.{name}.{kind}[{index}].name",
                    f"duplicate target name {target_name!r}",
                    "give every target of a kind its own name",
                )
            seen.add(target_name)
            settings = {k: _plain(v) for k, v in entry.items() if k not in ("name", "timeout")}
            built.append(Target(kind, target_name, settings, float(entry.get("timeout", timeout))))
        if built:
            targets[kind] = tuple(built)
    return Profile(
        name=name,
        source=source,
        timeout=timeout,
        policy=policy,
        thresholds=_plain(raw.get("thresholds", {})),
        severity_overrides=tuple(
            (key, Severity(sev)) for key, sev in raw.get("severity", {}).items()
        ),
        waivers=waivers_of(raw.get("waivers", []), source, f"profiles.{name}.waivers", policy),
        attestations=tuple(
            Attestation(
                a["id"],
                a["by"],
                date.fromisoformat(a["date"]),
                int(a.get("valid_days", DEFAULT_ATTESTATION_DAYS)),
                a.get("evidence"),
            )
            for a in raw.get("attestations", [])
        ),
        checklist_links={
            str(k): tuple(str(c) for c in v) for k, v in raw.get("checklist_links", {}).items()
        },
        targets=targets,
        secrets=tuple(sorted(secrets)),
        description=str(raw.get("description", "")),
        absent=frozenset(raw.get("absent", ())),
        check_timeout=float(raw.get("check_timeout", DEFAULT_CHECK_TIMEOUT)),
        checks=tuple(str(c) for c in raw["checks"]) if raw.get("checks") is not None else None,
    )


def waivers_of(value: Any, source: str, key: str, policy: Policy) -> tuple[Waiver, ...]:
    """The profile's waivers: inline entries and central files (paths relative to ``source``),
    each checked here so that a problem names the waiver, not just its index."""
    entries: list[tuple[str, str, Any]] = []  # (file, key, entry)
    for index, entry in enumerate([value] if isinstance(value, str) else value):
        if isinstance(entry, str):
            path = Path(source).parent / entry
            document = validate(
                read_config(path), source=str(path), schema=_schema_part("waivers_file")
            )
            entries += [(str(path), f"waivers[{i}]", w) for i, w in enumerate(document["waivers"])]
        else:
            entries.append((source, f"{key}[{index}]", entry))
    today = date.today()
    return tuple(_waiver(file, where, entry, policy, today) for file, where, entry in entries)


def _waiver(source: str, key: str, entry: Any, policy: Policy, today: date) -> Waiver:
    name = f"waiver {str(entry.get('id'))!r}" if isinstance(entry, dict) else "waiver"
    try:
        entry = validate(entry, source=source, schema=_schema_part("waiver"))
    except ConfigError as exc:
        field = (exc.key or "").lstrip(".")
        where = f"{key}.{field}" if field else key
        raise ConfigError(source, where, f"{name}: {exc.problem}", exc.fix) from None
    until = date.fromisoformat(entry["until"])
    if (until - today).days > policy.max_waiver_days:
        raise ConfigError(
            source,
            f"{key}.until",
            f"{name}: {until.isoformat()} is more than {policy.max_waiver_days} days ahead",
            f"waive for at most policy.max_waiver_days ({policy.max_waiver_days}) and renew it "
            "when it expires",
        )
    if until < today and policy.strict_waivers:
        raise ConfigError(
            source,
            f"{key}.until",
            f"{name}: expired on {until.isoformat()} (policy.strict_waivers is on)",
            "renew it with a new 'until' or remove it",
        )
    if "container" in entry and "object" not in entry:
        raise ConfigError(
            source, f"{key}.container", f"{name}: a container needs its object", "add 'object:'"
        )
    return Waiver(
        entry["id"],
        entry["reason"],
        entry["by"],
        until,
        bool(entry.get("covers_critical", False)),
        object=entry.get("object"),
        container=entry.get("container"),
        source=source,
    )


def _schema_part(name: str) -> dict[str, Any]:
    """The readiness schema with ``$defs/name`` as its root (``$ref`` still resolve)."""
    root = readiness_schema()
    return {**root["$defs"][name], "$defs": root["$defs"]}


def _policy(raw: Mapping[str, Any]) -> Policy:
    weights = dict(DEFAULT_WEIGHTS)
    for sev, weight in raw.get("weights", {}).items():
        weights[Severity(sev)] = float(weight)
    return Policy(
        weights=weights,
        important_min_percent=float(raw.get("important_min_percent", 90.0)),
        default_severity=Severity(raw.get("default_severity", Severity.IMPORTANT.value)),
        delay_exit_zero=bool(raw.get("delay_exit_zero", False)),
        max_waiver_days=int(raw.get("max_waiver_days", DEFAULT_MAX_WAIVER_DAYS)),
        strict_waivers=bool(raw.get("strict_waivers", False)),
    )


def _plain(value: Any) -> Any:
    """Builtins only (Interpolated -> str, dates -> ISO), so the profile crosses to xdist workers."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
