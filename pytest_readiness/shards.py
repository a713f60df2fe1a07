"""``--readiness-shard=INDEX/COUNT``: run one deterministic part of the selected items.

An item belongs to shard ``stable_hash(nodeid) % COUNT``: every item lands in exactly one shard
whatever the collection order, the number of workers or the machine. In a Kubernetes Indexed
Job the index comes from ``JOB_COMPLETION_INDEX`` and the count from ``--readiness-shards`` or
``READINESS_SHARDS``. A shard run is a part of a decision: its headline says ``shard i/N`` and
``pytest-readiness merge`` decides over all parts (docs/in-cluster.md).

The split happens last among the ``pytest_collection_modifyitems`` hooks, after ``-m``, ``-k``
and ``--deselect``: the suite a merge expects is what that selection kept. Items deselected by
the split are not "left out" of the release decision (the other shards run them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_readiness.model import Shard

INDEX_ENV = "JOB_COMPLETION_INDEX"  # set by Kubernetes in each pod of an Indexed Job
COUNT_ENV = "READINESS_SHARDS"
WORKEROUTPUT_KEY = "readiness_shard_suite"


def shard_of(nodeid: str, count: int) -> int:
    """The shard of ``nodeid``: a hash that does not change between processes (unlike hash())."""
    digest = hashlib.sha256(nodeid.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % count


def parse_shard(text: str, where: str) -> tuple[int, int]:
    """``INDEX/COUNT`` with 0 <= INDEX < COUNT; a UsageError (exit 4) naming ``where`` else."""
    index_text, slash, count_text = text.strip().partition("/")
    if slash:
        return _checked(index_text, count_text, where)
    raise pytest.UsageError(f"{where}={text!r}: expected INDEX/COUNT, e.g. 0/3 (INDEX from 0)")


def resolve(
    shard: str | None, shards: str | None, environ: Mapping[str, str]
) -> tuple[int, int] | None:
    """The shard this run is: the option, else JOB_COMPLETION_INDEX with a count; None: all."""
    if shard:
        return parse_shard(shard, "--readiness-shard")
    count = shards or environ.get(COUNT_ENV, "")
    if not count:
        return None
    index = environ.get(INDEX_ENV, "")
    if not index:
        raise pytest.UsageError(
            f"--readiness-shards/{COUNT_ENV}={count}: no shard index; set {INDEX_ENV} (an "
            "Indexed Job does) or pass --readiness-shard=INDEX/COUNT"
        )
    where = "--readiness-shards" if shards else COUNT_ENV
    return _checked(index, count, f"{INDEX_ENV} and {where}")


def _checked(index_text: str, count_text: str, where: str) -> tuple[int, int]:
    try:
        index, count = int(index_text), int(count_text)
    except ValueError:
        index = count = -1
    if count < 1 or not 0 <= index < count:
        raise pytest.UsageError(
            f"{where}: shard {index_text.strip()!r} of {count_text.strip()!r} is not a shard; "
            "COUNT must be a whole number >= 1 and INDEX one of 0 .. COUNT-1"
        )
    return index, count


@dataclass
class ShardSelector:
    """Registered when the run is a shard: splits the selection, remembers the suite."""

    index: int
    count: int
    suite: list[str] = field(default_factory=list)  # nodeids before the split
    left_to_others: set[str] = field(default_factory=set)  # nodeids the other shards run

    @property
    def shard(self) -> Shard:
        return Shard(self.index, self.count, tuple(self.suite))

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        self.suite = [item.nodeid for item in items]
        kept = [item for item in items if shard_of(item.nodeid, self.count) == self.index]
        others = [item for item in items if shard_of(item.nodeid, self.count) != self.index]
        self.left_to_others = {item.nodeid for item in others}
        if others:
            config.hook.pytest_deselected(items=others)
            items[:] = kept

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        workeroutput: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:  # xdist worker: the controller collects nothing itself
            workeroutput[WORKEROUTPUT_KEY] = self.suite

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        suite = getattr(node, "workeroutput", {}).get(WORKEROUTPUT_KEY)
        if suite and not self.suite:  # every worker collects the same suite
            self.suite = list(suite)


SHARD_KEY = pytest.StashKey[ShardSelector]()


def shard_of_run(config: pytest.Config) -> Shard | None:
    selector = config.stash.get(SHARD_KEY, None)
    return selector.shard if selector is not None else None


def left_to_other_shards(config: pytest.Config) -> set[str]:
    selector = config.stash.get(SHARD_KEY, None)
    return selector.left_to_others if selector is not None else set()
