#!/usr/bin/env bash
# Step 4: results, released only at quorum and then locked.
. "$(dirname "$0")/common.sh"
echo "# alice's computations (ids left out here, they change every run):"
h calc list --as alice | sed 's/  [0-9a-f]\{32\}$//'
h calc result --as alice salary
h calc result --as carol fastest
echo "# after the release, carol's submission is refused:"
h calc submit --as carol fastest 1
h match results --as alice vins
echo "# bob's key matched nobody's:"
h match results --as bob vins
echo "# the convener closes the key matching:"
h calc close --as convener vins
h match submit --as bob vins VIN-1 "too late"
