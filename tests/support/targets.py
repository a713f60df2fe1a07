"""Targets built the way a readiness run builds them: from readiness.yaml through load_profile.

Connector tests use these instead of constructing ``Target`` by hand, so a setting the config
loader would reject (or rename, or coerce) cannot pass a connector test.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml

from pytest_readiness.config import Profile, load_profile
from pytest_readiness.connectors.base import Target
from pytest_readiness.errors import ConfigError

__all__ = ["load_target", "profile_with", "rejected_target"]


def profile_with(
    targets: dict[str, list[dict[str, Any]]], environ: dict[str, str] | None = None
) -> Profile:
    """Profile ``test`` holding ``targets`` (kind -> entries), loaded through readiness.yaml."""
    with tempfile.TemporaryDirectory(prefix="readiness-target-") as folder:
        path = Path(folder, "readiness.yaml")
        path.write_text(yaml.safe_dump({"profiles": {"test": targets}}), encoding="utf-8")
        return load_profile(path, "test", environ or {})


def load_target(kind: str, name: str, *, timeout: float | None = None, **settings: Any) -> Target:
    """The one ``kind`` target ``name`` with ``settings`` (and its own ``timeout``, if given);
    a setting given as None is left out, as if the profile did not set it."""
    entry: dict[str, Any] = {"name": name, **{k: v for k, v in settings.items() if v is not None}}
    if timeout is not None:
        entry["timeout"] = timeout
    (target,) = profile_with({kind: [entry]}).targets_of(kind)
    return target


def rejected_target(kind: str, name: str, settings: dict[str, Any]) -> Target:
    """A target the config loader rejects (it raises here if not), built by hand to prove the
    connector refuses it too, for callers that skip the loader."""
    try:
        profile_with({kind: [{"name": name, **settings}]})
    except ConfigError:
        return Target(kind, name, settings)
    raise AssertionError(f"the config loader accepts {kind} settings {settings!r}")
