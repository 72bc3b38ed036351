"""Draw a run on one page: latency, rates per direction and queues over time.

Phases of the capacity schedule are dashed vertical lines, loads are grey
bands and reflector faults orange bands, so the cause of each change in
latency is visible next to it.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

from testbed.scenario import DIRECTIONS, phases as scenario_phases  # noqa: E402


def qdisc_series(samples, role, direction, value):
    times, values = [], []
    for sample in samples:
        for qdisc in sample["qdiscs"]:
            if qdisc["role"] == role and qdisc["direction"] == direction and value(qdisc) is not None:
                times.append(sample["t_s"])
                values.append(value(qdisc))
    return times, values


def rate_mbps(qdisc):
    rate = qdisc.get("rate_bps")
    return rate / 1e6 if rate else None


def draw(series, report, path):
    scenario = series.scenario
    duration_s = scenario["duration_s"]
    figure, axes = plt.subplots(4, 1, figsize=(12, 11), sharex=True,
                                gridspec_kw={"height_ratios": [3, 2, 2, 1.5]})
    title = f"{scenario['name']}: {report['status']}"
    figure.suptitle(title, fontsize=13)

    draw_latency(axes[0], series, report)
    for axis, direction in zip(axes[1:3], DIRECTIONS):
        draw_rates(axis, series, direction)
    draw_queues(axes[3], series)

    for axis in axes:
        mark_context(axis, series)
    for index, phase in enumerate(scenario_phases(scenario), start=1):
        axes[0].annotate(f"phase {index}: {phase['download_mbps']:g}/{phase['upload_mbps']:g} Mbit/s",
                         xy=(phase["start_s"], 1.0), xycoords=("data", "axes fraction"),
                         xytext=(3, 2), textcoords="offset points", va="bottom", fontsize=8)
    axes[-1].set_xlabel("time since start (s)")
    axes[-1].set_xlim(0, duration_s)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def draw_latency(axis, series, report):
    received = [probe for probe in series.probes if probe.rtt_ms is not None]
    lost = [probe.t_s for probe in series.probes if probe.rtt_ms is None]
    axis.plot([probe.t_s for probe in received], [probe.rtt_ms for probe in received],
              color="black", linewidth=0.8, label="RTT")
    axis.plot([probe.t_s for probe in received if probe.download_ms is not None],
              [probe.download_ms for probe in received if probe.download_ms is not None],
              color="tab:blue", linewidth=0.5, alpha=0.7, label="one-way down")
    axis.plot([probe.t_s for probe in received if probe.upload_ms is not None],
              [probe.upload_ms for probe in received if probe.upload_ms is not None],
              color="tab:red", linewidth=0.5, alpha=0.7, label="one-way up")
    idle_rtt_ms = report["result"]["idle"]["rtt_ms"]
    if idle_rtt_ms is not None:
        axis.axhline(idle_rtt_ms + 15, color="tab:green", linestyle=":", linewidth=1,
                     label="idle RTT + 15 ms")
    if lost:
        axis.plot(lost, [1.0] * len(lost), "|", color="tab:red", markersize=8,
                  transform=axis.get_xaxis_transform(), label="lost probe")
    axis.set_yscale("log")
    axis.set_ylabel("latency (ms, log)")
    axis.legend(loc="upper right", fontsize=8, ncol=5)
    axis.grid(True, which="both", alpha=0.3)


def draw_rates(axis, series, direction):
    times, capacity = qdisc_series(series.qdisc_samples, "bottleneck", direction, rate_mbps)
    axis.step(times, capacity, where="post", color="tab:gray", linewidth=2, label="capacity (netem)")
    times, shaper = qdisc_series(series.qdisc_samples, "shaper", direction,
                                 lambda qdisc: rate_mbps(qdisc) if qdisc.get("kind") == "cake" else None)
    if shaper:
        axis.step(times, shaper, where="post", color="tab:orange", linewidth=1.5, label="CAKE rate")
    for load in series.loads:
        intervals = load.intervals.get(direction, [])
        if intervals:
            axis.step([start for start, _, _ in intervals], [mbps for _, _, mbps in intervals], where="post",
                      color="tab:blue", linewidth=1,
                      label=f"throughput, load {load.index} ({load.measured_at.get(direction)})")
    axis.set_ylabel(f"{direction} (Mbit/s)")
    axis.set_ylim(bottom=0)
    axis.legend(loc="upper right", fontsize=8, ncol=3)
    axis.grid(True, alpha=0.3)


def draw_queues(axis, series):
    styles = {("bottleneck", "download"): ("tab:blue", "-"), ("bottleneck", "upload"): ("tab:red", "-"),
              ("shaper", "download"): ("tab:blue", ":"), ("shaper", "upload"): ("tab:red", ":")}
    for (role, direction), (color, line) in styles.items():
        times, backlog = qdisc_series(series.qdisc_samples, role, direction, lambda qdisc: qdisc.get("qlen"))
        if times and any(backlog):
            axis.plot(times, backlog, color=color, linestyle=line, linewidth=1, label=f"{role} {direction}")
    axis.set_ylabel("queue (packets)")
    axis.legend(loc="upper right", fontsize=8, ncol=4)
    axis.grid(True, alpha=0.3)


def mark_context(axis, series):
    for phase in scenario_phases(series.scenario)[1:]:
        axis.axvline(phase["start_s"], color="black", linestyle="--", linewidth=0.8, alpha=0.6)
    for load in series.loads:
        axis.axvspan(load.start_s, load.end_s, color="gray", alpha=0.08)
    for fault in series.scenario["reflector_faults"]:
        axis.axvspan(fault["start_s"], fault["end_s"], color="tab:orange", alpha=0.12)
