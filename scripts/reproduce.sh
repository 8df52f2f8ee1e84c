#!/usr/bin/env bash
# Is the hushd TEE image reproducible?
#
#   scripts/reproduce.sh            # full check (~20 min on 2 cores)
#   scripts/reproduce.sh --quick    # CI's cheaper check (~8 min cold)
#   HUSH_REPRO_LEAK=1 scripts/reproduce.sh --quick   # must FAIL: shows the
#                                   # check catches a leaked build path
#
# Full: clones this repository's HEAD twice, into two directories of
# different names and depths, builds hushd and hush-init there one after
# the other (scripts/lib/build-hushd.sh: pinned toolchain, --locked, paths
# remapped, SOURCE_DATE_EPOCH), builds the image from each
# (scripts/build-image.sh), and compares the SHA-256 of every output. Any
# difference fails.
#
# Quick (CI): one build, in this checkout. Fails when a binary holds a path
# of this build (this checkout's directory, cargo's or rustup's home, the
# user's home) or today's date, the usual ways two builds come to differ;
# then builds the initrd twice and compares it byte for byte.
#
# Either way it then measures both images (scripts/measure.sh) and
# compares their policies, and prints the hashes and the policy, the values
# docs/DEPLOYING.md lists.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/build-hushd.sh
started=$(date +%s)

# same_images DIR_A DIR_B WHAT: the two images' files are identical, and so
# are the policies scripts/measure.sh writes for them (its comment naming
# the commit aside); otherwise fail, saying WHAT differ.
same_images() {
    if ! cmp -s "$1/SHA256SUMS" "$2/SHA256SUMS"; then
        diff "$1/SHA256SUMS" "$2/SHA256SUMS" >&2 || true
        echo "reproduce: FAILED: $3 differ" >&2
        exit 1
    fi
    scripts/measure.sh "$1" >/dev/null && scripts/measure.sh "$2" >/dev/null
    if ! diff <(grep -v '^#' "$1/policy.toml") <(grep -v '^#' "$2/policy.toml") >&2; then
        echo "reproduce: FAILED: the policies of $3 differ" >&2
        exit 1
    fi
}

if [ "${1:-}" = "--quick" ]; then
    bin="$(build_hushd .)"
    check_no_leaks "$bin/hushd" . && check_no_leaks "$bin/hush-init" . || {
        echo "reproduce: FAILED: a build path or date is in the binary (see above)" >&2
        exit 1
    }
    out="$(mktemp -d)"
    trap 'rm -rf "$out"' EXIT
    scripts/build-image.sh --out "$out/a" >/dev/null
    touch "$bin/hushd" "$bin/hush-init" # other mtimes must not matter
    scripts/build-image.sh --out "$out/b" >/dev/null
    same_images "$out/a" "$out/b" "two builds of the image"
    cat "$out/a/SHA256SUMS" "$out/a/policy.toml"
    echo "reproduce: no build path or date in hushd or hush-init; the image built twice is identical, and so is its policy ($(( $(date +%s) - started )) s)" >&2
    exit 0
fi

repo="$(pwd -P)"
commit="$(git rev-parse HEAD)"
if ! git diff --quiet HEAD -- ':!target'; then
    echo "reproduce: note: uncommitted changes are not part of the check (it builds $commit)" >&2
fi
base="$(mktemp -d "${TMPDIR:-/tmp}/hush-repro.XXXXXX")"
trap 'rm -rf "$base"' EXIT
dirs=("$base/first/hush" "$base/second/build/elsewhere")
for i in 0 1; do
    d="${dirs[$i]}"
    mkdir -p "$(dirname "$d")"
    git clone -q --no-local "$repo" "$d"
    git -C "$d" checkout -q "$commit"
    echo "reproduce: build $((i + 1)) of 2 in $d" >&2
    (cd "$d" && scripts/build-image.sh --out "$d/out" >/dev/null)
    (source scripts/lib/build-hushd.sh && check_no_leaks "$d/out/hushd" "$d" && check_no_leaks "$d/out/hush-init" "$d")
done
same_images "${dirs[0]}/out" "${dirs[1]}/out" "two clean builds of $commit"
cat "${dirs[0]}/out/SHA256SUMS" "${dirs[0]}/out/policy.toml"
echo "reproduce: two clean builds of $commit, in two directories, are identical, and so are their policies ($(( $(date +%s) - started )) s)" >&2
