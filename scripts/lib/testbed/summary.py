"""The plain-text summary of a run, ending with one line per metric."""

from testbed.processes import describe
from testbed.scenario import DIRECTIONS


def fmt(value, digits=1, unit=""):
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    return f"{value:.{digits}f}{unit}"


def render(report):
    scenario = report["scenario"]
    machine = report["machine"]
    idle = report["result"]["idle"]
    lines = [
        f"Testbed run: {scenario['name']} ({scenario['description']})" if scenario["description"]
        else f"Testbed run: {scenario['name']}",
        f"Status: {report['status']}",
    ]
    for failure in report["failures"]:
        lines.append(f"  failed: {failure}")
    for note in report["notes"]:
        lines.append(f"  note: {note}")
    lines += [
        f"Controller: {describe_controller(scenario['controller'])}",
        f"Link: {scenario['link']['download_delay_ms']:g}/{scenario['link']['upload_delay_ms']:g} ms delay "
        f"down/up, {scenario['link']['buffer_packets']} packet buffer per direction",
        f"Machine: {machine.get('nproc')} cores, kernel {machine.get('kernel')}, commit {machine.get('commit')}"
        f"{' (uncommitted changes)' if machine.get('uncommitted_changes') else ''}, "
        f"load average {fmt(machine.get('loadavg_1min_start'), 2)} at start, "
        f"{fmt(machine.get('loadavg_1min_end'), 2)} at end",
        f"Kernel: {report['kernel'].get('ending', 'unknown')}",
        describe_emulator(report["result"]["emulator"]),
        "",
        f"Idle RTT {fmt(idle['rtt_ms'], 2)} ms (base delay {idle['base_rtt_ms']:g} ms, {idle['samples']} samples); "
        f"one-way {fmt(idle['download_delay_ms'], 2)} ms down, {fmt(idle['upload_delay_ms'], 2)} ms up",
        "",
        "Phase  time s     capacity     measured  RTT p50/p95/p99 ms        increase over idle ms     "
        "download          upload            loss",
    ]
    for phase in report["result"]["phases"]:
        lines.append(render_phase(phase))
    lines.append("  (share = TCP goodput delivered to the receiver / bottleneck rate: about 0.95 is a full link.")
    lines.append("   Data held back behind a lost packet counts when it is delivered, so under heavy loss")
    lines.append("   a phase can show more than that.)")

    recoveries = report["result"]["recoveries"]
    if recoveries:
        lines.append("")
        lines.append(f"Recovery after capacity drops (back within {recoveries[0]['margin_ms']:g} ms of idle "
                     f"for {recoveries[0]['hold_s']:g} s):")
        for recovery in recoveries:
            outcome = (f"{recovery['recovery_s']:.2f} s" if recovery["recovery_s"] is not None
                       else f"not recovered ({recovery.get('reason', '')})")
            lines.append(f"  {'/'.join(recovery['directions'])} drop at {recovery['at_s']:.1f} s: {outcome}")

    if "wanctl" in report:
        lines.extend(render_wanctl(report["wanctl"]))

    lines.append("")
    lines.append("Metrics (one per line, for comparing runs):")
    for name, value in report["metrics"]:
        lines.append(f"{name} {value if value is not None else 'n/a'}")
    return "\n".join(lines) + "\n"


def render_wanctl(wanctl):
    lines = ["", "wanctl:"]
    lines.append(f"  sample to shaper (probe reply to device confirmation): p50 "
                 f"{fmt(wanctl['apply_latency_p50_ms'], 2, ' ms')}, p99 {fmt(wanctl['apply_latency_p99_ms'], 2, ' ms')} "
                 f"over {wanctl['applied_decisions']} applied decisions")
    lines.append(f"  device writes: {wanctl['device_writes']} ({wanctl['device_writes_per_hour']} per hour)")
    for kill in wanctl["kills"]:
        lines.append(f"  killed {kill['stage']} (pid {kill['pid']}) with SIGKILL at {kill['at_s']:.1f} s")
    for restart in wanctl["restarts"]:
        lines.append(f"  {restart}")
    return lines


def describe_emulator(timing):
    late = timing["wake_late_ms"] or {}
    text = (f"Emulator timing: sampler woke {fmt(late.get('p95'), 2)} ms late at p95, "
            f"{fmt(late.get('p99'), 2)} ms at p99")
    if timing["late"]:
        text += (f"\nWarning: the emulator ran late (more than {timing['limit_ms']:g} ms at p95), so the host was "
                 f"too busy: latency figures include emulator stalls that no network queue caused")
    return text


def describe_controller(controller):
    if controller["kind"] == "none":
        return "none (no shaper)"
    rates = f"CAKE {controller['download_mbps']:g}/{controller['upload_mbps']:g} Mbit/s down/up"
    if controller["kind"] == "static":
        return f"static, {rates}"
    return f"command '{describe(controller['command'])}', starting at {rates}"


def render_phase(phase):
    rtt = phase["rtt_ms"] or {}
    increase = phase["rtt_increase_ms"] or {}
    capacity = phase["capacity_mbps"]
    directions = []
    for direction in DIRECTIONS:
        throughput = phase["throughput"][direction]
        directions.append(f"{fmt(throughput['mbps'])} Mb/s ({fmt(throughput['share'], 2)})")
    percentiles = "/".join(fmt(rtt.get(key)) for key in ("p50", "p95", "p99"))
    increases = "/".join(fmt(increase.get(key)) for key in ("p50", "p95", "p99"))
    return (f"{phase['index']:>5}  {phase['start_s']:>4g}-{phase['end_s']:<4g}  "
            f"{capacity['download']:>5g}/{capacity['upload']:<5g}  {phase['measured_under']:<8}  "
            f"{percentiles:<24}  {increases:<24}  {directions[0]:<16}  {directions[1]:<16}  "
            f"{fmt(phase['loss_percent'], 1, '%')}")
