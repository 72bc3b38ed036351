"""Run the 30 s static-CAKE scenario in the testbed and check that it measures what it claims.

Phase 1 is idle plus the load's start, phase 2 steady load with CAKE below
capacity, phase 3 a capacity drop below CAKE's rate, which leaves the
bottleneck's buffer as the only queue.

When the host is too busy to run the emulator in real time (the report flags
it), stalls inflate every latency figure, so the checks of idle RTT and of
shaped latency cannot be decided. They are skipped, and the test exits 77
(skipped) if everything else passed, so a busy host never yields a pass.
"""

import sys
import unittest

import harness

BASE_RTT_MS = 20.0
BASE_ONE_WAY_MS = 10.0
IDLE_TOLERANCE_MS = 2.0
SHAPED_P95_LIMIT_MS = 10.0
BLOAT_P95_MIN_MS = 100.0
MIN_SHARE_OF_SHAPER = 0.5

RUN = {}


def require_punctual_emulator(test):
    timing = RUN["report"]["result"]["emulator"]
    if timing["late"]:
        test.skipTest(f"the emulator ran late (sampler woke {timing['wake_late_ms']['p95']} ms late at p95, "
                      f"limit {timing['limit_ms']} ms): the host was too busy for latency checks")


def phase(number):
    return RUN["report"]["result"]["phases"][number - 1]


def qdisc_rates_mbps(role, direction, start_s, end_s):
    """Rates the sampler read from the kernel for one qdisc over a time range."""
    series = harness.load_series(RUN["results"])
    return {round(qdisc["rate_bps"] / 1e6, 3) for sample in series.qdisc_samples
            if start_s <= sample["t_s"] < end_s for qdisc in sample["qdiscs"]
            if qdisc["role"] == role and qdisc["direction"] == direction and "rate_bps" in qdisc}


class ShortStaticRun(unittest.TestCase):
    def test_run_finishes_ok(self):
        self.assertEqual(RUN["process"].returncode, 0)
        self.assertEqual(RUN["report"]["status"], "ok", RUN["report"]["failures"])

    def test_kernel_powers_off(self):
        self.assertEqual(RUN["report"]["kernel"]["ending"], "powered off")

    def test_outputs_written(self):
        for name in ("summary.txt", "report.json", "plot.png", "probe.json", "shaper.jsonl", "load-1.json",
                     "events.jsonl", "latency.csv", "throughput.csv", "qdiscs.csv"):
            with self.subTest(file=name):
                self.assertGreater((RUN["results"] / name).stat().st_size, 0)

    def test_idle_rtt_near_base_delay(self):
        require_punctual_emulator(self)
        idle_rtt_ms = RUN["report"]["result"]["idle"]["rtt_ms"]
        self.assertLessEqual(abs(idle_rtt_ms - BASE_RTT_MS), IDLE_TOLERANCE_MS)

    def test_idle_one_way_delays(self):
        require_punctual_emulator(self)
        idle = RUN["report"]["result"]["idle"]
        self.assertLessEqual(abs(idle["download_delay_ms"] - BASE_ONE_WAY_MS), IDLE_TOLERANCE_MS)
        self.assertLessEqual(abs(idle["upload_delay_ms"] - BASE_ONE_WAY_MS), IDLE_TOLERANCE_MS)

    def test_probe_rate_at_least_10_hz(self):
        samples = RUN["report"]["result"]["probe"]["samples"]
        self.assertGreaterEqual(samples, 10 * RUN["report"]["scenario"]["duration_s"] * 0.9)

    def test_static_cake_keeps_p95_near_idle(self):
        require_punctual_emulator(self)
        steady = phase(2)
        self.assertEqual(steady["measured_under"], "load")
        self.assertLessEqual(steady["rtt_increase_ms"]["p95"], SHAPED_P95_LIMIT_MS)

    def test_bottleneck_bloats_below_shaper_rate(self):
        dropped = phase(3)
        self.assertEqual(dropped["measured_under"], "load")
        self.assertGreater(dropped["rtt_increase_ms"]["p95"], BLOAT_P95_MIN_MS)

    def test_no_recovery_while_capacity_below_shaper(self):
        recoveries = RUN["report"]["result"]["recoveries"]
        self.assertEqual(len(recoveries), 1)
        self.assertIsNone(recoveries[0]["recovery_s"])

    def test_sampled_rates_follow_schedule(self):
        self.assertEqual(qdisc_rates_mbps("bottleneck", "download", 9, 19), {40.0})
        self.assertEqual(qdisc_rates_mbps("bottleneck", "download", 21, 29), {15.0})
        self.assertEqual(qdisc_rates_mbps("bottleneck", "upload", 21, 29), {4.0})
        self.assertEqual(qdisc_rates_mbps("shaper", "download", 0, 30), {36.0})
        self.assertEqual(qdisc_rates_mbps("shaper", "upload", 0, 30), {9.0})

    def test_throughput_within_shaped_rate(self):
        # Upload also carries download's ACKs, and a busy host slows both
        # directions, so the load only has to fill half the shaped rate.
        for direction, shaper_mbps in (("download", 36.0), ("upload", 9.0)):
            with self.subTest(direction=direction):
                mbps = phase(2)["throughput"][direction]["mbps"]
                self.assertLessEqual(mbps, shaper_mbps)
                self.assertGreaterEqual(mbps, MIN_SHARE_OF_SHAPER * shaper_mbps)

    def test_summary_ends_with_metric_lines(self):
        text = (RUN["results"] / "summary.txt").read_text(encoding="utf-8")
        metric_lines = text.split("Metrics (one per line, for comparing runs):\n", 1)[1].splitlines()
        self.assertIn("idle_rtt_ms", [line.split()[0] for line in metric_lines])
        self.assertIn("phase2.rtt_p95_increase_ms", [line.split()[0] for line in metric_lines])
        for line in metric_lines:
            self.assertEqual(len(line.split()), 2, line)


def main():
    process, results = harness.run_scenario(harness.SCENARIOS / "short-static.toml", "short-static")
    RUN.update(process=process, results=results)
    if not (results / "report.json").exists():
        print(f"FAIL: no report.json in {results}")
        return 1
    RUN["report"] = harness.load_report(results)
    outcome = unittest.main(argv=[sys.argv[0], "-v"], exit=False).result
    if not outcome.wasSuccessful():
        harness.report_failure(results)
        return 1
    harness.remove_results(results)
    if outcome.skipped:
        print(f"SKIP: {outcome.skipped[0][1]}")
        return harness.SKIP_STATUS
    return 0


if __name__ == "__main__":
    sys.exit(main())
