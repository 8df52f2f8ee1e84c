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

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 17978)
target/debug/hushd --listen "127.0.0.1:$port" --metrics-listen off --capacity 1024 \
    --blob-dir "$work/blobs" --verification-file "$work/codes.txt" >"$work/hushd.log" 2>&1 &
hushd=$!
trap 'kill $hushd 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
    grep -q "browser demo on" "$work/hushd.log" && break
    kill -0 $hushd 2>/dev/null || { cat "$work/hushd.log" >&2; exit 1; }
    sleep 0.1
done
node web/tests/demo.mjs "http://127.0.0.1:$port" ${1:+"$1"}
