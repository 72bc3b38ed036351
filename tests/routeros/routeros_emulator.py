#!/usr/bin/python3
"""An emulated MikroTik RouterOS router's REST API, for wanctl's tests.

It follows the documented behaviour of RouterOS 7's REST API
(https://help.mikrotik.com/docs/display/ROS/REST+API): HTTP Basic
authentication, every value in a JSON response encoded as a string, GET on a
menu returning a list (filtered by ?key=value, [] when nothing matches), GET,
PATCH and DELETE on /rest/<menu>/<id> with ids such as "*1A", PATCH answering
with the whole updated object, errors as {"error": 404, "message": "Not
Found"} and 400 with a "detail" for an unknown menu or parameter.

Menus: /queue/tree, /queue/simple, /queue/type and /ip/firewall/mangle. Rates
written with suffixes ("10M") are stored as plain bit/s, as RouterOS does.

Fault injection and inspection live outside /rest, without authentication:
  POST /emulator/faults  {"delay_ms": 2500, "count": 1, "method": "PATCH"}
                         {"status": 500, "count": 2}
                         {"reset": 1}              close the connection with RST
                         {"garbage": 1}            200 with half a JSON document
                         {"expire_credentials": true}
                         {"password": "new secret"}
                         {"recreate": {"menu": "queue/tree", "name": "wan1-down"}}
                         {"delete": {"menu": "queue/tree", "name": "wan1-down"}}
                         {"set": {"menu": "queue/tree", "name": "x", "fields": {...}}}
  GET  /emulator/log     every /rest request: method, path, body, status, connection
  POST /emulator/log/clear
  GET  /emulator/state

With --tc-map NAME=DEVICE[@NAMESPACE] (inside the testbed) a max-limit or
cake-bandwidth written to the queue NAME is applied to the root CAKE of
DEVICE with tc, and that queue's counters come from the qdisc's statistics.

It listens on 127.0.0.1 unless told otherwise and prints one line
"listening on URL" when ready.
"""

import argparse
import base64
import json
import re
import secrets
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

# Fields a PATCH or PUT may set, per menu; counters are read-only.
WRITABLE = {
    "queue/tree": {"name", "parent", "packet-mark", "limit-at", "max-limit", "queue", "priority",
                   "burst-limit", "burst-threshold", "burst-time", "bucket-size", "disabled", "comment"},
    "queue/simple": {"name", "target", "dst", "limit-at", "max-limit", "queue", "priority", "parent",
                     "packet-marks", "burst-limit", "burst-threshold", "burst-time", "bucket-size",
                     "disabled", "comment"},
    "queue/type": {"name", "kind", "cake-bandwidth", "cake-diffserv", "cake-flowmode", "cake-nat",
                   "cake-overhead", "cake-overhead-scheme", "cake-rtt", "cake-rtt-scheme", "cake-wash",
                   "cake-ack-filter", "cake-atm", "cake-memlimit", "cake-mpu", "pfifo-limit", "comment"},
    "ip/firewall/mangle": {"chain", "action", "new-routing-mark", "new-connection-mark",
                           "connection-mark", "routing-mark", "passthrough", "src-address",
                           "dst-address", "src-address-list", "dst-address-list", "protocol",
                           "dst-port", "in-interface", "out-interface", "disabled", "comment", "log"},
}

DEFAULTS = {
    "queue/tree": {"parent": "global", "packet-mark": "", "limit-at": "0", "max-limit": "0",
                   "queue": "default", "priority": "8", "bucket-size": "0.1", "burst-limit": "0",
                   "burst-threshold": "0", "burst-time": "0s", "disabled": "false", "invalid": "false",
                   "bytes": "0", "packets": "0", "dropped": "0", "queued-bytes": "0",
                   "queued-packets": "0", "rate": "0", "packet-rate": "0"},
    "queue/simple": {"target": "", "dst": "", "limit-at": "0/0", "max-limit": "0/0",
                     "queue": "default-small/default-small", "priority": "8/8",
                     "bucket-size": "0.1/0.1", "burst-limit": "0/0", "burst-threshold": "0/0",
                     "burst-time": "0s/0s", "disabled": "false", "invalid": "false", "dynamic": "false",
                     "bytes": "0/0", "packets": "0/0", "dropped": "0/0", "queued-bytes": "0/0",
                     "queued-packets": "0/0", "rate": "0/0", "packet-rate": "0/0"},
    "queue/type": {"kind": "pfifo", "default": "false"},
    "ip/firewall/mangle": {"chain": "prerouting", "action": "accept", "passthrough": "true",
                           "disabled": "false", "dynamic": "false", "invalid": "false", "log": "false",
                           "bytes": "0", "packets": "0"},
}

REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           500: "Internal Server Error", 503: "Service Unavailable"}

RATE_FIELDS = {"max-limit", "limit-at", "cake-bandwidth", "burst-limit", "burst-threshold"}
RATE_PATTERN = re.compile(r"^(\d+)(?:\.(\d+))?([kKMGT]?)$")
MULTIPLIERS = {"": 1, "k": 1000, "K": 1000, "M": 10**6, "G": 10**9, "T": 10**12}


def parse_rate(text):
    """Returns the rate in bit/s as an integer, or None when text is not a rate."""
    match = RATE_PATTERN.match(text)
    if not match:
        return None
    whole, fraction, suffix = match.groups()
    if fraction and not suffix:
        return None
    value = int(whole) * MULTIPLIERS[suffix]
    if fraction:
        value += int(fraction) * MULTIPLIERS[suffix] // 10 ** len(fraction)
    return value


def normalize_rate(menu, field, value):
    """Stores rates as plain bit/s strings, pairs for a simple queue; None when invalid."""
    if field not in RATE_FIELDS:
        return value
    parts = value.split("/") if menu == "queue/simple" else [value]
    if menu == "queue/simple" and len(parts) != 2:
        return None
    rates = [parse_rate(part) for part in parts]
    if any(rate is None for rate in rates):
        return None
    return "/".join(str(rate) for rate in rates)


class Fault:
    def __init__(self, spec):
        self.kind = next(key for key in ("delay_ms", "status", "reset", "garbage") if key in spec)
        self.value = spec[self.kind]
        self.count = int(spec.get("count", spec[self.kind] if self.kind in ("reset", "garbage") else 1))
        self.method = spec.get("method")


class Router:
    """The configuration database and the injected faults, behind one lock."""

    def __init__(self, state, user, password, tc_map):
        self.lock = threading.Lock()
        self.log_lock = threading.Lock()
        self.menus = {menu: [] for menu in WRITABLE}
        self.next_id = 0x10
        self.user = user
        self.password = password
        self.faults = []
        self.log = []
        self.tc_map = tc_map
        self.started = time.monotonic()
        for menu, items in state.items():
            for item in items:
                self.add(menu, item)

    def new_id(self):
        self.next_id += 1
        return "*%X" % self.next_id

    def add(self, menu, fields):
        item = {".id": self.new_id()}
        item.update(DEFAULTS[menu])
        for key, value in fields.items():
            if key == "traffic-bps":
                item["_traffic_bps"] = int(value)
                continue
            item[key] = str(value)
        item["_created"] = time.monotonic()
        self.menus[menu].append(item)
        return item

    def find(self, menu, name_or_comment):
        for item in self.menus[menu]:
            if item.get("name") == name_or_comment or item.get("comment") == name_or_comment:
                return item
        return None

    def take_fault(self, method):
        for fault in self.faults:
            if fault.count > 0 and (fault.method is None or fault.method == method):
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def refresh_counters(self, menu, item):
        """Counters grow with the queue's configured traffic, or come from tc."""
        mapped = self.tc_map.get(item.get("name"))
        if mapped:
            stats = read_tc_stats(*mapped)
            if stats:
                item.update({key: str(value) for key, value in stats.items()})
            return
        rate = item.get("_traffic_bps")
        if not rate:
            return
        elapsed = time.monotonic() - item["_created"]
        total_bytes = int(rate * elapsed / 8)
        if menu == "queue/simple":
            item["bytes"] = "%d/%d" % (total_bytes // 4, total_bytes)
            item["packets"] = "%d/%d" % (total_bytes // 4 // 1500, total_bytes // 1500)
        else:
            item["bytes"] = str(total_bytes)
            item["packets"] = str(total_bytes // 1500)


def tc_command(device, namespace):
    # The testbed's init starts programs without /usr/sbin in PATH.
    tc = shutil.which("tc") or "/usr/sbin/tc"
    ip = shutil.which("ip") or "/usr/sbin/ip"
    prefix = [ip, "netns", "exec", namespace] if namespace else []
    return prefix + [tc]


def read_tc_stats(device, namespace):
    result = subprocess.run(tc_command(device, namespace) + ["-s", "-j", "qdisc", "show", "dev", device, "root"],
                            capture_output=True, text=True, timeout=5)
    if result.returncode != 0:
        return None
    qdiscs = json.loads(result.stdout or "[]")
    if not qdiscs:
        return None
    root = qdiscs[0]
    return {"bytes": root.get("bytes", 0), "packets": root.get("packets", 0), "dropped": root.get("drops", 0),
            "queued-bytes": root.get("backlog", 0), "queued-packets": root.get("qlen", 0)}


def apply_tc_rate(device, namespace, rate_bps):
    bandwidth = "unlimited" if rate_bps == 0 else "%dbit" % rate_bps
    result = subprocess.run(tc_command(device, namespace) + ["qdisc", "change", "dev", device, "root", "cake",
                                                             "bandwidth", bandwidth],
                            capture_output=True, text=True, timeout=5)
    return result.returncode == 0, result.stderr.strip()


def public_view(item, proplist=None):
    view = {key: value for key, value in item.items() if not key.startswith("_")}
    if proplist:
        view = {key: value for key, value in view.items() if key in proplist}
    return view


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "RouterOS-emulator"
    connections = 0
    connections_lock = threading.Lock()

    def setup(self):
        super().setup()
        # Headers and body go out in two writes; without TCP_NODELAY the
        # second waits for the client's delayed ACK (about 40 ms on Linux).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with Handler.connections_lock:
            Handler.connections += 1
            self.connection_number = Handler.connections

    def log_message(self, format, *args):
        if self.server.verbose:
            sys.stderr.write("emulator: " + (format % args) + "\n")

    # Plumbing

    def record(self, status):
        """Logs the request before its response is sent, so a client that reads
        the log right after the response finds it there."""
        self.last_status = status
        if self.recorded or self.path.startswith("/emulator/"):
            return
        self.recorded = True
        router = self.server.router
        url = urlsplit(self.path)
        with router.log_lock:
            router.log.append({"method": self.command, "path": url.path, "query": url.query,
                               "body": self.request_body.decode(errors="replace"), "status": status,
                               "connection": self.connection_number, "time": time.monotonic()})

    def send_json(self, status, payload, headers=None):
        self.record(status)
        body = json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def send_error_json(self, status, message, detail=None, headers=None):
        payload = {"error": status, "message": message}
        if detail is not None:
            payload["detail"] = detail
        self.send_json(status, payload, headers)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def reset_connection(self):
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN;
        # the server then closes without the usual shutdown.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.server.reset_requests.add(id(self.connection))
        self.close_connection = True
        self.record(0)

    # Dispatch

    def do_GET(self):
        self.dispatch("GET")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_POST(self):
        self.dispatch("POST")

    def dispatch(self, method):
        url = urlsplit(self.path)
        body = self.read_body()
        self.request_body = body
        self.recorded = False
        if url.path.startswith("/emulator/"):
            self.control(method, url.path, body)
            return
        try:
            self.rest(method, url, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up, e.g. after its timeout
        finally:
            self.record(getattr(self, "last_status", 0))

    def authorized(self):
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        router = self.server.router
        return secrets.compare_digest(user, router.user) and secrets.compare_digest(password, router.password)

    def rest(self, method, url, body):
        router = self.server.router
        with router.lock:
            fault = router.take_fault(method)
        if fault:
            if fault.kind == "delay_ms":
                time.sleep(int(fault.value) / 1000)
            elif fault.kind == "status":
                status = int(fault.value)
                self.send_error_json(status, REASONS.get(status, "Error"))
                return
            elif fault.kind == "reset":
                self.reset_connection()
                return
            elif fault.kind == "garbage":
                text = b'[{".id":"*1","name":"trunc'
                self.record(200)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)
                return

        if not self.authorized():
            self.send_error_json(401, "Unauthorized", headers={"WWW-Authenticate": 'Basic realm="RouterOS"'})
            return

        if not url.path.startswith("/rest/"):
            self.send_error_json(400, "Bad Request", "no such command or directory (%s)" % url.path)
            return
        parts = [unquote(part) for part in url.path[len("/rest/"):].strip("/").split("/")]
        menu, item_id = None, None
        for size in (3, 2):
            candidate = "/".join(parts[:size])
            if candidate in WRITABLE and len(parts) - size <= 1:
                menu = candidate
                item_id = parts[size] if len(parts) > size else None
                break
        if menu is None:
            self.send_error_json(400, "Bad Request", "no such command or directory (%s)" % parts[-1])
            return

        with router.lock:
            if method == "GET":
                self.get(router, menu, item_id, url.query)
            elif method == "PATCH" and item_id:
                self.patch(router, menu, item_id, body)
            elif method == "PUT" and not item_id:
                self.put(router, menu, body)
            elif method == "DELETE" and item_id:
                self.delete(router, menu, item_id)
            else:
                self.send_error_json(400, "Bad Request", "no such command")

    def get(self, router, menu, item_id, query):
        filters = dict(parse_qsl(query, keep_blank_values=True))
        proplist = filters.pop(".proplist", None)
        proplist = set(proplist.split(",")) if proplist else None
        if item_id:
            item = next((item for item in router.menus[menu] if item[".id"] == item_id), None)
            if item is None:
                self.send_error_json(404, "Not Found")
                return
            router.refresh_counters(menu, item)
            self.send_json(200, public_view(item, proplist))
            return
        matches = []
        for item in router.menus[menu]:
            if all(item.get(key) == value for key, value in filters.items()):
                router.refresh_counters(menu, item)
                matches.append(public_view(item, proplist))
        self.send_json(200, matches)

    def parse_fields(self, menu, body):
        try:
            fields = json.loads(body or b"{}")
        except ValueError as error:
            self.send_error_json(400, "Bad Request", "JSON parse error: %s" % error)
            return None
        if not isinstance(fields, dict):
            self.send_error_json(400, "Bad Request", "expected a JSON object")
            return None
        normalized = {}
        for key, value in fields.items():
            if key not in WRITABLE[menu]:
                self.send_error_json(400, "Bad Request", "unknown parameter %s" % key)
                return None
            text = value if isinstance(value, str) else json.dumps(value)
            stored = normalize_rate(menu, key, text)
            if stored is None:
                self.send_error_json(400, "Bad Request", "value of %s is invalid: %s" % (key, text))
                return None
            normalized[key] = stored
        return normalized

    def patch(self, router, menu, item_id, body):
        item = next((item for item in router.menus[menu] if item[".id"] == item_id), None)
        if item is None:
            self.send_error_json(404, "Not Found")
            return
        fields = self.parse_fields(menu, body)
        if fields is None:
            return
        mapped = router.tc_map.get(item.get("name"))
        rate_field = "cake-bandwidth" if menu == "queue/type" else "max-limit"
        if mapped and rate_field in fields:
            applied, error = apply_tc_rate(mapped[0], mapped[1], int(fields[rate_field].split("/")[-1]))
            if not applied:
                self.send_error_json(500, "Internal Server Error", "tc failed: %s" % error)
                return
        item.update(fields)
        router.refresh_counters(menu, item)
        self.send_json(200, public_view(item))

    def put(self, router, menu, body):
        fields = self.parse_fields(menu, body)
        if fields is None:
            return
        self.send_json(201, public_view(router.add(menu, fields)))

    def delete(self, router, menu, item_id):
        items = router.menus[menu]
        item = next((item for item in items if item[".id"] == item_id), None)
        if item is None:
            self.send_error_json(404, "Not Found")
            return
        items.remove(item)
        self.record(204)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    # Control

    def control(self, method, path, body):
        router = self.server.router
        with router.lock:
            if method == "GET" and path == "/emulator/log":
                with router.log_lock:
                    entries = list(router.log)
                self.send_json(200, entries)
            elif method == "POST" and path == "/emulator/log/clear":
                with router.log_lock:
                    router.log.clear()
                self.send_json(200, {})
            elif method == "GET" and path == "/emulator/state":
                self.send_json(200, {menu: [public_view(item) for item in items]
                                     for menu, items in router.menus.items()})
            elif method == "POST" and path == "/emulator/faults":
                self.apply_control(router, json.loads(body or b"{}"))
            else:
                self.send_error_json(404, "Not Found")

    def apply_control(self, router, spec):
        if spec.get("expire_credentials"):
            router.password = secrets.token_hex(16)
        if "password" in spec:
            router.password = spec["password"]
        if "recreate" in spec or "delete" in spec:
            target = spec.get("recreate") or spec.get("delete")
            item = router.find(target["menu"], target["name"])
            if item is None:
                self.send_error_json(404, "Not Found", "no %s named %s" % (target["menu"], target["name"]))
                return
            router.menus[target["menu"]].remove(item)
            if "recreate" in spec:
                fields = {key: value for key, value in item.items() if not key.startswith(".")}
                item = router.add(target["menu"], {})
                item.update({key: value for key, value in fields.items() if key != "_created"})
            self.send_json(200, public_view(item))
            return
        if "set" in spec:
            target = spec["set"]
            item = router.find(target["menu"], target["name"])
            if item is None:
                self.send_error_json(404, "Not Found", "no %s named %s" % (target["menu"], target["name"]))
                return
            item.update({key: str(value) for key, value in target["fields"].items()})
            self.send_json(200, public_view(item))
            return
        if any(key in spec for key in ("delay_ms", "status", "reset", "garbage")):
            router.faults.append(Fault(spec))
        self.send_json(200, {"faults": len(router.faults)})


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address):
        super().__init__(address, Handler)
        self.reset_requests = set()

    def shutdown_request(self, request):
        if id(request) in self.reset_requests:
            self.reset_requests.discard(id(request))
            request.close()
            return
        super().shutdown_request(request)


def parse_tc_map(entries):
    mapping = {}
    for entry in entries:
        name, _, target = entry.partition("=")
        device, _, namespace = target.partition("@")
        if not name or not device:
            raise SystemExit("--tc-map expects NAME=DEVICE[@NAMESPACE], got %r" % entry)
        mapping[name] = (device, namespace or None)
    return mapping


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one")
    parser.add_argument("--state", help="JSON file: {menu: [objects]} to start with")
    parser.add_argument("--user", default="wanctl")
    parser.add_argument("--password-file", help="file with the password (default: 'test-password')")
    parser.add_argument("--cert", help="server certificate (PEM); serves HTTPS when given")
    parser.add_argument("--key", help="server private key (PEM)")
    parser.add_argument("--tc-map", action="append", default=[], metavar="NAME=DEVICE[@NAMESPACE]",
                        help="apply the queue NAME's rate to the root CAKE of DEVICE with tc")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args()

    state = {}
    if args.state:
        with open(args.state) as file:
            state = json.load(file)
    password = "test-password"
    if args.password_file:
        with open(args.password_file) as file:
            password = file.read().rstrip("\r\n")

    server = EmulatorServer((args.listen, args.port))
    server.router = Router(state, args.user, password, parse_tc_map(args.tc_map))
    server.verbose = args.verbose
    scheme = "http"
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"

    host, port = server.server_address[:2]
    print("listening on %s://%s:%d" % (scheme, host, port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
