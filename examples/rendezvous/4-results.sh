#!/usr/bin/env bash
# Step 4: results, released only at quorum and then locked.
. "$(dirname "$0")/common.sh"
h calc result --as alice "$(id_of salary)"
h calc result --as carol "$(id_of fastest)"
echo "# after the release, carol's submission is refused:"
h calc submit --as carol "$(id_of fastest)" 1
h match results --as alice "$(id_of vins)"
echo "# bob's key matched nobody's:"
h match results --as bob "$(id_of vins)"
echo "# the convener closes the key matching:"
h calc close --as convener vins
h match submit --as bob "$(id_of vins)" VIN-1 "too late"
