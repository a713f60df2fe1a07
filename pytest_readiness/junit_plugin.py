"""The pytest side of the JUnit report: tags testcases while pytest's junitxml writes them, then
rewrites the written file once with the verdict (the XML itself is ``reporters.junit``'s job).

Testcases are matched to readiness items without re-deriving junitxml's ``classname``/``name``
from node ids: for ``xunit1`` (the family with per-testcase properties) each report carries one
extra user property, ``readiness.nodeid``, while junitxml handles it, so pytest itself writes
the node id into the testcase it made for that report. The enrichment replaces it with the
item's properties (or drops it). xunit2 testcases get nothing, so nothing is added for it.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Generator
from pathlib import Path

import pytest

from pytest_readiness.model import Verdict
from pytest_readiness.reporters import junit


class JunitIntegration:
    """Controller-side plugin: tags testcases, remembers the verdict, rewrites the file once."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        # junitxml resolves the path at configure time too; tests may chdir later.
        self.path = Path(os.path.abspath(config.option.xmlpath))
        self.family = str(config.getini("junit_family"))
        self.tags_testcases = self.family in junit.LEGACY_FAMILIES
        self.tagged = False
        self.verdict: Verdict | None = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> Generator[None, None, None]:
        """Give the report its node id as a user property while this hook runs, so junitxml
        writes it into the testcase. It is gone once the hook returns, except on a failed call:
        junitxml finishes that testcase (reading the call report's properties) only when the
        teardown report arrives."""
        if not self.tags_testcases:
            return (yield)
        tag = (junit.NODEID_PROPERTY, report.nodeid)
        report.user_properties.append(tag)
        self.tagged = True
        try:
            return (yield)
        finally:
            if tag in report.user_properties and not (report.when == "call" and report.failed):
                report.user_properties.remove(tag)

    def pytest_readiness_verdict(self, verdict: Verdict) -> None:
        self.verdict = verdict

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        """Trylast: junitxml writes the file in its own (plain) sessionfinish before this."""
        if not self.path.is_file():
            return
        verdict = self.verdict
        try:
            if verdict is not None:
                junit.enrich_file(self.path, verdict, self.family)
            elif self.tagged:  # no verdict to add, but the tags must not stay
                junit.rewrite_file(self.path, junit.remove_nodeid_tags)
        except (OSError, ET.ParseError) as exc:
            reporter = self.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(
                    f"readiness: cannot add the decision to {self.path}: {exc}", red=True
                )
