#!/usr/bin/env bash
# Runs a test program inside the user-mode Linux testbed, whose kernel has
# CAKE and netem (the host's has not) and whose clock can be stepped without
# touching the host's. Usage: in_testbed.sh TESTBED PROGRAM
# [ARG...]. Exits 77 (skipped, for meson) when user-mode Linux is missing or
# cannot boot, and otherwise with the program's status.
set -uo pipefail

testbed=$1
shift
if [[ ! -x $testbed ]]; then
  echo "skipped: $testbed not found"
  exit 77
fi

output=$("$testbed" exec --timeout-s 300 -- "$@" 2>&1)
status=$?
echo "$output"
if ((status == 125)) && grep -q "testbed: unavailable" <<<"$output"; then
  echo "skipped: the testbed is unavailable"
  exit 77
fi
exit "$status"
