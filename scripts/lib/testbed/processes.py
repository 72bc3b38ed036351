"""Processes the runner starts inside namespaces, and how it stops them.

`ip netns exec` execs the command in place, so the pid of the started process
is the command's own pid and signals reach it directly. Every process runs in
its own session so that stopping it also stops whatever it started.
"""

import os
import shlex
import signal
import subprocess
import time

# Commands are shown up to this many characters in messages.
COMMAND_SHOWN_CHARS = 80

# How long a process may take to exit after SIGINT or SIGTERM before SIGKILL.
STOP_GRACE_S = 3.0
# How long a server may take to open its listening socket.
LISTEN_TIMEOUT_S = 15.0

TCP_LISTEN = "0A"
UDP_UNCONNECTED = "07"


class Process:
    """A command started in a network namespace with its output sent to a log file."""

    def __init__(self, name, namespace, argv, log_path, stdout_path=None, env=None, cwd=None):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        command = ["ip", "netns", "exec", namespace] + argv if namespace else argv
        log = open(log_path, "ab")
        stdout = open(stdout_path, "wb") if stdout_path else log
        try:
            self.popen = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=log,
                                          env=env, cwd=cwd, start_new_session=True)
        finally:
            log.close()
            if stdout is not log:
                stdout.close()
        self.started_wall_s = time.time()
        self.exited_wall_s = None

    @property
    def pid(self):
        return self.popen.pid

    def poll(self):
        """Return the exit status, or None while running; records when the exit was seen."""
        status = self.popen.poll()
        if status is not None and self.exited_wall_s is None:
            self.exited_wall_s = time.time()
        return status

    def wait(self, timeout_s):
        """Wait up to timeout_s for the process to exit; return its status or None."""
        try:
            self.popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None
        return self.poll()

    def stop(self, first_signal=signal.SIGTERM):
        """Send first_signal to the process group, then SIGKILL after the grace period."""
        if self.poll() is not None:
            return self.poll()
        self.signal_group(first_signal)
        status = self.wait(STOP_GRACE_S)
        if status is None:
            self.signal_group(signal.SIGKILL)
            status = self.wait(STOP_GRACE_S)
        return status

    def signal_group(self, signum):
        try:
            os.killpg(self.popen.pid, signum)
        except ProcessLookupError:
            pass

    def log_tail(self, lines=5):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as log:
                return " | ".join(line.strip() for line in log.readlines()[-lines:] if line.strip())
        except OSError:
            return ""


def describe(argv):
    """Return a command line as a shell would quote it, shortened for messages."""
    text = shlex.join(argv).replace("\n", " ")
    return text if len(text) <= COMMAND_SHOWN_CHARS else text[:COMMAND_SHOWN_CHARS - 3] + "..."


def wait_for_socket(process, protocol, port):
    """Wait until process has a socket bound to port (TCP listening or UDP bound).

    /proc/PID/net/* shows the sockets of the namespace that PID lives in, so
    this needs no helper process inside that namespace.
    """
    state = TCP_LISTEN if protocol == "tcp" else UDP_UNCONNECTED
    port_suffix = f":{port:04X}"
    deadline = time.monotonic() + LISTEN_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.name} exited with status {process.poll()} before opening "
                               f"{protocol} port {port}: {process.log_tail()}")
        try:
            with open(f"/proc/{process.pid}/net/{protocol}", encoding="ascii") as table:
                for line in table.readlines()[1:]:
                    fields = line.split()
                    if fields[1].endswith(port_suffix) and fields[3] == state:
                        return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{process.name} did not open {protocol} port {port} within {LISTEN_TIMEOUT_S:g} s")
