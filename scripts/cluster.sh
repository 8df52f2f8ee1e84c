#!/usr/bin/env bash
# Three hushd nodes on loopback, replicating through raft (dev
# attestation: a demo, not a deployment).
#
#   scripts/cluster.sh start         # build, start nodes 1-3, wait for a leader
#   scripts/cluster.sh status        # each node's role (GET /v1/health)
#   scripts/cluster.sh kill-leader   # SIGKILL the leader (a new one takes over)
#   scripts/cluster.sh restart N     # start node N again (it rejoins, empty, and catches up)
#   scripts/cluster.sh stop          # stop every node
#
# Clients: --server 127.0.0.1:7901,127.0.0.1:7902,127.0.0.1:7903
# Nodes serve clients on 790N and peers on 791N; logs in target/cluster/.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=target/cluster
peers="1=127.0.0.1:7911,2=127.0.0.1:7912,3=127.0.0.1:7913"
servers="127.0.0.1:7901,127.0.0.1:7902,127.0.0.1:7903"

health() { curl -fsS --max-time 1 "http://127.0.0.1:790$1/v1/health" 2>/dev/null || true; }

start_node() {
    local n=$1
    mkdir -p "$dir"
    if [ -f "$dir/node$n.pid" ] && kill -0 "$(cat "$dir/node$n.pid")" 2>/dev/null; then
        echo "node $n is already running"
        return
    fi
    target/release/hushd --listen "127.0.0.1:790$n" --metrics-listen "127.0.0.1:792$n" \
        --node-id "$n" --peers "$peers" \
        --blob-dir "$dir/blobs$n" --verification-file "$dir/codes$n.txt" \
        >"$dir/node$n.log" 2>&1 &
    echo $! >"$dir/node$n.pid"
    echo "node $n: clients on 127.0.0.1:790$n, peers on 127.0.0.1:791$n, metrics on 127.0.0.1:792$n (pid $!)"
}

leader() {
    for n in 1 2 3; do
        if health "$n" | grep -q '"role":"leader"'; then echo "$n"; return; fi
    done
}

case "${1:-}" in
start)
    cargo build -q --release --locked -p hushd -p hush-client
    for n in 1 2 3; do start_node "$n"; done
    for _ in $(seq 100); do
        l=$(leader)
        if [ -n "$l" ]; then
            echo "leader: node $l"
            echo "try: target/release/hush --server $servers --allow-dev-attestation send --as alice --to bob hi"
            exit 0
        fi
        sleep 0.2
    done
    echo "no leader after 20 s; see $dir/node*.log" >&2
    exit 1
    ;;
status)
    for n in 1 2 3; do
        h=$(health "$n")
        echo "node $n: ${h:-down}"
    done
    ;;
kill-leader)
    l=$(leader)
    [ -n "$l" ] || { echo "no leader to kill" >&2; exit 1; }
    kill -9 "$(cat "$dir/node$l.pid")"
    echo "killed node $l (SIGKILL); restart it with: scripts/cluster.sh restart $l"
    ;;
restart)
    start_node "${2:?which node?}"
    ;;
stop)
    for n in 1 2 3; do
        if [ -f "$dir/node$n.pid" ]; then
            kill "$(cat "$dir/node$n.pid")" 2>/dev/null || true
            rm -f "$dir/node$n.pid"
        fi
    done
    echo "stopped"
    ;;
*)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
