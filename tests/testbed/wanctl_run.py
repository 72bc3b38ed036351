"""Shared checks for testbed runs with the wanctl controller: the shaper
rates the sampler read from the kernel, and the telemetry wanctl recorded."""

import csv
import unittest

import harness


class WanctlRun:
    """One finished run: its report, sampled qdisc rates and telemetry rows."""

    def __init__(self, process, results):
        self.process = process
        self.results = results
        self.report = harness.load_report(results)
        self.series = harness.load_series(results)

    def shaper_rates_mbps(self, direction, start_s, end_s):
        """(time, rate) of the router's CAKE as the sampler read it."""
        return [(sample["t_s"], qdisc["rate_bps"] / 1e6) for sample in self.series.qdisc_samples
                if start_s <= sample["t_s"] < end_s for qdisc in sample["qdiscs"]
                if qdisc["role"] == "shaper" and qdisc["direction"] == direction and "rate_bps" in qdisc]

    def telemetry_rows(self):
        path = self.results / "controller" / "telemetry.csv"
        with open(path, newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    def punctual(self):
        return not self.report["result"]["emulator"]["late"]

    def require_punctual(self, test):
        timing = self.report["result"]["emulator"]
        if timing["late"]:
            test.skipTest(f"the emulator ran late (sampler woke {timing['wake_late_ms']['p95']} ms late at "
                          f"p95): the host was too busy for latency checks")


def first_time_below(rates, limit_mbps):
    for time_s, rate in rates:
        if rate <= limit_mbps:
            return time_s
    return None


def finish(run, outcome):
    """Exit status for meson: 0 passed, 1 failed, 77 when checks were skipped."""
    if not outcome.wasSuccessful():
        harness.report_failure(run.results)
        return 1
    harness.remove_results(run.results)
    if outcome.skipped:
        print(f"SKIP: {outcome.skipped[0][1]}")
        return harness.SKIP_STATUS
    return 0


def run_tests(scenario, name, case):
    process, results = harness.run_scenario(harness.SCENARIOS / scenario, name)
    if not (results / "report.json").exists():
        print(f"FAIL: no report.json in {results}")
        return 1
    case.RUN = WanctlRun(process, results)
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)
    outcome = unittest.TextTestRunner(verbosity=2).run(suite)
    return finish(case.RUN, outcome)
