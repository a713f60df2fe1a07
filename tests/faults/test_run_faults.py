"""Faults of the run itself: a hanging check, a crashing xdist worker, SIGINT and SIGTERM
(what CI runners send on a timeout), serially and under ``-n 2``. Each ends in a decision with
every report written and valid, within a bounded time.

Moved here from tests/plugin/test_fail_closed.py and test_xdist.py, and extended to every report
and a time bound.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from tests.faults.gate import argv, environment, project, reports_of, run_gate

DIST = pytest.mark.parametrize("dist", [[], ["-n", "2"]], ids=["serial", "xdist"])
PROFILE = "profiles:\n  prod: {check_timeout: 1}\n"
#: A safety net against a hang, not a benchmark.
BOUND = 60


@DIST
def test_a_hanging_check_is_stopped_by_the_profiles_check_timeout(
    tmp_path: Path, dist: list[str]
) -> None:
    checks = """
    import threading
    import pytest

    @pytest.mark.critical(id="HANG")
    def test_hangs():
        threading.Event().wait(3600)

    @pytest.mark.critical(id="OK")
    def test_ok():
        pass
    """
    run = run_gate(project(tmp_path, PROFILE, checks), *dist)
    assert run.items["HANG"]["outcome"] == "failed"
    assert "Timeout" in run.items["HANG"]["message"]
    assert run.items["OK"]["outcome"] == "passed"
    assert run.result["decision"] == "NO-GO"
    assert run.status == 1
    assert run.seconds < BOUND


def test_a_worker_that_dies_makes_it_no_go(tmp_path: Path) -> None:
    checks = """
    import os
    import pytest

    @pytest.mark.nice_to_have(id="DIES")
    def test_dies():
        os._exit(1)

    @pytest.mark.critical(id="FINE")
    def test_fine():
        pass
    """
    run = run_gate(project(tmp_path, "profiles:\n  prod: {}\n", checks), "-n", "2")
    assert run.result["decision"] == "NO-GO"
    assert any("crashed" in reason for reason in run.result["reasons"])
    assert run.items["DIES"]["outcome"] == "error"
    assert run.items["FINE"]["outcome"] == "passed"
    assert run.status == 1
    assert run.seconds < BOUND


QUICK_THEN_HANGING = """
import os
import threading
import pytest

@pytest.mark.critical
@pytest.mark.parametrize("n", range(4))
def test_quick(n):
    pass

@pytest.mark.important
def test_hangs():
    with open({fifo!r}, "w") as fifo:  # blocks until the test listens: "I hang now"
        fifo.write("hanging")
    threading.Event().wait(3600)
"""


def _interrupt_run(workdir: Path, dist: list[str], signum: int) -> tuple[int, set[str], str]:
    """Start a run, wait until two quick checks passed and the hanging one began (it says so
    through a FIFO), then send ``signum``. Returns the exit status, the node ids the terminal
    showed as PASSED and the output.

    Under xdist a quick check may wait behind the hanging one on its worker and never run;
    the assertion is that every check the run had seen pass is reported as passed.
    """
    fifo = workdir / "hanging"
    os.mkfifo(fifo)
    (workdir / "test_checks.py").write_text(QUICK_THEN_HANGING.format(fifo=str(fifo)))
    with subprocess.Popen(
        [*argv(*dist)],
        cwd=workdir,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, as a terminal or CI job has
    ) as run:

        def give_up() -> None:  # a watchdog, not a timing: a run that never gets there fails
            os.killpg(run.pid, signal.SIGKILL)
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # release the reader

        watchdog = threading.Timer(120, give_up)
        watchdog.start()
        try:
            assert run.stdout is not None
            # The controller prints each result as it processes it; under xdist the line of
            # the last one ends only when the next begins, so count in raw chunks, not lines.
            output = b""
            while output.count(b"PASSED") < 2:
                chunk = os.read(run.stdout.fileno(), 4096)
                if not chunk:
                    break
                output += chunk
            passed = output.count(b"PASSED")
            with open(fifo) as hanging:  # returns once the hanging check has begun
                hanging.read()
            os.kill(run.pid, signum)  # pytest's own process, as a CI runner's stop does
            output += run.stdout.read()
            status = run.wait(timeout=120)
        finally:
            watchdog.cancel()
    assert passed >= 2
    text = output.decode("utf-8", "replace")
    shown = {
        m
        for line in text.splitlines()
        if "PASSED" in line
        for m in re.findall(r"test_checks\.py::\S+", line)
    }
    return status, shown, text


@DIST
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_is_incomplete_and_reports_what_had_passed(
    tmp_path: Path, dist: list[str], signum: int
) -> None:
    workdir = project(tmp_path, "profiles:\n  prod: {}\n", "")
    status, shown, output = _interrupt_run(workdir, dist, signum)
    data = reports_of(workdir, status, output)
    assert status == pytest.ExitCode.INTERRUPTED
    assert data["decision"] == "INCOMPLETE"
    passed = {i["nodeid"] for i in data["items"] if i["outcome"] == "passed"}
    assert len(shown) >= 2
    assert passed == shown
