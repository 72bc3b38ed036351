"""Kill the estimator, the actuator and the prober with SIGKILL, one after
another, while wanctl controls a loaded link in the testbed.

The supervisor must bring each back, the shaper must never fall back to a
stale or default rate, and no decision may be applied twice. Latency checks
need a punctual emulator and are skipped (exit 77) on a busy host.
"""

import sys
import unittest

import wanctl_run

KILLED = ["estimator", "actuator", "prober"]
BASE_MBPS = {"download": 38.0, "upload": 9.5}
# A restarted actuator must take over the rate the shaper has. In the 5 s
# after its kill the estimator may raise the rate as usual while latency is
# low, but a reset to the base rate would cross the midpoint between the rate
# before the kill and the base rate.
AFTER_KILL_S = 5.0
# RTT p95 above idle in each phase with a kill: before the drop (estimator),
# the settled low capacity from 28 s (actuator) and the last phase (prober).
KILL_PHASE_P95_LIMIT_MS = 60.0
KILL_PHASES = {"estimator": 0, "actuator": 2, "prober": 3}


class RestartUnderLoadRun(unittest.TestCase):
    RUN = None

    def test_run_finishes_ok(self):
        self.assertEqual(self.RUN.process.returncode, 0)
        self.assertEqual(self.RUN.report["status"], "ok", self.RUN.report["failures"])

    def test_every_stage_killed_and_restarted(self):
        wanctl = self.RUN.report["wanctl"]
        self.assertEqual([kill["stage"] for kill in wanctl["kills"]], KILLED)
        for kill in wanctl["kills"]:
            self.assertNotEqual(kill["pid"], "not-running")
        self.assertEqual(len(wanctl["restarts"]), len(KILLED))
        for stage, line in zip(KILLED, wanctl["restarts"]):
            self.assertIn(f"{stage}[testbed] died: killed by SIGKILL", line)

    def test_report_lists_restarts(self):
        text = (self.RUN.results / "summary.txt").read_text(encoding="utf-8")
        for stage in KILLED:
            self.assertIn(f"killed {stage} (pid", text)
        self.assertIn("wanctl_stage_restarts 3", text)

    def test_shaper_not_reset_by_restarts(self):
        kill_s = next(kill["at_s"] for kill in self.RUN.report["wanctl"]["kills"] if kill["stage"] == "actuator")
        for direction in ("download", "upload"):
            with self.subTest(direction=direction):
                before = self.RUN.shaper_rates_mbps(direction, kill_s - 1.0, kill_s)
                after = self.RUN.shaper_rates_mbps(direction, kill_s, kill_s + AFTER_KILL_S)
                self.assertTrue(before)
                self.assertTrue(after)
                rate_before = before[-1][1]
                self.assertLess(rate_before, BASE_MBPS[direction], "the estimator never cut after the drop")
                midpoint = (rate_before + BASE_MBPS[direction]) / 2
                self.assertLess(max(rate for _, rate in after), midpoint)
                self.assertGreater(min(rate for _, rate in after), 0.0)

    def test_no_decision_applied_twice(self):
        applied = [int(row["last_applied_decision_id"]) for row in self.RUN.telemetry_rows()]
        applied = [decision for decision in applied if decision > 0]
        self.assertTrue(applied)
        for earlier, later in zip(applied, applied[1:]):
            self.assertLessEqual(earlier, later, "a restarted actuator applied an older decision again")

    def test_latency_controlled_through_restarts(self):
        self.RUN.require_punctual(self)
        phases = self.RUN.report["result"]["phases"]
        self.assertEqual(phases[KILL_PHASES["actuator"]]["measured_under"], "load")
        for stage, index in KILL_PHASES.items():
            with self.subTest(stage=stage):
                self.assertLessEqual(phases[index]["rtt_increase_ms"]["p95"], KILL_PHASE_P95_LIMIT_MS)

if __name__ == "__main__":
    sys.exit(wanctl_run.run_tests("restart-under-load.toml", "restart-under-load", RestartUnderLoadRun))
