#!/usr/bin/env bash
# The price of obliviousness: hush end to end (hush-bench load: 16 clients
# over gRPC, the mixed workload, 1 KiB messages, a hushd it starts) against
# Redis SET and GET (redis-benchmark: 16 clients, 1 KiB values), in
# interleaved rounds of one run on this machine. Each hush round also
# measures the in-process store (one core), as `hush-bench load` does.
#
#   scripts/bench-redis.sh [LOG2] [ROUNDS] [-- LOAD ARGS...]   # defaults: 20 3
#   # e.g. scripts/bench-redis.sh 20 3 -- --tcp   (hush over its plain-TCP transport)
#
# Installs Debian's redis-server and redis-tools if missing (a benchmark
# tool: CI never runs this). Run it with nothing else on the machine;
# results go in BENCHMARKS.md ("The price of obliviousness").
set -euo pipefail
cd "$(dirname "$0")/.."
log2=20; rounds=3
if [ $# -gt 0 ] && [ "$1" != "--" ]; then log2=$1; shift; fi
if [ $# -gt 0 ] && [ "$1" != "--" ]; then rounds=$1; shift; fi
[ "${1:-}" = "--" ] && shift
load_args=("$@")

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
    echo "bench-redis: installing Debian's redis-server and redis-tools" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q redis-server redis-tools >/dev/null ||
        { apt-get update -q >/dev/null && apt-get install -y -q redis-server redis-tools >/dev/null; }
fi
cargo build -q --release --locked -p hushd -p hush-bench

port=16379
work=$(mktemp -d)
redis-server --bind 127.0.0.1 --port $port --save '' --appendonly no \
    --dir "$work" --daemonize no >"$work/redis.log" 2>&1 &
redis=$!
trap 'kill $redis 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do redis-cli -p $port ping >/dev/null 2>&1 && break; sleep 0.1; done

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
rows=()
for r in $(seq "$rounds"); do
    csv=$(redis-benchmark -h 127.0.0.1 -p $port -c 16 -d 1024 -t set,get -n 200000 -q --csv)
    set_rps=$(echo "$csv" | awk -F'"' '$2 == "SET" { printf "%.0f", $4 }')
    get_rps=$(echo "$csv" | awk -F'"' '$2 == "GET" { printf "%.0f", $4 }')
    redis-cli -p $port flushall >/dev/null
    line=$(./target/release/hush-bench load --log2 "$log2" --rounds 1 --requests 2000 \
        --latency-secs 2 ${load_args[@]+"${load_args[@]}"} 2>&1 >/dev/null | grep '^round 1:')
    local_ops=$(echo "$line" | sed -E 's/.*in-process ([0-9]+) ops.*/\1/')
    load_ops=$(echo "$line" | sed -E 's/.*load ([0-9]+) ops.*/\1/')
    echo "round $r: redis SET $set_rps GET $get_rps; hush in-process $local_ops, end to end $load_ops ops/s" >&2
    rows+=("$set_rps $get_rps $local_ops $load_ops")
done

echo "### hush end to end vs Redis, capacity 2^$log2, 16 clients, 1 KiB${load_args[*]:+ (hush-bench load ${load_args[*]})}"
echo
echo "$(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(free -g | awk '/Mem:/ { print $2 }') GiB;" \
    "redis $(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/'); $(date -u +%Y-%m-%d)"
echo
echo "| round | Redis SET/s | Redis GET/s | hush in-process ops/s (1 core) | hush end to end ops/s | hush / SET | hush / GET |"
echo "|---|---|---|---|---|---|---|"
i=0
for row in "${rows[@]}"; do
    i=$((i + 1))
    set -- $row
    echo "| $i | $1 | $2 | $3 | $4 | $(awk "BEGIN { printf \"%.3f\", $4 / $1 }") | $(awk "BEGIN { printf \"%.3f\", $4 / $2 }") |"
done
col() { for row in "${rows[@]}"; do echo "$row" | awk -v c="$1" '{ print $c }'; done | median; }
ratio() { for row in "${rows[@]}"; do echo "$row" | awk -v c="$1" '{ printf "%.4f\n", $4 / $c }'; done | median; }
echo "| median | $(col 1) | $(col 2) | $(col 3) | $(col 4) | $(printf '%.3f' "$(ratio 1)") | $(printf '%.3f' "$(ratio 2)") |"
