"""pytest11 entry point ``readiness``: options, markers, hook specs; no logic of its own.

Without ``--readiness`` the plugin only registers its markers, options and fixtures: a plain
pytest run behaves and prints exactly as it would without it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness import hooks, markers
from pytest_readiness.errors import ConfigError, MissingExtra
from pytest_readiness.fixtures import (
    SESSION_KEY,
    artifact_files,
    evidence,
    http_session,
    k8s_api,
    nats_conn,
    obs_stack,
    parametrize_targets,
    pg_conn,
    readiness,
    redis_conn,
    repo_checkout,
    target_host,
)
from pytest_readiness.links import docs_page
from pytest_readiness.redaction import OutputRedactor, ReportRedactor, redactor_for

__all__ = [
    "artifact_files",
    "evidence",
    "http_session",
    "k8s_api",
    "nats_conn",
    "obs_stack",
    "pg_conn",
    "readiness",
    "redis_conn",
    "repo_checkout",
    "target_host",
]

#: Checklist files as readiness items (options, collection, links, write-back).
pytest_plugins = ["pytest_readiness.checklist.plugin"]

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
        "--readiness-sarif",
        metavar="PATH",
        default=None,
        help="write SARIF 2.1.0 (one result per unmet item or offending object) for code scanning to PATH",
    )
    group.addoption(
        "--readiness-baseline",
        metavar="PREV.json",
        default=None,
        help="compare with a previous --readiness-json result: new failures, fixed items, score change",
    )
    group.addoption(
        "--readiness-shard",
        metavar="INDEX/COUNT",
        default=None,
        help="run only shard INDEX (0-based) of COUNT, a stable split of the selected items; "
        "merge the shards' JSON results with `pytest-readiness merge`",
    )
    group.addoption(
        "--readiness-shards",
        metavar="COUNT",
        default=None,
        help="split into COUNT shards and run the one $JOB_COMPLETION_INDEX names "
        "(a Kubernetes Indexed Job; default: $READINESS_SHARDS)",
    )
    parser.addini("readiness_config", CONFIG_HELP, type="paths", default=[])


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hooks)


def pytest_configure(config: pytest.Config) -> None:
    markers.register(config)
    profile_name = config.getoption("readiness")
    if profile_name is None:
        return
    if not profile_name.strip():  # e.g. --readiness="$PROFILE" with PROFILE unset
        raise pytest.UsageError(
            "--readiness: the profile name is empty; pass --readiness=PROFILE with a profile "
            "of the readiness config"
        )
    from pytest_readiness.config import load_profile  # without --readiness no config is read
    from pytest_readiness.config_handoff import DocumentShipper, read_document

    try:
        path = config_path(config)
        document = read_document(config, path)
        # the xdist controller hands the document to its workers as read (pickled right away)
        shipper = DocumentShipper(document) if _is_xdist_controller(config) else None
        profile = load_profile(path, profile_name, os.environ, document)
        baseline = _load_baseline(config)
        from pytest_readiness.builtin import WORKERINPUT_KEY as BUILTIN_WORKERINPUT_KEY
        from pytest_readiness.builtin import plugin_for

        workerinput = getattr(config, "workerinput", {})
        builtin_checks = plugin_for(profile, workerinput.get(BUILTIN_WORKERINPUT_KEY))
        if config.getoption("readiness_html") and not hasattr(config, "workerinput"):
            from pytest_readiness.reporters.html import ensure_available

            ensure_available()  # a missing jinja2 is exit 4 before the run, not a traceback after it
        if not hasattr(config, "workerinput"):
            from pytest_readiness.report_paths import check_report_paths
            from pytest_readiness.reporting import REPORT_RENDERERS

            check_report_paths(config, REPORT_RENDERERS)
    except (ConfigError, MissingExtra) as exc:
        raise pytest.UsageError(str(exc)) from None

    from pytest_readiness.session import ReadinessSession
    from pytest_readiness.shards import SHARD_KEY, ShardSelector, resolve

    shard = resolve(
        config.getoption("readiness_shard"), config.getoption("readiness_shards"), os.environ
    )
    _interrupt_on_sigterm(config)
    redactor = redactor_for(profile)
    is_worker = hasattr(config, "workerinput")
    session = ReadinessSession(config, profile, redactor, is_worker)
    session.baseline = baseline
    config.stash[SESSION_KEY] = session
    register = config.pluginmanager.register
    register(session, "readiness-session")
    if shard is not None:
        config.stash[SHARD_KEY] = ShardSelector(*shard)
        register(config.stash[SHARD_KEY], "readiness-shard")
    register(OutputRedactor(redactor), "readiness-output-redactor")
    if config.option.debug and redactor.secrets:  # pytest's --debug log records every hook call
        sys.stderr.write(
            "readiness: warning: --debug writes every hook call to its log file, and the "
            f"profile's secrets with them; do not share that file ({docs_page('reliability')})\n"
        )
    if builtin_checks is not None:  # collected by each process that collects (see builtin.py)
        register(builtin_checks, "readiness-builtin-checks")
    if is_worker or not _is_xdist_controller(config):  # where reports are made
        register(ReportRedactor(redactor), "readiness-report-redactor")
    if is_worker:
        from pytest_readiness.worker import ReportShipper

        register(ReportShipper(session), "readiness-report-shipper")
    elif getattr(config.option, "xmlpath", None):
        from pytest_readiness.junit_plugin import JunitNodeTagger, tags_testcases

        if tags_testcases(config):
            register(JunitNodeTagger(), "readiness-junit")
    if shipper is not None:
        register(shipper, "readiness-config-handoff")
    if _is_xdist_controller(config) and os.name == "posix":  # workers share connection attempts
        from pytest_readiness.connections import SharedAttempts

        register(SharedAttempts(), "readiness-shared-attempts")


def _interrupt_on_sigterm(config: pytest.Config) -> None:
    """CI runners stop a job with SIGTERM: end the run like Ctrl-C (INCOMPLETE, reports written)."""
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt("SIGTERM")

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    signal.signal(signal.SIGTERM, interrupt)
    config.add_cleanup(restore)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_targets(metafunc)


def _load_baseline(config: pytest.Config) -> tuple[str, dict[str, Any]] | None:
    path = config.getoption("readiness_baseline")
    if not path or hasattr(config, "workerinput"):
        return None
    from pytest_readiness.baseline import load_baseline

    return path, load_baseline(Path(config.invocation_params.dir, path))


def _is_xdist_controller(config: pytest.Config) -> bool:
    """xdist turns ``-n N`` into ``--dist load`` before configure; the controller runs no tests."""
    dist = getattr(config.option, "dist", "no")
    return dist != "no" and not hasattr(config, "workerinput") and not config.option.collectonly


def config_path(config: pytest.Config) -> Path:
    """--readiness-config (relative to the invocation dir) > ini readiness_config > rootdir."""
    option = config.getoption("readiness_config")
    if option:
        return Path(config.invocation_params.dir, option)
    ini = config.getini("readiness_config")
    if ini:
        return Path(ini[0])
    return config.rootpath / "readiness.yaml"
