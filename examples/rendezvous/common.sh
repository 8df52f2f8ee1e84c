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
