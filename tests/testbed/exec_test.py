"""`scripts/testbed exec` runs a command next to the namespaces and returns its exit status.

The command pings the probe target from the client namespace and reads the
router's CAKE, so the output shows the namespaces are routed and shaped.
"""

import json
import sys
import unittest

import harness

# The testbed's exit status when it could not run the command at all.
TESTBED_FAILED_STATUS = 125
TIMED_OUT_STATUS = 124

COMMAND = ('ip netns exec "$TESTBED_NS_CLIENT" ping -n -c 2 -W 2 "$TESTBED_PROBE_TARGET" '
           '&& tc -n "$TESTBED_NS_ROUTER" qdisc show dev "$TESTBED_ROUTER_LAN_IF" '
           '&& tc -n "$TESTBED_NS_ROUTER" qdisc show dev "$TESTBED_ROUTER_WAN_IF" '
           '&& cat "$1/host-file" && echo inside >"$1/written-inside" '
           '&& echo "devices: $(ls /sys/class/net)" '
           '&& echo "written to stderr" >&2 && exit 7')
HOST_FILE_TEXT = "visible from the host's /tmp"

RUN = {}


def run_exec(*args):
    result = harness.run_testbed("exec", *args)
    if result.returncode == TESTBED_FAILED_STATUS and "unavailable:" in result.stderr:
        harness.skip(f"the testbed is unavailable here: {result.stderr.strip()}")
    return result


class ExecCommand(unittest.TestCase):
    def test_returns_command_status(self):
        self.assertEqual(RUN["exec"].returncode, 7)

    def test_client_reaches_probe_target(self):
        self.assertIn("2 received", RUN["exec"].stdout)

    def test_router_has_cake_both_ways(self):
        self.assertIn("bandwidth 38Mbit", RUN["exec"].stdout)
        self.assertIn("bandwidth 9500Kbit", RUN["exec"].stdout)

    def test_only_loopback_outside_namespaces(self):
        self.assertIn("devices: lo\n", RUN["exec"].stdout)

    def test_host_tmp_visible(self):
        self.assertIn(HOST_FILE_TEXT, RUN["exec"].stdout)

    def test_tmp_writes_stay_inside(self):
        self.assertFalse((RUN["shared"] / "written-inside").exists())

    def test_stderr_kept_apart(self):
        self.assertIn("written to stderr", RUN["exec"].stderr)
        self.assertNotIn("written to stderr", RUN["exec"].stdout)

    def test_timeout_stops_command(self):
        self.assertEqual(RUN["timeout"].returncode, TIMED_OUT_STATUS)
        self.assertIn("timed out after 1 s", RUN["timeout"].stderr)

    def test_timeout_still_powers_off(self):
        kernel = json.loads((RUN["timeout_dir"] / "kernel.json").read_text(encoding="utf-8"))
        self.assertEqual(kernel["ending"], "powered off")


def main():
    results = [harness.make_results_dir("exec"), harness.make_results_dir("exec-timeout")]
    shared = results[0].parent
    (shared / "host-file").write_text(HOST_FILE_TEXT + "\n", encoding="utf-8")
    RUN["shared"] = shared
    RUN["exec"] = run_exec("--out", results[0], "--", "/bin/sh", "-c", COMMAND, "sh", shared)
    RUN["timeout"] = run_exec("--timeout-s", "1", "--out", results[1], "--", "sleep", "30")
    RUN["timeout_dir"] = results[1]
    outcome = unittest.main(argv=[sys.argv[0], "-v"], exit=False).result
    if not outcome.wasSuccessful():
        print(f"results kept in {results[0]} and {results[1]}")
        return 1
    for directory in results:
        harness.remove_results(directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
