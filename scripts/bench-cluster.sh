#!/usr/bin/env bash
# A 3-node cluster (scripts/cluster.sh, all on this machine) against one
# node, in alternating rounds of one run: the load generator's mixed
# workload (16, then 64 clients over gRPC, QueryStream) sent to the leader,
# mixed ops/s and closed-loop p99, capacity 2^16. Results go in
# BENCHMARKS.md.
#
#   scripts/bench-cluster.sh [ROUNDS]     # default 3
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
cargo build -q --release --locked -p hushd -p hush-bench -p hush-client

run_load() {
    ./target/release/hush-bench load --log2 16 --rounds 1 --requests 1000 --latency-secs 5 --clients "$clients" "$@" 2>&1
}
ops() { grep '^round 1:' | sed -E 's/.*load ([0-9]+) ops.*/\1/'; }
p99() { grep '^closed-loop latency' | sed -E 's/.*p99 ([0-9.]+) ms.*/\1/'; }

rows=()
for r in $(seq "$rounds"); do
    for clients in 16 64; do
        single=$(run_load)
        HUSH_CAPACITY=65536 scripts/cluster.sh start >/dev/null
        leader=$(scripts/cluster.sh status | sed -n 's/^node \([0-9]\):.*"role":"leader".*/\1/p' | head -n 1)
        cluster=$(run_load --server "http://127.0.0.1:$((${HUSH_CLUSTER_PORT:-7900} + leader))")
        scripts/cluster.sh stop >/dev/null
        sleep 1
        s_ops=$(echo "$single" | ops); c_ops=$(echo "$cluster" | ops)
        s_p99=$(echo "$single" | p99); c_p99=$(echo "$cluster" | p99)
        echo "round $r, $clients clients: one node $s_ops ops/s (p99 $s_p99 ms), 3 nodes $c_ops ops/s (p99 $c_p99 ms)" >&2
        rows+=("$r $clients $s_ops $c_ops $s_p99 $c_p99")
    done
done

echo "| round | clients | one node ops/s | 3-node cluster ops/s | cluster / one | one node p99 ms | cluster p99 ms |"
echo "|---|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
    set -- $row
    echo "| $1 | $2 | $3 | $4 | $(awk "BEGIN { printf \"%.2f\", $4 / $3 }") | $5 | $6 |"
done
