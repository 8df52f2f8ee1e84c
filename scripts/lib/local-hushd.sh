# Sourced by the test scripts that need a local dev hushd (browser-test.sh,
# npm-test.sh): `start_hushd` starts target/debug/hushd on a free loopback
# port with its blobs and codes in a fresh $work folder, waits until it
# serves, and sets $work, $port and $hushd; the EXIT trap stops it and
# removes $work.
start_hushd() {
    work=$(mktemp -d)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    target/debug/hushd --listen "127.0.0.1:$port" --metrics-listen off --capacity 1024 \
        --blob-dir "$work/blobs" --verification-file "$work/codes.txt" >"$work/hushd.log" 2>&1 &
    hushd=$!
    trap 'kill $hushd 2>/dev/null || true; rm -rf "$work"' EXIT
    for _ in $(seq 100); do
        grep -q "browser demo on" "$work/hushd.log" && return 0
        kill -0 $hushd 2>/dev/null || { cat "$work/hushd.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "hushd did not start within 10 s:" >&2
    cat "$work/hushd.log" >&2
    exit 1
}
