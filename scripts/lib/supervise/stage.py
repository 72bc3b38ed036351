"""One supervised stage process: start, stop, restart with backoff."""

import os
import signal
import subprocess
import time

# A stage that dies is started again after this delay, doubled after each
# death up to the maximum, and reset once a run lasted STABLE_RUN_S.
FIRST_BACKOFF_S = 0.5
MAX_BACKOFF_S = 30.0
STABLE_RUN_S = 30.0

# Time a stage gets to exit after SIGTERM before it is killed.
STOP_GRACE_S = 5.0


def describe_exit(returncode):
    if returncode is None:
        return "running"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with status {returncode}"


class Stage:
    def __init__(self, stage, site, argv, prefix, log, forward):
        self.stage = stage          # prober, estimator, actuator or steering
        self.site = site            # WAN instance or steering site
        self.argv = argv            # the program and its arguments
        self.prefix = prefix        # privilege-dropping command words
        self.log = log              # the supervisor's logger
        self.forward = forward      # called with each line the stage writes to stderr
        self.process = None
        self.started_at = None      # time.monotonic() of the current run
        self.restarts = 0
        self.backoff_s = FIRST_BACKOFF_S
        self.next_start = 0.0       # time.monotonic() when a dead stage starts again
        self.last_exit = ""
        self.last_error = ""
        self.wanted = True          # false once stopped on purpose
        self.partial_line = b""

    @property
    def label(self):
        return f"{self.stage}[{self.site}]"

    def start(self):
        self.process = subprocess.Popen(
            self.prefix + self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, start_new_session=True)
        os.set_blocking(self.process.stderr.fileno(), False)
        self.started_at = time.monotonic()
        self.log.info("%s started, pid %d: %s", self.label, self.process.pid, " ".join(self.argv))

    def running(self):
        return self.process is not None and self.process.poll() is None

    def uptime_s(self):
        return time.monotonic() - self.started_at if self.running() else 0.0

    def read_output(self):
        """Reads what the stage wrote to stderr, forwards whole lines and keeps
        the last error line for status."""
        if self.process is None or self.process.stderr is None:
            return
        try:
            chunk = self.process.stderr.read()
        except (BlockingIOError, ValueError):
            return
        if not chunk:
            return
        lines = (self.partial_line + chunk).split(b"\n")
        self.partial_line = lines.pop()
        for raw in lines:
            line = raw.decode("utf-8", "replace")
            self.forward(self.label, line)
            if " error " in line or " critical " in line:
                self.last_error = line

    def reap(self, now):
        """Notices a stage that died and schedules its restart."""
        if self.process is None or self.process.poll() is None:
            return
        ran_s = now - self.started_at
        self.last_exit = describe_exit(self.process.returncode)
        self.close_output()
        if not self.wanted:
            return
        if ran_s >= STABLE_RUN_S:
            self.backoff_s = FIRST_BACKOFF_S
        self.next_start = now + self.backoff_s
        cause = f"; last error: {self.last_error}" if self.last_error else ""
        self.log.warning("%s died: %s after %.1f s%s; restarting in %.1f s", self.label,
                         self.last_exit, ran_s, cause, self.backoff_s)
        self.backoff_s = min(self.backoff_s * 2, MAX_BACKOFF_S)

    def start_if_due(self, now):
        if self.wanted and self.process is None and now >= self.next_start:
            if self.started_at is not None:
                self.restarts += 1
            self.start()

    def stop(self, reason):
        """Stops the stage with SIGTERM, then SIGKILL after the grace time."""
        self.wanted = False
        if not self.running():
            return
        self.log.info("%s stopping (%s)", self.label, reason)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self.log.warning("%s did not stop within %.0f s; killing it", self.label, STOP_GRACE_S)
            self.process.kill()
            self.process.wait()
        self.last_exit = describe_exit(self.process.returncode)
        self.close_output()

    def close_output(self):
        """Forwards what the ended process still had in its pipe."""
        self.read_output()
        if self.partial_line:
            self.forward(self.label, self.partial_line.decode("utf-8", "replace"))
            self.partial_line = b""
        self.process.stderr.close()
        self.process = None

    def restart(self):
        """Restarts on request: immediately, without backoff."""
        self.stop("restart requested")
        self.wanted = True
        self.restarts += 1
        self.backoff_s = FIRST_BACKOFF_S
        self.start()

    def state(self):
        if self.running():
            return "running"
        return "backoff" if self.wanted else "stopped"

    def status(self):
        return {
            "stage": self.stage,
            "site": self.site,
            "pid": self.process.pid if self.running() else None,
            "state": self.state(),
            "uptime_s": round(self.uptime_s(), 1),
            "restarts": self.restarts,
            "last_exit": self.last_exit,
            "last_error": self.last_error,
        }
