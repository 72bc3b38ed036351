"""Print the metrics of several testbed runs side by side, then their plots.

Usage: demo_table.py RUN_DIR...   (each holds the report.json of one run)
"""

import json
import sys
from pathlib import Path


def load(directory):
    path = Path(directory) / "report.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return {"status": f"no report ({error})", "metrics": []}


def main(directories):
    reports = [load(directory) for directory in directories]
    names = [Path(directory).name for directory in directories]
    metrics = []
    for report in reports:
        for name, _ in report.get("metrics", []):
            if name not in metrics:
                metrics.append(name)
    values = [dict(report.get("metrics", [])) for report in reports]

    width = max([len(name) for name in metrics] + [6])
    print()
    print(f"{'metric':<{width}}  " + "  ".join(f"{name:>12}" for name in names))
    print(f"{'status':<{width}}  " + "  ".join(f"{report.get('status', '?'):>12}" for report in reports))
    for metric in metrics:
        cells = []
        for table in values:
            value = table.get(metric)
            cells.append(f"{'n/a' if value is None else value:>12}")
        print(f"{metric:<{width}}  " + "  ".join(cells))
    print()
    for directory in directories:
        print(f"plot: {Path(directory).resolve() / 'plot.png'}")
        print(f"summary: {Path(directory).resolve() / 'summary.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
