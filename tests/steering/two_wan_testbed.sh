#!/usr/bin/env bash
# Two-WAN steering scenario, run inside the testbed:
#   scripts/testbed exec --timeout-s 400 -- tests/steering/two_wan_testbed.sh
#
# The testbed's own WAN (router r-wan, namespace isp) is the primary, "wan1".
# This script adds a second ISP namespace, isp2, as the alternate "wan2":
#
#   router ── r-wan2 ═ i2-cpe ── isp2 ── i2-core ═ n-core2 ── net
#
# with the same 10 ms each way, 40/10 Mbit/s netem bottleneck and CAKE on
# r-wan2's egress. Packets of the client that leave through r-wan2 get the
# source address 198.18.12.3 (stateless NAT with tc act_nat), so that their
# replies come back through isp2 as they would with a real second ISP.
#
# Both WANs run prober, estimator and actuator, and wanctl-steering runs with
# a DSCP rule (TOS 0x10 looks up table 200, whose default route is wan2), all
# under wanctl-supervise. The client pings with TOS 0x10 (the marked flow)
# and downloads with iperf3 without a mark (the bulk flow). At JUMP_AT_S the
# primary ISP's delay rises by 60 ms in each direction for JUMP_FOR_S.
#
# Checks: the marked flow moves to wan2 at most the activation time plus
# half a second after steering judged wan1 RED. It returns after the
# recovery time once wan1 is GREEN again. The bulk flow stays on wan1.
# Figures and verdicts go to stdout and $TESTBED_OUT; exit status 0 only
# when every check passed.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${WANCTL_BUILD_DIR:-$top/build}
out=${TESTBED_OUT:?"run inside the testbed: scripts/testbed exec -- $0"}
export WANCTL_BUILD_DIR=$build

JUMP_AT_S=${JUMP_AT_S:-25}
JUMP_FOR_S=${JUMP_FOR_S:-40}
JUMP_MS=60
BASE_DELAY_MS=10
ACTIVATION_S=4
RECOVERY_S=30
END_AT_S=$((JUMP_AT_S + JUMP_FOR_S + RECOVERY_S + 25))

started=$(date +%s.%N)
elapsed() { echo "$(date +%s.%N) - $started" | bc; }
log() { printf '%7.2f %s\n' "$(elapsed)" "$*" | tee -a "$out/scenario.log"; }
fail() {
  log "FAIL: $*"
  failures=$((failures + 1))
}
failures=0

add_second_wan() {
  insmod "/usr/lib/uml/modules/$(uname -r)/kernel/net/sched/act_nat.ko" 2>/dev/null
  ip netns add isp2
  ip link add r-wan2 netns router type veth peer name i2-cpe netns isp2
  ip link add i2-core netns isp2 type veth peer name n-core2 netns net

  ip -n isp2 -batch - <<'EOF'
addr add 198.18.12.1/24 dev i2-cpe
addr add 198.18.13.1/24 dev i2-core
link set lo up
link set i2-cpe up
link set i2-core up
route add 198.18.12.3/32 via 198.18.12.2
route add default via 198.18.13.2
EOF
  ip -n net -batch - <<'EOF'
addr add 198.18.13.2/24 dev n-core2
link set n-core2 up
route add 198.18.12.0/24 via 198.18.13.1
EOF
  # The main table's default stays on wan1; the metric-200 default is what
  # wan2's prober (bound to r-wan2) uses, and table 200 is the steering target.
  # Table 200 routes the LAN too: replies to marked packets carry the mark
  # (ping copies the TOS) and meet the steering rule on their way in.
  ip -n router -batch - <<'EOF'
addr add 198.18.12.2/24 dev r-wan2
link set r-wan2 up
route add default via 198.18.12.1 dev r-wan2 metric 200
route add default via 198.18.12.1 dev r-wan2 table 200
route add 198.18.1.0/24 dev r-lan table 200
EOF
  ip netns exec isp2 sysctl -q -w net.ipv4.ip_forward=1
  # Replies of steered flows arrive on r-wan2 from addresses the main table
  # routes through r-wan.
  for key in all.rp_filter default.rp_filter r-wan2.rp_filter; do
    ip netns exec router sysctl -q -w "net.ipv4.conf.$key=0"
  done
  for pair in router:r-wan2 isp2:i2-cpe isp2:i2-core net:n-core2; do
    ip netns exec "${pair%%:*}" ethtool -K "${pair#*:}" tso off gso off gro off >/dev/null 2>&1
  done

  tc -n isp2 qdisc add dev i2-cpe root netem delay ${BASE_DELAY_MS}ms rate 40000kbit limit 1500
  tc -n isp2 qdisc add dev i2-core root netem delay ${BASE_DELAY_MS}ms rate 10000kbit limit 1500
  tc -n router qdisc add dev r-wan2 root cake bandwidth 9500kbit
  tc -n router qdisc add dev r-wan2 clsact
  # The filters match the client's packets only, so their counters count
  # the marked packets that took wan2.
  tc -n router filter add dev r-wan2 egress protocol ip flower src_ip 198.18.1.2 \
    action nat egress 198.18.1.2/32 198.18.12.3
  tc -n router filter add dev r-wan2 ingress protocol ip flower dst_ip 198.18.12.3 \
    action nat ingress 198.18.12.3/32 198.18.1.2
}

write_configs() {
  local reflectors='["198.19.0.1", "198.19.0.2", "198.19.0.3", "198.19.0.4"]'
  # The thresholds of configs/testbed/wan.toml, for the same emulated link:
  # with higher ones the primary keeps a standing queue near yellow_delta_ms
  # once its rate is back at the maximum, above the link's capacity.
  local estimator='[estimator]
yellow_delta_ms = 8
bloat_delta_ms = 12
queue_drain_s = 0.5
soft_red_delta_ms = 45
red_delta_ms = 80'
  cat >"$out/wan1.toml" <<EOF
[instance]
name = "wan1"
[prober]
reflectors = $reflectors
active_reflectors = 3
probe_rate_hz = 20
method = "timestamp"
interface = "r-wan"
$estimator
[estimator.download]
min_rate_mbps = 5
base_rate_mbps = 38
max_rate_mbps = 42
[estimator.upload]
min_rate_mbps = 1.5
base_rate_mbps = 9.5
max_rate_mbps = 10.5
[actuator]
backend = "cake"
[actuator.download]
interface = "r-lan"
[actuator.upload]
interface = "r-wan"
EOF
  # r-lan's CAKE carries the download of both WANs and belongs to wan1, so
  # wan2 shapes its upload only and watches its download.
  cat >"$out/wan2.toml" <<EOF
[instance]
name = "wan2"
[prober]
reflectors = $reflectors
active_reflectors = 3
probe_rate_hz = 20
method = "timestamp"
interface = "r-wan2"
$estimator
[estimator.download]
min_rate_mbps = 5
base_rate_mbps = 38
max_rate_mbps = 42
monitor_only = true
[estimator.upload]
min_rate_mbps = 1.5
base_rate_mbps = 9.5
max_rate_mbps = 10.5
[actuator]
backend = "cake"
[actuator.upload]
interface = "r-wan2"
EOF
  cat >"$out/steering.toml" <<EOF
[site]
name = "site"
primary = "wan1"
alternate = "wan2"
[steering]
activation_s = $ACTIVATION_S
recovery_s = $RECOVERY_S
history_file = "$out/steering-history.json"
[action]
kind = "linux"
[action.linux]
dscp = 4
families = "ipv4"
table = 200
priority = 100
[logging]
level = "debug"
EOF
}

set_primary_delay() {
  local delay_ms=$1
  tc -n isp qdisc change dev i-cpe root netem delay "${delay_ms}ms" rate 40000kbit limit 1500
  tc -n isp qdisc change dev i-core root netem delay "${delay_ms}ms" rate 10000kbit limit 1500
}

# The whole output first: with pipefail, grep -q quitting early would make
# ip fail with SIGPIPE and the pipeline false.
rule_present() {
  local rules
  rules=$(ip -n router rule show) || return 1
  [[ $rules == *"tos 0x10 lookup 200"* ]]
}

rx_bytes() { ip -n router -s -j link show "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["bytes"])'; }

add_second_wan
write_configs
log "second WAN ready"

ip netns exec router "$top/scripts/wanctl-supervise" --run-dir "$out/run" start \
  "$out/wan1.toml" "$out/wan2.toml" "$out/steering.toml" >"$out/supervise.log" 2>&1 &
supervisor=$!
ip netns exec net iperf3 -s -B 198.19.2.1 -1 >"$out/iperf3-server.log" 2>&1 &
iperf_server=$!
# The steering status every 100 ms, for the figures of the run.
(
  for _ in $(seq 1 100); do
    [[ -e /dev/shm/wanctl.site.steering ]] && break
    sleep 0.1
  done
  exec "$build/common/tap/wanctl-tap" site steering --follow --format csv >"$out/steering.csv" 2>"$out/steering-tap.log"
) &
recorder=$!
sleep 5

ip netns exec client ping -Q 0x10 -i 0.2 -D -w $((END_AT_S - 5)) 198.19.1.1 >"$out/ping-marked.txt" 2>&1 &
ping_pid=$!
ip netns exec client iperf3 -c 198.19.2.1 -R -t $((END_AT_S - 10)) -J >"$out/iperf3-bulk.json" 2>&1 &
iperf_client=$!
log "marked ping (TOS 0x10) and unmarked bulk download started"

wan1_rx_before=$(rx_bytes r-wan)
wan2_rx_before=$(rx_bytes r-wan2)
moved_at= returned_at= restored_at= jumped_at=
while :; do
  now=$(elapsed)
  if [[ -z $jumped_at ]] && (( $(echo "$now >= $JUMP_AT_S" | bc) )); then
    set_primary_delay $((BASE_DELAY_MS + JUMP_MS))
    jumped_at=$(date +%s.%N)
    log "primary delay $BASE_DELAY_MS -> $((BASE_DELAY_MS + JUMP_MS)) ms each way"
  fi
  if [[ -n $jumped_at && -z $restored_at ]] && (( $(echo "$now >= $JUMP_AT_S + $JUMP_FOR_S" | bc) )); then
    set_primary_delay $BASE_DELAY_MS
    restored_at=$(date +%s.%N)
    log "primary delay back to $BASE_DELAY_MS ms"
  fi
  if [[ -z $moved_at ]] && rule_present; then
    moved_at=$(date +%s.%N)
    log "steering rule present"
  fi
  if [[ -n $moved_at && -z $returned_at ]] && ! rule_present; then
    returned_at=$(date +%s.%N)
    log "steering rule removed"
  fi
  if [[ -n $returned_at ]] || (( $(echo "$now >= $END_AT_S" | bc) )); then
    break
  fi
  sleep 0.25
done
wan1_rx=$(( $(rx_bytes r-wan) - wan1_rx_before ))
wan2_rx=$(( $(rx_bytes r-wan2) - wan2_rx_before ))

"$build/common/tap/wanctl-tap" site steering --format json >"$out/steering-status.json" 2>&1
ip netns exec router "$top/scripts/wanctl-supervise" --run-dir "$out/run" status >"$out/supervise-status.txt" 2>&1
tc -n router -s filter show dev r-wan2 egress >"$out/nat-egress.txt" 2>&1
ip netns exec router "$top/scripts/wanctl-supervise" --run-dir "$out/run" stop >>"$out/supervise.log" 2>&1
kill "$ping_pid" "$iperf_client" "$iperf_server" 2>/dev/null
kill -INT "$recorder" 2>/dev/null
wait "$supervisor" "$ping_pid" "$iperf_client" "$iperf_server" "$recorder" 2>/dev/null

# Verdicts. The transition's reason gives how long wan1 had been RED when
# steering decided ("wan1 RED for 4.0 s (...)"); the device write follows in
# the same cycle.
red_for=$(python3 - "$out/steering-history.json" <<'EOF'
import json, re, sys
try:
    history = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(0)
for transition in history["transitions"]:
    match = re.search(r"wan1 RED for ([0-9.]+) s", transition["reason"])
    if transition["steered"] and match:
        print(match.group(1))
        break
EOF
)
if [[ -z $jumped_at ]]; then
  fail "the run ended before the delay jump"
elif [[ -z $moved_at ]]; then
  fail "marked traffic never moved to wan2"
else
  log "$(printf 'moved %.1f s after the jump' "$(echo "$moved_at - $jumped_at" | bc)")"
  if [[ -z $red_for ]]; then
    fail "no transition 'wan1 RED for ... s' in the steering history"
  else
    log "steering moved the marked flow after wan1 had been RED for $red_for s (activation $ACTIVATION_S s)"
    (( $(echo "$red_for <= $ACTIVATION_S + 0.5" | bc) )) || fail "moved later than activation + 0.5 s after RED"
  fi
fi
if [[ -z $returned_at || -z $restored_at ]]; then
  fail "marked traffic did not return to wan1 after the delay was restored"
else
  back_after=$(echo "$returned_at - $restored_at" | bc)
  log "$(printf 'returned %.1f s after the delay was restored (recovery %d s)' "$back_after" $RECOVERY_S)"
  (( $(echo "$back_after >= $RECOVERY_S" | bc) )) || fail "returned before the recovery time"
  (( $(echo "$back_after <= $RECOVERY_S + 15" | bc) )) || fail "returned more than 15 s after the recovery time"
fi

log "bytes received during the run: r-wan (wan1) $wan1_rx, r-wan2 (wan2) $wan2_rx"
(( wan1_rx > 20 * wan2_rx )) || fail "the bulk download did not stay on wan1 (r-wan2 received more than 5% of r-wan)"
nat_packets=$(grep -m1 -o "Sent [0-9]* bytes [0-9]* pkt" "$out/nat-egress.txt" | awk '{print $4}')
log "marked packets that left through r-wan2 (NAT egress hits): ${nat_packets:-unknown}"

python3 - "$out/ping-marked.txt" "$jumped_at" "${moved_at:-0}" "${restored_at:-0}" "${returned_at:-0}" <<'EOF' | tee -a "$out/scenario.log"
import re, statistics, sys
path, jumped, moved, restored, returned = sys.argv[1], *map(float, sys.argv[2:])
phases = {"before the jump": [], "jump, before the move": [], "steered": [], "after the return": []}
for line in open(path):
    match = re.match(r"\[(\d+\.\d+)\].*time=([\d.]+) ms", line)
    if not match:
        continue
    at, rtt = float(match.group(1)), float(match.group(2))
    if at < jumped:
        phases["before the jump"].append(rtt)
    elif moved and at < moved:
        phases["jump, before the move"].append(rtt)
    elif returned and at < returned or not returned and moved:
        phases["steered"].append(rtt)
    else:
        phases["after the return"].append(rtt)
for name, values in phases.items():
    if values:
        print(f"marked ping RTT {name}: median {statistics.median(values):.1f} ms over {len(values)} replies")
EOF

log "$failures failed checks"
exit $((failures > 0))
