#!/usr/bin/env bash
# Set up .venv (first run) and run a real readiness check of the services on this machine.
#   bash examples/quickstart/run.sh            # profile "local"
#   bash examples/quickstart/run.sh broken     # a profile whose Redis is unreachable: NO-GO
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
[ -x "$root/.venv/bin/pytest" ] || bash "$root/.ci/install.sh"
mkdir -p "$root/reports"
cd "$root/examples/quickstart"
exec "$root/.venv/bin/pytest" --readiness="${1:-local}" \
  --readiness-json="$root/reports/readiness.json" \
  --junitxml="$root/reports/readiness.xml" \
  --readiness-html="$root/reports/readiness.html"
