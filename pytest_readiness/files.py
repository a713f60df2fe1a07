"""Atomic report files: a reader never sees half a report, even if the run is killed."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

#: Chunks of a streamed report are joined up to about this many characters per write call.
_BATCH = 1 << 16


def write_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to a temp file beside ``path`` and rename it into place."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


class AtomicFile:
    """A report written in pieces: a temp file beside ``path``, renamed into place by
    :meth:`commit` (after an fsync) or removed by :meth:`discard`. A report streamed into it
    is never held whole in memory, and a reader still never sees half of it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.target = Path(path)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(
            prefix=f".{self.target.name}.", suffix=".tmp", dir=self.target.parent
        )
        try:
            self.handle: TextIO = os.fdopen(fd, "w", encoding="utf-8")
        except BaseException:
            os.close(fd)
            Path(self.tmp).unlink(missing_ok=True)
            raise

    def write_chunks(self, chunks: Iterable[str]) -> None:
        """Write the chunks in order, a batch at a time (one call per small chunk is slow)."""
        batch: list[str] = []
        size = 0
        for chunk in chunks:
            batch.append(chunk)
            size += len(chunk)
            if size >= _BATCH:
                self.handle.write("".join(batch))
                batch.clear()
                size = 0
        self.handle.write("".join(batch))

    def commit(self) -> Path:
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
            os.chmod(self.tmp, 0o644)
            os.replace(self.tmp, self.target)
        except BaseException:
            self.discard()
            raise
        return self.target

    def discard(self) -> None:
        self.handle.close()
        Path(self.tmp).unlink(missing_ok=True)
