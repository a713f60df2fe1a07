#!/usr/bin/env bash
# Set up .venv (first run), then run the built-in checks against the example inputs in this
# folder and the local services that answer; prints the Go/No-Go matrix, writes the reports.
#   bash examples/quickstart/run.sh            # probe PostgreSQL, Redis, NATS; pick the profile
#   bash examples/quickstart/run.sh PROFILE    # a profile of readiness.yaml, no probe
#                                              # ("broken": a Redis that does not answer, NO-GO)
# Environment: QUICKSTART_PG_PORT, QUICKSTART_REDIS_PORT, QUICKSTART_NATS_PORT (default 5432,
# 6379, 4222 on 127.0.0.1); QUICKSTART_PYTHON (default .venv/bin/python, created when missing);
# QUICKSTART_REPORTS (default reports/ at the repository root).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
python="${QUICKSTART_PYTHON:-$root/.venv/bin/python}"
if [ -z "${QUICKSTART_PYTHON:-}" ] && [ ! -x "$python" ]; then
  bash "$root/.ci/install.sh"
fi
reports="${QUICKSTART_REPORTS:-$root/reports}"
mkdir -p "$reports"

# True when something accepts a TCP connection on 127.0.0.1:$1 within 2 seconds.
answers() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

if [ $# -gt 0 ]; then
  profile="$1"
else
  found=()
  for service in postgres:"${QUICKSTART_PG_PORT:-5432}" redis:"${QUICKSTART_REDIS_PORT:-6379}" \
    nats:"${QUICKSTART_NATS_PORT:-4222}"; do
    name="${service%%:*}" port="${service#*:}"
    if answers "$port"; then
      found+=("$name")
      echo "quickstart: $name answers on 127.0.0.1:$port"
    else
      echo "quickstart: nothing answers on 127.0.0.1:$port: $name is declared absent (not applicable)"
    fi
  done
  case "${#found[@]}" in
    0) profile=examples ;;
    3) profile=local ;;
    *) profile="with-$(IFS=-; echo "${found[*]}")" ;;
  esac
fi
echo "quickstart: profile $profile (examples/quickstart/readiness.yaml)"

cd "$root/examples/quickstart"
exec "$python" -m pytest --readiness="$profile" \
  --readiness-json="$reports/readiness.json" \
  --junitxml="$reports/readiness.xml" \
  --readiness-html="$reports/readiness.html"
