#!/usr/bin/env bash
# Builds the citizen web chat widget (webchat/src -> webchat/dist, both served by the
# web chat service). Idempotent: installs the locked npm packages only when the lock file changed
# and rebuilds only when a source is newer than the bundle, so a repeated call takes a moment.
set -euo pipefail
cd "$(dirname "$0")/../webchat"

if ! command -v npm >/dev/null 2>&1; then
    echo "build-webchat: Node.js 18+ with npm is needed (Debian: apt-get install nodejs npm)." >&2
    exit 1
fi

stamp=node_modules/.package-lock.stamp
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
    echo "build-webchat: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    touch "$stamp"
fi

outputs=(dist/widget.js dist/widget.css dist/page.css)
newest_source=$(find src build.mjs package-lock.json -type f -newer dist/widget.js 2>/dev/null | head -n 1 || true)
for output in "${outputs[@]}"; do
    [ -f "$output" ] || newest_source="missing $output"
done
if [ -n "$newest_source" ]; then
    echo "build-webchat: building the widget"
    node build.mjs
    touch "${outputs[@]}"
fi
