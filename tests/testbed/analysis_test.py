"""Report arithmetic on synthetic series: percentiles, idle RTT, throughput share, recovery time."""

import sys
import unittest
from pathlib import Path

import harness  # noqa: F401  (puts scripts/lib on the import path)
from testbed import analysis
from testbed.series import LoadRun, ProbeSample, RunSeries

PROBE_PERIOD_S = 0.05


def scenario():
    return {
        "name": "synthetic", "description": "", "duration_s": 30,
        "link": {"download_delay_ms": 10, "upload_delay_ms": 10, "buffer_packets": 100},
        "capacity": {
            "download": [{"start_s": 0, "end_s": 10, "mbps": 40}, {"start_s": 10, "end_s": 30, "mbps": 15}],
            "upload": [{"start_s": 0, "end_s": 30, "mbps": 10}],
        },
        "load": [{"direction": "download", "start_s": 5, "duration_s": 20, "streams": 1}],
        "reflector_faults": [],
        "controller": {"kind": "none"},
    }


def probes(rtt_at):
    """Probes every 50 ms for 30 s; rtt_at(t) gives the RTT in ms, or None for a lost probe."""
    samples = []
    for number in range(int(30 / PROBE_PERIOD_S)):
        t_s = number * PROBE_PERIOD_S
        rtt_ms = rtt_at(t_s)
        samples.append(ProbeSample(t_s, rtt_ms, None if rtt_ms is None else rtt_ms / 2,
                                   None if rtt_ms is None else rtt_ms / 2))
    return samples


def run(rtt_at, capacity_applied_s=10.2):
    load = LoadRun(index=1, direction="download", start_s=5.0, end_s=25.0,
                   intervals={"download": [(5.0 + second, 6.0 + second, 30.0 if second < 5 else 12.0)
                                           for second in range(20)]},
                   measured_at={"download": "receiver"})
    events = [{"event": "capacity", "planned_s": 10, "t_s": capacity_applied_s}]
    series = RunSeries(Path("."), scenario(), {}, {}, {}, 0.0, events, probes(rtt_at), [load], [], [])
    return analysis.analyse(series)


def bloat_until(recovered_s):
    def rtt_at(t_s):
        if 5 <= t_s < 10.2 or 25 <= t_s < 27:
            return 24.0
        if 10.2 <= t_s < recovered_s:
            return 400.0
        return 20.0 if t_s < 5 or t_s >= 27 else 26.0
    return rtt_at


class Percentiles(unittest.TestCase):
    def test_linear_interpolation(self):
        self.assertEqual(analysis.percentile([1, 2, 3, 4], 50), 2.5)
        self.assertAlmostEqual(analysis.percentile(list(range(101)), 95), 95.0)
        self.assertIsNone(analysis.percentile([], 50))


class IdleRtt(unittest.TestCase):
    def test_excludes_load_and_drain(self):
        # 24 ms during the 2 s after the load ends must not count as idle.
        result = run(bloat_until(13.0))
        self.assertEqual(result["idle"]["rtt_ms"], 20.0)
        self.assertEqual(result["idle"]["samples"], int(5 / PROBE_PERIOD_S) + int(3 / PROBE_PERIOD_S))

    def test_phase_increase_over_idle(self):
        phase = run(bloat_until(13.0))["phases"][0]
        self.assertEqual(phase["measured_under"], "load")
        self.assertEqual(phase["rtt_ms"]["p50"], 24.0)
        self.assertEqual(phase["rtt_increase_ms"]["p50"], 4.0)


class Throughput(unittest.TestCase):
    def test_share_of_capacity(self):
        phases = run(bloat_until(13.0))["phases"]
        self.assertEqual(phases[0]["throughput"]["download"]["mbps"], 30.0)
        self.assertEqual(phases[0]["throughput"]["download"]["share"], 0.75)
        self.assertEqual(phases[0]["throughput"]["download"]["seconds"], 5)
        self.assertIsNone(phases[0]["throughput"]["upload"]["mbps"])

    def test_only_fully_loaded_seconds(self):
        later = run(bloat_until(13.0))["phases"][1]["throughput"]["download"]
        self.assertEqual(later["seconds"], 15)
        self.assertEqual(later["mbps"], 12.0)


class Recovery(unittest.TestCase):
    def test_time_from_applied_drop(self):
        recoveries = run(bloat_until(13.0))["recoveries"]
        self.assertEqual(len(recoveries), 1)
        self.assertEqual(recoveries[0]["directions"], ["download"])
        self.assertAlmostEqual(recoveries[0]["recovery_s"], 13.0 - 10.2, delta=PROBE_PERIOD_S)

    def test_immediate_when_never_bloated(self):
        recovery = run(bloat_until(10.2))["recoveries"][0]
        self.assertAlmostEqual(recovery["recovery_s"], 0.0, delta=PROBE_PERIOD_S)

    def test_not_recovered_with_periodic_loss(self):
        def lossy(t_s):
            return None if t_s >= 10.2 and round(t_s / PROBE_PERIOD_S) % 10 == 0 else 20.0
        recovery = run(lossy)["recoveries"][0]
        self.assertIsNone(recovery["recovery_s"])

    def test_drop_never_applied_is_skipped(self):
        def rtt_at(_):
            return 20.0
        load = LoadRun(index=1, direction="download", start_s=5.0, end_s=8.0)
        series = RunSeries(Path("."), scenario(), {}, {}, {}, 0.0, [], probes(rtt_at), [load], [], [])
        self.assertEqual(analysis.analyse(series)["recoveries"], [])


class Metrics(unittest.TestCase):
    def test_one_pair_per_metric(self):
        pairs = analysis.metrics(run(bloat_until(13.0)))
        names = [name for name, _ in pairs]
        self.assertEqual(len(names), len(set(names)))
        self.assertEqual(names[0], "idle_rtt_ms")
        self.assertAlmostEqual(dict(pairs)["drop1.recovery_s"], 13.0 - 10.2, delta=PROBE_PERIOD_S)

    def test_not_recovered_is_named(self):
        def lossy(t_s):
            return None if t_s >= 10.2 and round(t_s / PROBE_PERIOD_S) % 10 == 0 else 20.0
        self.assertEqual(dict(analysis.metrics(run(lossy)))["drop1.recovery_s"], "not_recovered")


if __name__ == "__main__":
    sys.exit(0 if unittest.main(argv=[sys.argv[0], "-v"], exit=False).result.wasSuccessful() else 1)
