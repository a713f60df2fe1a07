"""Build artifacts: the pipeline's report files named in the profile, for the artifact checks.

Each ``artifacts`` target names files or globs per report kind (``junit``, ``coverage``,
``sarif``, ``vulnerabilities``, ``leak_scan``, ``load_test``, ``licenses``, ``cis_benchmark``); relative paths
resolve against ``base_dir`` (default: the directory pytest runs in). Nothing is read at connect beyond checking
that ``base_dir`` exists: a missing report is the check's finding, not a connection error.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from pytest_readiness.connectors.base import Target
from pytest_readiness.errors import ConfigError
from pytest_readiness.redaction import Redactor

__all__ = ["ArtifactFiles", "connect"]

#: Reports larger than this are refused rather than read into memory.
MAX_BYTES = 64 * 1024 * 1024


class ArtifactFiles:
    """The facade of an ``artifacts`` target; ``client`` is its base directory."""

    def __init__(
        self, target: Target, base_dir: Path, patterns: dict[str, tuple[str, ...]]
    ) -> None:
        self.target = target
        self.client = base_dir
        self.patterns = patterns

    def configured(self, kind: str) -> bool:
        """Whether the profile names files of this report kind for the target."""
        return bool(self.patterns.get(kind))

    def files(self, kind: str) -> list[Path]:
        """The existing files matching the kind's paths and globs, sorted, without duplicates."""
        found: dict[Path, None] = {}
        for pattern in self.patterns.get(kind, ()):
            full = os.path.join(self.client, os.path.expanduser(pattern))
            for match in sorted(glob.glob(full, recursive=True)):
                if os.path.isfile(match):
                    found[Path(match)] = None
        return list(found)

    def read(self, path: Path) -> str:
        """The file's text (UTF-8, undecodable bytes replaced); refuses oversized files."""
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ValueError(f"{path} is {size} bytes, over the {MAX_BYTES} bytes read limit")
        return path.read_text(encoding="utf-8", errors="replace")

    def relative(self, path: Path) -> str:
        """``path`` as the report shows it: relative to ``base_dir`` when inside it."""
        try:
            return str(path.relative_to(self.client))
        except ValueError:
            return str(path)

    def close(self) -> None:
        pass


def connect(target: Target, redactor: Redactor) -> ArtifactFiles:
    """Check the settings of an ``artifacts`` target; read nothing yet."""
    del redactor  # paths are not secrets
    settings = target.settings
    base = settings.get("base_dir", ".")
    if not isinstance(base, str):
        raise ConfigError(str(target), "base_dir", "expected a directory path")
    base_dir = Path(os.path.expanduser(base)).resolve()
    if not base_dir.is_dir():
        raise ConfigError(
            str(target),
            "base_dir",
            f"{base_dir} is not a directory",
            "set base_dir to the folder the pipeline's reports are in",
        )
    configured = {
        "junit": settings.get("junit"),
        "coverage": settings.get("coverage"),
        "sarif": settings.get("sarif"),
        "vulnerabilities": settings.get("vulnerabilities"),
        "load_test": settings.get("load_test"),
        "licenses": settings.get("licenses"),
        "leak_scan": settings.get("leak_scan"),
        "cis_benchmark": settings.get("cis_benchmark"),
    }
    patterns: dict[str, tuple[str, ...]] = {}
    for kind, value in configured.items():
        if value is None:
            continue
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(str(target), kind, "expected a path or glob, or a list of them")
        patterns[kind] = tuple(value)
    return ArtifactFiles(target, base_dir, patterns)
