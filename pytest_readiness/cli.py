"""``pytest-readiness``: the console script. ``merge`` combines JSON results into one decision.

    pytest-readiness merge [LABEL=]RESULT.json... [--readiness-config PATH --readiness PROFILE]
        [--json OUT] [--junitxml OUT] [--html OUT] [--md OUT] [--sarif OUT] [-q | -v]

Prints the terminal summary to stdout and writes every report from the merged verdict; the
report options follow ``reporting.REPORT_RENDERERS`` (``readiness_X`` -> ``--X``), so a report
format added there is a merge option too. The exit status is a run's (``policy.exit_status``):
0 for GO, 1 for any other decision, 4 for bad input (one line on stderr) or a report that
could not be written.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from pytest_readiness.errors import ReadinessError
from pytest_readiness.model import Verdict
from pytest_readiness.policy import exit_status
from pytest_readiness.reporting import Report, write_reports

USAGE_ERROR = 4
_FIX = "pass files written by --readiness-json"
_ALIASES = {"md": ("--md", "--markdown")}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command != "merge":
        parser.print_help()
        return USAGE_ERROR
    try:
        return _merge(args)
    except ReadinessError as exc:
        print(f"pytest-readiness merge: {exc}", file=sys.stderr)
        return USAGE_ERROR


def _parser() -> argparse.ArgumentParser:
    from pytest_readiness.reporting import REPORT_RENDERERS

    parser = argparse.ArgumentParser(prog="pytest-readiness")
    commands = parser.add_subparsers(dest="command", required=True)
    merge = commands.add_parser(
        "merge",
        help="combine JSON results of shards, clusters or environments into one decision",
        description="Decide once over the items of several --readiness-json results: shards "
        "of one suite, or environments kept apart by label (the profile, or LABEL=PATH).",
    )
    merge.add_argument("results", nargs="+", metavar="[LABEL=]RESULT.json")
    merge.add_argument("--readiness-config", metavar="PATH", help="decide under this config's")
    merge.add_argument(
        "--readiness",
        metavar="PROFILE",
        help="profile: its policy, waivers and attestations (default: the results' policy, "
        "waivers and attestations)",
    )
    for dest in REPORT_RENDERERS:
        name = dest.removeprefix("readiness_")
        flags = _ALIASES.get(name, (f"--{name}",))
        merge.add_argument(*flags, dest=dest, metavar="OUT", help=f"write the {name} report")
    merge.add_argument("--junitxml", metavar="OUT", help="write JUnit XML (xunit2)")
    merge.add_argument("-q", "--quiet", action="count", default=0, help="less output")
    merge.add_argument("-v", "--verbose", action="count", default=0, help="list every item")
    return parser


def _merge(args: argparse.Namespace) -> int:
    from pytest_readiness.baseline import load_result
    from pytest_readiness.merge import merge, result_of

    reports = _reports(args)
    results = []
    for argument in args.results:
        label, path = _labelled(argument)
        if any(path.resolve() == out.path.resolve() for out in reports):
            raise ReadinessError(f"{path}: is both an input and a report; name another report")
        data = load_result(path, "result", _FIX)
        results.append(result_of(data, str(path), label))
    rules, redact = _rules(args)
    verdict, policy = merge(results, rules, date.today())
    verdict = redact(verdict)
    verdict = replace(verdict, exit_status=exit_status(verdict, 0, policy))
    problems: list[str] = []
    written = write_reports(reports, verdict, problems)
    if problems:
        verdict = replace(verdict, exit_status=exit_status(verdict, 0, policy, reports_failed=True))
        write_reports(written, verdict, problems)
    _print(verdict, args.verbose - args.quiet)
    for problem in problems:
        print(f"pytest-readiness merge: {problem}", file=sys.stderr)
    return verdict.exit_status


def _labelled(argument: str) -> tuple[str | None, Path]:
    """``LABEL=PATH`` names the environment; a path that exists as given is never split."""
    label, sep, rest = argument.partition("=")
    if sep and label and "/" not in label and not os.path.exists(argument):
        return label, Path(rest)
    return None, Path(argument)


def _rules(args: argparse.Namespace) -> tuple[Any, Callable[[Verdict], Verdict]]:
    from pytest_readiness.merge import Rules

    if not args.readiness:
        if args.readiness_config:
            raise ReadinessError("--readiness-config needs --readiness PROFILE")
        return Rules(), lambda verdict: verdict
    from pytest_readiness.config import load_profile
    from pytest_readiness.redaction import redact_verdict, redactor_for

    path = Path(args.readiness_config or "readiness.yaml")
    profile = load_profile(path, args.readiness, os.environ)
    redactor = redactor_for(profile)
    rules = Rules(profile.policy, profile.waivers, profile.attestations, str(path))
    return rules, lambda verdict: redact_verdict(verdict, redactor)


def _reports(args: argparse.Namespace) -> list[Report]:
    from pytest_readiness.reporting import REPORT_RENDERERS, lazy_render

    modules = dict(REPORT_RENDERERS, junitxml="pytest_readiness.reporters.junit_merged")
    reports: list[Report] = []
    for dest, module_name in modules.items():
        value = getattr(args, dest, None)
        if not value:
            continue
        path = Path(value)
        if path.is_dir():
            raise ReadinessError(f"{value}: is a directory; name a report file")
        if any(path.resolve() == known.path.resolve() for known in reports):
            raise ReadinessError(f"{value}: two reports would write to the same file")
        reports.append(Report(value, path, lazy_render(module_name)))
    return reports


def _print(verdict: Verdict, verbosity: int) -> None:
    from pytest_readiness.reporters.terminal import render

    for line in render(verdict, verbosity):
        print(f" {line.text} ".center(80, line.sep) if line.sep else line.text)


if __name__ == "__main__":
    sys.exit(main())
