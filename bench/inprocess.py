"""In-process locate rate: `python -m bench.inprocess` reads points (JSON, stdin), prints figures.

It runs as its own process, with the same environment as gunicorn, because app.config reads
the environment when it is imported: one process per backend, like one server worker.
"""

import json
import sys
import time

from app import create_app
from app.units.models import current_revision
from app.units.services import placement

ROUNDS = 4  # baseline and placement alternate, so a noisy second hits both alike


def main():
    points = [tuple(point) for point in json.load(sys.stdin)["points"]]
    app = create_app()
    with app.app_context():
        placement(*points[0])  # the first lookup builds SQLite's in-process index
        figures = measure(points)
    json.dump(figures, sys.stdout)


def measure(points):
    """Calls per second of current_revision() and placement(lng, lat), one call per point each."""
    seconds = {"baseline": 0.0, "placement": 0.0}
    for r in range(ROUNDS):
        chunk = points[r::ROUNDS]
        seconds["baseline"] += _time(lambda _point: current_revision(), chunk)
        seconds["placement"] += _time(lambda point: placement(*point), chunk)
    baseline_rate = len(points) / seconds["baseline"]
    placement_rate = len(points) / seconds["placement"]
    return {
        "calls": len(points),
        "baseline_per_s": baseline_rate,
        "placement_per_s": placement_rate,
        "ratio": placement_rate / baseline_rate,
    }


def _time(call, points):
    started = time.perf_counter()
    for point in points:
        call(point)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
