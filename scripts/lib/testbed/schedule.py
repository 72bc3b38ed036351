"""The timed events of a scenario: capacity changes, loads, reflector faults.

Events are (time_s, order, kind, details) tuples sorted by time; `order` makes
a fault's end run before a fault that starts at the same instant.
"""

from testbed.scenario import phases

ORDER = {"fault_end": 0, "capacity": 1, "fault_start": 2, "load_start": 3}


def build_events(scenario):
    events = []
    all_phases = phases(scenario)
    for previous, phase in zip(all_phases, all_phases[1:]):
        # A phase boundary without a change in capacity only splits the statistics.
        if (previous["download_mbps"], previous["upload_mbps"]) == (phase["download_mbps"], phase["upload_mbps"]):
            continue
        events.append((phase["start_s"], ORDER["capacity"], "capacity",
                       {"download": phase["download_mbps"], "upload": phase["upload_mbps"],
                        "planned_s": phase["start_s"]}))
    for index, load in enumerate(scenario["load"], start=1):
        events.append((load["start_s"], ORDER["load_start"], "load_start", {"index": index, **load}))
    for fault in scenario["reflector_faults"]:
        events.append((fault["start_s"], ORDER["fault_start"], "fault_start", dict(fault)))
        events.append((fault["end_s"], ORDER["fault_end"], "fault_end", dict(fault)))
    events.sort(key=lambda event: (event[0], event[1]))
    return events


def initial_capacity(scenario):
    first = phases(scenario)[0]
    return {"download": first["download_mbps"], "upload": first["upload_mbps"]}
