"""The built-in Kubernetes checks over a generated set of 1,000 manifest objects, offline.

    .venv/bin/python bench/k8s_offline.py --objects 1000 --repeat 5

Generates namespaces of the test fixtures (tests/data/k8s-checks: the compliant app and every
non-compliant case, renamed per copy) into multi-document YAML files, as `helm template` would,
until the set holds the requested number of objects. Then runs, alternating with a baseline:
  baseline  pytest --readiness=bench with checks: []   (pytest, the plugin, the profile: no checks)
  checks    pytest --readiness=bench with checks: [kubernetes] over the manifests
and reports the medians of: wall time of each run, the difference (what the checks add), and
the summed durations of the check items from the JSON result (loading the manifests happens in
the first item's setup and is included). Results go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
