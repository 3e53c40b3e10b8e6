#!/usr/bin/env bash
# Installs from Debian's packages what the machine lacks, using what is there:
#   run   Node.js 18+ with npm (the web chat's build) and xmlsec1 (the portal's SAML signatures
#         and encryption, pysaml2)                                         (make setup, make run)
#   test  that, plus PostgreSQL's server binaries and redis-server (the tests start their own,
#         tests/support/services.py) and Chromium (the browser tests)      (make test)
# A no-op when everything is present; one `apt-get update` only when something is missing.
set -euo pipefail
need=${1:-test}
case "$need" in run | test) ;; *) echo "usage: $0 [run|test]" >&2; exit 2 ;; esac

node_ok() {
    command -v node >/dev/null 2>&1 &&
        node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' 2>/dev/null
}
postgresql_ok() {
    # Debian keeps initdb and pg_ctl outside PATH, one folder per major version.
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null
}

missing=()
node_ok || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v xmlsec1 >/dev/null 2>&1 || missing+=(xmlsec1)
if [ "$need" = test ]; then
    postgresql_ok || missing+=(postgresql)
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

advice="Debian's packages: ${missing[*]} (apt-get install ${missing[*]})"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing $advice; install them with this system's package manager." >&2
    exit 1
fi
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "setup: missing $advice; run that as root (no sudo here)." >&2
        exit 1
    fi
    sudo_cmd=(sudo)
fi

echo "setup: installing ${missing[*]} from Debian's packages"
# Another apt run (an unattended upgrade, a second checkout) may hold the lock for a while.
apt_wait=(-o DPkg::Lock::Timeout=600)
"${sudo_cmd[@]}" apt-get "${apt_wait[@]}" update -qq
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get "${apt_wait[@]}" install -y -qq "${missing[@]}" >/dev/null

still=()
node_ok || still+=("Node.js 18+ (found: $(node --version 2>/dev/null || echo none))")
command -v npm >/dev/null 2>&1 || still+=(npm)
command -v xmlsec1 >/dev/null 2>&1 || still+=(xmlsec1)
if [ "$need" = test ]; then
    postgresql_ok || still+=(postgresql)
    command -v redis-server >/dev/null 2>&1 || still+=(redis-server)
    command -v chromium >/dev/null 2>&1 || still+=(chromium)
fi
if [ ${#still[@]} -ne 0 ]; then
    echo "setup: still missing after apt-get install: ${still[*]}" >&2
    exit 1
fi
