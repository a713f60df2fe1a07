#!/usr/bin/env bash
# Make sure the real kube-apiserver the k8s_real tests start is built (once per machine, cached).
set -euo pipefail
script="$(cd "$(dirname "$0")/../.." && pwd)/shared/tools/k8s-real-apiserver.sh"
if [ ! -f "$script" ]; then
  echo "missing $script: CI needs shared/ beside the repository" >&2
  exit 1
fi
bash "$script" build
