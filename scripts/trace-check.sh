#!/usr/bin/env bash
# Counts the instructions of one request per class under callgrind (only
# the request itself, after identical set-up) and prints a table.
# plain|circuit|rostl: one store request (ORAM replaced by a vector, or
# hush's own ORAM, or rostl's); enclave: the whole enclave path, sealed
# frame in and out.
# Usage: scripts/trace-check.sh [plain|circuit|rostl|enclave] [runs per class]
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-plain}"
runs="${2:-1}"
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
# valgrind 3.19 does not decode AVX-512: build for x86-64-v3 (AVX2, the
# default in .cargo/config.toml; set here so RUSTFLAGS=native in the
# environment cannot change it), in a target directory of its own.
export CARGO_TARGET_DIR=target/valgrind
RUSTFLAGS="-C target-cpu=x86-64-v3" cargo build --release --locked -p hush-bench --bin hush-trace >&2
bin=target/valgrind/release/hush-trace
out="$(mktemp -d)"
measured=hush_trace::measured
[ "$backend" = enclave ] && measured=hush_trace::measured_query
classes=$( ($bin --help 2>&1 || true) | sed -n "s/.*classes: //p" | tr -d ")" | tr "," " ")
echo "| class | status | instructions (${backend}, ${runs} run(s)) |"
echo "|---|---|---|"
i=0
for c in $classes; do
    idx=$(printf '%02d' "$i")
    i=$((i + 1))
    counts=()
    for r in $(seq "$runs"); do
        f="$out/$c.$r"
        # setarch -R: no address randomisation, so alignment-dependent
        # paths in libc's memcpy/memset do not vary from run to run.
        status=$(setarch "$(uname -m)" -R valgrind --tool=callgrind --callgrind-out-file="$f" \
            --toggle-collect="$measured" "$bin" "$backend" "$idx" 2>/dev/null | awk '{print $3}')
        counts+=("$(awk '/^summary:/ {print $2}' "$f")")
    done
    echo "| $c | $status | ${counts[*]} |"
done
