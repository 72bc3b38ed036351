"""Count test cases in a meson test log and print "N passed, N failed[, N skipped]".

A doctest binary reports its own case counts in a summary line; every other
test (a shell or Python integration test) counts as one case from its meson
result. Exit status 1 when anything failed or the log holds no test at all.
"""

import json
import re
import sys

DOCTEST_SUMMARY = re.compile(
    r"\[doctest\] test cases:\s*(\d+) \|\s*(\d+) passed \|\s*(\d+) failed \|\s*(\d+) skipped")


def count(log_path):
    passed = failed = skipped = 0
    failures = []
    with open(log_path, encoding="utf-8") as log:
        for line in log:
            if not line.strip():
                continue
            entry = json.loads(line)
            result = entry.get("result", "")
            summary = DOCTEST_SUMMARY.findall(entry.get("stdout", "") or "")
            if summary and result in ("OK", "FAIL"):
                _, case_passed, case_failed, case_skipped = map(int, summary[-1])
                passed += case_passed
                failed += case_failed
                skipped += case_skipped
                if result == "FAIL" and case_failed == 0:
                    failed += 1  # the binary failed outside any test case (crash, exit code)
            elif result == "OK":
                passed += 1
            elif result in ("SKIP", "EXPECTEDFAIL"):
                skipped += 1
            else:
                failed += 1
            if result not in ("OK", "SKIP", "EXPECTEDFAIL"):
                failures.append(f"{entry.get('name')} ({result})")
    return passed, failed, skipped, failures


def main():
    try:
        passed, failed, skipped, failures = count(sys.argv[1])
    except (OSError, ValueError) as error:
        print(f"cannot read the meson test log {sys.argv[1]}: {error}")
        print("0 passed, 1 failed")
        return 1
    for name in failures:
        print(f"failed: {name}")
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed or passed + failed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
