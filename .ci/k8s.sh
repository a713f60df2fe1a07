#!/usr/bin/env bash
# Make sure the real kube-apiserver the k8s_real tests start is built (once per machine, cached;
# ~7 minutes on an idle 2-core machine, longer under load).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/kube-apiserver.sh build
