#!/usr/bin/env bash
# The nemesis test's positive control: applies a deliberately broken
# commit (scripts/mutations/forged-acks.patch: a follower the leader
# cannot reach counts as having acknowledged, so a leader cut off from the
# others commits and answers clients before a quorum holds the entries),
# runs the nemesis, and succeeds only if the nemesis FAILS; the patch is
# always reverted. A mutation that does not build is an error, not a catch.
#
#   scripts/nemesis-mutation.sh [SEED...]     # default: seeds 1 2 3
set -uo pipefail
cd "$(dirname "$0")/.."
patch=scripts/mutations/forged-acks.patch
git apply --check "$patch" || { echo "the mutation no longer applies: update $patch" >&2; exit 2; }
git apply "$patch"
trap 'git apply -R "$patch"' EXIT
cargo test -q -p hushd --test nemesis --no-run || { echo "the mutated tree does not build" >&2; exit 2; }
caught=0
seeds=${*:-1 2 3}
runs=$(echo $seeds | wc -w)
for seed in $seeds; do
    if HUSH_NEMESIS_SEED=$seed HUSH_NEMESIS_FAULTS=${HUSH_NEMESIS_FAULTS:-100} \
        cargo test -q -p hushd --test nemesis the_cluster -- --nocapture >"target/nemesis-mutation-$seed.log" 2>&1; then
        echo "seed $seed: the nemesis PASSED with forged acknowledgments (not caught)"
    else
        caught=$((caught + 1))
        log="target/nemesis-mutation-$seed.log"
        why=$(grep -a -m1 'ids have no linearization' "$log" ||
            grep -a -m1 -E 'not whole|did not start|panicked at' -A1 "$log" | tail -1)
        echo "seed $seed: caught: $why"
    fi
done
echo "caught in $caught of $runs runs"
[ "$caught" -eq "$runs" ]
