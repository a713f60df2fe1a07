"""A git repository's checkout, for the repository checks: tracked files, ignore rules, tags.

``repository`` targets name the checkout (``path``) and optionally the version being released
(``release``; default: the newest tag reachable from HEAD). Everything goes through the ``git``
command line, read-only; connect fails when ``path`` is not a git working tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from pytest_readiness.connectors.base import Target, fail
from pytest_readiness.errors import ConfigError
from pytest_readiness.redaction import Redactor

__all__ = ["RepoCheckout", "connect"]

#: Tracked files larger than this are not read by ``text()`` (generated or binary blobs).
MAX_TEXT_BYTES = 1024 * 1024


class RepoCheckout:
    """The facade of a ``repository`` target; ``client`` is the working tree's root."""

    def __init__(self, target: Target, redactor: Redactor, root: Path, release: str | None) -> None:
        self.target = target
        self.client = root
        self.release = release
        self._redactor = redactor
        self._tracked: list[str] | None = None

    def git(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``git -C root ARGS``; the caller reads returncode, stdout and stderr."""
        return subprocess.run(
            ["git", "-C", str(self.client), *args],
            capture_output=True,
            text=True,
            timeout=self.target.timeout * 6,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
        )

    def tracked_files(self) -> list[str]:
        """Paths of the files tracked at HEAD's index, relative to the root, sorted."""
        if self._tracked is None:
            result = self.git("ls-files", "-z")
            if result.returncode != 0:
                raise fail(
                    self.target, self._redactor, result.stderr.strip(), action="list files of"
                )
            self._tracked = sorted(p for p in result.stdout.split("\0") if p)
        return list(self._tracked)

    def text(self, path: str) -> str | None:
        """A tracked file's text; None for a missing, oversized or binary (NUL byte) file."""
        full = self.client / path
        try:
            if not full.is_file() or full.stat().st_size > MAX_TEXT_BYTES:
                return None
            data = full.read_bytes()
        except OSError:
            return None
        if b"\0" in data[:8192]:
            return None
        return data.decode("utf-8", errors="replace")

    def is_ignored(self, path: str) -> bool:
        """Whether git's ignore rules (.gitignore, info/exclude, core.excludesFile) cover ``path``."""
        return self.git("check-ignore", "-q", "--no-index", path).returncode == 0

    def release_version(self) -> str | None:
        """The ``release`` setting, else the newest tag reachable from HEAD (a leading v kept)."""
        return self.release or self.nearest_tag()

    def nearest_tag(self) -> str | None:
        """The newest tag reachable from HEAD (``git describe --tags``), None without one."""
        result = self.git("describe", "--tags", "--abbrev=0")
        if result.returncode != 0:
            return None
        return result.stdout.strip() or None

    def tags_at_head(self) -> list[str]:
        """The tags pointing at HEAD, sorted."""
        result = self.git("tag", "--points-at", "HEAD")
        if result.returncode != 0:
            raise fail(self.target, self._redactor, result.stderr.strip(), action="list tags of")
        return sorted(line.strip() for line in result.stdout.splitlines() if line.strip())

    def close(self) -> None:
        pass


def connect(target: Target, redactor: Redactor) -> RepoCheckout:
    """Find the working tree's root; fail when it is not a git checkout."""
    if shutil.which("git") is None:
        raise fail(target, redactor, "the git command is not installed", action="open")
    path = target.settings.get("path")
    if not isinstance(path, str) or not path:
        raise ConfigError(str(target), "path", "expected the path of a git checkout")
    release = target.settings.get("release")
    if release is not None and not isinstance(release, str):
        raise ConfigError(str(target), "release", "expected a version string, e.g. '1.4.0'")
    directory = Path(os.path.expanduser(path)).resolve()
    if not directory.is_dir():
        raise ConfigError(str(target), "path", f"{directory} is not a directory")
    probe = RepoCheckout(target, redactor, directory, release)
    result = probe.git("rev-parse", "--show-toplevel")
    if result.returncode != 0:
        raise fail(target, redactor, f"{directory} is not a git working tree", action="open")
    return RepoCheckout(target, redactor, Path(result.stdout.strip()), release)
