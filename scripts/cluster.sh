#!/usr/bin/env bash
# Three hushd nodes on loopback, replicating through raft (dev
# attestation: a demo, not a deployment).
#
#   scripts/cluster.sh start         # build, start nodes 1-3, wait until all three vote
#   scripts/cluster.sh status        # each node's role (GET /v1/health)
#   scripts/cluster.sh kill-leader   # SIGKILL the leader (a new one takes over)
#   scripts/cluster.sh restart N     # start node N again; wait until it votes again
#   scripts/cluster.sh stop          # stop every node
#
# start and restart return only once every node is a voter of the
# leader's committed configuration (or fail naming the node that is not):
# nodes keep nothing across a restart, so a restarted node is a new member
# and the cluster survives another failure only once it votes.
#
# Clients: --server 127.0.0.1:7901,127.0.0.1:7902,127.0.0.1:7903
# Nodes serve clients on 790N, peers on 791N and metrics on 792N; logs in
# target/cluster/. For a second cluster on the same machine, give it other
# ports and another folder, the same way for every command:
#   HUSH_CLUSTER_PORT=8000 HUSH_CLUSTER_DIR=target/cluster-b scripts/cluster.sh start
# (clients on 800N, peers on 801N, metrics on 802N).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${HUSH_CLUSTER_DIR:-target/cluster}"
base="${HUSH_CLUSTER_PORT:-7900}"
case "$base" in
    ''|*[!0-9]*) echo "HUSH_CLUSTER_PORT must be a port number, got \"$base\"" >&2; exit 2 ;;
esac
if [ "$base" -lt 1024 ] || [ "$base" -gt 65500 ]; then
    echo "HUSH_CLUSTER_PORT must be 1024 to 65500 (nodes use it + 1 to + 23), got $base" >&2
    exit 2
fi
client_port() { echo $((base + $1)); }
peer_port() { echo $((base + 10 + $1)); }
metrics_port() { echo $((base + 20 + $1)); }
peers="1=127.0.0.1:$(peer_port 1),2=127.0.0.1:$(peer_port 2),3=127.0.0.1:$(peer_port 3)"
servers="127.0.0.1:$(client_port 1),127.0.0.1:$(client_port 2),127.0.0.1:$(client_port 3)"

health() { curl -fsS --max-time 1 "http://127.0.0.1:$(client_port "$1")/v1/health" 2>/dev/null || true; }

# Whether process $1 runs (a killed one not yet reaped does not).
running() {
    local state
    state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "${state#Z}" = "$state" ]
}

start_node() {
    local n=$1
    mkdir -p "$dir"
    if [ -f "$dir/node$n.pid" ] && running "$(cat "$dir/node$n.pid")"; then
        echo "node $n is already running"
        return
    fi
    target/release/hushd --listen "127.0.0.1:$(client_port "$n")" --metrics-listen "127.0.0.1:$(metrics_port "$n")" \
        --node-id "$n" --peers "$peers" \
        --blob-dir "$dir/blobs$n" --verification-file "$dir/codes$n.txt" \
        >"$dir/node$n.log" 2>&1 &
    echo $! >"$dir/node$n.pid"
    echo "node $n: clients on 127.0.0.1:$(client_port "$n"), peers on 127.0.0.1:$(peer_port "$n"), metrics on 127.0.0.1:$(metrics_port "$n") (pid $!)"
}

leader() {
    for n in 1 2 3; do
        if health "$n" | grep -q '"role":"leader"'; then echo "$n"; return; fi
    done
}

# Empty when every node is up, a voter of the committed configuration,
# and the leader's committed voters are exactly 1, 2 and 3; otherwise
# what is missing.
missing() {
    local l n h why=""
    l=$(leader)
    [ -n "$l" ] || { echo "no leader"; return; }
    health "$l" | grep -q '"voters":\[1,2,3\]' ||
        why="the leader's committed voters are $(health "$l" | sed -n 's/.*"voters":\(\[[^]]*\]\).*/\1/p'), not [1,2,3]; "
    for n in 1 2 3; do
        h=$(health "$n")
        if [ -z "$h" ]; then
            why="${why}node $n is not serving (still joining, or down: see $dir/node$n.log); "
        elif ! echo "$h" | grep -q '"voter":true'; then
            why="${why}node $n is not a voter yet; "
        elif ! echo "$h" | grep -q "\"leader\":$l"; then
            why="${why}node $n does not follow node $l; "
        fi
    done
    echo "${why%; }"
}

# Waits up to $1 seconds (of the clock) for missing() to be empty.
wait_complete() {
    local m="" until=$((SECONDS + $1))
    while [ "$SECONDS" -lt "$until" ]; do
        m=$(missing)
        [ -z "$m" ] && return 0
        sleep 0.2
    done
    echo "the cluster is not complete after $1 s: $m" >&2
    return 1
}

case "${1:-}" in
start)
    cargo build -q --release --locked -p hushd -p hush-client
    for n in 1 2 3; do start_node "$n"; done
    wait_complete "${HUSH_CLUSTER_WAIT:-60}" || exit 1
    echo "leader: node $(leader); voters: nodes 1, 2 and 3"
    echo "try: target/release/hush --server $servers --allow-dev-attestation send --as alice --to bob hi"
    ;;
status)
    for n in 1 2 3; do
        h=$(health "$n")
        echo "node $n: ${h:-down}"
    done
    ;;
kill-leader)
    # An election may be under way: give it a few seconds.
    until=$((SECONDS + 10))
    while [ "$SECONDS" -lt "$until" ]; do
        l=$(leader)
        [ -n "$l" ] && break
        sleep 0.2
    done
    [ -n "$l" ] || { echo "no leader to kill (after 10 s)" >&2; exit 1; }
    pid=$(cat "$dir/node$l.pid")
    kill -9 "$pid"
    while running "$pid"; do sleep 0.05; done
    echo "killed node $l (SIGKILL); restart it with: scripts/cluster.sh restart $l"
    ;;
restart)
    start_node "${2:?which node?}"
    wait_complete "${HUSH_CLUSTER_WAIT:-60}" || exit 1
    echo "node $2 is a voter again; leader: node $(leader)"
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
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
