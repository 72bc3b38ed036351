"""Sample the router's shapers and the isp's bottlenecks every 100 ms.

Each sample is one JSON line: the wall-clock time in seconds and the root
qdiscs of the router and isp namespaces, each labelled with the direction it
shapes. Lines are flushed once a second, so a run that stops midway keeps all
but the last second.
"""

import json
import threading
import time

from testbed.qdisc_dump import QdiscReader
from testbed.topology import BOTTLENECK_IF, SHAPER_IF

SAMPLE_PERIOD_S = 0.1
FLUSH_PERIOD_S = 1.0

ROLES = {}
for _direction, (_namespace, _interface) in SHAPER_IF.items():
    ROLES[(_namespace, _interface)] = ("shaper", _direction)
for _direction, (_namespace, _interface) in BOTTLENECK_IF.items():
    ROLES[(_namespace, _interface)] = ("bottleneck", _direction)


class QdiscSampler:
    """A background thread that appends qdisc samples to a JSON-lines file."""

    def __init__(self, path, namespaces=("router", "isp")):
        self.path = path
        self.readers = [QdiscReader(namespace) for namespace in namespaces]
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.loop, name="qdisc-sampler", daemon=True)
        self.error = None
        self.late_samples = 0

    def start(self):
        self.thread.start()

    def stop(self):
        self.stop_event.set()
        self.thread.join(timeout=5)
        for reader in self.readers:
            reader.close()

    def loop(self):
        try:
            with open(self.path, "a", encoding="utf-8") as output:
                self.sample_until_stopped(output)
        except OSError as error:
            self.error = f"qdisc sampling failed: {error}"

    def sample_until_stopped(self, output):
        next_sample = time.monotonic()
        last_flush = next_sample
        while not self.stop_event.is_set():
            # How late this thread woke up: a measure of how well the
            # emulator keeps time, independent of the network.
            wake_late_ms = max(0.0, (time.monotonic() - next_sample) * 1000)
            record = self.sample()
            record["wake_late_ms"] = round(wake_late_ms, 3)
            output.write(json.dumps(record) + "\n")

            now = time.monotonic()
            if now - last_flush >= FLUSH_PERIOD_S:
                output.flush()
                last_flush = now

            # Keep the period fixed; after a stall, skip the missed samples
            # instead of sampling in a burst.
            next_sample += SAMPLE_PERIOD_S
            if next_sample < now:
                self.late_samples += 1
                next_sample = now + SAMPLE_PERIOD_S
            self.stop_event.wait(next_sample - now)
        output.flush()

    def sample(self):
        qdiscs = []
        wall_s = time.time()
        for reader in self.readers:
            for qdisc in reader.dump():
                role = ROLES.get((reader.namespace, qdisc["dev"]))
                if role is None:
                    continue
                qdisc["namespace"] = reader.namespace
                qdisc["role"], qdisc["direction"] = role
                qdiscs.append(qdisc)
        return {"t": wall_s, "qdiscs": qdiscs}
