#!/usr/bin/env bash
# Install the Debian packages the integration tests start servers from; skip what is installed.
# PostgreSQL (with pg_stat_statements, pg_basebackup), PgBouncer, Redis with Sentinel, NATS;
# for the host checks: sshd and the ssh client, logrotate, iproute2 (ss, ip).
set -euo pipefail

packages=(postgresql postgresql-contrib pgbouncer redis-server redis-sentinel nats-server
  openssh-server openssh-client logrotate iproute2)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "packages: all present (${packages[*]})"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Another job may hold the dpkg lock: wait for it instead of failing.
apt_get() { $sudo apt-get -o DPkg::Lock::Timeout=300 -q -y "$@"; }
apt_get update
apt_get install --no-install-recommends "${missing[@]}"
echo "packages: installed ${missing[*]}"
