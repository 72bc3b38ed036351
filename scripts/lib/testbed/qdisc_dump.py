"""Read root qdisc statistics of a network namespace over rtnetlink.

Starting `tc -s qdisc show` costs about 90 ms inside user-mode Linux, too much
for a 100 ms sampling period, so this module keeps one NETLINK_ROUTE socket per
namespace open and parses the RTM_NEWQDISC dump itself: the kind, TCA_STATS2
(bytes, packets, drops, backlog), CAKE's base rate and per-tin delays, and
netem's rate and delay. Constants are those of linux/rtnetlink.h,
linux/pkt_sched.h and linux/gen_stats.h.
"""

import ctypes
import os
import socket
import struct

CLONE_NEWNET = 0x40000000

NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
RTM_NEWQDISC = 36
RTM_GETQDISC = 38
TC_H_ROOT = 0xFFFFFFFF

TCA_KIND = 1
TCA_OPTIONS = 2
TCA_STATS2 = 7
TCA_STATS_BASIC = 1
TCA_STATS_QUEUE = 3
TCA_STATS_APP = 4

TCA_CAKE_BASE_RATE64 = 2
TCA_CAKE_STATS_CAPACITY_ESTIMATE64 = 2
TCA_CAKE_STATS_TIN_STATS = 10
TCA_CAKE_TIN_STATS_DROPPED_PACKETS = 4
TCA_CAKE_TIN_STATS_BACKLOG_BYTES = 11
TCA_CAKE_TIN_STATS_PEAK_DELAY_US = 18
TCA_CAKE_TIN_STATS_AVG_DELAY_US = 19
TCA_CAKE_TIN_STATS_BASE_DELAY_US = 20

TCA_NETEM_RATE = 6
TCA_NETEM_RATE64 = 8
TCA_NETEM_LATENCY64 = 10

NLMSGHDR = struct.Struct("=IHHII")
TCMSG = struct.Struct("=BxxxiIII")
RTATTR = struct.Struct("=HH")
NETEM_QOPT = struct.Struct("=IIIIII")
NLA_TYPE_MASK = 0x3FFF


def open_socket_in(namespace):
    """Open a NETLINK_ROUTE socket inside the named namespace and return to the current one.

    A socket stays in the namespace where it was created, so one process can
    sample several namespaces.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    original = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns into network namespace {namespace} failed")
        try:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
            interfaces = dict(socket.if_nameindex())
        finally:
            if libc.setns(original, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back to the original network namespace failed")
    finally:
        os.close(target)
        os.close(original)
    sock.bind((0, 0))
    sock.settimeout(2.0)
    return sock, interfaces


def attributes(data):
    """Yield (type, payload) for each rtattr in data."""
    offset = 0
    while offset + RTATTR.size <= len(data):
        length, kind = RTATTR.unpack_from(data, offset)
        if length < RTATTR.size:
            break
        yield kind & NLA_TYPE_MASK, data[offset + RTATTR.size:offset + length]
        offset += (length + 3) & ~3


def unsigned(payload):
    """Decode a u32 or u64 attribute by its length."""
    return int.from_bytes(payload[:8] if len(payload) >= 8 else payload[:4], "little")


class QdiscReader:
    """Dumps the root qdiscs of one namespace; about 1 ms per dump in user-mode Linux."""

    def __init__(self, namespace):
        self.namespace = namespace
        self.sock, self.interfaces = open_socket_in(namespace)
        self.sequence = 0

    def close(self):
        self.sock.close()

    def dump(self):
        """Return one dict per root qdisc of the namespace."""
        self.sequence += 1
        request = TCMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0)
        header = NLMSGHDR.pack(NLMSGHDR.size + len(request), RTM_GETQDISC,
                               NLM_F_REQUEST | NLM_F_DUMP, self.sequence, 0)
        self.sock.send(header + request)

        qdiscs = []
        while True:
            data = self.sock.recv(1 << 16)
            offset = 0
            while offset + NLMSGHDR.size <= len(data):
                length, kind, _, sequence, _ = NLMSGHDR.unpack_from(data, offset)
                body = data[offset + NLMSGHDR.size:offset + length]
                offset += (length + 3) & ~3
                if sequence != self.sequence:
                    continue
                if kind == NLMSG_DONE:
                    return qdiscs
                if kind == NLMSG_ERROR:
                    error = -struct.unpack_from("=i", body)[0]
                    raise OSError(error, f"qdisc dump in namespace {self.namespace} failed")
                if kind == RTM_NEWQDISC:
                    qdisc = self.parse(body)
                    if qdisc is not None:
                        qdiscs.append(qdisc)

    def parse(self, body):
        _, ifindex, handle, parent, _ = TCMSG.unpack_from(body)
        if parent != TC_H_ROOT:
            return None
        qdisc = {"dev": self.interfaces.get(ifindex, str(ifindex)), "handle": f"{handle >> 16:x}:"}
        options = b""
        for kind, payload in attributes(body[TCMSG.size:]):
            if kind == TCA_KIND:
                qdisc["kind"] = payload.rstrip(b"\0").decode()
            elif kind == TCA_OPTIONS:
                options = payload
            elif kind == TCA_STATS2:
                qdisc.update(parse_stats(payload))
        if qdisc.get("kind") == "cake":
            qdisc.update(parse_cake_options(options))
        elif qdisc.get("kind") == "netem":
            qdisc.update(parse_netem_options(options))
        return qdisc


def parse_stats(payload):
    stats = {}
    for kind, data in attributes(payload):
        if kind == TCA_STATS_BASIC:
            stats["bytes"], stats["packets"] = struct.unpack_from("=QI", data)
        elif kind == TCA_STATS_QUEUE:
            stats["qlen"], stats["backlog_bytes"], stats["drops"], _, stats["overlimits"] = \
                struct.unpack_from("=IIIII", data)
        elif kind == TCA_STATS_APP:
            stats.update(parse_cake_xstats(data))
    return stats


def parse_cake_options(payload):
    for kind, data in attributes(payload):
        if kind == TCA_CAKE_BASE_RATE64:
            # CAKE keeps its rate in bytes per second; 0 means unlimited.
            return {"rate_bps": unsigned(data) * 8}
    return {}


def parse_cake_xstats(payload):
    """Parse CAKE's TCA_STATS_APP: capacity estimate and the worst delay over its tins."""
    stats = {}
    tins = []
    for kind, data in attributes(payload):
        if kind == TCA_CAKE_STATS_CAPACITY_ESTIMATE64:
            stats["capacity_estimate_bps"] = unsigned(data) * 8
        elif kind == TCA_CAKE_STATS_TIN_STATS:
            tins = [dict(attributes(tin)) for _, tin in attributes(data)]
    if tins:
        stats["peak_delay_us"] = max(unsigned(tin.get(TCA_CAKE_TIN_STATS_PEAK_DELAY_US, b"\0" * 4)) for tin in tins)
        stats["avg_delay_us"] = max(unsigned(tin.get(TCA_CAKE_TIN_STATS_AVG_DELAY_US, b"\0" * 4)) for tin in tins)
        stats["base_delay_us"] = max(unsigned(tin.get(TCA_CAKE_TIN_STATS_BASE_DELAY_US, b"\0" * 4)) for tin in tins)
    return stats


def parse_netem_options(payload):
    """Parse netem's tc_netem_qopt and the rate and latency attributes that follow it."""
    if len(payload) < NETEM_QOPT.size:
        return {}
    _, limit, _, _, _, _ = NETEM_QOPT.unpack_from(payload)
    result = {"limit_packets": limit}
    rate_bytes_per_s = None
    for kind, data in attributes(payload[(NETEM_QOPT.size + 3) & ~3:]):
        if kind == TCA_NETEM_RATE:
            rate_bytes_per_s = rate_bytes_per_s or struct.unpack_from("=I", data)[0]
        elif kind == TCA_NETEM_RATE64:
            rate_bytes_per_s = unsigned(data)
        elif kind == TCA_NETEM_LATENCY64:
            result["delay_us"] = struct.unpack_from("=q", data)[0] // 1000
    if rate_bytes_per_s is not None:
        result["rate_bps"] = rate_bytes_per_s * 8
    return result
