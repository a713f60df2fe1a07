"""Pure helpers of the repository checks: CI pipelines, changelog entries, secrets, debug code,
Dockerfile stages and base images, release tags.

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
    "Containerfile",
    "*/Containerfile",
    "*.Containerfile",
)


@dataclass(frozen=True)
class Stage:
    """One ``FROM`` stage: its base image, its ``AS`` name, its last ``USER``, and the stages
    its ``COPY --from`` reads."""

    base: str
    name: str
    user: str | None
    copies_from: tuple[str, ...]


def _instructions(text: str) -> Iterable[tuple[str, list[str]]]:
    """(INSTRUCTION, words) of each logical line: continuations joined, comments dropped."""
    logical = re.sub(r"\\[ \t]*\r?\n", " ", text)
    for line in logical.splitlines():
        words = line.strip().split()
        if words and not words[0].startswith("#"):
            yield words[0].upper(), words


def dockerfile_stages(text: str) -> list[Stage]:
    """The build stages of a Dockerfile, in order (continuation lines joined, comments dropped)."""
    stages: list[dict[str, Any]] = []
    for instruction, words in _instructions(text):
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


# -- base images ------------------------------------------------------------------------------

SCRATCH = "scratch"
_VARIABLE = re.compile(r"\$(?:\{(\w+)(?::?([-+])([^}]*))?\}|(\w+))")


@dataclass(frozen=True)
class ImageRef:
    """An image reference split the way registries read it; ``repository`` is normalised
    (``alpine`` -> ``docker.io/library/alpine``) so allow-list entries compare by name."""

    repository: str
    tag: str | None
    digest: str | None

    @property
    def pinned(self) -> bool:
        """A digest, or a tag other than ``latest`` (no tag means ``latest``)."""
        return bool(self.digest) or (self.tag is not None and self.tag != "latest")


def parse_image(reference: str) -> ImageRef:
    """Split ``[registry/]path[:tag][@digest]``; Docker Hub names get ``docker.io[/library]``."""
    name, _, digest = reference.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = None
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    first, _, rest = name.partition("/")
    if not rest or not ("." in first or ":" in first or first == "localhost"):
        name = f"docker.io/{name}"
        first, _, rest = name.partition("/")
    if first == "docker.io" and "/" not in rest:
        name = f"docker.io/library/{rest}"
    return ImageRef(name, tag or None, digest or None)


def image_allowed(image: ImageRef, allow: Iterable[str]) -> bool:
    """Whether the repository matches an allow-list entry (a name or glob, normalised the same
    way, its tag ignored: ``alpine``, ``gcr.io/distroless/*``)."""
    return any(fnmatch.fnmatchcase(image.repository, parse_image(a).repository) for a in allow)


@dataclass(frozen=True)
class StageBase:
    """What one ``FROM`` builds on: ``written`` as in the file, ``image`` the external image at
    the end of its chain of stages (None when an ``ARG`` without default decides it)."""

    stage: str
    written: str
    image: str | None
    unresolved: str = ""  # the ARG without a default


def stage_bases(text: str) -> list[StageBase]:
    """Each stage's base image, with ``ARG`` defaults declared before the first ``FROM``
    substituted (``${X}``, ``$X``, ``${X:-d}``, ``${X:+d}``) and stage names followed to the
    image they start from (``FROM builder`` is the builder's base)."""
    defaults: dict[str, str | None] = {}
    seen_from = False
    bases: list[StageBase] = []
    by_name: dict[str, StageBase] = {}
    for instruction, words in _instructions(text):
        if instruction == "ARG" and not seen_from:
            for word in words[1:]:
                key, has_value, value = word.partition("=")
                defaults[key] = value.strip("\"'") if has_value else None
        elif instruction == "FROM":
            seen_from = True
            args = [w for w in words[1:] if not w.startswith("--")]
            written = args[0] if args else ""
            name = args[2] if len(args) >= 3 and args[1].lower() == "as" else ""
            label = name or f"stage {len(bases)}"
            image, missing = _substitute(written, defaults)
            base = StageBase(label, written, image, missing)
            if image is not None and image.lower() in by_name:
                parent = by_name[image.lower()]
                base = StageBase(label, written, parent.image, parent.unresolved)
            bases.append(base)
            if name:
                by_name[name.lower()] = base
    return bases


def _substitute(word: str, defaults: Mapping[str, str | None]) -> tuple[str | None, str]:
    """``word`` with build arguments replaced by their defaults; (None, name) for one without."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        value = defaults.get(name)
        operator, alternative = match.group(2), match.group(3) or ""
        if operator == "-":
            return value if value else alternative
        if operator == "+":
            return alternative if value else ""
        if value is None:
            missing.append(name)
            return ""
        return value

    result = _VARIABLE.sub(replace, word)
    return (None, missing[0]) if missing else (result, "")


# -- release tags -----------------------------------------------------------------------------

# The regular expression semver.org gives for SemVer 2.0.0 (numeric parts without leading zeros)
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


def semver_problem(tag: str, v_prefix: bool, prerelease: bool) -> str | None:
    """Why ``tag`` is not a release version (None when it is one)."""
    version = tag[1:] if v_prefix and tag[:1] == "v" else tag
    match = SEMVER.match(version)
    if match is None:
        hint = " (a 'v' prefix is not allowed)" if tag[:1] == "v" and not v_prefix else ""
        return f"{tag} is not MAJOR.MINOR.PATCH{hint}"
    if match.group(4) and not prerelease:
        return f"{tag} is a pre-release"
    return None


# -- forbidden paths --------------------------------------------------------------------------


def path_matches(path: str, pattern: str) -> bool:
    """A pattern with a slash matches the whole path, one without matches the file name in any
    folder (as in .gitignore): ``id_rsa`` finds ``deploy/id_rsa``."""
    target = path if "/" in pattern else path.rsplit("/", 1)[-1]
    return fnmatch.fnmatchcase(target, pattern)
