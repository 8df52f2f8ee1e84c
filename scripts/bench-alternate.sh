#!/usr/bin/env bash
# Is this change faster end to end? `hush-bench load` with the binaries of
# BASE (a commit) and of the working tree, alternating, one pair after
# another, so a drift in the machine's speed falls on both sides alike.
# On this project's 2-CPU VM the speed moves by up to 1.7x between runs
# minutes apart; only such pairs settle a question of a few percent.
#
#   scripts/bench-alternate.sh BASE [LOG2] [PAIRS] [-- LOAD ARGS...]
#   # defaults: LOG2 16, PAIRS 8; LOAD ARGS go to both sides' hush-bench load
#   # e.g. scripts/bench-alternate.sh 5a0410e 20 8
#   #      scripts/bench-alternate.sh HEAD 16 8 -- --connections 4
#
# BASE is built in a git worktree beside the checkout's own target
# directory (dependencies are shared). Each side's hush-bench starts its
# own sibling hushd, so environment settings (HUSH_BROKER_THREADS,
# HUSH_ENCLAVE_CPU) apply to both. Run it with nothing else on the
# machine; results go in BENCHMARKS.md with the command that made them.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n '2,15p' "$0" >&2; exit 2; }
base=$1; shift
log2=16; pairs=8
if [ $# -gt 0 ] && [ "$1" != "--" ]; then log2=$1; shift; fi
if [ $# -gt 0 ] && [ "$1" != "--" ]; then pairs=$1; shift; fi
[ "${1:-}" = "--" ] && shift
load_args=("$@")
base_rev=$(git rev-parse --verify --quiet --short "$base^{commit}") ||
    { echo "bench-alternate: $base is not a commit" >&2; exit 2; }
new_rev="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates Cargo.lock || echo '+changes')"

work=$(mktemp -d)
tree="$work/base-src"
trap 'git worktree remove --force "$tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -p "$work/base" "$work/new"
cargo build -q --release --locked -p hushd -p hush-bench
cp target/release/hushd target/release/hush-bench "$work/new/"
git worktree add -q --detach "$tree" "$base_rev"
# A target directory of its own, kept between runs (the first build is cold).
CARGO_TARGET_DIR="$PWD/target/alternate-base" \
    cargo build -q --release --locked --manifest-path "$tree/Cargo.toml" -p hushd -p hush-bench
cp target/alternate-base/release/hushd target/alternate-base/release/hush-bench "$work/base/"

# One load run of SIDE's binaries: "END_TO_END IN_PROCESS" (ops/s).
run() {
    "$work/$1/hush-bench" load --log2 "$log2" --rounds 1 --requests 3000 --latency-secs 0 \
        ${load_args[@]+"${load_args[@]}"} 2>&1 >/dev/null |
        sed -nE 's/^round 1: in-process ([0-9]+) ops\/s, load ([0-9]+) ops\/s.*/\2 \1/p'
}
rows=()
for p in $(seq "$pairs"); do
    read -r b b_local <<<"$(run base)"
    read -r n n_local <<<"$(run new)"
    [ -n "${b:-}" ] && [ -n "${n:-}" ] || { echo "bench-alternate: a load run printed no result" >&2; exit 1; }
    echo "pair $p: $base_rev $b ops/s end to end ($b_local in process), $new_rev $n ($n_local)" >&2
    rows+=("$b $n")
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratios=$(for r in "${rows[@]}"; do echo "$r" | awk '{ printf "%.3f\n", $2 / $1 }'; done)
faster=$(echo "$ratios" | awk '$1 > 1' | wc -l)
echo "### $new_rev against $base_rev, end to end, capacity 2^$log2, alternating"
echo
echo "\`scripts/bench-alternate.sh $base $log2 $pairs${load_args[*]:+ -- ${load_args[*]}}\`;" \
    "$(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo); $(date -u +%Y-%m-%d)"
echo
echo "| pair | $base_rev ops/s | $new_rev ops/s | new / base |"
echo "|---|---|---|---|"
i=0
for r in "${rows[@]}"; do
    i=$((i + 1)); read -r b n <<<"$r"
    echo "| $i | $b | $n | $(awk "BEGIN { printf \"%.2f\", $n / $b }") |"
done
echo "| median | $(for r in "${rows[@]}"; do echo "${r% *}"; done | median) | $(for r in "${rows[@]}"; do echo "${r#* }"; done | median) | $(printf '%.2f' "$(echo "$ratios" | median)") (faster in $faster of $pairs) |"
