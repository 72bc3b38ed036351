#!/usr/bin/env bash
# The testbed's "wanctl" controller: runs the wanctl pipeline under
# wanctl-supervise in the router namespace, records its decisions and
# telemetry with wanctl-tap, and kills stages with SIGKILL at the times given
# (the restart-under-load run). Started by the testbed runner with
# TESTBED_OUT as its working directory; stops everything on SIGTERM.
#
# Usage: wanctl_controller.sh CONFIG INSTANCE [STAGE@SECONDS...]
set -uo pipefail

config=$1
instance=$2
shift 2
kills=("$@")

top=$(cd "$(dirname "$0")/../../.." && pwd)
supervise="$top/scripts/wanctl-supervise"
tap="${WANCTL_BUILD_DIR:-$top/build}/common/tap/wanctl-tap"
out=${TESTBED_OUT:-$PWD}
run_dir="$out/run"
# Microseconds since the epoch from bash itself: forking date is slow in
# user-mode Linux and would make the kill times late.
started_us=${EPOCHREALTIME/./}
elapsed_ms() { echo $(( (${EPOCHREALTIME/./} - started_us) / 1000 )); }

# A RouterOS config is served by the emulated router, which applies each
# queue's max-limit to the router namespace's real CAKE.
emulator=
if grep -Eq '^backend *= *"routeros"' "$config"; then
  printf '{"queue/tree": [{"name": "testbed-down", "parent": "bridge", "max-limit": "%sM"},
                  {"name": "testbed-up", "parent": "r-wan", "max-limit": "%sM"}]}\n' \
    "${TESTBED_DOWNLOAD_MBPS:-38}" "${TESTBED_UPLOAD_MBPS:-9.5}" >"$out/router-state.json"
  /usr/bin/python3 "$top/tests/routeros/routeros_emulator.py" --port 18080 \
    --state "$out/router-state.json" --tc-map testbed-down=r-lan --tc-map testbed-up=r-wan \
    >"$out/router.log" 2>&1 &
  emulator=$!
  for _ in $(seq 1 100); do
    grep -q "listening on" "$out/router.log" && break
    sleep 0.1
  done
  export WANCTL_TESTBED_ROUTER_PASSWORD=test-password
fi

"$supervise" --run-dir "$run_dir" start "$config" >"$out/supervise.log" 2>&1 &
supervisor=$!

# Each recorder waits for its object, then follows it until stopped.
record() {
  local object=$1
  for _ in $(seq 1 100); do
    [[ -e /dev/shm/wanctl.$instance.$object ]] && break
    sleep 0.1
  done
  exec "$tap" "$instance" "$object" --follow --format csv >"$out/$object.csv" 2>"$out/$object.tap.log"
}
record decisions &
recorders=($!)
record telemetry &
recorders+=($!)

stop_all() {
  "$supervise" --run-dir "$run_dir" stop >>"$out/supervise.log" 2>&1
  kill -INT "${recorders[@]}" $emulator 2>/dev/null
  wait "$supervisor" "${recorders[@]}" $emulator 2>/dev/null
  exit 0
}
trap stop_all TERM INT

# Kill each listed stage once its time has come; the supervisor brings it back.
for entry in "${kills[@]}"; do
  stage=${entry%@*}
  at_ms=$(( ${entry#*@} * 1000 ))
  wait_ms=$(( at_ms - $(elapsed_ms) ))
  if (( wait_ms > 0 )); then
    sleep "$(( wait_ms / 1000 )).$(printf '%03d' $(( wait_ms % 1000 )))" &
    wait $! || true
  fi
  pid=$(pgrep -f "/wanctl-$stage --config" | head -n 1)
  if [[ -n $pid ]]; then
    kill -KILL "$pid"
    echo "$(elapsed_ms) $stage $pid" >>"$out/kills.log"
  else
    echo "$(elapsed_ms) $stage not-running" >>"$out/kills.log"
  fi
done

wait "$supervisor"
echo "wanctl-supervise exited with status $?" >&2
exit 1
