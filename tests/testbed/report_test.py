"""A run cut short by the host's timeout still gets a report that states what failed.

The run directory is built by hand the way a killed kernel leaves it: the
runner still "running", a partial probe file, no load results.
"""

import json
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import harness

T0_WALL_S = 1_800_000_000.0
PROBE_PERIOD_NS = 50_000_000
PROBES_MEASURED = 100


def scenario():
    return {
        "source": "synthetic", "name": "killed-run", "description": "", "duration_s": 30,
        "link": {"download_delay_ms": 10, "upload_delay_ms": 10, "buffer_packets": 1500},
        "probe": {"interval_ms": 50}, "reflector_count": 4,
        "capacity": {"download": [{"start_s": 0, "end_s": 30, "mbps": 40}],
                     "upload": [{"start_s": 0, "end_s": 30, "mbps": 10}]},
        "load": [{"direction": "download", "start_s": 2, "duration_s": 20, "streams": 1}],
        "reflector_faults": [],
        "controller": {"kind": "static", "download_mbps": 38, "upload_mbps": 9.5},
    }


def probe_document():
    trips = []
    for number in range(PROBES_MEASURED):
        sent_ns = int(T0_WALL_S * 1e9) + number * PROBE_PERIOD_NS
        trips.append({"seqno": number, "lost": "false",
                      "timestamps": {"client": {"send": {"wall": sent_ns}}},
                      "delay": {"rtt": 21_000_000, "send": 10_500_000, "receive": 10_500_000}})
    return {"round_trips": trips, "stats": {}}


def write_run(directory):
    files = {
        "scenario.json": scenario(),
        "runner-status.json": {"mode": "run", "state": "running", "failures": [], "t0_wall_s": T0_WALL_S},
        "kernel.json": {"exit_status": 124, "timed_out": True, "limit_s": 180, "ending": "killed after 180 s"},
        "host-meta.json": {"commit": "none", "nproc": 2, "kernel": "test", "loadavg_1min_start": 0.1},
        "probe.json": probe_document(),
    }
    for name, document in files.items():
        (directory / name).write_text(json.dumps(document), encoding="utf-8")
    start = {"t": T0_WALL_S + 2.0, "event": "load_start", "index": 1}
    (directory / "events.jsonl").write_text(json.dumps(start) + "\n" + '{"t": 18000', encoding="utf-8")


class KilledRunReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.directory = Path(tempfile.mkdtemp(prefix="wanctl-testbed-report-", dir="/tmp"))
        write_run(cls.directory)
        cls.result = subprocess.run([str(harness.TESTBED), "report", str(cls.directory)], capture_output=True,
                                    text=True, timeout=60, check=False)
        cls.report = json.loads((cls.directory / "report.json").read_text(encoding="utf-8"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.directory, ignore_errors=True)

    def test_exit_status_failed(self):
        self.assertEqual(self.result.returncode, 1)

    def test_status_failed(self):
        self.assertEqual(self.report["status"], "failed")

    def test_names_runner_and_kernel(self):
        failures = " ".join(self.report["failures"])
        self.assertIn("the runner did not finish", failures)
        self.assertIn("killed after 180 s", failures)

    def test_names_missing_results(self):
        notes = " ".join(self.report["notes"])
        self.assertIn("load 1 results missing", notes)
        self.assertIn("qdisc samples missing", notes)
        self.assertIn("cut-off line", notes)

    def test_keeps_measured_probes(self):
        self.assertEqual(self.report["result"]["probe"]["samples"], PROBES_MEASURED)
        self.assertEqual(self.report["result"]["idle"]["rtt_ms"], 21.0)

    def test_summary_and_plot_written(self):
        summary = (self.directory / "summary.txt").read_text(encoding="utf-8")
        self.assertIn("Status: failed", summary)
        self.assertIn("killed after 180 s", summary)
        self.assertGreater((self.directory / "plot.png").stat().st_size, 0)


if __name__ == "__main__":
    sys.exit(0 if unittest.main(argv=[sys.argv[0], "-v"], exit=False).result.wasSuccessful() else 1)
