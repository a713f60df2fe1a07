"""The pytest side of the JUnit report: tags testcases while pytest's junitxml writes them
(``reporting`` adds the verdict to the written file; the XML itself is ``reporters.junit``'s job).

Testcases are matched to readiness items without re-deriving junitxml's ``classname``/``name``
from node ids: for ``xunit1`` (the family with per-testcase properties) each report carries one
extra user property, ``readiness.nodeid``, while junitxml handles it, so pytest itself writes
the node id into the testcase it made for that report. The enrichment replaces it with the
item's properties (or drops it). xunit2 testcases get nothing, so nothing is added for it.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from pytest_readiness.reporters import junit


class JunitNodeTagger:
    """Controller-side plugin (xunit1 only): tags testcases with their node ids."""

    def __init__(self, config: pytest.Config) -> None:
        self.tags_testcases = str(config.getini("junit_family")) in junit.LEGACY_FAMILIES

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
        try:
            return (yield)
        finally:
            if tag in report.user_properties and not (report.when == "call" and report.failed):
                report.user_properties.remove(tag)
