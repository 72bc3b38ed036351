"""Load the raw results of a run into time series on one clock.

Every time is in seconds from the run's start (t0, when the probe and the
sampler started), taken from the wall clock inside user-mode Linux, which all
namespaces share. A file that is missing or cut short (a run that failed
midway) yields what it contains, and a note naming what is missing.
"""

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

NS_PER_MS = 1e6
NS_PER_S = 1e9


@dataclass
class ProbeSample:
    """One latency probe: send time, and delays in ms (None when the packet was lost)."""
    t_s: float
    rtt_ms: float | None
    upload_ms: float | None
    download_ms: float | None


@dataclass
class LoadRun:
    """One iperf3 load: when it ran and its receiver-side throughput per interval."""
    index: int
    direction: str
    start_s: float
    end_s: float
    # direction -> list of (start_s, end_s, mbps), on the run clock.
    intervals: dict = field(default_factory=dict)
    # direction -> "receiver" or "sender": where the numbers were measured.
    measured_at: dict = field(default_factory=dict)
    error: str | None = None


@dataclass
class RunSeries:
    directory: Path
    scenario: dict
    status: dict
    kernel: dict
    host: dict
    t0_wall_s: float | None
    events: list
    probes: list
    loads: list
    qdisc_samples: list
    notes: list
    # Mean and maximum lateness of the probe's send timer, from irtt's statistics.
    probe_timer_error_ms: dict | None = None


def read_json(path, notes, description):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        notes.append(f"{description} missing ({path.name})")
    except ValueError as error:
        notes.append(f"{description} unreadable ({path.name}: {error})")
    return None


def read_json_lines(path, notes, description):
    records = []
    try:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                try:
                    records.append(json.loads(line))
                except ValueError:
                    notes.append(f"{description}: skipped a cut-off line in {path.name}")
    except FileNotFoundError:
        notes.append(f"{description} missing ({path.name})")
    return records


def load_run(directory):
    directory = Path(directory)
    notes = []
    scenario = read_json(directory / "scenario.json", notes, "scenario")
    if scenario is None:
        raise FileNotFoundError(f"{directory}/scenario.json not found: {directory} is not a testbed run directory")
    status = read_json(directory / "runner-status.json", notes, "runner status") or {}
    kernel = read_json(directory / "kernel.json", notes, "kernel status") or {}
    host = read_json(directory / "host-meta.json", notes, "host description") or {}
    t0_wall_s = status.get("t0_wall_s")

    events = read_json_lines(directory / "events.jsonl", notes, "event log")
    probes, loads, samples, probe_timer_error_ms = [], [], [], None
    if t0_wall_s is None:
        notes.append("the run never started measuring")
    else:
        for event in events:
            event["t_s"] = event["t"] - t0_wall_s
        probes, probe_timer_error_ms = load_probes(directory / "probe.json", t0_wall_s, notes)
        loads = load_loads(directory, scenario, events, t0_wall_s, notes)
        samples = load_qdisc_samples(directory / "shaper.jsonl", t0_wall_s, notes)
    return RunSeries(directory, scenario, status, kernel, host, t0_wall_s, events, probes, loads, samples, notes,
                     probe_timer_error_ms)


def load_probes(path, t0_wall_s, notes):
    document = read_json(path, notes, "latency probe results")
    if document is None:
        return [], None
    probes = []
    for trip in document.get("round_trips", []):
        sent_ns = trip["timestamps"]["client"]["send"]["wall"]
        delay = trip.get("delay", {})
        lost = trip.get("lost", "false") != "false"
        probes.append(ProbeSample(
            t_s=sent_ns / NS_PER_S - t0_wall_s,
            rtt_ms=None if lost or "rtt" not in delay else delay["rtt"] / NS_PER_MS,
            upload_ms=delay["send"] / NS_PER_MS if "send" in delay else None,
            download_ms=delay["receive"] / NS_PER_MS if "receive" in delay else None,
        ))
    timer_error = document.get("stats", {}).get("timer_error", {})
    timer_error_ms = None
    if timer_error.get("n"):
        timer_error_ms = {"mean": round(timer_error["mean"] / NS_PER_MS, 3),
                          "max": round(timer_error["max"] / NS_PER_MS, 3)}
    return probes, timer_error_ms


def load_loads(directory, scenario, events, t0_wall_s, notes):
    starts = {event["index"]: event for event in events if event["event"] == "load_start"}
    loads = []
    for index, planned in enumerate(scenario["load"], start=1):
        if index not in starts:
            continue
        spawn_s = starts[index]["t_s"]
        document = read_json(directory / f"load-{index}.json", notes, f"load {index} results")
        load = LoadRun(index=index, direction=planned["direction"], start_s=spawn_s,
                       end_s=spawn_s + planned["duration_s"])
        if document:
            fill_intervals(load, document, spawn_s, t0_wall_s)
            load.error = document.get("error")
        loads.append(load)
    return loads


def fill_intervals(load, document, spawn_s, t0_wall_s):
    """Collect receiver-side throughput per direction from iperf3's JSON.

    The client receives download; the server (its JSON arrives through
    --get-server-output) receives upload. A run interrupted before the end
    has no server output, so upload falls back to the client's sending rate.
    """
    # iperf3 stamps its start in whole seconds only; the data cannot start
    # before the process did, nor before that second.
    # NOTE: intervals may sit up to a few hundred ms late against the probe
    # series, by the time iperf3 needs to start and connect.
    connected_s = document.get("start", {}).get("timestamp", {}).get("timesecs", 0) - t0_wall_s
    data_start_s = max(spawn_s, connected_s)

    client = collect(document.get("intervals", []), data_start_s)
    server_document = document.get("server_output_json") or {}
    server = collect(server_document.get("intervals", []), data_start_s)

    if client.get("receiver"):
        load.intervals["download"] = client["receiver"]
        load.measured_at["download"] = "receiver"
    if server.get("receiver"):
        load.intervals["upload"] = server["receiver"]
        load.measured_at["upload"] = "receiver"
    elif client.get("sender") and load.direction in ("upload", "bidirectional"):
        load.intervals["upload"] = client["sender"]
        load.measured_at["upload"] = "sender"

    load.start_s = data_start_s
    interval_ends_s = [interval[1] for series in load.intervals.values() for interval in series]
    if interval_ends_s:
        load.end_s = max(interval_ends_s)
    elif document.get("error"):
        load.end_s = data_start_s


def collect(intervals, data_start_s):
    """Return {"receiver": [...], "sender": [...]} of (start_s, end_s, mbps) from one side's intervals."""
    result = {}
    for interval in intervals:
        for key in ("sum", "sum_bidir_reverse"):
            total = interval.get(key)
            if not total or total.get("omitted"):
                continue
            side = "sender" if total.get("sender") else "receiver"
            mbps = total["bits_per_second"] / 1e6
            if not math.isfinite(mbps):
                continue
            result.setdefault(side, []).append(
                (data_start_s + total["start"], data_start_s + total["end"], mbps))
    return result


def load_qdisc_samples(path, t0_wall_s, notes):
    samples = read_json_lines(path, notes, "qdisc samples")
    for sample in samples:
        sample["t_s"] = sample["t"] - t0_wall_s
    return samples
