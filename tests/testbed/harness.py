"""Helpers shared by the testbed tests: run scripts/testbed and skip when it cannot boot.

A test that cannot run because user-mode Linux is missing or does not boot
exits 77, which meson reports as skipped, and prints why.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCE_ROOT = Path(os.environ.get("WANCTL_SOURCE_ROOT", Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(SOURCE_ROOT / "scripts" / "lib"))
TESTBED = SOURCE_ROOT / "scripts" / "testbed"
SCENARIOS = SOURCE_ROOT / "tests" / "scenarios"
SKIP_STATUS = 77
# The testbed's exit status when user-mode Linux is missing or cannot boot.
UNAVAILABLE_STATUS = 3
# Longer than any run these tests start; the testbed bounds itself well below this.
RUN_TIMEOUT_S = 280


def skip(reason):
    print(f"SKIP: {reason}")
    sys.exit(SKIP_STATUS)


def make_results_dir(name):
    return Path(tempfile.mkdtemp(prefix=f"wanctl-testbed-{name}-", dir="/tmp")) / "run"


def run_testbed(*args):
    """Run scripts/testbed with args; return the CompletedProcess with text output."""
    # exec runs its command in the caller's directory, which must also exist inside.
    result = subprocess.run([str(TESTBED), *map(str, args)], capture_output=True, text=True,
                            timeout=RUN_TIMEOUT_S, stdin=subprocess.DEVNULL, check=False, cwd=SOURCE_ROOT)
    print(f"$ scripts/testbed {' '.join(map(str, args))}  (exit status {result.returncode})")
    print(result.stdout, end="")
    print(result.stderr, end="", file=sys.stderr)
    return result


def run_scenario(scenario, name):
    """Run a scenario into a fresh directory; skip the test when the testbed is unavailable."""
    results = make_results_dir(name)
    result = run_testbed("run", scenario, "--out", results)
    if result.returncode == UNAVAILABLE_STATUS:
        skip(f"the testbed is unavailable here: {result.stderr.strip()}")
    return result, results


def load_report(results):
    return json.loads((results / "report.json").read_text(encoding="utf-8"))


def report_failure(results):
    """Print where a failed run's results are, then its summary up to the
    metric lines, on stderr, where a test log's excerpt shows it next to the
    failed assertions."""
    print(f"results kept in {results}")
    summary = results / "summary.txt"
    if summary.exists():
        text = summary.read_text(encoding="utf-8").split("Metrics (one per line", 1)[0]
        print(f"summary of the failed run:\n{text}", file=sys.stderr)


def remove_results(results):
    shutil.rmtree(results.parent, ignore_errors=True)


def load_series(results):
    """Load a run's raw series through the testbed's own reader."""
    from testbed.series import load_run
    return load_run(results)
