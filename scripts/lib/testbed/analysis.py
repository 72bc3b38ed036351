"""Turn the series of a run into per-phase results and comparable metrics.

A phase is an interval of the capacity schedule with constant capacity in
both directions. Per phase: idle RTT, RTT percentiles under load and their
increase over idle, one-way delays, probe loss, throughput per direction as a
share of capacity, and what the shapers and bottlenecks did. After each
capacity drop: the time until latency is back within 15 ms of idle.
"""

import math
import statistics

from testbed.scenario import DIRECTIONS, phases as scenario_phases

# Latency counts as recovered after a capacity drop once every probe stays
# within this margin over idle RTT for RECOVERY_HOLD_S.
RECOVERY_MARGIN_MS = 15.0
RECOVERY_HOLD_S = 1.0
# Samples this soon after a load ends still see its queue draining, so they
# are neither idle nor loaded.
IDLE_SETTLE_S = 2.0
# Fewer idle samples than this in a phase: use the run's idle RTT instead.
MIN_IDLE_SAMPLES = 10
PERCENTILES = (50, 95, 99)
THROUGHPUT_BIN_S = 1.0
# The emulator keeps time well enough for latency figures in milliseconds
# while the sampler thread wakes at most this late at the 95th percentile.
# NOTE: an estimate. On a 2-core host with a load average of 4 to 15, the p50
# was 0.5 to 1.6 ms and the p95 2 to 13 ms. No run on an idle host was made.
EMULATOR_LATE_LIMIT_MS = 2.0


def percentile(sorted_values, percent):
    """Linear interpolation between the closest ranks (numpy's default method)."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * percent / 100
    lower = math.floor(position)
    upper = math.ceil(position)
    fraction = position - lower
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * fraction


def spread(values):
    """Return {"p50": ..., "p95": ..., "p99": ...} of values, or None when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    return {f"p{percent}": round(percentile(ordered, percent), 2) for percent in PERCENTILES}


class LoadTimeline:
    """When loads ran, per direction they load."""

    def __init__(self, loads):
        self.windows = []
        for load in loads:
            directions = DIRECTIONS if load.direction == "bidirectional" else (load.direction,)
            self.windows.append((load.start_s, load.end_s, directions))

    def loaded(self, t_s, direction=None):
        return any(start <= t_s < end and (direction is None or direction in directions)
                   for start, end, directions in self.windows)

    def idle(self, t_s):
        return not any(start <= t_s < end + IDLE_SETTLE_S for start, end, _ in self.windows)

    def loaded_seconds(self, start_s, end_s):
        covered = 0.0
        for start, end, _ in self.windows:
            covered += max(0.0, min(end, end_s) - max(start, start_s))
        return covered


def analyse(series):
    scenario = series.scenario
    timeline = LoadTimeline(series.loads)
    probes = series.probes

    idle_samples = [probe for probe in probes if timeline.idle(probe.t_s) and probe.rtt_ms is not None]
    idle = {
        "rtt_ms": median([probe.rtt_ms for probe in idle_samples]),
        "upload_delay_ms": median([probe.upload_ms for probe in idle_samples if probe.upload_ms is not None]),
        "download_delay_ms": median([probe.download_ms for probe in idle_samples
                                     if probe.download_ms is not None]),
        "samples": len(idle_samples),
        "base_rtt_ms": scenario["link"]["download_delay_ms"] + scenario["link"]["upload_delay_ms"],
    }

    bins = throughput_bins(series, timeline)
    applied_s = {event["planned_s"]: event["t_s"] for event in series.events
                 if event["event"] == "capacity" and "planned_s" in event}
    phases = []
    for index, phase in enumerate(scenario_phases(scenario), start=1):
        phases.append(analyse_phase(index, phase, probes, timeline, idle, bins, series.qdisc_samples))

    recoveries = []
    for index in range(1, len(phases)):
        before, after = phases[index - 1], phases[index]
        dropped = [direction for direction in DIRECTIONS
                   if after["capacity_mbps"][direction] < before["capacity_mbps"][direction]]
        if not dropped:
            continue
        # The change took effect when tc returned; a run that stopped earlier
        # never applied it, so there is nothing to recover from.
        if after["start_s"] not in applied_s:
            continue
        recoveries.append(recovery_after(applied_s[after["start_s"]], after, dropped, probes, idle["rtt_ms"]))

    return {
        "idle": idle,
        "phases": phases,
        "recoveries": recoveries,
        "totals": totals(series.qdisc_samples),
        "probe": {"samples": len(probes), "lost": sum(1 for probe in probes if probe.rtt_ms is None)},
        "emulator": emulator_timing(series),
    }


def emulator_timing(series):
    """Judge how well user-mode Linux kept time, from how late the sampler woke up.

    A host too busy to run the emulator in real time stalls every process in
    it, and the stalls show up as latency that no network queue caused.
    """
    late_ms = [sample["wake_late_ms"] for sample in series.qdisc_samples if "wake_late_ms" in sample]
    timing = {"wake_late_ms": spread(late_ms), "limit_ms": EMULATOR_LATE_LIMIT_MS,
              "probe_timer_error_ms": series.probe_timer_error_ms}
    timing["late"] = bool(late_ms) and timing["wake_late_ms"]["p95"] > EMULATOR_LATE_LIMIT_MS
    return timing


def median(values):
    return round(statistics.median(values), 2) if values else None


def analyse_phase(index, phase, probes, timeline, idle, bins, samples):
    start_s, end_s = phase["start_s"], phase["end_s"]
    in_phase = [probe for probe in probes if start_s <= probe.t_s < end_s]
    loaded = [probe for probe in in_phase if timeline.loaded(probe.t_s)]
    measured = loaded if loaded else in_phase
    received = [probe for probe in measured if probe.rtt_ms is not None]

    phase_idle = [probe.rtt_ms for probe in in_phase if timeline.idle(probe.t_s) and probe.rtt_ms is not None]
    if len(phase_idle) >= MIN_IDLE_SAMPLES:
        idle_rtt_ms, idle_source = median(phase_idle), "phase"
    else:
        idle_rtt_ms, idle_source = idle["rtt_ms"], "run"

    rtt = spread([probe.rtt_ms for probe in received])
    increase = None
    if rtt is not None and idle_rtt_ms is not None:
        increase = {key: round(value - idle_rtt_ms, 2) for key, value in rtt.items()}

    return {
        "index": index,
        "start_s": start_s,
        "end_s": end_s,
        "capacity_mbps": {"download": phase["download_mbps"], "upload": phase["upload_mbps"]},
        "loaded_s": round(timeline.loaded_seconds(start_s, end_s), 2),
        "measured_under": "load" if loaded else "idle",
        "idle_rtt_ms": idle_rtt_ms,
        "idle_source": idle_source,
        "samples": len(measured),
        "lost": len(measured) - len(received),
        "loss_percent": round(100 * (len(measured) - len(received)) / len(measured), 2) if measured else None,
        "rtt_ms": rtt,
        "rtt_increase_ms": increase,
        "upload_delay_ms": spread([probe.upload_ms for probe in received if probe.upload_ms is not None]),
        "download_delay_ms": spread([probe.download_ms for probe in received if probe.download_ms is not None]),
        "throughput": {direction: phase_throughput(bins[direction], start_s, end_s,
                                                   phase[f"{direction}_mbps"])
                       for direction in DIRECTIONS},
        "qdiscs": phase_qdiscs(samples, start_s, end_s),
    }


def throughput_bins(series, timeline):
    """Return per direction {bin start: Mbit/s} over bins fully covered by a load in that direction."""
    duration_s = series.scenario["duration_s"]
    count = math.ceil(duration_s / THROUGHPUT_BIN_S)
    bits = {direction: [0.0] * count for direction in DIRECTIONS}
    for load in series.loads:
        for direction, intervals in load.intervals.items():
            for start, end, mbps in intervals:
                spread_bits(bits[direction], start, end, mbps * 1e6)
    result = {}
    for direction in DIRECTIONS:
        result[direction] = {}
        for number in range(count):
            bin_start = number * THROUGHPUT_BIN_S
            bin_end = bin_start + THROUGHPUT_BIN_S
            if fully_loaded(timeline, direction, bin_start, bin_end):
                result[direction][bin_start] = bits[direction][number] / THROUGHPUT_BIN_S / 1e6
    return result


def spread_bits(bins, start_s, end_s, bits_per_s):
    """Add an interval's bits to the bins it overlaps, in proportion to the overlap."""
    for number in range(max(0, math.floor(start_s / THROUGHPUT_BIN_S)),
                        min(len(bins), math.ceil(end_s / THROUGHPUT_BIN_S))):
        bin_start = number * THROUGHPUT_BIN_S
        overlap = min(end_s, bin_start + THROUGHPUT_BIN_S) - max(start_s, bin_start)
        if overlap > 0:
            bins[number] += bits_per_s * overlap


def fully_loaded(timeline, direction, start_s, end_s):
    return any(start <= start_s and end_s <= end and direction in directions
               for start, end, directions in timeline.windows)


def phase_throughput(bins, start_s, end_s, capacity_mbps):
    values = [mbps for bin_start, mbps in bins.items()
              if start_s <= bin_start and bin_start + THROUGHPUT_BIN_S <= end_s]
    if not values:
        return {"mbps": None, "share": None, "seconds": 0}
    mean = statistics.fmean(values)
    return {"mbps": round(mean, 2), "share": round(mean / capacity_mbps, 3), "seconds": len(values)}


def phase_qdiscs(samples, start_s, end_s):
    """Summarise the shaper and bottleneck qdiscs per direction over one phase."""
    result = {}
    for role in ("shaper", "bottleneck"):
        for direction in DIRECTIONS:
            series = [(sample["t_s"], qdisc) for sample in samples for qdisc in sample["qdiscs"]
                      if qdisc["role"] == role and qdisc["direction"] == direction]
            inside = [qdisc for t_s, qdisc in series if start_s <= t_s < end_s]
            before = [qdisc for t_s, qdisc in series if t_s < start_s]
            if not inside:
                continue
            rates = [qdisc["rate_bps"] / 1e6 for qdisc in inside if qdisc.get("rate_bps")]
            first_drops = before[-1].get("drops", 0) if before else inside[0].get("drops", 0)
            result[f"{role}_{direction}"] = {
                "kind": inside[-1].get("kind"),
                "rate_mbps_mean": round(statistics.fmean(rates), 3) if rates else None,
                "rate_mbps_min": round(min(rates), 3) if rates else None,
                "rate_mbps_max": round(max(rates), 3) if rates else None,
                "drops": inside[-1].get("drops", 0) - first_drops,
                "backlog_packets_max": max(qdisc.get("qlen", 0) for qdisc in inside),
                "backlog_bytes_max": max(qdisc.get("backlog_bytes", 0) for qdisc in inside),
            }
    return result


def recovery_after(drop_s, phase, directions, probes, idle_rtt_ms):
    """Find how long after drop_s every probe stays within the margin for RECOVERY_HOLD_S."""
    result = {"at_s": round(drop_s, 2), "phase": phase["index"], "directions": directions,
              "margin_ms": RECOVERY_MARGIN_MS, "hold_s": RECOVERY_HOLD_S, "recovery_s": None}
    if idle_rtt_ms is None:
        result["reason"] = "no idle RTT to compare with"
        return result
    limit_ms = idle_rtt_ms + RECOVERY_MARGIN_MS
    window = [probe for probe in probes if drop_s <= probe.t_s < phase["end_s"]]
    for start, probe in enumerate(window):
        held_samples = [later for later in window[start:] if later.t_s < probe.t_s + RECOVERY_HOLD_S]
        if probe.t_s + RECOVERY_HOLD_S > phase["end_s"]:
            break
        if all(later.rtt_ms is not None and later.rtt_ms <= limit_ms for later in held_samples):
            result["recovery_s"] = round(probe.t_s - drop_s, 2)
            return result
    result["reason"] = f"latency did not stay within {RECOVERY_MARGIN_MS:g} ms of idle before the phase ended"
    return result


def totals(samples):
    """Return drops per qdisc over the whole run, from the first to the last sample."""
    first, last = {}, {}
    for sample in samples:
        for qdisc in sample["qdiscs"]:
            key = f"{qdisc['role']}_{qdisc['direction']}"
            first.setdefault(key, qdisc)
            last[key] = qdisc
    return {key: {"kind": last[key].get("kind"),
                  "drops": last[key].get("drops", 0) - first[key].get("drops", 0)}
            for key in sorted(last)}


def metrics(result):
    """Flatten the result into (name, value) pairs, one per metric, in a stable order."""
    pairs = [("idle_rtt_ms", result["idle"]["rtt_ms"])]
    for phase in result["phases"]:
        prefix = f"phase{phase['index']}"
        rtt = phase["rtt_ms"] or {}
        increase = phase["rtt_increase_ms"] or {}
        for percent in PERCENTILES:
            pairs.append((f"{prefix}.rtt_p{percent}_ms", rtt.get(f"p{percent}")))
        for percent in PERCENTILES:
            pairs.append((f"{prefix}.rtt_p{percent}_increase_ms", increase.get(f"p{percent}")))
        for direction in DIRECTIONS:
            pairs.append((f"{prefix}.{direction}_mbps", phase["throughput"][direction]["mbps"]))
            pairs.append((f"{prefix}.{direction}_share", phase["throughput"][direction]["share"]))
        pairs.append((f"{prefix}.probe_loss_percent", phase["loss_percent"]))
    for number, recovery in enumerate(result["recoveries"], start=1):
        value = recovery["recovery_s"] if recovery["recovery_s"] is not None else "not_recovered"
        pairs.append((f"drop{number}.recovery_s", value))
    for key, total in result["totals"].items():
        pairs.append((f"{key}.drops", total["drops"]))
    return pairs
