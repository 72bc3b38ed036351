"""Drive a scenario, or run one command, inside the user-mode Linux kernel.

`python3 -m testbed.runner run` reads scenario.json from the results directory
($TESTBED_RESULTS), builds the namespaces, starts the servers, the latency
probe, the qdisc sampler and the controller, follows the capacity, load and
fault schedule, and writes what it measured there. A fault (a controller that
exits early, a load or probe that fails) stops the run at once. Every process
is then interrupted, so iperf3 and irtt still write their partial results.

`python3 -m testbed.runner exec` reads exec.json instead, builds the namespaces
with CAKE on the router and runs the command given there.

Exit status 0 when the run finished as planned, 1 when it failed.
"""

import json
import signal
import sys
import time
import traceback
from pathlib import Path

from testbed import topology
from testbed.processes import Process, describe, wait_for_socket
from testbed.run_status import RunStatus
from testbed.sampler import QdiscSampler
from testbed.schedule import build_events, initial_capacity

# Main-loop period: the resolution of event times and of fault detection.
TICK_S = 0.05
# How long loads and the probe may run past the scenario's end before they are interrupted.
FINISH_GRACE_S = 6.0
# irtt waits this long at the end for replies still queued in a bloated buffer.
PROBE_REPLY_WAIT_S = 3
# irtt's server refuses tests longer than this margin past the scenario.
PROBE_SERVER_MARGIN_S = 30

# The link that `exec` builds: the bottleneck of the headline scenario, with CAKE just below it.
EXEC_LINK = {"download_delay_ms": 10, "upload_delay_ms": 10, "buffer_packets": 1500}
EXEC_CAPACITY_MBPS = {"download": 40.0, "upload": 10.0}
EXEC_SHAPER_MBPS = {"download": 38.0, "upload": 9.5}
EXEC_REFLECTORS = 4


class RunFailure(Exception):
    """A fault that ends the run. The message states what failed."""


class ScenarioRun:
    """One scenario run: the processes it started and the schedule it follows."""

    def __init__(self, scenario, results):
        self.scenario = scenario
        self.results = results
        self.status = RunStatus(results / "runner-status.json", mode="run")
        self.events_path = results / "events.jsonl"
        self.controller = None
        self.probe = None
        self.probe_server = None
        self.sampler = None
        self.loads = {}
        self.load_servers = {}
        self.loads_ended = set()
        self.started_mono_s = None

    def log_event(self, kind, **details):
        record = {"t": time.time(), "event": kind, **details}
        with open(self.events_path, "a", encoding="utf-8") as events:
            events.write(json.dumps(record) + "\n")
        print(f"runner: {kind} {json.dumps(details)}", flush=True)

    def elapsed_s(self):
        return time.monotonic() - self.started_mono_s

    def shaper_mbps(self):
        controller = self.scenario["controller"]
        if controller["kind"] == "none":
            return None
        return {"download": controller["download_mbps"], "upload": controller["upload_mbps"]}

    def execute(self):
        try:
            self.prepare()
            self.start_measurement()
            self.start_controller()
            self.follow_schedule()
            self.finish()
        except RunFailure as failure:
            self.fail(str(failure))
        except Exception as error:  # a bug or an unexpected tool failure: report it, never hide it
            self.fail(f"testbed runner error: {error}")
            traceback.print_exc()
        finally:
            self.stop_everything()
            self.status.finish()
        return 0 if not self.status.failures else 1

    def fail(self, message):
        elapsed = f" at {self.elapsed_s():.1f} s" if self.started_mono_s is not None else " before the start"
        self.status.fail(f"{message} ({elapsed.strip()})")
        self.log_event("failure", message=message)

    def prepare(self):
        scenario = self.scenario
        try:
            topology.build(scenario["link"], initial_capacity(scenario), self.shaper_mbps(),
                           scenario["reflector_count"])
        except RuntimeError as error:
            raise RunFailure(f"building the namespaces failed: {error}") from error
        self.log_event("topology", capacity_mbps=initial_capacity(scenario), shaper_mbps=self.shaper_mbps())

        duration_s = scenario["duration_s"]
        self.probe_server = Process(
            "irtt server", "net",
            ["irtt", "server", "-b", f"{topology.PROBE_TARGET_ADDR}:{topology.PROBE_PORT}",
             "-d", f"{int(duration_s + PROBE_SERVER_MARGIN_S)}s", "-i", "10ms"],
            self.results / "probe-server.log")
        for index in range(1, len(scenario["load"]) + 1):
            port = topology.IPERF_FIRST_PORT + index - 1
            self.load_servers[index] = Process(
                f"iperf3 server {index}", "net",
                ["iperf3", "--server", "--one-off", "--json", "--bind", topology.IPERF_SERVER_ADDR,
                 "--port", str(port)],
                self.results / f"load-{index}-server.log")
        try:
            wait_for_socket(self.probe_server, "udp", topology.PROBE_PORT)
            for index, server in self.load_servers.items():
                wait_for_socket(server, "tcp", topology.IPERF_FIRST_PORT + index - 1)
        except RuntimeError as error:
            raise RunFailure(str(error)) from error

    def start_measurement(self):
        self.sampler = QdiscSampler(self.results / "shaper.jsonl")
        self.started_mono_s = time.monotonic()
        self.status.started(time.time())
        self.sampler.start()
        interval_ms = self.scenario["probe"]["interval_ms"]
        self.probe = Process(
            "latency probe (irtt client)", "client",
            ["irtt", "client", "-Q", "-i", f"{interval_ms:g}ms", "-d", f"{self.scenario['duration_s']:g}s",
             f"--wait={PROBE_REPLY_WAIT_S}s", "-o", str(self.results / "probe.json"),
             f"{topology.PROBE_TARGET_ADDR}:{topology.PROBE_PORT}"],
            self.results / "probe.log")
        self.log_event("start", duration_s=self.scenario["duration_s"], probe_interval_ms=interval_ms)

    def start_controller(self):
        controller = self.scenario["controller"]
        if controller["kind"] not in ("command", "wanctl"):
            return
        workdir = self.results / "controller"
        workdir.mkdir(exist_ok=True)
        variables = topology.environment(self.scenario["reflector_count"], self.shaper_mbps())
        variables["TESTBED_OUT"] = str(workdir)
        self.controller = Process("controller command", "router", controller["command"],
                                  workdir / "controller.log",
                                  env=topology.child_environment(variables), cwd=workdir)
        self.log_event("controller_start", command=controller["command"], pid=self.controller.pid)

    def follow_schedule(self):
        events = build_events(self.scenario)
        duration_s = self.scenario["duration_s"]
        while True:
            self.check_processes()
            elapsed = self.elapsed_s()
            while events and events[0][0] <= elapsed:
                _, _, kind, details = events.pop(0)
                self.apply(kind, details)
            if elapsed >= duration_s:
                return
            next_due = min([duration_s] + [event[0] for event in events[:1]])
            time.sleep(max(0.0, min(TICK_S, next_due - elapsed)))

    def apply(self, kind, details):
        try:
            if kind == "capacity":
                topology.set_capacity(self.scenario["link"], details)
                self.log_event("capacity", download_mbps=details["download"], upload_mbps=details["upload"],
                               planned_s=details["planned_s"])
            elif kind == "load_start":
                self.start_load(details)
            elif kind == "fault_start":
                addr = topology.reflector_addrs(self.scenario["reflector_count"])[details["reflector"] - 1]
                topology.silence_reflector(details["reflector"], addr)
                self.log_event("fault_start", reflector=details["reflector"], addr=addr)
            elif kind == "fault_end":
                stats = topology.restore_reflector(details["reflector"])
                self.log_event("fault_end", reflector=details["reflector"], filter_stats=stats.strip())
        except RuntimeError as error:
            raise RunFailure(f"{kind.replace('_', ' ')} failed: {error}") from error

    def start_load(self, load):
        index = load["index"]
        port = topology.IPERF_FIRST_PORT + index - 1
        argv = ["iperf3", "--client", topology.IPERF_SERVER_ADDR, "--port", str(port),
                "--time", str(load["duration_s"]), "--parallel", str(load["streams"]),
                "--json", "--get-server-output", "--connect-timeout", "5000"]
        if load["direction"] == "download":
            argv.append("--reverse")
        elif load["direction"] == "bidirectional":
            argv.append("--bidir")
        self.loads[index] = Process(f"load {index} ({load['direction']})", "client", argv,
                                    self.results / f"load-{index}.log",
                                    stdout_path=self.results / f"load-{index}.json")
        self.log_event("load_start", index=index, direction=load["direction"], duration_s=load["duration_s"],
                       streams=load["streams"], pid=self.loads[index].pid)

    def check_processes(self):
        """Raise RunFailure for any process that ended when it should not have."""
        if self.controller is not None:
            status = self.controller.poll()
            if status is not None:
                self.log_event("controller_exit", status=status)
                raise RunFailure(f"controller command '{describe(self.controller.argv)}' exited early with "
                                 f"status {status}"
                                 f"{log_suffix(self.controller)}")
        for index, load in self.loads.items():
            status = load.poll()
            if status is not None and index not in self.loads_ended:
                self.loads_ended.add(index)
                self.log_event("load_end", index=index, status=status)
            if status is not None and status != 0:
                raise RunFailure(f"{load.name} failed with status {status}: {iperf_error(load)}")
        for process in (self.probe, self.probe_server):
            status = process.poll()
            if status is not None:
                raise RunFailure(f"{process.name} exited early with status {status}{log_suffix(process)}")
        if self.sampler.error:
            raise RunFailure(self.sampler.error)

    def finish(self):
        """Wait for loads and the probe to end by themselves after the scenario's last second."""
        deadline = time.monotonic() + FINISH_GRACE_S + PROBE_REPLY_WAIT_S
        for index, load in self.loads.items():
            status = load.wait(max(0.0, deadline - time.monotonic()))
            if index not in self.loads_ended and status is not None:
                self.loads_ended.add(index)
                self.log_event("load_end", index=index, status=status)
        for process in list(self.loads.values()) + [self.probe]:
            status = process.wait(max(0.0, deadline - time.monotonic()))
            if status is None:
                raise RunFailure(f"{process.name} was still running {FINISH_GRACE_S + PROBE_REPLY_WAIT_S:g} s "
                                 f"after the scenario's end")
            if status != 0:
                detail = iperf_error(process) if process in self.loads.values() else process.log_tail()
                raise RunFailure(f"{process.name} failed with status {status}: {detail}")
        self.log_event("end")

    def stop_everything(self):
        # SIGINT makes iperf3 and irtt write the JSON of what they measured so far.
        for index, load in self.loads.items():
            status = load.stop(signal.SIGINT)
            if index not in self.loads_ended:
                self.loads_ended.add(index)
                self.log_event("load_end", index=index, status=status, interrupted=True)
        if self.probe is not None:
            self.probe.stop(signal.SIGINT)
        if self.controller is not None:
            status = self.controller.stop(signal.SIGTERM)
            self.log_event("controller_stop", status=status)
        for process in list(self.load_servers.values()) + [self.probe_server]:
            if process is not None:
                process.stop(signal.SIGTERM)
        if self.sampler is not None:
            self.sampler.stop()
            self.status.note(late_samples=self.sampler.late_samples)


def log_suffix(process):
    tail = process.log_tail()
    return f"; its last output: {tail}" if tail else ""


def iperf_error(process):
    """Return the error iperf3 put in its JSON output, or the end of its log."""
    json_path = Path(str(process.log_path).removesuffix(".log") + ".json")
    try:
        error = json.loads(json_path.read_text(encoding="utf-8")).get("error")
    except (OSError, ValueError):
        error = None
    return error or process.log_tail() or "no error message"


def run_exec(results):
    """Build the namespaces with CAKE on the router, run the requested command, record its status."""
    request = json.loads((results / "exec.json").read_text(encoding="utf-8"))
    status = RunStatus(results / "runner-status.json", mode="exec")
    exit_status = 125
    try:
        topology.build(EXEC_LINK, EXEC_CAPACITY_MBPS, EXEC_SHAPER_MBPS, EXEC_REFLECTORS)
        variables = topology.environment(EXEC_REFLECTORS, EXEC_SHAPER_MBPS)
        variables["TESTBED_OUT"] = str(results / "exec-out")
        (results / "exec-out").mkdir(exist_ok=True)
        status.started(time.time())
        if not Path(request["cwd"]).is_dir():
            status.fail(f"working directory {request['cwd']} does not exist inside user-mode Linux, where /run "
                        f"and /dev/shm are empty tmpfs mounts; run from another directory")
            return 0
        try:
            command = Process("command", None, request["argv"], results / "exec-stderr",
                              stdout_path=results / "exec-stdout",
                              env=topology.child_environment(variables), cwd=request["cwd"])
        except FileNotFoundError:
            # The status a shell returns for a command it cannot find.
            with open(results / "exec-stderr", "a", encoding="utf-8") as stderr:
                stderr.write(f"testbed: command not found: {request['argv'][0]}\n")
            exit_status = 127
            return 0
        exit_status = command.wait(request["timeout_s"])
        if exit_status is None:
            command.stop(signal.SIGTERM)
            status.fail(f"command timed out after {request['timeout_s']} s")
            exit_status = 124
        elif exit_status < 0:
            exit_status = 128 - exit_status
    except (RuntimeError, OSError) as error:
        status.fail(f"testbed could not run the command: {error}")
    finally:
        (results / "exec-status").write_text(f"{exit_status}\n", encoding="ascii")
        status.finish()
    return 0


def main(argv):
    results = Path(argv[1]) if len(argv) > 1 else None
    if len(argv) != 2 or argv[0] not in ("run", "exec"):
        print("usage: python3 -m testbed.runner run|exec RESULTS_DIR", file=sys.stderr)
        return 2
    if argv[0] == "exec":
        return run_exec(results)
    scenario = json.loads((results / "scenario.json").read_text(encoding="utf-8"))
    return ScenarioRun(scenario, results).execute()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
