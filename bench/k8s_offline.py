"""The built-in Kubernetes checks over a generated set of 1,000 manifest objects, offline.

    .venv/bin/python bench/k8s_offline.py --objects 1000 --repeat 5

Generates namespaces of the test fixtures (tests/data/k8s-checks: the compliant app and every
non-compliant case, renamed per copy) into multi-document YAML files, as `helm template` would,
until the set holds the requested number of objects. Then runs, alternating with a baseline:
  baseline  pytest --readiness=bench with checks: []   (pytest, the plugin, the profile: no checks)
  checks    pytest --readiness=bench with checks: [kubernetes] over the manifests
and reports the medians of: wall time of each run, the difference (what the checks add), and
the summed durations of the check items from the JSON result (loading the manifests happens in
the first item's setup and is included). Then, in this process and in CPU time (far less noisy
on a shared VM), the parts: loading the manifests, and every check function called directly.
Results go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "k8s-checks"


def make_manifests(root: Path, wanted: int) -> int:
    """Write copies of the fixture namespaces until ``wanted`` objects; return the count."""
    sources = [DATA / "good" / "app.yaml", *sorted((DATA / "bad").glob("*.yaml"))]
    templates = [list(yaml.safe_load_all(p.read_text())) for p in sources]
    written, copy = 0, 0
    while written < wanted:
        documents = []
        for objects in templates:
            namespace = f"ns-{copy:04d}"
            copy += 1
            for obj in objects:
                obj = json.loads(json.dumps(obj))
                if obj["kind"] == "Namespace":
                    obj["metadata"]["name"] = namespace
                else:
                    obj["metadata"]["namespace"] = namespace
                documents.append(obj)
                written += 1
                if written >= wanted:
                    break
            if written >= wanted:
                break
        (root / "manifests" / f"render-{copy:04d}.yaml").write_text(yaml.safe_dump_all(documents))
    return written


def run(root: Path, profile: str) -> tuple[float, float]:
    """(wall seconds, summed item durations) of one readiness run."""
    out = root / f"{profile}.json"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        f"--readiness={profile}",
        f"--readiness-json={out}",
        "-p",
        "no:cacheprovider",
        "-q",
    ]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if not out.exists():
        sys.exit(
            f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    items = json.loads(out.read_text())["items"]
    return elapsed, sum(float(i["duration"]) for i in items)


def in_process(manifests: Path) -> tuple[float, float, int]:
    """(CPU s to load the manifests, CPU s of all check functions, checks run) in this process."""
    sys.path.insert(0, str(ROOT))
    from pytest_readiness.builtin import checks_dir, discover, import_package
    from pytest_readiness.connectors.base import Target
    from pytest_readiness.connectors.kubernetes import connect
    from pytest_readiness.context import ReadinessContext
    from pytest_readiness.redaction import Redactor

    directory = checks_dir()
    assert directory is not None
    import_package(directory)
    start = time.process_time()
    cluster = connect(Target("kubernetes", "bench", {"manifests": [str(manifests)]}), Redactor())
    loaded = time.process_time() - start
    functions = []
    for module in discover(directory):
        if module.domain == "kubernetes":
            imported = importlib.import_module(f"pytest_readiness.checks.{module.path.stem}")
            functions += [getattr(imported, c.function) for c in module.checks]
    start = time.process_time()
    for function in functions:
        wanted = inspect.signature(function).parameters
        kwargs = {
            "k8s_api": cluster,
            "evidence": lambda *a, **k: None,
            "readiness": ReadinessContext("bench", {}, 5.0),
        }
        with contextlib.suppress(AssertionError, pytest.skip.Exception):  # failed or N/A: ran
            function(**{name: kwargs[name] for name in wanted})
    return loaded, time.process_time() - start, len(functions)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "manifests").mkdir()
        count = make_manifests(root, args.objects)
        target = {"name": "rendered", "manifests": [str(root / "manifests")]}
        profiles = {
            "baseline": {"checks": [], "kubernetes": [target]},
            "bench": {"checks": ["kubernetes"], "kubernetes": [target]},
        }
        (root / "readiness.yaml").write_text(yaml.safe_dump({"profiles": profiles}))
        walls: dict[str, list[float]] = {"baseline": [], "bench": []}
        items: list[float] = []
        for _ in range(args.repeat):
            for profile in ("baseline", "bench"):
                wall, durations = run(root, profile)
                walls[profile].append(wall)
                if profile == "bench":
                    items.append(durations)
        base, full = statistics.median(walls["baseline"]), statistics.median(walls["bench"])
        print(
            f"objects: {count} in {len(list((root / 'manifests').iterdir()))} files, repeat {args.repeat}"
        )
        print(f"baseline run (no checks):       {base:6.2f} s wall (median)")
        print(f"kubernetes checks run:          {full:6.2f} s wall (median)")
        print(f"added by the checks:            {full - base:6.2f} s wall")
        print(f"check items, summed durations:  {statistics.median(items):6.2f} s (median)")
        parts = [in_process(root / "manifests") for _ in range(args.repeat)]
        print(
            f"in process, CPU: load manifests {statistics.median(p[0] for p in parts):.2f} s, "
            f"{parts[0][2]} checks {statistics.median(p[1] for p in parts):.2f} s (medians)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
