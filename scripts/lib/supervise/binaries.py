"""Finds the wanctl programs: an explicit directory, the build tree, or PATH."""

import os
import shutil

PROGRAMS = {
    "prober": ("prober", "wanctl-prober"),
    "estimator": ("estimator", "wanctl-estimator"),
    "actuator": ("actuator", "wanctl-actuator"),
    "steering": ("steering", "wanctl-steering"),
    "tap": ("common/tap", "wanctl-tap"),
}

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def find_program(name, bin_dir=None):
    subdir, program = PROGRAMS[name]
    candidates = []
    if bin_dir:
        candidates.append(os.path.join(bin_dir, program))
    build_dir = os.environ.get("WANCTL_BUILD_DIR", os.path.join(TOP, "build"))
    candidates.append(os.path.join(build_dir, subdir, program))
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(program)
    if found:
        return found
    raise FileNotFoundError(
        f"{program} not found in {' or '.join(candidates)} or PATH; build with scripts/setup "
        "or pass --bin-dir")
