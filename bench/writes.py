"""The write scenarios: incident reports by grid members, and claims on tasks a secretary made
beforehand; the requests each load process sends, and what the claims left in the database."""

import json
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta

from bench.common import BenchError
from bench.database import query

CATEGORY = "clutter_piling"  # 城管 / 乱堆乱放, as the tests report
DESCRIPTION = "楼道口堆放杂物，堵塞消防通道"
TASK_DAYS = 7  # task deadlines: a week ahead
TASK_FULL = "409 task_full"  # the outcome of a claim on a full task: as intended


class Reports:
    """POST /api/incidents (or the bare /insert) at each point in turn, each with a fresh id
    and photo reference, as a phone sends a new report."""

    def __init__(self, points, path="/api/incidents"):
        self.points = points
        self.path = path

    def __call__(self, i):
        lng, lat = self.points[i % len(self.points)]
        body = {
            "id": str(uuid.uuid4()),
            "category": CATEGORY,
            "description": DESCRIPTION,
            "lat": lat,
            "lng": lng,
            "photos": [{"sha256": secrets.token_hex(32), "kind": "close_up"}],
        }
        return "POST", self.path, json.dumps(body).encode()


class Claims:
    """POST /api/tasks/<id>/claim on each task in turn."""

    def __init__(self, task_ids):
        self.task_ids = task_ids

    def __call__(self, i):
        return "POST", f"/api/tasks/{self.task_ids[i % len(self.task_ids)]}/claim", b"{}"


def create_tasks(client, grid, count, capacity):
    """`count` open tasks for `grid`, made by a logged-in secretary over the API.

    Returns their ids and the mean milliseconds one creation took.
    """
    deadline = (datetime.now(UTC) + timedelta(days=TASK_DAYS)).isoformat(timespec="seconds")
    ids = []
    started = time.perf_counter()
    for n in range(count):
        task_id = str(uuid.uuid4())
        reply = client.post_json(
            "/api/tasks",
            {
                "id": task_id,
                "title": f"清理楼道杂物 {n + 1}",
                "grid": grid,
                "target": "楼道无杂物，消防通道畅通",
                "capacity": capacity,
                "deadline": deadline,
            },
        )
        if reply.status != 201:
            raise BenchError(f"POST /api/tasks: {reply.status} {reply.body[:300]!r}")
        ids.append(task_id)
    return ids, (time.perf_counter() - started) * 1000 / count


def claims_state(url):
    """What the claims left: places taken of all places, full tasks, and tasks whose counter
    `claimed` differs from their live claims (the database should keep that at 0)."""
    row = query(
        url,
        """
        SELECT count(*) AS tasks, sum(capacity) AS places, sum(claimed) AS taken,
               sum(CASE WHEN claimed >= capacity THEN 1 ELSE 0 END) AS full_tasks,
               sum(CASE WHEN claimed <> (SELECT count(*) FROM task_claim c
                                         WHERE c.task_id = t.id AND c.live)
                        THEN 1 ELSE 0 END) AS drifted
        FROM task t
        """,
    )[0]
    return {name: int(getattr(row, name) or 0) for name in row._fields}
