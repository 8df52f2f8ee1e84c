#!/usr/bin/env bash
# The browser demo in headless Chromium (Debian's chromium, driven by
# playwright-core from npm, which downloads no browser): starts a hushd on
# loopback and runs web/tests/demo.mjs against its /demo page.
#
#   scripts/browser-test.sh              # the test
#   scripts/browser-test.sh SHOT_DIR     # and screenshots into SHOT_DIR
#
# Installs what it needs (Debian's chromium; playwright-core from
# web/tests/package-lock.json). Uses the embedded web/pkg/; CI rebuilds it
# from crates/hush-web first (scripts/build-web.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, refreshing the package lists once if they are stale.
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "$@" >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q "$@" >/dev/null; }
}


if [ ! -x /usr/bin/chromium ]; then
    echo "browser-test: installing Debian's chromium" >&2
    apt_install chromium
fi
(cd web/tests && npm ci --no-audit --no-fund --silent)
cargo build -q --locked -p hushd

. scripts/lib/local-hushd.sh
start_hushd
node web/tests/demo.mjs "http://127.0.0.1:$port" ${1:+"$1"}
