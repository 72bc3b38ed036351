"""A `command` controller that exits early fails the run, which still reports what it measured.

The controller also records its environment, pings a silenced and a
reachable reflector and reads the router's CAKE, so this run checks the
environment contract, reflector faults and the shaper setup too.
"""

import json
import re
import sys
import tempfile
import unittest
from pathlib import Path

import harness

CONTROLLER_SCRIPT = r"""
env | grep '^TESTBED_' | sort >"$TESTBED_OUT/env.txt"
set -- $TESTBED_REFLECTORS
sleep 1
ping -n -c 3 -i 0.2 -W 1 "$1" >"$TESTBED_OUT/ping-silenced.txt" 2>&1
echo "status $?" >>"$TESTBED_OUT/ping-silenced.txt"
ping -n -c 3 -i 0.2 -W 1 "$2" >"$TESTBED_OUT/ping-reachable.txt" 2>&1
echo "status $?" >>"$TESTBED_OUT/ping-reachable.txt"
tc qdisc show dev "$TESTBED_ROUTER_LAN_IF" >"$TESTBED_OUT/cake.txt"
echo "controller done"
"""

SCENARIO = """
name = "command-fault"
duration_s = 25

[link]
download_delay_ms = 10
upload_delay_ms = 10
buffer_packets = 1500

[capacity]
download = [{{ start_s = 0, end_s = 25, mbps = 40 }}]
upload = [{{ start_s = 0, end_s = 25, mbps = 10 }}]

[[load]]
direction = "download"
start_s = 1
duration_s = 20

[[reflector_fault]]
reflector = 1
start_s = 0
end_s = 25

[controller]
kind = "command"
download_mbps = 38
upload_mbps = 9.5
command = ["/bin/sh", "-c", {script}]
"""

RUN = {}


def controller_file(name):
    return (RUN["results"] / "controller" / name).read_text(encoding="utf-8")


def documented_variables():
    help_text = harness.run_testbed("--help").stdout
    return set(re.findall(r"\bTESTBED_[A-Z_]+\b", help_text))


class CommandFaultRun(unittest.TestCase):
    def test_run_fails(self):
        self.assertEqual(RUN["process"].returncode, 1)
        self.assertEqual(RUN["report"]["status"], "failed")

    def test_failure_names_early_exit(self):
        failures = " ".join(RUN["report"]["failures"])
        self.assertIn("controller command", failures)
        self.assertIn("exited early with status 0", failures)
        self.assertIn("controller done", failures)

    def test_kernel_powers_off(self):
        self.assertEqual(RUN["report"]["kernel"]["ending"], "powered off")

    def test_partial_measurements_kept(self):
        probes = RUN["report"]["result"]["probe"]["samples"]
        self.assertGreater(probes, 20)
        self.assertLess(probes, 25 * 20)
        load = json.loads((RUN["results"] / "load-1.json").read_text(encoding="utf-8"))
        self.assertGreater(len(load["intervals"]), 0)
        self.assertIn("interrupt", load.get("error", ""))

    def test_summary_says_what_failed(self):
        summary = (RUN["results"] / "summary.txt").read_text(encoding="utf-8")
        self.assertIn("Status: failed", summary)
        self.assertIn("exited early", summary)

    def test_silenced_reflector_does_not_answer(self):
        self.assertIn("status 1", controller_file("ping-silenced.txt"))

    def test_other_reflector_replies(self):
        self.assertIn("status 0", controller_file("ping-reachable.txt"))

    def test_router_has_cake_at_initial_rate(self):
        cake = controller_file("cake.txt")
        self.assertIn("cake", cake)
        self.assertIn("bandwidth 38Mbit", cake)

    def test_environment_matches_documentation(self):
        provided = {line.split("=", 1)[0] for line in controller_file("env.txt").splitlines()}
        self.assertEqual(provided, documented_variables())


def main():
    directory = Path(tempfile.mkdtemp(prefix="wanctl-testbed-scenario-", dir="/tmp"))
    scenario = directory / "command-fault.toml"
    scenario.write_text(SCENARIO.format(script=json.dumps(CONTROLLER_SCRIPT)), encoding="utf-8")
    process, results = harness.run_scenario(scenario, "command-fault")
    RUN.update(process=process, results=results)
    if not (results / "report.json").exists():
        print(f"FAIL: no report.json in {results}")
        return 1
    RUN["report"] = harness.load_report(results)
    outcome = unittest.main(argv=[sys.argv[0], "-v"], exit=False).result
    if outcome.wasSuccessful():
        harness.remove_results(results)
        harness.remove_results(scenario)
        return 0
    print(f"results kept in {results}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
