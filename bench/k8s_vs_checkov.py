"""Side by side: the built-in Kubernetes checks and checkov's Kubernetes checks on the same files.

    python -m venv /tmp/checkov && /tmp/checkov/bin/pip install checkov   # heavy pins: own venv
    .venv/bin/python bench/k8s_vs_checkov.py --checkov /tmp/checkov/bin/checkov

Runs both over every manifest file of tests/data/k8s-checks (good/, bad/) and tests/data/manifests,
maps checkov's rules to ours, and prints a Markdown table: per rule pair, the objects each flags
and those only one of them flags. docs/checkov-comparison.md explains every disagreement.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "tests/data/k8s-checks").rglob("*.yaml")) + sorted(
    (ROOT / "tests/data/manifests").glob("*.yaml")
)
#: checkov rule -> our check with the same intent (None: we have no such check)
PAIRS = {
    "CKV_K8S_8": "K8S-PROBE-LIVENESS",
    "CKV_K8S_9": "K8S-PROBE-READINESS",
    "CKV_K8S_10": "K8S-RESOURCES",
    "CKV_K8S_11": "K8S-RESOURCES",
    "CKV_K8S_12": "K8S-RESOURCES",
    "CKV_K8S_13": "K8S-RESOURCES",
    "CKV_K8S_14": "K8S-IMAGE-TAG",
    "CKV_K8S_15": "K8S-IMAGE-PULL-POLICY",
    "CKV_K8S_16": "K8S-SEC-PRIVILEGED",
    "CKV_K8S_17": "K8S-SEC-HOST-NAMESPACES",
    "CKV_K8S_18": "K8S-SEC-HOST-NAMESPACES",
    "CKV_K8S_19": "K8S-SEC-HOST-NAMESPACES",
    "CKV_K8S_20": "K8S-SEC-PRIV-ESCALATION",
    "CKV_K8S_21": None,
    "CKV_K8S_22": "K8S-SEC-RO-ROOTFS",
    "CKV_K8S_23": "K8S-SEC-NONROOT",
    "CKV_K8S_25": "K8S-SEC-CAPABILITIES",
    "CKV_K8S_26": "K8S-SEC-HOSTPORT",
    "CKV_K8S_27": "K8S-SEC-HOSTPATH",
    "CKV_K8S_28": "K8S-SEC-CAPABILITIES",
    "CKV_K8S_29": None,
    "CKV_K8S_30": None,
    "CKV_K8S_31": "K8S-SEC-SECCOMP",
    "CKV_K8S_35": "K8S-NO-PLAINTEXT-SECRETS",
    "CKV_K8S_37": "K8S-SEC-CAPABILITIES",
    "CKV_K8S_38": "K8S-SA-AUTOMOUNT",
    "CKV_K8S_40": None,
    "CKV_K8S_41": "K8S-SA-DEDICATED",
    "CKV_K8S_42": "K8S-SA-DEDICATED",
    "CKV_K8S_43": "K8S-IMAGE-TAG",
    "CKV_K8S_49": "K8S-RBAC-SECRETS-WILDCARD",
    "CKV2_K8S_5": None,
    "CKV2_K8S_6": "K8S-NETPOL",
}

Flags = dict[str, set[tuple[str, str]]]  # rule -> {(file, "ns/name")}


def _key(namespace: str, name: str) -> str:
    """Objects compared by namespace and name: checkov names a workload's pods Pod/<name>.<...>."""
    return f"{namespace}/{name.split('.')[0]}"


def checkov(binary: str, names: dict[str, str]) -> Flags:
    flags: Flags = defaultdict(set)
    for path in FILES:
        done = subprocess.run(
            [binary, "-f", str(path), "--framework", "kubernetes", "-o", "json", "--quiet"],
            capture_output=True,
            text=True,
            check=False,
        )
        if not done.stdout.strip():
            continue
        reports = json.loads(done.stdout)
        for report in reports if isinstance(reports, list) else [reports]:
            for failed in (report.get("results") or {}).get("failed_checks") or []:
                _, _, rest = str(failed["resource"]).partition(".")
                namespace, _, name = rest.partition(".")
                names[failed["check_id"]] = failed["check_name"]
                flags[failed["check_id"]].add((path.name, _key(namespace, name)))
    return flags


def ours() -> Flags:
    flags: Flags = defaultdict(set)
    with tempfile.TemporaryDirectory() as tmp:
        targets = [{"name": f"f{i}", "manifests": [str(p)]} for i, p in enumerate(FILES)]
        profile = {"checks": ["kubernetes"], "kubernetes": targets}
        Path(tmp, "readiness.yaml").write_text(yaml.safe_dump({"profiles": {"cmp": profile}}))
        out = Path(tmp, "r.json")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "--readiness=cmp",
                f"--readiness-json={out}",
                "-q",
                "-p",
                "no:cacheprovider",
            ],
            cwd=tmp,
            capture_output=True,
            check=False,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        )
        for item in json.loads(out.read_text())["items"]:
            check_id, _, target = item["id"].rstrip("]").partition("[")
            path = FILES[int(target[1:])]
            for record in item["evidence"]:
                details = record.get("details") or {}
                if "object" in details and "waived" not in details:
                    parts = str(details["object"]).split("/")
                    namespace = parts[0] if len(parts) == 3 else "default"
                    flags[check_id].add((path.name, _key(namespace, parts[-1])))
    return flags


def _order(rule: str) -> tuple[str, int]:
    prefix, _, number = rule.rpartition("_")
    return prefix, int(number)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkov", required=True, help="path of the checkov executable")
    args = parser.parse_args()
    names: dict[str, str] = {}
    theirs, mine = checkov(args.checkov, names), ours()
    print("| checkov rule | ours | objects checkov flags | ours flag | only checkov | only ours |")
    print("|---|---|---|---|---|---|")
    for rule in sorted(
        set(theirs) | {r for r in PAIRS if PAIRS[r]}, key=lambda r: int(r.rsplit("_", 1)[1])
    ):
        our = PAIRS.get(rule)
        flagged = theirs.get(rule, set())
        matched = mine.get(our, set()) if our else set()
        only_theirs = sorted(f"{f}: {o}" for f, o in flagged - matched) if our else []
        only_ours = sorted(f"{f}: {o}" for f, o in matched - flagged) if our else []
        title = f"{rule} {names.get(rule, '')}".strip()
        print(
            f"| {title} | {our or '-'} | {len(flagged)} | {len(matched)} | "
            f"{'<br>'.join(only_theirs) or ('-' if our else 'n/a')} | {len(only_ours) if our else 'n/a'} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
