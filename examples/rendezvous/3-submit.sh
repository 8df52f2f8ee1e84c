#!/usr/bin/env bash
# Step 3: submissions, some of them invalid on purpose.
. "$(dirname "$0")/common.sh"
h calc submit --as alice "$(id_of salary)" 100
h calc submit --as bob "$(id_of salary)" 50
h calc submit --as carol "$(id_of salary)" 60
echo "# an outsider, and a key sent to a number computation:"
h calc submit --as dave "$(id_of salary)" 1
h match submit --as alice "$(id_of salary)" VIN-1 "wrong place"
h calc submit --as alice "$(id_of fastest)" 12
h calc submit --as bob "$(id_of fastest)" 9
h match submit --as alice "$(id_of vins)" VIN-1 "alice insures VIN-1"
h match submit --as bob "$(id_of vins)" VIN-2 "bob insures VIN-2"
h match submit --as carol "$(id_of vins)" VIN-1 "carol insures VIN-1"
