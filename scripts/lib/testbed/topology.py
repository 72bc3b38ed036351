"""Network namespaces of the testbed, their addresses and their qdiscs.

    client ── c-lan ═ r-lan ── router ── r-wan ═ i-cpe ── isp ── i-core ═ n-core ── net

The router shapes download with CAKE on r-lan's egress and upload with CAKE on
r-wan's egress. The isp namespace is the bloated bottleneck: netem (delay,
rate, deep packet limit) on i-cpe's egress for download and on i-core's egress
for upload. The net namespace contains the reflectors, the latency-probe server
and the iperf3 server on addresses of its own loopback device.

All addresses are in 198.18.0.0/15, the range RFC 2544 reserves for
benchmarking, and they exist only inside this user-mode Linux kernel: it has no
network device to the host, so no packet can leave it.
"""

import os
import subprocess

NAMESPACES = ("client", "router", "isp", "net")

# Interface names. A controller shapes the router's two.
CLIENT_IF = "c-lan"
ROUTER_LAN_IF = "r-lan"
ROUTER_WAN_IF = "r-wan"
ISP_CPE_IF = "i-cpe"
ISP_CORE_IF = "i-core"
NET_IF = "n-core"

CLIENT_ADDR = "198.18.1.2"
ROUTER_LAN_ADDR = "198.18.1.1"
ROUTER_WAN_ADDR = "198.18.2.2"
ISP_CPE_ADDR = "198.18.2.1"
ISP_CORE_ADDR = "198.18.3.1"
NET_ADDR = "198.18.3.2"
PROBE_TARGET_ADDR = "198.19.1.1"
IPERF_SERVER_ADDR = "198.19.2.1"
PROBE_PORT = 2112
IPERF_FIRST_PORT = 5201

# Interface whose egress qdisc shapes (router) or bottlenecks (isp) each direction.
SHAPER_IF = {"download": ("router", ROUTER_LAN_IF), "upload": ("router", ROUTER_WAN_IF)}
BOTTLENECK_IF = {"download": ("isp", ISP_CPE_IF), "upload": ("isp", ISP_CORE_IF)}

# Preference of the first reflector-fault filter on n-core's ingress.
FAULT_FILTER_FIRST_PREF = 100


def reflector_addrs(count):
    return [f"198.19.0.{index}" for index in range(1, count + 1)]


def run(argv, stdin=None):
    """Run a command to completion; raise RuntimeError with its output on failure."""
    result = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=30, check=False)
    if result.returncode != 0:
        command_line = " ".join(argv)
        raise RuntimeError(f"'{command_line}' failed with status {result.returncode}: "
                           f"{(result.stderr or result.stdout).strip()}")
    return result.stdout


def batch(tool, namespace, commands):
    """Run several ip or tc commands in one process: each process start costs ~90 ms in UML."""
    argv = [tool] + (["-n", namespace] if namespace else []) + ["-batch", "-"]
    run(argv, stdin="".join(line + "\n" for line in commands))


def rate_kbit(mbps):
    return f"{round(mbps * 1000)}kbit"


def netem_args(delay_ms, mbps, buffer_packets):
    return f"netem delay {delay_ms}ms rate {rate_kbit(mbps)} limit {buffer_packets}"


def cake_args(mbps):
    return f"cake bandwidth {rate_kbit(mbps)}"


def build(link, capacity_mbps, shaper_mbps, reflector_count):
    """Create the four namespaces, the links, the routes and the qdiscs.

    link: delays and buffer; capacity_mbps and shaper_mbps: {"download", "upload"}
    rates at the start, shaper_mbps None for no CAKE on the router.
    """
    for namespace in NAMESPACES:
        run(["ip", "netns", "add", namespace])

    batch("ip", None, [
        f"link add {CLIENT_IF} netns client type veth peer name {ROUTER_LAN_IF} netns router",
        f"link add {ROUTER_WAN_IF} netns router type veth peer name {ISP_CPE_IF} netns isp",
        f"link add {ISP_CORE_IF} netns isp type veth peer name {NET_IF} netns net",
    ])
    batch("ip", "client", [
        f"addr add {CLIENT_ADDR}/24 dev {CLIENT_IF}",
        "link set lo up", f"link set {CLIENT_IF} up",
        f"route add default via {ROUTER_LAN_ADDR}",
    ])
    batch("ip", "router", [
        f"addr add {ROUTER_LAN_ADDR}/24 dev {ROUTER_LAN_IF}",
        f"addr add {ROUTER_WAN_ADDR}/24 dev {ROUTER_WAN_IF}",
        "link set lo up", f"link set {ROUTER_LAN_IF} up", f"link set {ROUTER_WAN_IF} up",
        f"route add default via {ISP_CPE_ADDR}",
    ])
    batch("ip", "isp", [
        f"addr add {ISP_CPE_ADDR}/24 dev {ISP_CPE_IF}",
        f"addr add {ISP_CORE_ADDR}/24 dev {ISP_CORE_IF}",
        "link set lo up", f"link set {ISP_CPE_IF} up", f"link set {ISP_CORE_IF} up",
        f"route add 198.18.1.0/24 via {ROUTER_WAN_ADDR}",
        f"route add default via {NET_ADDR}",
    ])
    net_addrs = reflector_addrs(reflector_count) + [PROBE_TARGET_ADDR, IPERF_SERVER_ADDR]
    batch("ip", "net", [f"addr add {addr}/32 dev lo" for addr in net_addrs] + [
        f"addr add {NET_ADDR}/24 dev {NET_IF}",
        "link set lo up", f"link set {NET_IF} up",
        f"route add default via {ISP_CORE_ADDR}",
    ])
    for namespace in ("router", "isp"):
        run(["ip", "netns", "exec", namespace, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])

    disable_offloads()
    add_qdiscs(link, capacity_mbps, shaper_mbps)


def disable_offloads():
    """Make every veth carry wire-sized packets.

    With TSO/GSO a 64 KB segment would count as one packet in netem's packet
    limit and leave it as one burst, so the bottleneck buffer would be far
    deeper than configured and its delay steps coarse.
    """
    pairs = [("client", CLIENT_IF), ("router", ROUTER_LAN_IF), ("router", ROUTER_WAN_IF),
             ("isp", ISP_CPE_IF), ("isp", ISP_CORE_IF), ("net", NET_IF)]
    for namespace, interface in pairs:
        # GRO where traffic ends (after both bottlenecks) saves CPU.
        gro = "on" if namespace in ("client", "net") else "off"
        run(["ip", "netns", "exec", namespace, "ethtool", "-K", interface,
             "tso", "off", "gso", "off", "gro", gro])


def add_qdiscs(link, capacity_mbps, shaper_mbps):
    buffer_packets = link["buffer_packets"]
    batch("tc", "isp", [
        f"qdisc add dev {ISP_CPE_IF} root "
        + netem_args(link["download_delay_ms"], capacity_mbps["download"], buffer_packets),
        f"qdisc add dev {ISP_CORE_IF} root "
        + netem_args(link["upload_delay_ms"], capacity_mbps["upload"], buffer_packets),
    ])
    # The ingress qdisc carries the filters that silence a reflector during a fault.
    # fq paces TCP at the ends, as servers and hosts commonly do, so that the
    # senders do not burst at veth speed into the bottleneck.
    batch("tc", "net", [f"qdisc add dev {NET_IF} ingress", f"qdisc add dev {NET_IF} root fq"])
    batch("tc", "client", [f"qdisc add dev {CLIENT_IF} root fq"])
    if shaper_mbps is not None:
        batch("tc", "router", [
            f"qdisc add dev {ROUTER_LAN_IF} root " + cake_args(shaper_mbps["download"]),
            f"qdisc add dev {ROUTER_WAN_IF} root " + cake_args(shaper_mbps["upload"]),
        ])


def set_capacity(link, capacity_mbps):
    """Change both bottleneck rates at once; netem's change replaces all its options."""
    buffer_packets = link["buffer_packets"]
    batch("tc", "isp", [
        f"qdisc change dev {ISP_CPE_IF} root "
        + netem_args(link["download_delay_ms"], capacity_mbps["download"], buffer_packets),
        f"qdisc change dev {ISP_CORE_IF} root "
        + netem_args(link["upload_delay_ms"], capacity_mbps["upload"], buffer_packets),
    ])


def silence_reflector(index, addr):
    """Drop every packet to reflector `index` (1-based) as it enters the net namespace."""
    pref = FAULT_FILTER_FIRST_PREF + index
    batch("tc", "net", [f"filter add dev {NET_IF} ingress pref {pref} protocol ip "
                        f"flower dst_ip {addr} action drop"])


def restore_reflector(index):
    """Remove the fault filter of reflector `index` and return its statistics as tc prints them."""
    pref = FAULT_FILTER_FIRST_PREF + index
    stats = run(["tc", "-n", "net", "-s", "filter", "show", "dev", NET_IF, "ingress", "pref", str(pref)])
    batch("tc", "net", [f"filter del dev {NET_IF} ingress pref {pref}"])
    return stats


def environment(reflector_count, shaper_mbps):
    """Return the TESTBED_* variables that describe the testbed to a command run inside it."""
    variables = {
        "TESTBED_NS_CLIENT": "client",
        "TESTBED_NS_ROUTER": "router",
        "TESTBED_NS_ISP": "isp",
        "TESTBED_NS_NET": "net",
        "TESTBED_ROUTER_LAN_IF": ROUTER_LAN_IF,
        "TESTBED_ROUTER_WAN_IF": ROUTER_WAN_IF,
        "TESTBED_CLIENT_ADDR": CLIENT_ADDR,
        "TESTBED_ROUTER_LAN_ADDR": ROUTER_LAN_ADDR,
        "TESTBED_ROUTER_WAN_ADDR": ROUTER_WAN_ADDR,
        "TESTBED_ISP_ADDR": ISP_CPE_ADDR,
        "TESTBED_REFLECTORS": " ".join(reflector_addrs(reflector_count)),
        "TESTBED_PROBE_TARGET": PROBE_TARGET_ADDR,
        "TESTBED_IPERF_SERVER": IPERF_SERVER_ADDR,
    }
    if shaper_mbps is not None:
        variables["TESTBED_DOWNLOAD_MBPS"] = format_mbps(shaper_mbps["download"])
        variables["TESTBED_UPLOAD_MBPS"] = format_mbps(shaper_mbps["upload"])
    return variables


def format_mbps(mbps):
    return f"{mbps:g}"


def child_environment(extra):
    """Return this process's environment plus extra, for starting a command."""
    variables = dict(os.environ)
    variables.update(extra)
    return variables
