"""pytest11 entry point ``readiness``: options, markers, hook specs; no logic of its own.

Without ``--readiness`` the plugin only registers its markers, options and fixtures: a plain
pytest run behaves and prints exactly as it would without it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_readiness import hooks, markers
from pytest_readiness.config import load_profile
from pytest_readiness.errors import ConfigError
from pytest_readiness.fixtures import SESSION_KEY, evidence, readiness
from pytest_readiness.redaction import Redactor

__all__ = ["evidence", "readiness"]

CONFIG_HELP = "readiness config file (default: readiness.yaml at the rootdir)"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("readiness", "production readiness: Go / No-Go")
    group.addoption(
        "--readiness",
        metavar="PROFILE",
        default=None,
        help="run as a readiness check with PROFILE from the readiness config and decide Go / No-Go",
    )
    group.addoption("--readiness-config", metavar="PATH", default=None, help=CONFIG_HELP)
    group.addoption(
        "--readiness-json",
        metavar="PATH",
        default=None,
        help="write the machine-readable result (decision, score, items) to PATH",
    )
    group.addoption(
        "--readiness-html",
        metavar="PATH",
        default=None,
        help="write a self-contained HTML report (needs the 'html' extra) to PATH",
    )
    group.addoption(
        "--readiness-md",
        metavar="PATH",
        default=None,
        help="write the checklist as Markdown, boxes ticked from evidence, to PATH",
    )
    group.addoption(
        "--readiness-baseline",
        metavar="PREV.json",
        default=None,
        help="compare with a previous --readiness-json result: new failures, fixed items, score change",
    )
    parser.addini("readiness_config", CONFIG_HELP, type="paths", default=[])


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hooks)


def pytest_configure(config: pytest.Config) -> None:
    markers.register(config)
    profile_name = config.getoption("readiness")
    if not profile_name:
        return
    path = config_path(config)
    try:
        profile = load_profile(path, profile_name, os.environ)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None

    from pytest_readiness.collector import EvidenceShipper, ReadinessSession

    redactor = Redactor(profile.secrets)
    for targets in profile.targets.values():
        for target in targets:
            for value in target.settings.values():
                if (
                    (isinstance(value, str)
                    and "://" in value)
                    or (isinstance(value, str)
                    and "password=" in value)
                ):
                    redactor.add_from_url(value)
    is_worker = hasattr(config, "workerinput")
    session = ReadinessSession(config, profile, redactor, "worker" if is_worker else "main")
    baseline_path = config.getoption("readiness_baseline")
    if baseline_path and not is_worker:
        from pytest_readiness.baseline import load_baseline

        try:
            session.baseline = (
                baseline_path,
                load_baseline(Path(config.invocation_params.dir, baseline_path)),
            )
        except ConfigError as exc:
            raise pytest.UsageError(str(exc)) from None
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "readiness-session")
    if is_worker:
        config.pluginmanager.register(
            EvidenceShipper(session.evidence), "readiness-evidence-shipper"
        )
    elif getattr(config.option, "xmlpath", None):
        from pytest_readiness.reporters.junit import JunitIntegration

        config.pluginmanager.register(JunitIntegration(config), "readiness-junit")


def config_path(config: pytest.Config) -> Path:
    """--readiness-config (relative to the invocation dir) > ini readiness_config > rootdir."""
    option = config.getoption("readiness_config")
    if option:
        return Path(config.invocation_params.dir, option)
    ini = config.getini("readiness_config")
    if ini:
        return Path(ini[0])
    return config.rootpath / "readiness.yaml"
