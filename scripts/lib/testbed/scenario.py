"""Scenario files: read, validate and normalise a testbed scenario (TOML).

A scenario describes the emulated WAN link (delay per direction, bottleneck
buffer), its capacity schedule per direction, the load schedule, reflector
faults and the controller under test. The normalised form is plain JSON that
the runner inside user-mode Linux and the report both read.

Command line: `python3 -m testbed.scenario check FILE...` validates files;
`python3 -m testbed.scenario normalize FILE OUT.json [CONTROLLER_KIND]` also
writes the JSON, with the controller's kind replaced when one is given.
Exit status 2 on an invalid scenario.
"""

import json
import re
import sys
import tomllib
from pathlib import Path

from testbed.toml_fields import ScenarioError, TomlSource, Table, format_value

# Upper bounds keep every run bounded in time and the emulated link within
# what one user-mode Linux CPU can forward.
MAX_DURATION_S = 600
MAX_DELAY_MS = 1000
MAX_BUFFER_PACKETS = 100_000
MAX_RATE_MBPS = 1000
MAX_STREAMS = 16
MAX_REFLECTORS = 16

# The latency probe must sample at 10 Hz or faster to resolve sub-second bloat.
MIN_PROBE_INTERVAL_MS = 10
MAX_PROBE_INTERVAL_MS = 100
DEFAULT_PROBE_INTERVAL_MS = 50
DEFAULT_REFLECTOR_COUNT = 4

DIRECTIONS = ("download", "upload")

REPOSITORY_TOP = Path(__file__).resolve().parents[3]
WANCTL_DEFAULT_CONFIG = "configs/testbed/wan.toml"
WANCTL_KILL = re.compile(r"(prober|estimator|actuator)@[0-9]+")
LOAD_DIRECTIONS = ("download", "upload", "bidirectional")
CONTROLLER_KINDS = ("none", "static", "command", "wanctl")
# The name becomes part of the results directory's path.
NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]+")


def load(path, controller_kind=None):
    """Read and validate the scenario at path; return its normalised dict or raise ScenarioError.

    controller_kind, when given, replaces the kind in the file's [controller]
    table, so one schedule can be run with several controllers.
    """
    source = TomlSource(path)
    root = Table(source, source.data, "")

    scenario = {
        "source": str(Path(path).resolve()),
        "name": read_name(root, Path(path).stem),
        "description": root.string("description", default=""),
        "duration_s": root.number("duration_s", above=0, maximum=MAX_DURATION_S, unit="s"),
    }
    scenario["link"] = read_link(root.table("link"))
    scenario["probe"] = read_probe(root.table("probe", default={}))
    scenario["reflector_count"] = read_net(root.table("net", default={}))
    scenario["capacity"] = read_capacity(root.table("capacity"), scenario["duration_s"])
    scenario["load"] = read_loads(root.table_list("load", required=False), scenario["duration_s"])
    scenario["reflector_faults"] = read_faults(root.table_list("reflector_fault", required=False),
                                               scenario["duration_s"], scenario["reflector_count"])
    scenario["controller"] = read_controller(root.table("controller"), Path(path).resolve().parent,
                                             controller_kind)
    root.finish()
    if controller_kind is not None:
        scenario["name"] = f"{scenario['name']}-{controller_kind}"
    return scenario


def read_name(root, default):
    name = root.string("name", default=default)
    if not NAME_PATTERN.fullmatch(name):
        raise root.source.error("name", name, "may contain only letters, digits and . _ -")
    return name


def read_link(table):
    link = {
        "download_delay_ms": table.number("download_delay_ms", minimum=0, maximum=MAX_DELAY_MS, unit="ms"),
        "upload_delay_ms": table.number("upload_delay_ms", minimum=0, maximum=MAX_DELAY_MS, unit="ms"),
        "buffer_packets": table.integer("buffer_packets", minimum=1, maximum=MAX_BUFFER_PACKETS,
                                        unit="packets"),
    }
    table.finish()
    return link


def read_probe(table):
    probe = {"interval_ms": table.number("interval_ms", minimum=MIN_PROBE_INTERVAL_MS,
                                         maximum=MAX_PROBE_INTERVAL_MS,
                                         default=DEFAULT_PROBE_INTERVAL_MS, unit="ms")}
    table.finish()
    return probe


def read_net(table):
    count = table.integer("reflector_count", minimum=1, maximum=MAX_REFLECTORS,
                          default=DEFAULT_REFLECTOR_COUNT)
    table.finish()
    return count


def read_capacity(table, duration_s):
    """Read one schedule per direction; the phases of each must tile [0, duration_s] exactly."""
    capacity = {}
    for direction in DIRECTIONS:
        phases = []
        for entry in table.table_list(direction, required=True):
            phase = {
                "start_s": entry.number("start_s", minimum=0, maximum=duration_s, unit="s"),
                "end_s": entry.number("end_s", above=0, maximum=duration_s, unit="s"),
                "mbps": entry.number("mbps", above=0, maximum=MAX_RATE_MBPS, unit="Mbit/s"),
            }
            entry.finish()
            check_phase_order(entry, phases, phase)
            phases.append(phase)
        check_phases_cover(table, direction, phases, duration_s)
        capacity[direction] = phases
    table.finish()
    return capacity


def check_phase_order(entry, previous, phase):
    source = entry.source
    if phase["end_s"] <= phase["start_s"]:
        raise source.error(f"{entry.path}.end_s", phase["end_s"],
                           f"must be greater than start_s = {format_value(phase['start_s'])}")
    if not previous:
        if phase["start_s"] != 0:
            raise source.error(f"{entry.path}.start_s", phase["start_s"],
                               "the first phase must start at 0 s")
        return
    previous_end_s = previous[-1]["end_s"]
    if phase["start_s"] < previous_end_s:
        raise source.error(f"{entry.path}.start_s", phase["start_s"],
                           f"overlaps the previous phase, which ends at {format_value(previous_end_s)} s")
    if phase["start_s"] > previous_end_s:
        raise source.error(f"{entry.path}.start_s", phase["start_s"],
                           f"leaves a gap after the previous phase, which ends at "
                           f"{format_value(previous_end_s)} s")


def check_phases_cover(table, direction, phases, duration_s):
    last_end_s = phases[-1]["end_s"]
    if last_end_s != duration_s:
        raise table.source.error(f"{table.key_path(direction)}[{len(phases) - 1}].end_s", last_end_s,
                                 f"the last phase must end at duration_s = {format_value(duration_s)} s")


def read_loads(entries, duration_s):
    loads = []
    for entry in entries:
        load = {
            "direction": entry.choice("direction", LOAD_DIRECTIONS),
            "start_s": entry.number("start_s", minimum=0, maximum=duration_s, unit="s"),
            # iperf3 takes its test length in whole seconds.
            "duration_s": entry.integer("duration_s", minimum=1, maximum=MAX_DURATION_S, unit="s"),
            "streams": entry.integer("streams", minimum=1, maximum=MAX_STREAMS, default=1),
        }
        entry.finish()
        end_s = load["start_s"] + load["duration_s"]
        if end_s > duration_s:
            raise entry.source.error(f"{entry.path}.duration_s", load["duration_s"],
                                     f"the load would end at {format_value(end_s)} s, after the scenario's "
                                     f"duration_s = {format_value(duration_s)} s")
        loads.append(load)
    return loads


def read_faults(entries, duration_s, reflector_count):
    faults = []
    for entry in entries:
        fault = {
            "reflector": entry.integer("reflector", minimum=1, maximum=reflector_count),
            "start_s": entry.number("start_s", minimum=0, maximum=duration_s, unit="s"),
            "end_s": entry.number("end_s", above=0, maximum=duration_s, unit="s"),
        }
        entry.finish()
        if fault["end_s"] <= fault["start_s"]:
            raise entry.source.error(f"{entry.path}.end_s", fault["end_s"],
                                     f"must be greater than start_s = {format_value(fault['start_s'])}")
        for other in faults:
            if other["reflector"] == fault["reflector"] and fault["start_s"] < other["end_s"] \
                    and other["start_s"] < fault["end_s"]:
                raise entry.source.error(f"{entry.path}.start_s", fault["start_s"],
                                         f"overlaps another fault of reflector {fault['reflector']} "
                                         f"({format_value(other['start_s'])} s to "
                                         f"{format_value(other['end_s'])} s)")
        faults.append(fault)
    return faults


def read_controller(table, scenario_dir, kind_override=None):
    kind = table.choice("kind", CONTROLLER_KINDS)
    if kind_override is not None:
        if kind_override not in CONTROLLER_KINDS:
            accepted = ", ".join(CONTROLLER_KINDS)
            raise ScenarioError(f"--controller {kind_override}: unknown controller kind; accepted: {accepted}")
        kind = kind_override
    controller = {"kind": kind}

    if kind == "none":
        for key in ("download_mbps", "upload_mbps", "command"):
            if kind_override is None:
                table.reject(key, "not used when kind is \"none\" (the link runs unshaped)")
            else:
                table.known.add(key)
    else:
        for direction in DIRECTIONS:
            controller[f"{direction}_mbps"] = table.number(f"{direction}_mbps", above=0,
                                                           maximum=MAX_RATE_MBPS, unit="Mbit/s")
    if kind in ("static", "wanctl"):
        if kind_override is None:
            table.reject("command", "used only when kind is \"command\"")
        else:
            table.known.add("command")
    if kind == "command":
        controller["command"] = resolve_command(table.string_list("command"), scenario_dir)
    if kind == "wanctl":
        read_wanctl_controller(table, controller)
    else:
        for key in ("config", "kill"):
            if kind_override is None:
                table.reject(key, "used only when kind is \"wanctl\"")
            else:
                table.known.add(key)
    table.finish()
    return controller


def read_wanctl_controller(table, controller):
    """Run the wanctl pipeline from a WAN config (relative paths start at the
    repository's top) and optionally kill stages at given times."""
    config = Path(table.string("config", default=WANCTL_DEFAULT_CONFIG))
    if not config.is_absolute():
        config = REPOSITORY_TOP / config
    try:
        with open(config, "rb") as handle:
            instance = tomllib.load(handle).get("instance", {}).get("name")
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise table.source.error(table.key_path("config"), str(config), f"cannot be read: {error}") from error
    if not isinstance(instance, str) or not instance:
        raise table.source.error(table.key_path("config"), str(config), "has no [instance] name")

    kills = table.get("kill", [])
    if not isinstance(kills, list) or not all(isinstance(entry, str) and WANCTL_KILL.fullmatch(entry)
                                                for entry in kills):
        raise table.source.error(table.key_path("kill"), kills,
                                 'must be an array like ["estimator@20", "actuator@35"]: '
                                 "a stage (prober, estimator, actuator) and the second to kill it at")
    controller["config"] = str(config)
    controller["instance"] = instance
    controller["kill"] = kills
    controller["command"] = [str(REPOSITORY_TOP / "scripts/lib/testbed/wanctl_controller.sh"),
                             str(config), instance] + kills


def resolve_command(argv, scenario_dir):
    """Resolve a relative program path (one containing '/') against the scenario's directory."""
    program = argv[0]
    if "/" in program and not program.startswith("/"):
        program = str((scenario_dir / program).resolve())
    return [program] + argv[1:]


def phases(scenario):
    """Return the phases of the capacity schedule: every interval where no capacity changes."""
    boundaries = sorted({phase["start_s"] for direction in DIRECTIONS
                         for phase in scenario["capacity"][direction]} | {scenario["duration_s"]})
    result = []
    for start_s, end_s in zip(boundaries, boundaries[1:]):
        result.append({
            "start_s": start_s,
            "end_s": end_s,
            "download_mbps": capacity_at(scenario, "download", start_s),
            "upload_mbps": capacity_at(scenario, "upload", start_s),
        })
    return result


def capacity_at(scenario, direction, time_s):
    for phase in scenario["capacity"][direction]:
        if phase["start_s"] <= time_s < phase["end_s"]:
            return phase["mbps"]
    return scenario["capacity"][direction][-1]["mbps"]


def main(argv):
    if len(argv) >= 2 and argv[0] == "check":
        status = 0
        for path in argv[1:]:
            try:
                load(path)
                print(f"{path}: valid")
            except ScenarioError as error:
                print(error, file=sys.stderr)
                status = 2
        return status
    if len(argv) in (3, 4) and argv[0] == "normalize":
        try:
            scenario = load(argv[1], argv[3] if len(argv) == 4 else None)
        except ScenarioError as error:
            print(error, file=sys.stderr)
            return 2
        Path(argv[2]).write_text(json.dumps(scenario, indent=2) + "\n", encoding="utf-8")
        return 0
    print("usage: python3 -m testbed.scenario check FILE... | normalize FILE OUT.json [CONTROLLER_KIND]",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
