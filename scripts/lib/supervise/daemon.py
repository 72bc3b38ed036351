"""The supervisor process: starts every stage, restarts the ones that die,
and answers status, restart and stop requests on a Unix socket."""

import json
import logging
import os
import selectors
import signal
import socket
import time

from .binaries import find_program
from .privileges import privilege_prefix, stage_capabilities
from .stage import Stage

# Stop order: nothing new is decided, then the shaper is left at its stop
# rate, then measurement ends.
STOP_ORDER = ["steering", "estimator", "actuator", "prober"]
START_ORDER = ["prober", "estimator", "actuator", "steering"]

POLL_S = 0.1


def forward_line(label, line):
    print(f"{label}: {line}", flush=True)


def build_stages(site_files, bin_dir, user, log):
    stages = []
    for site in site_files:
        names = ["steering"] if site.kind == "steering" else ["prober", "estimator", "actuator"]
        for name in names:
            program = find_program(name, bin_dir)
            prefix = privilege_prefix(stage_capabilities(name, site.actuator_backend), user)
            stages.append(Stage(name, site.name, [program, "--config", site.path], prefix, log, forward_line))
    stages.sort(key=lambda stage: START_ORDER.index(stage.stage))
    return stages


class Supervisor:
    def __init__(self, stages, run_dir, log):
        self.stages = stages
        self.run_dir = run_dir
        self.log = log
        self.stopping = False
        self.selector = selectors.DefaultSelector()
        self.socket_path = os.path.join(run_dir, "control.sock")

    def serve(self):
        os.makedirs(self.run_dir, mode=0o750, exist_ok=True)
        if os.path.exists(self.socket_path):
            if self.another_supervisor_answers():
                raise RuntimeError(f"a supervisor already runs with {self.socket_path}; "
                                   "stop it first or use another --run-dir")
            os.unlink(self.socket_path)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(self.socket_path)
        os.chmod(self.socket_path, 0o660)
        server.listen(8)
        server.setblocking(False)
        self.selector.register(server, selectors.EVENT_READ)

        signal.signal(signal.SIGTERM, lambda *_: self.request_stop())
        signal.signal(signal.SIGINT, lambda *_: self.request_stop())

        for stage in self.stages:
            stage.start()
        self.log.info("supervising %d stages; control socket %s", len(self.stages), self.socket_path)

        while not self.stopping:
            self.step(server)
        self.stop_all()
        server.close()
        os.unlink(self.socket_path)
        return 0

    def another_supervisor_answers(self):
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(self.socket_path)
            return True
        except OSError:
            return False
        finally:
            probe.close()

    def request_stop(self):
        self.stopping = True

    def step(self, server):
        for _key, _events in self.selector.select(timeout=POLL_S):
            try:
                connection, _ = server.accept()
            except BlockingIOError:
                continue
            with connection:
                connection.settimeout(2.0)
                self.answer(connection)

        now = time.monotonic()
        for stage in self.stages:
            stage.read_output()
            stage.reap(now)
            if not self.stopping:
                stage.start_if_due(now)

    def answer(self, connection):
        try:
            request = json.loads(connection.recv(65536).decode("utf-8"))
            reply = self.handle(request)
        except (ValueError, OSError) as error:
            reply = {"ok": False, "error": f"invalid request: {error}"}
        try:
            connection.sendall(json.dumps(reply).encode("utf-8"))
        except OSError:
            pass

    def handle(self, request):
        command = request.get("command")
        if command == "status":
            return {"ok": True, "pid": os.getpid(), "stages": [stage.status() for stage in self.stages]}
        if command == "restart":
            matches = [stage for stage in self.stages if stage.stage == request.get("stage")
                       and request.get("site") in (None, stage.site)]
            if not matches:
                return {"ok": False, "error": f"no stage {request.get('stage')} "
                        f"{request.get('site') or ''} is supervised here".strip()}
            for stage in matches:
                stage.restart()
            return {"ok": True, "restarted": [stage.label for stage in matches]}
        if command == "stop":
            self.request_stop()
            return {"ok": True}
        return {"ok": False, "error": f"unknown command {command!r}"}

    def stop_all(self):
        for name in STOP_ORDER:
            for stage in self.stages:
                if stage.stage == name:
                    stage.stop("supervisor stopping")
        self.log.info("all stages stopped")


def make_logger():
    logger = logging.getLogger("wanctl-supervise")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s supervise %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger
