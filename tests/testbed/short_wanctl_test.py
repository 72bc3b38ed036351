"""Run the 40 s headline scenario with wanctl in the testbed.

The capacity drops from 40/10 to 15/4 Mbit/s at 20 s under a bidirectional
load. wanctl must bring CAKE below the new capacity quickly and keep latency
near idle afterwards. Latency and timing checks need a punctual emulator and
are skipped (exit 77) on a host too busy for it.
"""

import sys
import unittest

import wanctl_run

DROP_S = 20.0
DROP_DOWNLOAD_MBPS = 15.0
DROP_UPLOAD_MBPS = 4.0
# The shaper must be below the new capacity this soon after the drop.
CUT_WITHIN_S = 2.0
# Always checked, even on a busy host.
CUT_WITHIN_BUSY_S = 6.0
LOW_PHASE_P95_LIMIT_MS = 40.0
MAX_DOWNLOAD_MBPS = 42.0
MAX_UPLOAD_MBPS = 10.5


class ShortWanctlRun(unittest.TestCase):
    RUN = None

    def test_run_finishes_ok(self):
        self.assertEqual(self.RUN.process.returncode, 0)
        self.assertEqual(self.RUN.report["status"], "ok", self.RUN.report["failures"])

    def test_shaper_cut_below_capacity_after_drop(self):
        for direction, capacity in (("download", DROP_DOWNLOAD_MBPS), ("upload", DROP_UPLOAD_MBPS)):
            with self.subTest(direction=direction):
                rates = self.RUN.shaper_rates_mbps(direction, DROP_S, 40)
                below_at = wanctl_run.first_time_below(rates, capacity)
                self.assertIsNotNone(below_at, f"{direction} CAKE never went below {capacity} Mbit/s")
                self.assertLessEqual(below_at - DROP_S, CUT_WITHIN_BUSY_S)

    def test_shaper_cut_within_two_seconds(self):
        self.RUN.require_punctual(self)
        for direction, capacity in (("download", DROP_DOWNLOAD_MBPS), ("upload", DROP_UPLOAD_MBPS)):
            with self.subTest(direction=direction):
                below_at = wanctl_run.first_time_below(self.RUN.shaper_rates_mbps(direction, DROP_S, 40), capacity)
                self.assertIsNotNone(below_at)
                self.assertLessEqual(below_at - DROP_S, CUT_WITHIN_S)

    def test_shaper_stays_within_configured_rates(self):
        for direction, maximum in (("download", MAX_DOWNLOAD_MBPS), ("upload", MAX_UPLOAD_MBPS)):
            with self.subTest(direction=direction):
                rates = [rate for _, rate in self.RUN.shaper_rates_mbps(direction, 0, 40)]
                self.assertTrue(rates)
                self.assertGreater(min(rates), 0.0)
                self.assertLessEqual(max(rates), maximum + 0.01)

    def test_low_capacity_latency_near_idle(self):
        self.RUN.require_punctual(self)
        settled = self.RUN.report["result"]["phases"][2]
        self.assertEqual(settled["measured_under"], "load")
        self.assertLessEqual(settled["rtt_increase_ms"]["p95"], LOW_PHASE_P95_LIMIT_MS)

    def test_decisions_applied_with_latency_reported(self):
        wanctl = self.RUN.report["wanctl"]
        self.assertGreater(wanctl["applied_decisions"], 0)
        self.assertIsNotNone(wanctl["apply_latency_p50_ms"])
        self.assertIsNotNone(wanctl["apply_latency_p99_ms"])
        self.assertGreater(wanctl["device_writes"], 0)
        self.assertEqual(wanctl["kills"], [])
        self.assertEqual(wanctl["restarts"], [])


if __name__ == "__main__":
    sys.exit(wanctl_run.run_tests("short-wanctl.toml", "short-wanctl", ShortWanctlRun))
