"""The connector registry is the one source of truth: what the connectors read, the config
loader accepts, the JSON Schema states, the docs describe, and the plugin offers as fixtures."""

from __future__ import annotations

import ast
import importlib
import json
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import pytest_readiness.plugin as plugin
from pytest_readiness import config, fixtures
from pytest_readiness.connectors import derived
from pytest_readiness.errors import ConfigError
from pytest_readiness.registry import CONNECTORS, Connector
from pytest_readiness.schema import readiness_schema
from tests.support.targets import load_target, profile_with

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest itself depends on tomli before 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "pytest_readiness.connectors"
CONNECTORS_DIR = ROOT / "pytest_readiness" / "connectors"
#: Modules every connector may use; they read no settings of their own.
SHARED = {f"{PACKAGE}.base", f"{PACKAGE}.registry"}


def module_path(module: str) -> Path:
    return CONNECTORS_DIR / f"{module.rpartition('.')[2]}.py"


def connector_imports(module: str) -> set[str]:
    """Modules of the connectors package that ``module`` imports, lazily or not."""
    tree = ast.parse(module_path(module).read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE + "."):
            found.add(str(node.module))
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith(PACKAGE + ".")}
    return found


def modules_of(connector: Connector) -> set[str]:
    """The connector's module and every connectors module it reaches, but the shared ones."""
    todo, seen = [connector.module], set()
    while todo:
        module = todo.pop()
        if module not in seen and module not in SHARED:
            seen.add(module)
            todo += connector_imports(module)
    return seen


def is_settings(node: ast.expr) -> bool:
    """``settings``, ``target.settings``, ``self.target.settings``."""
    return (isinstance(node, ast.Name) and node.id == "settings") or (
        isinstance(node, ast.Attribute) and node.attr == "settings"
    )


def settings_reads(path: Path) -> Iterator[tuple[int, str | None]]:
    """(line, key) of every ``settings.get(key)``, ``settings[key]`` and ``key in settings``;
    key None when it is not a string literal (which the registry test cannot follow)."""

    def key(node: ast.expr) -> str | None:
        return (
            node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
        )

    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and is_settings(node.func.value)
        ):
            yield node.lineno, key(node.args[0])
        elif isinstance(node, ast.Subscript) and is_settings(node.value):
            yield node.lineno, key(node.slice)
        elif (
            isinstance(node, ast.Compare)
            and isinstance(node.ops[0], ast.In | ast.NotIn)
            and is_settings(node.comparators[0])
        ):
            yield node.lineno, key(node.left)


def read_by(connector: Connector) -> dict[str, str]:
    """Setting -> where the connector reads it."""
    reads: dict[str, str] = {}
    for module in sorted(modules_of(connector)):
        path = module_path(module)
        for line, key in settings_reads(path):
            where = f"{path.relative_to(ROOT)}:{line}"
            assert key is not None, f"{where}: read settings with a literal key"
            reads.setdefault(key, where)
    return reads


def sample(schema: Mapping[str, Any]) -> Any:
    """A value of the richest form ``schema`` allows."""
    if "anyOf" in schema:
        return sample(schema["anyOf"][-1])
    kind = schema["type"]
    if kind == "array":
        return [sample(schema["items"])]
    if kind == "object":
        if schema.get("properties"):
            return {name: sample(sub) for name, sub in schema["properties"].items()}
        return {"X-Example": sample(schema["additionalProperties"])}
    return {"string": "some-value", "number": 2.5, "boolean": True, "integer": 3}[kind]


KINDS = list(CONNECTORS)


@pytest.mark.parametrize("kind", KINDS)
def test_connector_reads_exactly_the_settings_the_registry_declares(kind: str) -> None:
    connector = CONNECTORS[kind]
    reads = read_by(connector)
    declared = {s.name for s in connector.settings}
    undeclared = {name: where for name, where in reads.items() if name not in declared}
    assert not undeclared, f"read but not in the registry: {undeclared}"
    assert declared <= set(reads), f"declared but read nowhere: {declared - set(reads)}"


@pytest.mark.parametrize("kind", KINDS)
def test_config_loader_accepts_every_declared_setting(kind: str) -> None:
    settings = {s.name: sample(s.schema) for s in CONNECTORS[kind].settings}
    target = load_target(kind, "t1", timeout=1.5, **settings)
    assert (target.kind, target.name, target.timeout) == (kind, "t1", 1.5)
    assert dict(target.settings) == settings


@pytest.mark.parametrize(
    ("kind", "entry"),
    [
        ("postgres", {"dsn": "postgresql://h/db", "pasword": "pw-1234"}),
        ("redis", {"url": "redis://h", "usernme": "app"}),
        ("hosts", {"spec": "local://", "sudo_usr": "postgres"}),
        ("kubernetes", {"manifests": "m.yaml", "default_namespce": "ci"}),
    ],
)
def test_a_misspelt_setting_is_rejected_with_the_right_suggestion(
    kind: str, entry: dict[str, Any]
) -> None:
    (typo,) = set(entry) - {s.name for s in CONNECTORS[kind].settings}
    with pytest.raises(ConfigError) as info:
        profile_with({kind: [{"name": "t", **entry}]})
    assert info.value.key == f"profiles.test.{kind}[0].{typo}"
    suggestion = re.search(r"did you mean '([^']+)'", str(info.value))
    assert suggestion is not None
    assert CONNECTORS[kind].setting(suggestion[1]) is not None
    assert suggestion[1].replace("_", "")[:3] == typo.replace("_", "")[:3]


@pytest.mark.parametrize(
    ("kind", "name"),
    [(k, s.name) for k, c in CONNECTORS.items() for s in c.settings if s.required],
)
def test_required_settings_are_required_by_the_loader(kind: str, name: str) -> None:
    entry = {s.name: sample(s.schema) for s in CONNECTORS[kind].settings if s.required}
    del entry[name]
    with pytest.raises(ConfigError, match="required key is missing") as info:
        profile_with({kind: [{"name": "t", **entry}]})
    assert info.value.key == f"profiles.test.{kind}[0].{name}"


def test_config_target_kinds_and_fixtures_follow_the_registry() -> None:
    assert tuple(CONNECTORS) == config.TARGET_KINDS
    assert {c.fixture: k for k, c in CONNECTORS.items()} == fixtures.CONNECTION_FIXTURES


@pytest.mark.parametrize("kind", KINDS)
def test_plugin_exports_the_fixture_of_every_kind(kind: str) -> None:
    connector = CONNECTORS[kind]
    exported = getattr(plugin, connector.fixture)
    assert connector.fixture in plugin.__all__
    assert exported is getattr(fixtures, connector.fixture)
    definition = getattr(exported, "_fixture_function_marker", None) or getattr(
        exported, "_pytestfixturefunction", None
    )
    assert definition is not None, f"{connector.fixture} is not a pytest fixture"
    assert definition.scope == "session"
    assert definition.name == connector.fixture


def test_the_committed_schema_states_the_registry_targets() -> None:
    schema = readiness_schema()
    assert derived.with_targets(schema) == schema
    assert derived.SCHEMA_FILE.read_text() == json.dumps(schema, indent=2) + "\n"


def test_the_docs_describe_every_setting_as_the_registry_does() -> None:
    text = derived.DOCS_FILE.read_text()
    assert derived.with_docs(text) == text, (
        "docs/configuration.md is stale: run python -m pytest_readiness.connectors.derived"
    )
    for kind, connector in CONNECTORS.items():
        section = text.split(f"### `{kind}`\n", 1)[1].split("###", 1)[0]
        for setting in connector.settings:
            assert f"| `{setting.name}`" in section, f"{kind}.{setting.name} is not documented"


def test_the_generator_reports_no_stale_file() -> None:
    assert derived.main(["--check"]) == 0


@pytest.mark.parametrize("kind", KINDS)
def test_the_extra_of_every_kind_is_declared_and_provides_its_driver(kind: str) -> None:
    connector = CONNECTORS[kind]
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert extras[connector.extra], f"no extra {connector.extra!r} in pyproject.toml"
    assert set(extras[connector.extra]) <= set(extras["all"])
    importlib.import_module(connector.driver or connector.module)
    assert callable(importlib.import_module(connector.module).connect)


@pytest.mark.parametrize("kind", KINDS)
def test_no_connector_imports_another_connector(kind: str) -> None:
    others = {c.module for k, c in CONNECTORS.items() if k != kind}
    assert not modules_of(CONNECTORS[kind]) & others


def test_connector_modules_import_each_other_without_a_cycle() -> None:
    modules = {f"{PACKAGE}.{p.stem}" for p in CONNECTORS_DIR.glob("*.py") if p.stem != "__init__"}
    graph = {m: connector_imports(m) & modules for m in modules}

    def reaches(start: str) -> set[str]:
        todo, seen = list(graph[start]), set()
        while todo:
            module = todo.pop()
            if module not in seen:
                seen.add(module)
                todo += graph[module]
        return seen

    assert [m for m in sorted(modules) if m in reaches(m)] == []
