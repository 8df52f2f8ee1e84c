#!/usr/bin/env bash
# Step 1: named identities (the convener, three insurers, an outsider).
. "$(dirname "$0")/common.sh"
for who in convener alice bob carol dave; do
    hush id new "$who" >/dev/null
    echo "identity $who"
done
