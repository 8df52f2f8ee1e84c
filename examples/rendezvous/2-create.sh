#!/usr/bin/env bash
# Step 2: the convener creates three computations and keeps their ids.
. "$(dirname "$0")/common.sh"
create() {
    local name="$1"; shift
    hush --json "$@" 2>"$STATE/stderr" | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p' > "$STATE/$name.id"
    grep -v '^warning: accepting DEV attestation' "$STATE/stderr" >&2
    echo "created $name"
}
create salary calc create --as convener salary --type average --participants alice,bob,carol --quorum 3
create fastest calc create --as convener fastest --type min --participants alice,bob,carol --quorum 2
create vins match create --as convener vins --participants alice,bob,carol --quorum 2
