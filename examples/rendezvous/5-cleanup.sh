#!/usr/bin/env bash
# Step 5: forget the demo's identities and state.
. "$(dirname "$0")/common.sh"
rm -rf "$HUSH_HOME"
echo "removed the demo's identities and computations"
