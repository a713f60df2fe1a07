"""The readiness run: collect item specs, keep reports, decide once at session end.

Processes (xdist): workers collect and run tests, the controller only receives reports.
- a single process does everything;
- a worker computes specs at collection and ships them once through ``workeroutput``
  (:class:`EvidenceShipper` attaches each test's evidence to its teardown report);
- the controller stores forwarded reports, merges the workers' specs, decides and reports.

The per-report path is one dict assignment; everything else happens once, at the end.
"""

from __future__ import annotations

import platform
import socket
import subprocess
import time
from collections.abc import Generator
from dataclasses import asdict, replace
from datetime import date, datetime, timezone
from typing import Any

import pytest

from pytest_readiness.config import Profile
from pytest_readiness.errors import MarkerError
from pytest_readiness.evidence import EvidenceStore
from pytest_readiness.markers import SEVERITY_NAMES, severity_marks, spec_of
from pytest_readiness.model import ItemSpec, RawResult, RunInfo, Scope, Severity, Verdict
from pytest_readiness.outcomes import CRASH_PHASE, reduce_reports
from pytest_readiness.policy import RunState, evaluate, exit_status
from pytest_readiness.redaction import Redactor
from pytest_readiness.reporting import redact_verdict, write_reports

SPEC_KEY = pytest.StashKey[ItemSpec]()
KWARGS_KEY = pytest.StashKey[dict[str, Any]]()
WORKEROUTPUT_KEY = "readiness"


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
        self.specs: dict[str, ItemSpec] = {}  # nodeid -> spec, in collection order
        self.total = 0  # items collected before any deselection
        self.reports: dict[tuple[str, str], Any] = {}
        self.crashed: list[str] = []
        self.collection_errors = 0
        self.started = time.time()
        self.verdict: Verdict | None = None
        self.report_problems: list[str] = []
        self.baseline: tuple[str, dict[str, Any]] | None = None  # (path, previous JSON result)
        self.target_params: dict[str, list[Any]] | None = None  # see fixtures.parametrize_targets

    # -- collection (serial and workers) ------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        """Marker misuse is a collection error of the module naming the test, also under xdist."""
        report: pytest.CollectReport = yield
        if report.passed:
            for node in report.result:
                if isinstance(node, pytest.Item):
                    try:
                        severity_marks(node)
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
        for item in items:
            spec, kwargs = spec_of(item, policy, overrides)
            item.stash[SPEC_KEY] = spec
            item.stash[KWARGS_KEY] = kwargs
        if self.config.option.markexpr:
            _keep_effective_severity_marks(items)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:  # xdist forwards workers' failures; the run then cannot be complete
            self.collection_errors += 1

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.specs = {
            item.nodeid: item.stash[SPEC_KEY] for item in session.items if SPEC_KEY in item.stash
        }

    # -- reports (serial and controller) -------------------------------------------------

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.reports[report.nodeid, report.when] = report

    # -- xdist controller -----------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        if error:
            lines = str(error).strip().splitlines() or ["died"]
            self.crashed.append(f"{node.gateway.id}: {lines[-1]}")
        shipped = getattr(node, "workeroutput", {}).get(WORKEROUTPUT_KEY)
        if shipped:
            self.total = max(self.total, shipped["total"])
            for data in shipped["specs"]:
                if data["nodeid"] not in self.specs:
                    data = dict(data, severity=Severity(data["severity"]))
                    self.specs[data["nodeid"]] = ItemSpec(**data)

    # -- end of session --------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.config.option.collectonly:
            return
        if self.is_worker:
            output = self.config.workeroutput  # type: ignore[attr-defined]
            output[WORKEROUTPUT_KEY] = {
                "total": self.total,
                "specs": [_spec_dict(s) for s in self.specs.values()],
            }
            return
        verdict = self._decide(session, int(exitstatus))
        self.verdict = verdict
        session.exitstatus = verdict.exit_status
        self.config.hook.pytest_readiness_verdict(verdict=verdict, config=self.config)
        self.report_problems = write_reports(verdict, self.config)
        if self.report_problems and session.exitstatus in (
            pytest.ExitCode.OK,
            pytest.ExitCode.TESTS_FAILED,
        ):
            session.exitstatus = (
                pytest.ExitCode.USAGE_ERROR
            )  # a CI job must not pass without its reports

    def _decide(self, session: pytest.Session, pytest_status: int) -> Verdict:
        phases: dict[str, dict[str, Any]] = {}
        for (nodeid, when), report in self.reports.items():
            phases.setdefault(nodeid, {})[when] = report
        raw: dict[str, RawResult] = {}
        for nodeid, by_phase in phases.items():
            evidence = self.evidence.records.get(nodeid)
            if evidence is None and "teardown" in by_phase:
                evidence = getattr(by_phase["teardown"], "readiness_evidence", None)
            raw[nodeid] = reduce_reports(by_phase, evidence)
        crashed = list(self.crashed)
        for nodeid, by_phase in phases.items():
            if CRASH_PHASE in by_phase and not crashed:
                crashed.append(f"while running {nodeid}")
        verdict = evaluate(
            list(self.specs.values()),
            raw,
            self.profile.policy,
            waivers=self.profile.waivers,
            attestations=self.profile.attestations,
            today=date.today(),
            run_state=RunState(
                interrupted=_interruption(session, pytest_status, self.collection_errors),
                crashed_workers=tuple(crashed),
            ),
            scope=self._scope(),
            run=self._run_info(),
        )
        status = exit_status(verdict.decision, pytest_status, self.profile.policy)
        if status == 0 and verdict.decision.value not in ("GO", "DELAY"):
            status = 1  # never exit 0 on NO-GO, NO DATA or INCOMPLETE
        verdict = redact_verdict(verdict, self.redactor)
        verdict = replace(verdict, exit_status=status)
        if self.baseline is not None:
            from pytest_readiness.baseline import compare

            path, previous = self.baseline
            verdict = replace(verdict, baseline=compare(verdict, previous, path))
        return verdict

    def _scope(self) -> Scope:
        option = self.config.option
        narrowed: list[str] = []
        markexpr = getattr(option, "markexpr", "") or ""
        if markexpr:
            narrowed.append(
                f"{markexpr} only" if markexpr.strip() in SEVERITY_NAMES else f"-m '{markexpr}'"
            )
        if getattr(option, "keyword", ""):
            narrowed.append(f"-k '{option.keyword}'")
        if self.config.args_source == pytest.Config.ArgsSource.ARGS and self.config.args:
            narrowed.append("paths: " + " ".join(self.config.args))
        if getattr(option, "deselect", None):
            narrowed.append("--deselect")
        return Scope(
            selected=len(self.specs),
            total=max(self.total, len(self.specs)),
            narrowed_by=tuple(narrowed),
        )

    def _run_info(self) -> RunInfo:
        from pytest_readiness import __version__

        workers = getattr(self.config.option, "numprocesses", None)
        return RunInfo(
            profile=self.profile.name,
            config_path=self.profile.source,
            started_at=datetime.fromtimestamp(self.started, tz=timezone.utc).isoformat(
                timespec="seconds"
            ),
            duration=round(time.time() - self.started, 3),
            hostname=socket.gethostname(),
            git_commit=_git_commit(self.config.rootpath),
            pytest_version=pytest.__version__,
            plugin_version=__version__,
            python_version=platform.python_version(),
            workers=workers if isinstance(workers, int) else 0,
        )

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


class EvidenceShipper:
    """Worker side: puts each test's evidence on its teardown report, which xdist forwards."""

    def __init__(self, store: EvidenceStore) -> None:
        self.store = store

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown" and self.store.records:
            records = self.store.records.pop(report.nodeid, None)
            if records:
                report.readiness_evidence = records  # type: ignore[attr-defined]


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


def _spec_dict(spec: ItemSpec) -> dict[str, Any]:
    data = asdict(spec)
    data["severity"] = spec.severity.value
    return data


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


def _git_commit(root: Any) -> str | None:
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
