#!/usr/bin/env bash
# Prometheus and Alertmanager from Debian for the observability check tests, which start their
# own instances on free loopback ports. Installed only when missing; the packages' own services
# are kept from starting (policy-rc.d exit 101 for the duration of the install), and the dpkg
# lock is retried because another job may hold it.
set -euo pipefail

if command -v prometheus >/dev/null && command -v prometheus-alertmanager >/dev/null; then
  echo "prometheus: $(prometheus --version 2>&1 | head -n1)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive

policy=/usr/sbin/policy-rc.d
restore=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  restore="$policy"
fi
cleanup() { if [ -n "$restore" ]; then $SUDO rm -f "$restore"; fi; }
trap cleanup EXIT

apt() {
  for attempt in $(seq 1 30); do
    if $SUDO apt-get -o DPkg::Lock::Timeout=60 "$@"; then return 0; fi
    echo "apt-get $1 failed (attempt $attempt), retrying" >&2
    sleep 10
  done
  return 1
}
apt update
apt install -y --no-install-recommends prometheus prometheus-alertmanager
prometheus --version 2>&1 | head -n1
prometheus-alertmanager --version 2>&1 | head -n1
