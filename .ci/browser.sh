#!/usr/bin/env bash
# Headless Chromium for the browser tests (pytest -m browser): Debian's chromium and
# chromium-driver, installed only when /usr/bin/chromium is missing. Playwright drives this
# binary (executable_path), so no browser is downloaded by Playwright itself.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium chromium-driver
/usr/bin/chromium --version
