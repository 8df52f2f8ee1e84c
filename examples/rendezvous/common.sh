# Shared by the demo scripts: where the demo keeps its identities, and a
# `hush` that hides the dev-attestation warning (the demo runs against a
# local hushd on purpose).
set -u
export HUSH_HOME="${HUSH_HOME:-${TMPDIR:-/tmp}/hush-rendezvous-demo}"
export HUSH_ALLOW_DEV_ATTESTATION=1
STATE="$HUSH_HOME/demo"
mkdir -p "$STATE"
h() {
    hush "$@" 2>&1 | grep -v '^warning: accepting DEV attestation'
}
id_of() {
    cat "$STATE/$1.id"
}
# Waits (quietly, up to 5 s) until NAME's list of computations holds every
# computation created for it: new ones join within a second or two, and
# hush asks once per command, so the script asks again as a user would.
settle() {
    for _ in $(seq 50); do
        hush calc list --as "$1" 2>&1 >/dev/null | grep -q "still being added" || return 0
        sleep 0.1
    done
}
