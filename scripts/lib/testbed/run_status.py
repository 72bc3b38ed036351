"""The runner's status file: whether the run is going, finished or failed, and why.

The file is rewritten whole on every change (write, then rename), so the host
always reads a complete JSON document even if the kernel stops midway.
"""

import json
import os
import time


class RunStatus:
    def __init__(self, path, mode):
        self.path = path
        self.failures = []
        self.document = {"mode": mode, "state": "preparing", "failures": self.failures,
                         "prepare_wall_s": time.time()}
        self.write()

    def started(self, wall_s):
        self.document["state"] = "running"
        self.document["t0_wall_s"] = wall_s
        self.write()

    def fail(self, message):
        self.failures.append(message)
        self.write()

    def note(self, **values):
        self.document.update(values)
        self.write()

    def finish(self):
        self.document["state"] = "failed" if self.failures else "finished"
        self.document["end_wall_s"] = time.time()
        self.write()

    def write(self):
        temporary = f"{self.path}.tmp"
        with open(temporary, "w", encoding="utf-8") as output:
            json.dump(self.document, output, indent=2)
            output.write("\n")
        os.replace(temporary, self.path)
