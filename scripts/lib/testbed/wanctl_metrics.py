"""Figures of a run with the wanctl controller: how long a decision took from
the probe reply that caused it to the shaper's confirmation, how often the
device was written, and which stages were killed and came back.

They come from the files the wanctl controller writes beside its log: the
telemetry block recorded by wanctl-tap (telemetry.csv), kills.log and the
supervisor's log.
"""

import csv


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * (len(ordered) - 1) + 0.5))]


def read_telemetry(path):
    """Returns the apply latencies (ms) of distinct decisions and the count of
    device writes, summed over actuator restarts (each restart counts from 0)."""
    latencies_ms = []
    writes = 0
    last_decision = None
    last_writes = None
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                decision = int(row["last_applied_decision_id"])
                latency_ns = int(row["last_apply_latency_ns"])
                device_writes = int(row["device_writes"])
            except (KeyError, ValueError):
                continue
            if decision != last_decision and decision > 0 and latency_ns > 0:
                latencies_ms.append(latency_ns / 1e6)
            last_decision = decision
            if last_writes is not None and device_writes >= last_writes:
                writes += device_writes - last_writes
            elif last_writes is not None:
                writes += device_writes
            last_writes = device_writes
    return latencies_ms, writes


def read_kills(path):
    kills = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) == 3:
                kills.append({"at_s": int(parts[0]) / 1000.0, "stage": parts[1], "pid": parts[2]})
    return kills


def read_restarts(path):
    """Returns the supervisor's lines that report a stage died and restarts."""
    if not path.exists():
        return []
    return [line for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if " died: " in line]


def collect(directory, duration_s):
    controller = directory / "controller"
    telemetry = controller / "telemetry.csv"
    if not telemetry.exists():
        return None
    latencies_ms, writes = read_telemetry(telemetry)
    result = {
        "applied_decisions": len(latencies_ms),
        "apply_latency_p50_ms": round(percentile(latencies_ms, 0.50), 3) if latencies_ms else None,
        "apply_latency_p99_ms": round(percentile(latencies_ms, 0.99), 3) if latencies_ms else None,
        "device_writes": writes,
        "device_writes_per_hour": round(writes * 3600.0 / duration_s) if duration_s else None,
        "kills": read_kills(controller / "kills.log"),
        "restarts": read_restarts(controller / "supervise.log"),
    }
    return result


def metrics(result):
    if result is None:
        return []
    return [
        ("wanctl_sample_to_shaper_p50_ms", result["apply_latency_p50_ms"]),
        ("wanctl_sample_to_shaper_p99_ms", result["apply_latency_p99_ms"]),
        ("wanctl_device_writes_per_hour", result["device_writes_per_hour"]),
        ("wanctl_stage_kills", len(result["kills"])),
        ("wanctl_stage_restarts", len(result["restarts"])),
    ]
