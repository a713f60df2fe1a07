"""readiness.yaml read once per xdist run: the controller hands its document to every worker.

A worker would otherwise read and parse the file again, importing PyYAML for it: the largest
part of what ``--readiness`` costs each worker at start-up. The document travels as the
controller read it, before any check (pickled: YAML gives dates, which xdist's channel cannot
carry), and each worker checks and resolves it exactly like a file it read itself. A worker
given nothing (started by an older controller, or by hand) reads the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_readiness.config import read_config

WORKERINPUT_KEY = "readiness_config_document"


def read_document(config: pytest.Config, path: Path) -> Any:
    """This process's config document: the controller's if it shipped one, else the file's."""
    shipped = getattr(config, "workerinput", {}).get(WORKERINPUT_KEY)
    if isinstance(shipped, bytes):
        import pickle  # here and in the shipper only: a serial run does without it

        return pickle.loads(shipped)  # from the controller that started this worker
    return read_config(path)


class DocumentShipper:
    """Registered on the xdist controller: puts the document in each worker's workerinput."""

    def __init__(self, document: Any) -> None:
        import pickle

        self.pickled = pickle.dumps(document)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[WORKERINPUT_KEY] = self.pickled
