"""Pure helpers of the repository checks: CI pipelines, changelog entries, secrets, debug code.

Everything takes file text and returns findings; secrets are reported by kind and location,
never by value.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

GITHUB_WORKFLOWS = (".github/workflows/*.yml", ".github/workflows/*.yaml")
GITLAB_CI = ".gitlab-ci.yml"
# top-level keys of .gitlab-ci.yml that are not jobs
_GITLAB_RESERVED = {
    "default", "include", "stages", "variables", "workflow", "image", "services", "cache",
    "before_script", "after_script", "pages",
}  # fmt: skip


@dataclass(frozen=True)
class CiJob:
    """One CI job: where it is, whether a push runs it, and the commands/actions it uses."""

    file: str
    name: str
    on_push: bool
    commands: tuple[str, ...]


def ci_jobs(files: Mapping[str, str]) -> tuple[list[CiJob], list[str]]:
    """Jobs of GitHub Actions workflows and GitLab CI files (path -> text); and parse problems."""
    jobs: list[CiJob] = []
    problems: list[str] = []
    for path, text in sorted(files.items()):
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            problems.append(f"{path}: not valid YAML ({str(exc).splitlines()[0]})")
            continue
        if not isinstance(document, dict):
            problems.append(f"{path}: not a mapping")
            continue
        if path.endswith(GITLAB_CI):
            jobs += _gitlab_jobs(path, document)
        else:
            jobs += _github_jobs(path, document)
    return jobs, problems


def _github_jobs(path: str, workflow: Mapping[Any, Any]) -> list[CiJob]:
    # YAML 1.1 reads the key `on` as the boolean true
    trigger = workflow.get("on", workflow.get(True))
    if isinstance(trigger, str):
        events = {trigger}
    elif isinstance(trigger, list | dict):
        events = {str(t) for t in trigger}
    else:
        events = set()
    on_push = "push" in events
    jobs = []
    for name, job in (workflow.get("jobs") or {}).items():
        if not isinstance(job, dict):
            continue
        commands = [str(job.get("uses", ""))]
        for step in job.get("steps") or []:
            if isinstance(step, dict):
                commands += [str(step.get(k, "")) for k in ("name", "run", "uses")]
        jobs.append(CiJob(path, str(name), on_push, tuple(c for c in commands if c)))
    return jobs


def _gitlab_jobs(path: str, document: Mapping[Any, Any]) -> list[CiJob]:
    """GitLab runs a pipeline on every push unless rules say otherwise; ``include:`` templates
    (e.g. Security/SAST.gitlab-ci.yml) count as a job running what they name."""
    jobs = []
    includes = document.get("include") or []
    for entry in includes if isinstance(includes, list) else [includes]:
        text = str(entry.get("template", entry)) if isinstance(entry, dict) else str(entry)
        jobs.append(CiJob(path, f"include {text}", True, (text,)))
    for name, job in document.items():
        if str(name) in _GITLAB_RESERVED or str(name).startswith(".") or not isinstance(job, dict):
            continue
        commands = [str(name)]
        for key in ("before_script", "script", "after_script"):
            value = job.get(key) or []
            commands += [str(v) for v in (value if isinstance(value, list) else [value])]
        only = job.get("only")
        on_push = not (isinstance(only, list) and "pushes" not in only and "branches" not in only)
        jobs.append(CiJob(path, str(name), on_push, tuple(commands)))
    return jobs


def matching_jobs(jobs: Iterable[CiJob], pattern: str) -> list[CiJob]:
    """Push-triggered jobs with a command, action or name matching ``pattern`` (ignoring case)."""
    regex = re.compile(pattern, re.IGNORECASE)
    return [j for j in jobs if j.on_push and any(regex.search(c) for c in j.commands)]


def changelog_has(text: str, version: str) -> bool:
    """Whether a heading-like line (``#``, ``[x]``, ``x (date)``, ``Version x``) names ``version``."""
    bare = version.lstrip("vV")
    token = re.compile(rf"(?<![\w.])v?{re.escape(bare)}(?![\w.]|-\w)", re.IGNORECASE)
    for line in text.splitlines():
        stripped = line.strip().lstrip("#=*").strip()
        if not token.search(stripped):
            continue
        if line.lstrip().startswith("#") or re.match(
            rf"^(\[?v?{re.escape(bare)}\]?|(version|release)\b)", stripped, re.IGNORECASE
        ):
            return True
    return False


# -- secrets ----------------------------------------------------------------------------------

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    "AWS access key id": re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"),
    "GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}"),
    "GCP service account key": re.compile(r'"type"\s*:\s*"service_account"'),
}
# name = value assignments whose name says secret; the value must look random (entropy)
_ASSIGNMENT = re.compile(
    r"(?i)\b([\w.-]*(?:secret|password|passwd|token|api[_-]?key|access[_-]?key|private[_-]?key)[\w.-]*)"
    r"[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9+/=_\-.~]{16,})"
)
_PLACEHOLDER = re.compile(r"(?i)(example|changeme|dummy|placeholder|your|xxxx|\$\{|<)")


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def find_secrets(path: str, text: str, min_entropy: float) -> list[str]:
    """``path:line (kind)`` of each secret-looking line; values are never returned."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        kinds = [kind for kind, pattern in SECRET_PATTERNS.items() if pattern.search(line)]
        for match in [] if kinds else _ASSIGNMENT.finditer(line):  # one finding per known key
            value = match.group(2)
            if not _PLACEHOLDER.search(value) and entropy(value) >= min_entropy:
                kinds.append(f"high-entropy value of {match.group(1)}")
        found += [f"{path}:{number} ({kind})" for kind in kinds]
    return found


# -- debug statements -------------------------------------------------------------------------

DEBUG_PATTERNS = {
    ".py": re.compile(r"^\s*(?:breakpoint\(\)|import i?pdb\b|(?:i?pdb)\.set_trace\(\))"),
    ".js": re.compile(r"^\s*debugger\s*;?\s*$"),
    ".ts": re.compile(r"^\s*debugger\s*;?\s*$"),
    ".jsx": re.compile(r"^\s*debugger\s*;?\s*$"),
    ".tsx": re.compile(r"^\s*debugger\s*;?\s*$"),
    ".rb": re.compile(r"^\s*(?:binding\.pry|byebug|debugger)\b"),
    ".php": re.compile(r"^\s*(?:var_dump|dd|xdebug_break)\s*\("),
    ".go": re.compile(r"^\s*runtime\.Breakpoint\(\)"),
}
SOURCE_SUFFIXES = (*DEBUG_PATTERNS, ".java", ".kt", ".c", ".h", ".cpp", ".rs", ".cs", ".sh")
_FIXME = re.compile(r"(?:#|//|/\*|--|\*)\s*FIX[M]E\b")  # [M]: this line is no finding


def find_debug(path: str, text: str) -> list[str]:
    """``path:line (what)`` of debugger statements and FIXME comments in a source file."""
    suffix = "." + path.rsplit(".", 1)[-1] if "." in path else ""
    debug = DEBUG_PATTERNS.get(suffix)
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if debug is not None and debug.search(line):
            found.append(f"{path}:{number} (debug statement)")
        if _FIXME.search(line):
            found.append(f"{path}:{number} (FIXME)")
    return found


def matches_any(path: str, globs: Iterable[str]) -> bool:
    return any(fnmatch.fnmatch(path, g) for g in globs)


# -- Dockerfiles ------------------------------------------------------------------------------

DOCKERFILES = (
    "Dockerfile",
    "*/Dockerfile",
    "*.Dockerfile",
    "*.dockerfile",
    "Dockerfile.*",
    "*/Dockerfile.*",
)


@dataclass(frozen=True)
class Stage:
    """One ``FROM`` stage: its base image, its ``AS`` name, its last ``USER``, and the stages
    its ``COPY --from`` reads."""

    base: str
    name: str
    user: str | None
    copies_from: tuple[str, ...]


def dockerfile_stages(text: str) -> list[Stage]:
    """The build stages of a Dockerfile, in order (continuation lines joined, comments dropped)."""
    logical = re.sub(r"\\[ \t]*\r?\n", " ", text)
    stages: list[dict[str, Any]] = []
    for line in logical.splitlines():
        words = line.strip().split()
        if not words or words[0].startswith("#"):
            continue
        instruction = words[0].upper()
        if instruction == "FROM":
            args = [w for w in words[1:] if not w.startswith("--")]
            name = args[2] if len(args) >= 3 and args[1].lower() == "as" else ""
            stages.append({"base": args[0] if args else "", "name": name, "user": None, "from": []})
        elif stages and instruction == "USER" and len(words) > 1:
            stages[-1]["user"] = words[1]
        elif stages and instruction == "COPY":
            stages[-1]["from"] += [w.split("=", 1)[1] for w in words if w.startswith("--from=")]
    return [Stage(s["base"], s["name"], s["user"], tuple(s["from"])) for s in stages]


def runs_as_root(user: str | None) -> bool:
    """Whether a ``USER`` value (None: never set) leaves the container running as root."""
    if user is None:
        return True
    name = user.split(":", 1)[0].strip()
    return name in ("root", "0", "")
