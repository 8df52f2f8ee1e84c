#!/usr/bin/env bash
# Runs one fuzz target (or all) for a number of seconds each, on the stable
# toolchain (no sanitizer), starting from the committed seeds and writing new
# inputs to a scratch corpus. Usage: fuzz/run.sh [TARGET|all] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
target="${1:-all}"
secs="${2:-10}"
corpus_root="${FUZZ_CORPUS:-${TMPDIR:-/tmp}/hush-fuzz-corpus}"
if ! cargo fuzz --version >/dev/null 2>&1; then
    # A debug build of the driver (it only runs cargo and the target):
    # minutes less to compile on a fresh machine.
    cargo install --debug cargo-fuzz --locked
fi
targets=(wire evidence handshake config store_model envelope directory dcap snp attest_policy cluster)
[ "$target" = all ] || targets=("$target")
for t in "${targets[@]}"; do
    mkdir -p "$corpus_root/$t"
    echo "== fuzz $t for ${secs}s"
    cargo fuzz run -s none "$t" "$corpus_root/$t" "seeds/$t" -- \
        -max_total_time="$secs" -print_final_stats=1 2>&1 | tail -n 25
done
