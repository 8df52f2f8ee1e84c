#!/usr/bin/env bash
# The JavaScript package (web/: hush.js around the WebAssembly core) as a
# user gets it, under Node 20+:
#   1. the test vectors of docs/vectors/ in WebAssembly (web/tests/vectors.mjs);
#   2. `npm pack` of web/, `npm install` of the tarball into an empty
#      project; its TypeScript types compiled by tsc against an app
#      (web/tests/npm-types.ts); a Node script there
#      (web/tests/npm-smoke.mjs) that sends bob, made with the CLI, a
#      message against a real hushd; then `hush inbox --as bob` must show
#      it;
#   3. against a second hushd that requires tokens, whose directory issues
#      them: alice verified with the CLI, and the package fetching and
#      spending her account's tokens (web/tests/npm-tokens.mjs).
# Uses the committed web/pkg/ (CI rebuilds it first: scripts/build-web.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

node web/tests/vectors.mjs

cargo build -q --locked -p hushd -p hush-client
. scripts/lib/local-hushd.sh
start_hushd

(cd web && npm pack --silent --pack-destination "$work" >/dev/null)
mkdir "$work/app"
cd "$work/app"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent "$work"/hush-client-*.tgz
cp "$root/web/tests/npm-smoke.mjs" "$root/web/tests/npm-tokens.mjs" "$root/web/tests/npm-types.ts" .
# The published types, as a TypeScript app would compile against them.
npm install --no-audit --no-fund --silent typescript@5
npx tsc --strict --noEmit --module nodenext --moduleResolution nodenext --target es2022 \
    --lib es2022,esnext.disposable,dom \
    --skipLibCheck false npm-types.ts

export HUSH_HOME=$work/home HUSH_SERVER=http://127.0.0.1:$port HUSH_ALLOW_DEV_ATTESTATION=1
hush=$root/target/debug/hush
$hush id new bob >/dev/null
node npm-smoke.mjs "http://127.0.0.1:$port" "$($hush id card bob)"
inbox=$($hush --raw inbox --as bob 2>/dev/null)
if ! grep -q "hello bob, from Node" <<<"$inbox"; then
    echo "npm-test: bob's inbox lacks the message sent from Node:" >&2
    echo "$inbox" >&2
    exit 1
fi
echo "npm-test: hush inbox read the message the npm package sent"

# A hushd that requires tokens, which its directory issues (8 a day per
# verified account, one write each).
tport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$root/target/debug/hushd" --listen "127.0.0.1:$tport" --metrics-listen off --capacity 1024 \
    --blob-dir "$work/blobs-tokens" --verification-file "$work/codes-tokens.txt" \
    --require-tokens --directory-tokens-per-day 8 --credits-per-token 1 >"$work/hushd-tokens.log" 2>&1 &
thushd=$!
trap 'kill $hushd $thushd 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
    grep -q "browser demo on" "$work/hushd-tokens.log" && break
    sleep 0.1
done
export HUSH_SERVER=http://127.0.0.1:$tport
$hush id new alice >/dev/null
$hush account register --as alice --email alice@example.org >/dev/null
code=
for _ in $(seq 100); do
    [ -f "$work/codes-tokens.txt" ] && code=$(sed -n 's/^alice@example.org //p' "$work/codes-tokens.txt" | tail -n 1)
    [ -n "$code" ] && break
    sleep 0.2
done
$hush account verify --as alice "$code" >/dev/null
secret=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["secret"])' "$HUSH_HOME/identities/alice.json")
node npm-tokens.mjs "http://127.0.0.1:$tport" "$secret"
