#!/usr/bin/env bash
# Installs the Debian packages the tests need (Chromium for the browser tests), once.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    echo "setup: Chromium is missing; install Debian's 'chromium' package (apt-get install chromium)." >&2
    exit 1
fi
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
echo "setup: installing Debian's chromium for the browser tests"
# Another apt run (an unattended upgrade, a second checkout) may hold the lock for a while.
apt_wait=(-o DPkg::Lock::Timeout=600)
$sudo_cmd apt-get "${apt_wait[@]}" update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get "${apt_wait[@]}" install -y -qq chromium >/dev/null
command -v chromium >/dev/null || { echo "setup: chromium did not install" >&2; exit 1; }
