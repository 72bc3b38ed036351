#!/bin/bash
# Init process (PID 1) of the user-mode Linux kernel that hosts the testbed.
#
# The kernel mounts the host's root file system read-only, so this script
# mounts tmpfs where the testbed writes. It loads the qdisc and veth modules,
# mounts the host's results directory writable and runs the runner. It always
# ends with `poweroff -f`, because PID 1 exiting would panic the kernel.
#
# Parameters arrive as environment variables from the kernel command line:
#   TESTBED_MODE      run | exec
#   TESTBED_HOST_DIR  host directory that receives the results
#   TESTBED_LIMIT_S   seconds the runner may take before it is killed

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8

# Keep the parameters out of the environment of what the testbed runs.
mode=$TESTBED_MODE host_dir=$TESTBED_HOST_DIR limit_s=${TESTBED_LIMIT_S:-600}
unset TESTBED_MODE TESTBED_HOST_DIR TESTBED_LIMIT_S

lib_dir=$(cd "$(dirname "$0")/.." && pwd)
results=/mnt/results
# Module paths with their parameters: dummy and ifb create no device until a
# controller asks for one.
modules=(
  net/sched/sch_cake.ko net/sched/sch_netem.ko net/sched/sch_fq.ko net/sched/sch_fq_codel.ko net/sched/sch_ingress.ko
  net/sched/cls_flower.ko net/sched/cls_matchall.ko net/sched/act_gact.ko net/sched/act_mirred.ko
  drivers/net/veth.ko "drivers/net/ifb.ko numifbs=0" "drivers/net/dummy.ko numdummies=0"
)

power_off() {
  sync
  poweroff -f
}

# Record why the testbed cannot run here, where the host looks for it.
unavailable() {
  echo "testbed: unavailable: $*"
  [[ -d $results ]] && echo "$*" >"$results/unavailable"
  power_off
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /run && mkdir -p /run/netns
mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm

# /tmp shows the host's /tmp (a source tree or build directory may live
# there) with every write going to a tmpfs, so the host's /tmp stays as it is.
mkdir -p /run/tmp/upper /run/tmp/work
if ! insmod "/usr/lib/uml/modules/$(uname -r)/kernel/fs/overlayfs/overlay.ko" \
  || ! mount -t overlay overlay -o lowerdir=/tmp,upperdir=/run/tmp/upper,workdir=/run/tmp/work /tmp; then
  echo "testbed: /tmp is an empty tmpfs: overlaying the host's /tmp failed"
  mount -t tmpfs tmpfs /tmp
fi
[[ -e /dev/fd ]] || ln -s /proc/self/fd /dev/fd

if ! mount -t tmpfs tmpfs /mnt || ! mkdir -p "$results" \
  || ! mount -t hostfs none "$results" -o "$host_dir"; then
  unavailable "cannot mount the results directory $host_dir"
fi
uname -r >"$results/booted"

module_dir=/usr/lib/uml/modules/$(uname -r)/kernel
for module in "${modules[@]}"; do
  read -r path parameters <<<"$module"
  # shellcheck disable=SC2086 # the parameters are separate words
  if ! insmod "$module_dir/$path" $parameters 2>"$results/insmod.err"; then
    unavailable "cannot load kernel module $module_dir/$path: $(cat "$results/insmod.err")"
  fi
done
rm -f "$results/insmod.err"

# Test traffic must stay inside this kernel. Only a device backed by hardware
# (for user-mode Linux, a host interface) has a device link, and none may exist.
for device in /sys/class/net/*; do
  [[ -e $device/device ]] && unavailable "the kernel has a network device to the host (${device##*/}); refusing to run"
done

cd /tmp || unavailable "cannot enter /tmp"
PYTHONPATH=$lib_dir timeout --kill-after=5 "$limit_s" \
  /usr/bin/python3 -m testbed.runner "$mode" "$results" >"$results/runner.log" 2>&1
echo $? >"$results/runner-exit"

echo "testbed: powering off"
power_off
