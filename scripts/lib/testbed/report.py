"""Build the report of a run directory: report.json, summary.txt, plot.png and the CSV series.

`python3 -m testbed.report DIR` prints the summary and exits 0 when the run
finished as planned, 1 when it failed (the report then states what failed and
still contains everything that was measured).
"""

import json
import sys
from pathlib import Path

from testbed import analysis, series as run_series, series_csv, summary, wanctl_metrics


def failures_of(series):
    failures = list(series.status.get("failures", []))
    state = series.status.get("state")
    if state not in ("finished", "failed"):
        failures.append(f"the runner did not finish (its last state: {state or 'unknown'}); see runner.log")
    ending = series.kernel.get("ending")
    if ending != "powered off":
        failures.append(f"the kernel did not power off by itself: {ending or 'no kernel status'}")
    exit_path = series.directory / "runner-exit"
    if exit_path.exists():
        runner_exit = exit_path.read_text(encoding="ascii").strip()
        if runner_exit not in ("0", "1"):
            failures.append(f"the runner exited with status {runner_exit}; see runner.log")
    return failures


def build(directory):
    series = run_series.load_run(directory)
    result = analysis.analyse(series)
    failures = failures_of(series)
    status = "ok" if not failures and not series.notes else "failed"
    machine = dict(series.host)
    machine["loadavg_1min_end"] = series.kernel.get("loadavg_1min_end")
    report = {
        "status": status,
        "failures": failures,
        "notes": series.notes,
        "scenario": series.scenario,
        "machine": machine,
        "kernel": series.kernel,
        "runner": series.status,
        "result": result,
        "metrics": analysis.metrics(result),
    }
    wanctl = wanctl_metrics.collect(Path(directory), series.scenario.get("duration_s"))
    if wanctl is not None:
        report["wanctl"] = wanctl
        report["metrics"] += wanctl_metrics.metrics(wanctl)
    return series, report


def write(directory):
    directory = Path(directory)
    series, report = build(directory)
    (directory / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    series_csv.write_all(directory, series, analysis.throughput_bins(series, analysis.LoadTimeline(series.loads)))
    text = summary.render(report)
    (directory / "summary.txt").write_text(text, encoding="utf-8")
    try:
        from testbed import plot
        plot.draw(series, report, directory / "plot.png")
    except ImportError as error:
        text += f"plot not drawn: {error} (install python3-matplotlib)\n"
    return report, text


def main(argv):
    if len(argv) != 1:
        print("usage: python3 -m testbed.report RUN_DIR", file=sys.stderr)
        return 2
    try:
        report, text = write(argv[0])
    except FileNotFoundError as error:
        print(f"testbed: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    print(f"Report: {Path(argv[0]).resolve()}/summary.txt, report.json, plot.png")
    return 0 if report["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
