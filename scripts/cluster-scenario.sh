#!/usr/bin/env bash
# Issue 30's operator scenario, RUNS times in a row (default 50), with
# scripts/cluster.sh and the CLI as an operator would run them:
#
#   start 3 nodes; send 10 messages through every node's address;
#   kill-leader; restart it; send 10; kill-leader; restart it; send 10;
#   read the inbox back.
#
# A run fails if any step fails (no leader to kill, a send not
# acknowledged within the CLI's deadline) or the inbox does not hold every
# acknowledged message. Prints one line per run and a summary; exits 1 on
# any failure. Logs of a failed run are kept in target/cluster-scenario/.
#
#   scripts/cluster-scenario.sh [RUNS]
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
# The cluster's ports and folder, as scripts/cluster.sh takes them.
base="${HUSH_CLUSTER_PORT:-7900}"
cluster_dir="${HUSH_CLUSTER_DIR:-target/cluster}"
servers="127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2)),127.0.0.1:$((base + 3))"
keep=target/cluster-scenario
mkdir -p "$keep"
cargo build -q --release --locked -p hushd -p hush-client || exit 1
export HUSH_HOME
HUSH_HOME=$(mktemp -d)
trap 'scripts/cluster.sh stop >/dev/null 2>&1; rm -rf "$HUSH_HOME"' EXIT
hush() { target/release/hush --server "$servers" --allow-dev-attestation "$@"; }
hush id new alice >/dev/null && hush id new bob >/dev/null || exit 1

failed=0
for run in $(seq "$runs"); do
    started=$(date +%s)
    scripts/cluster.sh stop >/dev/null 2>&1
    rm -rf "$cluster_dir"
    # Nodes keep nothing across a stop: each run starts from empty mailboxes.
    why=""
    sent=0
    step() { # step NAME COMMAND...: runs a step, records why it failed
        local name=$1; shift
        if ! out=$("$@" 2>&1); then why="$name: $(echo "$out" | tail -1)"; return 1; fi
    }
    send10() {
        for i in $(seq 10); do
            step "send $((sent + 1))" hush send --as alice --to bob "run $run message $((sent + 1))" || return 1
            sent=$((sent + 1))
        done
    }
    # A start that reports success must have all three voting (checked
    # here independently of cluster.sh's own wait).
    complete() {
        local st; st=$(scripts/cluster.sh status)
        [ "$(echo "$st" | grep -c '"voter":true')" -eq 3 ] &&
            [ "$(echo "$st" | grep -c '"voters":\[1,2,3\]')" -eq 3 ] &&
            [ "$(echo "$st" | grep -o '"leader":[0-9]' | sort -u | wc -l)" -eq 1 ] ||
            { echo "reported complete, but: $st"; return 1; }
    }
    if step start scripts/cluster.sh start && step "start check" complete && send10; then
        for round in 1 2; do
            out=$(scripts/cluster.sh kill-leader 2>&1) || { why="kill-leader $round: $out"; break; }
            killed=$(echo "$out" | sed -n 's/^killed node \([0-9]\).*/\1/p')
            step "restart $killed" scripts/cluster.sh restart "$killed" || break
            step "restart check" complete || break
            send10 || break
        done
    fi
    got=-1
    if [ -z "$why" ]; then
        if inbox=$(hush inbox --as bob --no-receipts --json 2>&1); then
            got=$(echo "$inbox" | grep -o "run $run message [0-9]*" | sort -u | wc -l)
            [ "$got" -eq 30 ] || why="inbox holds $got of 30 acknowledged messages"
        else
            why="inbox: $(echo "$inbox" | tail -1)"
        fi
    fi
    secs=$(( $(date +%s) - started ))
    if [ -n "$why" ]; then
        failed=$((failed + 1))
        echo "run $run: FAILED after $sent acknowledged sends ($secs s): $why"
        rm -rf "$keep/run$run" && cp -r "$cluster_dir" "$keep/run$run"
        [ -n "${inbox:-}" ] && echo "$inbox" >"$keep/run$run/inbox.json"
        scripts/cluster.sh status >"$keep/run$run/status.txt" 2>&1
    else
        echo "run $run: ok, 30 of 30 read back ($secs s)"
    fi
    scripts/cluster.sh stop >/dev/null 2>&1
done
echo "$((runs - failed)) of $runs runs passed"
[ "$failed" -eq 0 ]
