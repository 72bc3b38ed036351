"""Write a run's series as CSV files on the run clock (seconds since t0).

latency.csv     one row per probe: RTT and one-way delays in ms, empty when lost
throughput.csv  one row per second: receiver-side Mbit/s per direction, empty
                while no load runs in that direction
qdiscs.csv      one row per qdisc per 100 ms sample: rates, queue and drops
"""

import csv

from testbed.analysis import THROUGHPUT_BIN_S
from testbed.scenario import DIRECTIONS

QDISC_COLUMNS = ("t_s", "role", "direction", "namespace", "dev", "kind", "rate_mbps", "qlen", "backlog_bytes",
                 "drops", "bytes", "packets", "peak_delay_us", "avg_delay_us", "wake_late_ms")


def blank_if_none(value, digits=3):
    return "" if value is None else round(value, digits)


def write_all(directory, series, bins):
    """Write the three files; bins is analysis.throughput_bins() of the same series."""
    with open(directory / "latency.csv", "w", newline="", encoding="utf-8") as output:
        writer = csv.writer(output)
        writer.writerow(("t_s", "rtt_ms", "upload_delay_ms", "download_delay_ms"))
        for probe in series.probes:
            writer.writerow((round(probe.t_s, 4), blank_if_none(probe.rtt_ms), blank_if_none(probe.upload_ms),
                             blank_if_none(probe.download_ms)))

    with open(directory / "throughput.csv", "w", newline="", encoding="utf-8") as output:
        writer = csv.writer(output)
        writer.writerow(("t_s",) + tuple(f"{direction}_mbps" for direction in DIRECTIONS))
        count = int(series.scenario["duration_s"] // THROUGHPUT_BIN_S)
        for number in range(count):
            bin_start = number * THROUGHPUT_BIN_S
            writer.writerow((bin_start,) + tuple(blank_if_none(bins[direction].get(bin_start))
                                                 for direction in DIRECTIONS))

    with open(directory / "qdiscs.csv", "w", newline="", encoding="utf-8") as output:
        writer = csv.writer(output)
        writer.writerow(QDISC_COLUMNS)
        for sample in series.qdisc_samples:
            for qdisc in sample["qdiscs"]:
                rate_bps = qdisc.get("rate_bps")
                row = dict(qdisc, t_s=round(sample["t_s"], 4), wake_late_ms=sample.get("wake_late_ms"),
                           rate_mbps=None if rate_bps is None else rate_bps / 1e6)
                writer.writerow(tuple("" if row.get(column) is None else row[column] for column in QDISC_COLUMNS))
