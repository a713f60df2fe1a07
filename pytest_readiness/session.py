"""The readiness run: collect item specs, keep reports, decide once at session end.

Processes (xdist): workers collect and run tests, the controller only receives reports.
- a single process does everything;
- a worker ships specs and evidence on the reports xdist forwards (:mod:`.worker`), and all its
  specs once more at the end (items that never ran, e.g. after ``-x``);
- the controller stores forwarded reports, decides and reports.

The decision is made in a ``pytest_sessionfinish`` wrapper that runs after every other plugin's
and conftest's ``pytest_sessionfinish`` (and after pytest's junitxml wrote its file), so nothing
changes the exit status after the reports were written with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from pytest_readiness.config import Profile
from pytest_readiness.errors import MarkerError
from pytest_readiness.evidence import EvidenceStore
from pytest_readiness.junit_plugin import agree
from pytest_readiness.markers import SEVERITY_NAMES, ChainMemo, severity_marks, spec_of
from pytest_readiness.model import ItemSpec, RawResult, Severity, Verdict, is_not_applicable
from pytest_readiness.outcomes import CRASH_PHASE, message_of, reduce_reports
from pytest_readiness.policy import RunState, evaluate, item_outcome, unmatched_waivers
from pytest_readiness.redaction import Redactor, ReportRedactor, redact_verdict
from pytest_readiness.reporting import gc_paused, publish
from pytest_readiness.run_facts import run_info, scope_of
from pytest_readiness.shards import left_to_other_shards
from pytest_readiness.time_limit import limit_time
from pytest_readiness.worker import (
    EVIDENCE_ATTRIBUTE,
    SPEC_ATTRIBUTE,
    WORKEROUTPUT_KEY,
    spec_from_wire,
    spec_to_wire,
    specs_from_wire,
    specs_to_wire,
)

SPEC_KEY = pytest.StashKey[ItemSpec]()
#: The report as pytest made it, shipped by a worker that rewrote it (see Pristine).
PRISTINE_ATTRIBUTE = "readiness_pristine"
KWARGS_KEY = pytest.StashKey[dict[str, Any]]()


class ReadinessSession:
    """Registered as a plugin only when ``--readiness`` is given."""

    def __init__(
        self, config: pytest.Config, profile: Profile, redactor: Redactor, is_worker: bool
    ) -> None:
        self.config = config
        self.profile = profile
        self.redactor = redactor
        self.is_worker = is_worker
        self.evidence = EvidenceStore(redactor)
        self.clean = ReportRedactor(redactor).clean  # for text written into pytest's reports
        self.specs: dict[str, ItemSpec] = {}  # nodeid -> spec (xdist: in arrival order)
        self.order: dict[str, int] = {}  # xdist controller: nodeid -> its collection index
        self.total = 0  # items collected before any deselection
        self.reports: dict[str, dict[str, Any]] = {}  # nodeid -> phase -> report
        self.crashed: list[str] = []
        self.collection_errors = 0
        self.skipped_modules: dict[str, str] = {}  # nodeid -> reason, skipped at collection
        self.critical_collected: set[str] = set()  # nodeids, before any deselection
        self.critical_left_out = 0  # critical items collected, then deselected
        self.started = time.time()
        self.verdict: Verdict | None = None
        self.report_problems: list[str] = []
        self.baseline: tuple[str, dict[str, Any]] | None = None  # (path, previous JSON result)
        self.target_params: dict[str, list[Any]] | None = None  # see fixtures.parametrize_targets
        self.usage_error: str | None = None  # found by a worker: the run must end with 4
        self.shipped: set[str] = set()  # a worker's nodeids whose spec rode on a setup report

    # -- collection (serial and workers) ------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        """Marker misuse is a collection error of the module naming the test, also under xdist."""
        report: pytest.CollectReport = yield
        if report.passed:
            memo: ChainMemo = {}
            for node in report.result:
                if isinstance(node, pytest.Item):
                    try:
                        severity_marks(node, memo)
                    except MarkerError as exc:
                        report.outcome = "failed"
                        report.longrepr = str(exc)
                        break
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Before -m deselects: compute specs and, for -m, make marks match effective severity."""
        self.total = len(items)
        policy, overrides = self.profile.policy, self.profile.severity_overrides
        memo: ChainMemo = {}
        for item in items:
            spec, kwargs = spec_of(item, policy, overrides, memo)
            item.stash[SPEC_KEY] = spec
            item.stash[KWARGS_KEY] = kwargs
            if spec.severity is Severity.CRITICAL:
                self.critical_collected.add(item.nodeid)
        limit_time(self.config, items, self.profile.check_timeout)
        if self.config.option.markexpr:
            _keep_effective_severity_marks(items)
        if self.profile.policy.strict_waivers:
            self._stop_on_unmatched_waivers(items)

    def _stop_on_unmatched_waivers(self, items: list[pytest.Item]) -> None:
        """policy.strict_waivers: a waiver naming no collected item stops the run before it
        starts, with exit status 4. A worker cannot raise a usage error (xdist would end in an
        internal error): it runs nothing and ships the problem to the controller instead."""
        specs = [item.stash[SPEC_KEY] for item in items]
        unmatched = unmatched_waivers(self.profile.waivers, specs)
        if not unmatched:
            return
        names = ", ".join(f"{w.id!r} ({w.scope}, by {w.by})" for w in unmatched)
        problem = (
            f"{self.profile.source}: waivers matching no collected item: {names} "
            "(policy.strict_waivers is on); fix the id or remove the waiver"
        )
        if not self.is_worker:
            raise pytest.UsageError(problem)
        self.usage_error = problem
        dropped = list(items)
        items[:] = []
        self.config.hook.pytest_deselected(items=dropped)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:  # xdist forwards workers' failures; the run then cannot be complete
            self.collection_errors += 1
        elif report.skipped:  # e.g. a module-level importorskip: its checks never existed
            reason = message_of(report)
            if not is_not_applicable(reason):
                self.skipped_modules[report.nodeid] = reason

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.specs = {
            item.nodeid: item.stash[SPEC_KEY] for item in session.items if SPEC_KEY in item.stash
        }
        # Whoever deselected them (-m, -k, --deselect, a conftest), these were not evaluated.
        # Items another shard runs are not left out of the decision (the merge makes it).
        left_to_others = left_to_other_shards(self.config)
        self.critical_left_out = len(self.critical_collected.difference(self.specs, left_to_others))

    # -- reports (serial and controller) -------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> Generator[None, None, None]:
        """Keep the report as pytest made it, then make it show the item's readiness outcome
        before pytest's session (failure count, --maxfail), the terminal, junitxml and
        pytest-html see it. A worker does it too (its own --maxfail counts) and ships the
        report as pytest made it when it differs; the controller rewrites again from that,
        with the same rules."""
        nodeid = report.nodeid
        when = report.when
        specs = self.specs
        if not self.is_worker:
            shipped = getattr(report, SPEC_ATTRIBUTE, None)  # from a worker (see worker.py)
            if shipped is not None and nodeid not in specs:
                specs[nodeid] = spec_from_wire(shipped)
        elif when == "setup" and nodeid in specs:  # before the rewrite may change its `when`
            setattr(report, SPEC_ATTRIBUTE, spec_to_wire(specs[nodeid]))
            self.shipped.add(nodeid)
        phases = self.reports.get(nodeid)
        if phases is None:
            phases = self.reports[nodeid] = {}
        spec = specs.get(nodeid)
        if _plain(report, when, spec, phases.get("setup")):
            phases[when] = report  # its own pristine copy: nothing to clean or rewrite
        else:
            pristine = Pristine.of(report, self.clean)
            phases[when] = pristine
            rewritten = False
            if spec is not None and _decides(spec, pristine, phases.get("setup")):
                rewritten = self._agree(report, phases, spec, pristine)
            # A worker ships what the controller could not tell from the report it receives.
            if self.is_worker and (
                rewritten or pristine.longrepr is not None or pristine.wasxfail is not None
            ):
                setattr(report, PRISTINE_ATTRIBUTE, pristine.to_dict())
        if self.is_worker and when == "teardown":  # a worker decides nothing
            del self.reports[nodeid]
        return (yield)

    def _agree(
        self,
        report: pytest.TestReport,
        phases: dict[str, Any],
        spec: ItemSpec,
        pristine: Pristine,
    ) -> bool:
        """Rewrite the report deciding its item; whether its outcome, phase or text changed."""
        so_far: dict[str, Any] = {w: phases[w] for w in ("setup", "call") if w in phases}
        result, waiver = item_outcome(
            spec,
            reduce_reports(so_far),
            waivers=self.profile.waivers,
            attestations=self.profile.attestations,
            today=date.today(),
        )
        return agree(report, result, waiver, pristine.outcome, self.clean)

    # -- xdist controller -----------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if not self.order:  # every worker collects the same items in the same order
            self.order = {nodeid: index for index, nodeid in enumerate(ids)}

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        if error:
            lines = str(error).strip().splitlines() or ["died"]
            self.crashed.append(f"{node.gateway.id}: {lines[-1]}")
        shipped = getattr(node, "workeroutput", {}).get(WORKEROUTPUT_KEY)
        if shipped:
            self.total = max(self.total, shipped["total"])
            self.critical_left_out = max(self.critical_left_out, shipped["critical_left_out"])
            self.usage_error = self.usage_error or shipped.get("usage_error")
            for spec in specs_from_wire(shipped["specs"]):
                if spec.nodeid not in self.specs:
                    self.specs[spec.nodeid] = spec

    # -- end of session --------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(
        self, session: pytest.Session, exitstatus: int
    ) -> Generator[None, None, None]:
        failure: BaseException | None = None
        try:
            yield
        except Exception as exc:  # another plugin's or a conftest's sessionfinish failed
            failure = exc
        if self.config.option.collectonly:
            if failure is not None:
                raise failure
            return
        if self.is_worker:
            self.config.workeroutput[WORKEROUTPUT_KEY] = {  # type: ignore[attr-defined]
                "total": self.total,
                "critical_left_out": self.critical_left_out,
                "specs": specs_to_wire(self._specs_left_to_ship()),
                "usage_error": self.usage_error,
            }
            if failure is not None:
                raise failure
            return
        pytest_status = int(session.exitstatus)
        if self.usage_error is not None:
            pytest_status = int(pytest.ExitCode.USAGE_ERROR)
            self.report_problems.append(self.usage_error)
        if failure is not None:
            pytest_status = int(pytest.ExitCode.INTERNAL_ERROR)
            self.report_problems.append(
                f"a pytest_sessionfinish hook failed: {type(failure).__name__}: {failure}"
            )
        with gc_paused():
            verdict = self._decide(session, pytest_status, failure)
            self.config.hook.pytest_readiness_verdict(verdict=verdict, config=self.config)
            verdict, problems = publish(verdict, self.config, self.profile.policy, pytest_status)
        self.verdict = verdict
        self.report_problems.extend(problems)
        session.exitstatus = verdict.exit_status

    def _specs_left_to_ship(self) -> list[ItemSpec]:
        """Specs the controller has not received on a setup report (items run elsewhere or
        never): every worker collected every item, and items no worker ran still count."""
        return [s for nodeid, s in self.specs.items() if nodeid not in self.shipped]

    def _decide(
        self, session: pytest.Session, pytest_status: int, failure: BaseException | None
    ) -> Verdict:
        raw: dict[str, RawResult] = {}
        for nodeid, by_phase in self.reports.items():
            evidence = self.evidence.records.get(nodeid)
            if evidence is None and "teardown" in by_phase:
                evidence = getattr(by_phase["teardown"], EVIDENCE_ATTRIBUTE, None)
            raw[nodeid] = reduce_reports(by_phase, evidence)
        crashed = list(self.crashed)
        for nodeid, by_phase in self.reports.items():
            if CRASH_PHASE in by_phase and not crashed:
                crashed.append(f"while running {nodeid}")
        interrupted = _interruption(session, pytest_status, self.collection_errors)
        if failure is not None:
            interrupted = f"internal error: {type(failure).__name__} in pytest_sessionfinish"
        specs = list(self.specs.values())
        if self.order:  # reports arrive in any order; reports list items as collected
            specs.sort(key=lambda spec: self.order.get(spec.nodeid, len(self.order)))
        verdict = evaluate(
            specs,
            raw,
            self.profile.policy,
            waivers=self.profile.waivers,
            attestations=self.profile.attestations,
            today=date.today(),
            run_state=RunState(
                interrupted=interrupted,
                crashed_workers=tuple(crashed),
                skipped_modules=tuple(f"{n}: {r}" for n, r in self.skipped_modules.items()),
            ),
            scope=scope_of(self.config, len(self.specs), self.total, self.critical_left_out),
            run=run_info(
                self.config,
                self.profile.name,
                self.profile.source,
                self.started,
                self.profile.policy,
            ),
        )
        verdict = redact_verdict(verdict, self.redactor)
        if self.baseline is not None:
            from pytest_readiness.baseline import compare

            path, previous = self.baseline
            verdict = replace(verdict, baseline=compare(verdict, previous, path))
        return verdict

    # -- terminal ----------------------------------------------------------------------------

    def pytest_report_header(self, config: pytest.Config) -> str:
        return f"readiness: profile {self.profile.name} (config {self.profile.source})"

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.verdict is None:
            return
        from pytest_readiness.reporters.terminal import render

        for line in render(self.verdict, self.config.get_verbosity()):
            if line.sep:
                terminalreporter.write_sep(line.sep, line.text, **line.markup)
            else:
                terminalreporter.write_line(line.text, **line.markup)
        for problem in self.report_problems:
            terminalreporter.write_line(f"readiness: {problem}", red=True, bold=True)


class Pristine:
    """A report as pytest made it, for the decision: the fields the reduction reads, copied
    before the report is rewritten to show the readiness outcome; the rest is the report's.
    Under xdist they travel from the worker as a dict of builtins on the report."""

    def __init__(self, report: Any, outcome: str, when: str, longrepr: Any) -> None:
        self.report = report
        self.outcome = outcome
        self.when = when
        self.longrepr = longrepr
        self.wasxfail: Any = None  # the reduction reads None as "not xfail"

    @classmethod
    def of(cls, report: Any, clean: Callable[[str], str]) -> Pristine:
        """``clean``: what pytest-readiness's report cleaning does to the report after this
        (masking, visible escapes, caps), done here to the copy."""
        shipped = getattr(report, PRISTINE_ATTRIBUTE, None)
        if isinstance(shipped, dict):  # made on a worker before it rewrote the report
            longrepr = shipped["longrepr"]
            if isinstance(longrepr, list):  # a skip's (path, line, reason), as JSON has it
                longrepr = tuple(longrepr)
            pristine = cls(report, shipped["outcome"], shipped["when"], longrepr)
            if "wasxfail" in shipped:
                pristine.wasxfail = shipped["wasxfail"]
            return pristine
        longrepr = report.longrepr
        if longrepr is None and not hasattr(report, "wasxfail"):  # most reports: nothing to clean
            return cls(report, report.outcome, report.when, None)
        crash = getattr(longrepr, "reprcrash", None)
        if isinstance(longrepr, tuple):
            longrepr = (longrepr[0], longrepr[1], clean(str(longrepr[2])))
        elif longrepr is not None:
            longrepr = clean(crash.message if crash is not None else str(longrepr))
        pristine = cls(report, report.outcome, report.when, longrepr)
        if hasattr(report, "wasxfail"):
            pristine.wasxfail = clean(str(report.wasxfail))
        return pristine

    def to_dict(self) -> dict[str, Any]:
        """Builtins only (the strings were cleaned when it was made)."""
        longrepr = self.longrepr
        if isinstance(longrepr, tuple):
            longrepr = [str(longrepr[0]), longrepr[1], longrepr[2]]
        data: dict[str, Any] = {"outcome": self.outcome, "when": self.when, "longrepr": longrepr}
        if self.wasxfail is not None:
            data["wasxfail"] = self.wasxfail
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self.report, name)


def _plain(report: Any, when: str, spec: ItemSpec | None, setup: Any) -> bool:
    """Most reports: passed as pytest made it, nothing to clean, and not one that must show
    another outcome (the passed call of a human item, or one after a setup that did not
    pass). Such a report is kept as it is, and a worker ships nothing more with it."""
    return (
        report.outcome == "passed"
        and report.longrepr is None
        and not hasattr(report, "wasxfail")
        and not hasattr(report, PRISTINE_ATTRIBUTE)
        and (
            when != "call"
            or spec is None
            or (not spec.manual and (setup is None or setup.outcome == "passed"))
        )
    )


def _decides(spec: ItemSpec, report: Pristine, setup: Any) -> bool:
    """Whether this report decides its item's outcome and may have to show another one than
    pytest's: a setup that did not pass, or the call of an item not plainly met."""
    if report.when == "call":
        return not _plainly_met(spec, report, setup)
    return report.when == "setup" and report.outcome != "passed"


def _plainly_met(spec: ItemSpec, call: Pristine, setup: Any) -> bool:
    """Most checks: a passed call after a passed setup, neither xfail nor a human item. Its
    outcome is PASSED whatever the waivers (they change failures) and attestations (they
    change human items), so the per-test rewrite has nothing to do."""
    return (
        call.outcome == "passed"
        and getattr(call, "wasxfail", None) is None
        and not spec.manual
        and (setup is None or setup.outcome == "passed")
    )


def _keep_effective_severity_marks(items: list[pytest.Item]) -> None:
    """-m matches every mark in an item's chain (a class's ``critical`` selects its ``important``
    methods too); strip severity marks from every node and put the effective one on each item."""
    chains: dict[int, Any] = {}
    for item in items:
        for node in item.listchain():
            chains[id(node)] = node
    for node in chains.values():
        if any(m.name in SEVERITY_NAMES for m in node.own_markers):
            node.own_markers[:] = [m for m in node.own_markers if m.name not in SEVERITY_NAMES]
    for item in items:
        severity = item.stash[SPEC_KEY].severity.value
        item.add_marker(getattr(pytest.mark, severity)(**item.stash[KWARGS_KEY]))


def _interruption(session: pytest.Session, status: int, collection_errors: int) -> str | None:
    if collection_errors:
        return f"{collection_errors} error(s) during collection"
    if status == pytest.ExitCode.INTERRUPTED:
        return str(session.shouldstop or session.shouldfail or "interrupted")
    if status == pytest.ExitCode.INTERNAL_ERROR:
        return "internal error"
    if status == pytest.ExitCode.USAGE_ERROR:
        return "usage error"
    if session.shouldfail or session.shouldstop:
        return str(session.shouldfail or session.shouldstop)
    return None
