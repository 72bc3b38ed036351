"""Requests to a running supervisor, and the status table."""

import json
import os
import socket
import subprocess
import time

from .binaries import find_program


class SupervisorNotRunning(Exception):
    pass


def request(run_dir, message, timeout_s=30.0):
    path = os.path.join(run_dir, "control.sock")
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.settimeout(timeout_s)
    try:
        connection.connect(path)
    except (FileNotFoundError, ConnectionRefusedError) as error:
        raise SupervisorNotRunning(
            f"no supervisor answers on {path}: {error.strerror}; start one with "
            "wanctl-supervise start CONFIG... (or pass the --run-dir it uses)") from error
    with connection:
        connection.sendall(json.dumps(message).encode("utf-8"))
        connection.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    return json.loads(data.decode("utf-8"))


def wait_until_gone(run_dir, pid, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return not os.path.exists(os.path.join(run_dir, "control.sock"))


def ring_positions(site, bin_dir):
    """Returns "samples W/C decisions W/C" from the ring headers, or a note."""
    try:
        tap = find_program("tap", bin_dir)
    except FileNotFoundError:
        return "tap not found"
    parts = []
    for ring in ("samples", "decisions"):
        result = subprocess.run([tap, site, ring, "--header", "--format", "json"],
                                capture_output=True, text=True, timeout=10, check=False)
        if result.returncode != 0:
            parts.append(f"{ring} missing")
            continue
        header = json.loads(result.stdout)
        parts.append(f"{ring} {header['write_index']}/{header['consumer_index']}")
    return " ".join(parts)


def format_status(reply, bin_dir):
    rows = [("SITE", "STAGE", "STATE", "PID", "UPTIME_S", "RESTARTS", "RINGS W/C", "LAST EXIT", "LAST ERROR")]
    positions = {}
    for stage in reply["stages"]:
        if stage["stage"] != "steering" and stage["site"] not in positions:
            positions[stage["site"]] = ring_positions(stage["site"], bin_dir)
        rows.append((stage["site"], stage["stage"], stage["state"], str(stage["pid"] or "-"),
                     f"{stage['uptime_s']:.1f}", str(stage["restarts"]),
                     positions.get(stage["site"], "-"), stage["last_exit"] or "-",
                     stage["last_error"][-80:] or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = [f"supervisor pid {reply['pid']}"]
    for row in rows:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])
    return "\n".join(lines)
