"""Scenario validation: bad scenarios are rejected before anything boots, with file, key and value.

Each case edits the shipped short scenario in one place, so a failure points
to the one rule that no longer holds.
"""

import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import harness

BASE = (harness.SCENARIOS / "short-static.toml").read_text(encoding="utf-8")
INVALID_STATUS = 2

# name: (original text, replacement, texts the error must contain)
CASES = {
    "unknown key": ("buffer_packets = 1500", "buffer_packets = 1500\nbufer = 3",
                    ["unknown.toml:", "link.bufer", "= 3", "unknown key"]),
    "negative capacity": ("{ start_s = 8, end_s = 20, mbps = 40 }", "{ start_s = 8, end_s = 20, mbps = -40 }",
                          ["capacity.download[1].mbps", "= -40", "greater than 0"]),
    "negative shaper rate": ("upload_mbps = 9", "upload_mbps = -9.5",
                             ["controller.upload_mbps", "= -9.5", "greater than 0"]),
    "overlapping phases": ("{ start_s = 20, end_s = 30, mbps = 4 }", "{ start_s = 15, end_s = 30, mbps = 4 }",
                           ["capacity.upload[2].start_s", "= 15", "overlaps the previous phase"]),
    "gap between phases": ("{ start_s = 20, end_s = 30, mbps = 15 }", "{ start_s = 21, end_s = 30, mbps = 15 }",
                           ["capacity.download[2].start_s", "= 21", "gap"]),
    "schedule shorter than run": ("{ start_s = 20, end_s = 30, mbps = 15 }",
                                  "{ start_s = 20, end_s = 29, mbps = 15 }",
                                  ["capacity.download[2].end_s", "= 29", "must end at duration_s"]),
    "load past the end": ("duration_s = 26", "duration_s = 27",
                          ["load[0].duration_s", "= 27", "after the scenario's duration_s"]),
    "unknown load direction": ('direction = "bidirectional"', 'direction = "sideways"',
                               ["load[0].direction", '"sideways"', "must be one of"]),
    "wanctl kill time missing": ('kind = "static"', 'kind = "wanctl"\nkill = ["estimator"]',
                                 ["controller.kill", "estimator", "a stage (prober, estimator, actuator)"]),
    "wanctl config missing": ('kind = "static"', 'kind = "wanctl"\nconfig = "configs/absent.toml"',
                              ["controller.config", "absent.toml", "cannot be read"]),
    "kill without wanctl": ('kind = "static"', 'kind = "static"\nkill = ["prober@5"]',
                            ["controller.kill", 'used only when kind is \"wanctl\"']),
    "command without program": ('kind = "static"', 'kind = "command"', ["controller.command", "missing"]),
    "rates with no shaper": ('kind = "static"', 'kind = "none"',
                             ["controller.download_mbps", "= 36", "not used when kind is \"none\""]),
    "slow probe": ("[link]", "[probe]\ninterval_ms = 200\n\n[link]",
                   ["probe.interval_ms", "= 200", "at most 100"]),
    "invalid TOML": ("[link]", "[link", ["invalid TOML", "line"]),
    "name with a space": ('name = "short-static"', 'name = "short static"',
                          ["key 'name'", '"short static"', "may contain only"]),
    "fault of a missing reflector": ("[controller]",
                                     "[[reflector_fault]]\nreflector = 9\nstart_s = 1\nend_s = 2\n\n[controller]",
                                     ["reflector_fault[0].reflector", "= 9", "at most 4"]),
    "overlapping faults": ("[controller]",
                           "[[reflector_fault]]\nreflector = 2\nstart_s = 1\nend_s = 5\n\n"
                           "[[reflector_fault]]\nreflector = 2\nstart_s = 4\nend_s = 6\n\n[controller]",
                           ["reflector_fault[1].start_s", "= 4", "overlaps another fault of reflector 2"]),
}

DIRECTORY = Path(tempfile.mkdtemp(prefix="wanctl-testbed-check-", dir="/tmp"))


def write_case(name, original, replacement):
    assert original in BASE, f"case '{name}': '{original}' is not in short-static.toml"
    path = DIRECTORY / ("unknown.toml" if name == "unknown key" else name.replace(" ", "-") + ".toml")
    path.write_text(BASE.replace(original, replacement, 1), encoding="utf-8")
    return path


def normalized(path, *controller):
    output = DIRECTORY / "normalized.json"
    subprocess.run([sys.executable, "-m", "testbed.scenario", "normalize", str(path), str(output), *controller],
                   check=True, env={"PYTHONPATH": str(harness.SOURCE_ROOT / "scripts" / "lib")})
    return json.loads(output.read_text(encoding="utf-8"))


class InvalidScenarios(unittest.TestCase):
    def test_each_case_rejected_with_location(self):
        for name, (original, replacement, expected) in CASES.items():
            with self.subTest(case=name):
                result = harness.run_testbed("check", write_case(name, original, replacement))
                self.assertEqual(result.returncode, INVALID_STATUS)
                for text in expected:
                    self.assertIn(text, result.stderr)

    def test_run_rejects_before_booting(self):
        results = DIRECTORY / "never-written"
        scenario = write_case("wanctl kill time missing", *CASES["wanctl kill time missing"][:2])
        result = harness.run_testbed("run", scenario, "--out", results)
        self.assertEqual(result.returncode, INVALID_STATUS)
        self.assertIn("controller.kill", result.stderr)
        self.assertFalse(results.exists())

    def test_unknown_controller_override_rejected(self):
        result = harness.run_testbed("run", harness.SCENARIOS / "short-static.toml", "--controller", "magic",
                                     "--out", DIRECTORY / "never-written")
        self.assertEqual(result.returncode, INVALID_STATUS)
        self.assertIn("--controller magic", result.stderr)

    def test_results_dir_with_space_rejected(self):
        result = harness.run_testbed("run", harness.SCENARIOS / "short-static.toml", "--out", DIRECTORY / "a b")
        self.assertEqual(result.returncode, INVALID_STATUS)
        self.assertIn("may contain only", result.stderr)


class ShippedScenarios(unittest.TestCase):
    def test_all_valid(self):
        scenarios = sorted(harness.SCENARIOS.glob("*.toml"))
        self.assertGreaterEqual(len(scenarios), 2)
        result = harness.run_testbed("check", *scenarios)
        self.assertEqual(result.returncode, 0)

    def test_step_capacity_schedule(self):
        scenario = normalized(harness.SCENARIOS / "step-capacity.toml")
        self.assertEqual(scenario["link"], {"download_delay_ms": 10, "upload_delay_ms": 10, "buffer_packets": 1500})
        self.assertEqual(scenario["load"], [{"direction": "bidirectional", "start_s": 5, "duration_s": 60,
                                             "streams": 1}])
        self.assertEqual([(phase["start_s"], phase["mbps"]) for phase in scenario["capacity"]["download"]],
                         [(0, 40), (25, 15), (45, 40)])
        self.assertEqual([(phase["start_s"], phase["mbps"]) for phase in scenario["capacity"]["upload"]],
                         [(0, 10), (25, 4), (45, 10)])
        self.assertEqual(scenario["duration_s"], 65)
        self.assertEqual(scenario["controller"], {"kind": "static", "download_mbps": 38, "upload_mbps": 9.5})

    def test_controller_override_to_none(self):
        scenario = normalized(harness.SCENARIOS / "step-capacity.toml", "none")
        self.assertEqual(scenario["controller"], {"kind": "none"})
        self.assertEqual(scenario["name"], "step-capacity-none")


def main():
    outcome = unittest.main(argv=[sys.argv[0], "-v"], exit=False).result
    if outcome.wasSuccessful():
        harness.remove_results(DIRECTORY / "x")
        return 0
    print(f"scenarios kept in {DIRECTORY}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
