"""Facts about a run for report headers and the scope line: who, where, what was selected."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pytest_readiness.markers import SEVERITY_NAMES
from pytest_readiness.model import RunInfo, Scope
from pytest_readiness.policy import Policy, policy_facts
from pytest_readiness.shards import shard_of_run


def scope_of(config: pytest.Config, selected: int, total: int, critical_left_out: int = 0) -> Scope:
    """How the command line narrowed the suite (-m, -k, paths, --deselect)."""
    option = config.option
    narrowed: list[str] = []
    markexpr = getattr(option, "markexpr", "") or ""
    if markexpr:
        narrowed.append(
            f"{markexpr} only" if markexpr.strip() in SEVERITY_NAMES else f"-m '{markexpr}'"
        )
    if getattr(option, "keyword", ""):
        narrowed.append(f"-k '{option.keyword}'")
    if config.args_source == pytest.Config.ArgsSource.ARGS and config.args:
        narrowed.append("paths: " + " ".join(config.args))
    if getattr(option, "deselect", None):
        narrowed.append("--deselect")
    return Scope(
        selected=selected,
        total=max(total, selected),
        narrowed_by=tuple(narrowed),
        critical_left_out=critical_left_out,
        shard=shard_of_run(config),
    )


def run_info(
    config: pytest.Config,
    profile: str,
    source: str | None,
    started: float,
    policy: Policy | None = None,
) -> RunInfo:
    from pytest_readiness import __version__

    workers = getattr(config.option, "numprocesses", None)
    return RunInfo(
        profile=profile,
        config_path=source,
        started_at=datetime.fromtimestamp(started, tz=timezone.utc).isoformat(timespec="seconds"),
        duration=round(time.time() - started, 3),
        hostname=socket.gethostname(),
        git_commit=git_commit(config.rootpath),
        pytest_version=pytest.__version__,
        plugin_version=__version__,
        python_version=platform.python_version(),
        workers=workers if isinstance(workers, int) else 0,
        policy=policy_facts(policy) if policy is not None else None,
    )


def git_commit(root: Path) -> str | None:
    if not _maybe_in_git(root):  # e.g. a container image: no git process to start and fail
        return None
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _maybe_in_git(root: Path) -> bool:
    """False only where git itself would find no repository: no ``GIT_DIR`` and neither a
    ``.git`` nor a bare repository (``HEAD`` and ``objects/``) in ``root`` or above it."""
    if "GIT_DIR" in os.environ:
        return True
    for folder in (root, *root.parents):
        if (folder / ".git").exists() or (
            (folder / "HEAD").is_file() and (folder / "objects").is_dir()
        ):
            return True
    return False
