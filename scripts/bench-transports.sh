#!/usr/bin/env bash
# gRPC's QueryStream against the plain-TCP transport (hushd --tcp-listen),
# end to end with `hush-bench load`, alternating one run of each, so a drift
# in the machine's speed falls on both alike (see bench-alternate.sh).
# Each run also measures the in-process store on one core.
#
#   scripts/bench-transports.sh [LOG2] [PAIRS] [-- LOAD ARGS...]
#   # defaults: LOG2 16, PAIRS 8
#
# Run it with nothing else on the machine; results go in BENCHMARKS.md
# with the command that made them.
set -euo pipefail
cd "$(dirname "$0")/.."
log2=16; pairs=8
if [ $# -gt 0 ] && [ "$1" != "--" ]; then log2=$1; shift; fi
if [ $# -gt 0 ] && [ "$1" != "--" ]; then pairs=$1; shift; fi
[ "${1:-}" = "--" ] && shift
load_args=("$@")
cargo build -q --release --locked -p hushd -p hush-bench
rev="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates Cargo.lock || echo '+changes')"

# One load run: "END_TO_END IN_PROCESS" (ops/s).
run() {
    ./target/release/hush-bench load --log2 "$log2" --rounds 1 --requests 3000 --latency-secs 0 \
        "$@" ${load_args[@]+"${load_args[@]}"} 2>&1 >/dev/null |
        sed -nE 's/^round 1: in-process ([0-9]+) ops\/s, load ([0-9]+) ops\/s.*/\2 \1/p'
}
rows=()
for p in $(seq "$pairs"); do
    read -r g g_local <<<"$(run)"
    read -r t t_local <<<"$(run --tcp)"
    [ -n "${g:-}" ] && [ -n "${t:-}" ] || { echo "bench-transports: a load run printed no result" >&2; exit 1; }
    echo "pair $p: gRPC $g ops/s end to end ($g_local in process), TCP $t ($t_local)" >&2
    rows+=("$g $g_local $t $t_local")
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { for r in "${rows[@]}"; do echo "$r" | awk "{ $1 }"; done | median; }
echo "### gRPC QueryStream against plain TCP at $rev, end to end, capacity 2^$log2, alternating"
echo
echo "\`scripts/bench-transports.sh $log2 $pairs${load_args[*]:+ -- ${load_args[*]}}\`;" \
    "$(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo); $(date -u +%Y-%m-%d)"
echo
echo "| pair | gRPC ops/s | / in-process | TCP ops/s | / in-process | TCP / gRPC |"
echo "|---|---|---|---|---|---|"
i=0
for r in "${rows[@]}"; do
    i=$((i + 1)); read -r g gl t tl <<<"$r"
    awk -v i="$i" -v g="$g" -v gl="$gl" -v t="$t" -v tl="$tl" \
        'BEGIN { printf "| %d | %d | %.2f | %d | %.2f | %.2f |\n", i, g, g / gl, t, t / tl, t / g }'
done
faster=$(for r in "${rows[@]}"; do echo "$r" | awk '$3 > $1'; done | wc -l)
echo "| median | $(col 'print $1') | $(col 'printf "%.3f\n", $1 / $2') | $(col 'print $3') | $(col 'printf "%.3f\n", $3 / $4') | $(col 'printf "%.3f\n", $3 / $1') (TCP faster in $faster of $pairs) |"
