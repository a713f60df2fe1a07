"""Validate readiness.yaml and result files against the JSON Schemas shipped in the package.

A small validator for the keywords our schemas use (type, also as a list, properties,
additionalProperties, required, items, enum, const, minimum/maximum/exclusiveMinimum,
minLength, minProperties, pattern, format: date, $ref, anyOf), for readiness.yaml and for
result files read back as a baseline. It keeps the core free of a jsonschema dependency and gives the
one-line, key-naming messages the run needs; the tests check it agrees with jsonschema.

``lenient=True`` accepts any string holding ``${...}`` where a scalar is expected: values are
interpolated from the environment only for the profile in use, after this first pass.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from pytest_readiness.errors import ConfigError

_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "object": "a mapping (key: value)",
    "array": "a list",
    "null": "null",
}


@cache
def readiness_schema() -> dict[str, Any]:
    text = resources.files("pytest_readiness").joinpath("schemas/readiness.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


class Interpolated(str):
    """A string produced by ``${...}``: numbers may be coerced from it, and it is never echoed."""


@cache
def result_schema() -> dict[str, Any]:
    """The schema of ``--readiness-json`` results (also what a baseline file must satisfy)."""
    text = resources.files("pytest_readiness").joinpath("schemas/result.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate(
    instance: Any, *, source: str, lenient: bool = False, schema: dict[str, Any] | None = None
) -> Any:
    """Return the instance (numbers/booleans coerced from interpolated strings) or raise
    ConfigError. ``schema`` defaults to the readiness.yaml schema."""
    root = readiness_schema() if schema is None else schema
    return _check(instance, root, root, source, "", lenient)


def _check(
    value: Any, schema: dict[str, Any], root: dict[str, Any], source: str, path: str, lenient: bool
) -> Any:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _check(value, root["$defs"][name], root, source, path, lenient)
    if isinstance(schema.get("type"), list):  # ["string", "null"]: one option per type
        options = [dict(schema, type=name) for name in schema["type"]]
        return _any_of(value, {"anyOf": options}, root, source, path, lenient)
    if "anyOf" in schema:
        return _any_of(value, schema, root, source, path, lenient)
    if "const" in schema and value != schema["const"]:
        raise ConfigError(
            source, path, f"{_show(value)} is not allowed", f"use {_show(schema['const'])}"
        )
    if "enum" in schema:
        if value not in schema["enum"]:
            if lenient and _is_placeholder(value):
                return value
            choices = ", ".join(str(c) for c in schema["enum"])
            raise ConfigError(
                source, path, f"{_show(value)} is not allowed", f"use one of: {choices}"
            )
        return value
    expected = schema.get("type")
    if expected is not None:
        value = _check_type(value, expected, schema, source, path, lenient)
    if isinstance(value, dict) and expected == "object":
        return _check_object(value, schema, root, source, path, lenient)
    if isinstance(value, list) and "items" in schema:
        return [
            _check(v, schema["items"], root, source, f"{path}[{i}]", lenient)
            for i, v in enumerate(value)
        ]
    return value


def _check_type(
    value: Any, expected: str, schema: dict[str, Any], source: str, path: str, lenient: bool
) -> Any:
    if (
        lenient
        and _is_placeholder(value)
        and expected in ("string", "number", "integer", "boolean")
    ):
        return value
    value = _coerce(value, expected)
    if not _has_type(value, expected):
        example = schema.get("description", "")
        fix = f"write {_TYPE_NAMES[expected]}" + (
            f" ({example})" if example and len(example) < 80 else ""
        )
        raise ConfigError(
            source, path, f"expected {_TYPE_NAMES[expected]}, got {_show(value)}", fix
        )
    if expected in ("number", "integer"):
        _check_range(value, schema, source, path)
    if expected == "string":
        if isinstance(value, date):
            value = value.isoformat()
        if len(value) < schema.get("minLength", 0):
            raise ConfigError(source, path, "must not be empty", "write a value")
        pattern = schema.get("pattern")
        if pattern and not re.search(pattern, value):
            raise ConfigError(
                source,
                path,
                f"{_show(value)} is not a valid name",
                "use letters, digits, '_', '.' and '-' only",
            )
        if schema.get("format") == "date":
            try:
                date.fromisoformat(value)
            except ValueError:
                raise ConfigError(
                    source, path, f"{_show(value)} is not a date", "write the date as YYYY-MM-DD"
                ) from None
    if expected == "object" and len(value) < schema.get("minProperties", 0):
        raise ConfigError(source, path, "must not be empty", "define at least one entry")
    return value


def _check_range(value: float, schema: dict[str, Any], source: str, path: str) -> None:
    low, high, above = schema.get("minimum"), schema.get("maximum"), schema.get("exclusiveMinimum")
    if low is not None and value < low:
        raise ConfigError(
            source, path, f"{value} is below the minimum {low}", f"use a value >= {low}"
        )
    if high is not None and value > high:
        raise ConfigError(
            source, path, f"{value} is above the maximum {high}", f"use a value <= {high}"
        )
    if above is not None and value <= above:
        raise ConfigError(
            source, path, f"{value} must be greater than {above}", f"use a value > {above}"
        )


def _check_object(
    value: dict[str, Any],
    schema: dict[str, Any],
    root: dict[str, Any],
    source: str,
    path: str,
    lenient: bool,
) -> dict[str, Any]:
    props: dict[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    if extra is False:  # a typo explains a "missing" key better, so report unknown keys first
        for key in value:
            if key not in props:
                raise ConfigError(
                    source, _join(path, str(key)), "unknown key", _suggest(str(key), props)
                )
    for key in schema.get("required", []):
        if key not in value:
            raise ConfigError(source, _join(path, key), "required key is missing", f"add '{key}:'")
    out: dict[str, Any] = {}
    for key, item in value.items():
        key_path = _join(path, str(key))
        if key in props:
            out[key] = _check(item, props[key], root, source, key_path, lenient)
        elif extra is False:
            raise ConfigError(source, key_path, "unknown key", _suggest(str(key), props))
        elif isinstance(extra, dict):
            out[key] = _check(item, extra, root, source, key_path, lenient)
        else:
            out[key] = item
    return out


def _any_of(
    value: Any, schema: dict[str, Any], root: dict[str, Any], source: str, path: str, lenient: bool
) -> Any:
    first: ConfigError | None = None
    for option in schema["anyOf"]:
        try:
            return _check(value, option, root, source, path, lenient)
        except ConfigError as exc:
            first = first or exc
    kinds = " or ".join(_TYPE_NAMES.get(o.get("type", ""), "a mapping") for o in schema["anyOf"])
    raise ConfigError(
        source, path, f"expected {kinds}, got {_show(value)}", f"write {kinds}"
    ) from first


def _coerce(value: Any, expected: str) -> Any:
    """Numbers and booleans may come from ``${VAR}``: convert the interpolated string."""
    if not isinstance(value, Interpolated):
        return value
    text = value.strip()
    if expected == "boolean" and text.lower() in (
        "true",
        "false",
        "yes",
        "no",
        "1",
        "0",
        "on",
        "off",
    ):
        return text.lower() in ("true", "yes", "1", "on")
    if expected in ("number", "integer"):
        try:
            return int(text)
        except ValueError:
            pass
        if expected == "number":
            try:
                return float(text)
            except ValueError:
                pass
    return value


def _has_type(value: Any, expected: str) -> bool:
    if expected == "string":
        return isinstance(value, str | date)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "number":  # NaN and infinities compare false with every bound: never numbers
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
    if expected == "object":
        return isinstance(value, dict)
    if expected == "array":
        return isinstance(value, list)
    return value is None


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and "${" in value


def _show(value: Any) -> str:
    if isinstance(value, Interpolated):
        return "a value from the environment"  # never echo a possible secret
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _suggest(key: str, props: dict[str, Any]) -> str:
    import difflib  # only for the hint of an error message

    close = difflib.get_close_matches(key, list(props), n=1)
    known = ", ".join(props)
    if close:
        return f"did you mean '{close[0]}'? (known keys: {known})"
    return f"remove it (known keys: {known})"
