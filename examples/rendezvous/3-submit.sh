#!/usr/bin/env bash
# Step 3: submissions, some of them invalid on purpose. Participants name
# a computation as its convener did (the service lists theirs for them).
. "$(dirname "$0")/common.sh"
for who in alice bob carol; do settle "$who"; done
h calc submit --as alice salary 100
h calc submit --as bob salary 50
h calc submit --as carol salary 60
echo "# an outsider (who has only the id), and a key sent to a number computation:"
h calc submit --as dave "$(id_of salary)" 1
h match submit --as alice salary VIN-1 "wrong place"
h calc submit --as alice fastest 12
h calc submit --as bob fastest 9
h match submit --as alice vins VIN-1 "alice insures VIN-1"
h match submit --as bob vins VIN-2 "bob insures VIN-2"
h match submit --as carol vins VIN-1 "carol insures VIN-1"
