"""Builders for patrol tests: a walk inside a grid and the wire's batches of it."""

import uuid

from app.patrols import demo


def walk(grid, n, **kw):
    """n points (lat, lng, seconds, accuracy) of a walk across the grid, 10 s apart."""
    return demo.walk(grid.geom, n, **kw)


def batch(points, from_seq, start):
    """The `patrol.track` args of points[from_seq - 1 :] as JSON (seqs count from 1)."""
    return {**demo.batch(points, from_seq, start), "start": start.isoformat()}


def chunks(points, start, size):
    """The walk as batches of `size` points."""
    return [batch(points[: i + size], i + 1, start) for i in range(0, len(points), size)]


def new_patrol(client, grid, started=None):
    body = {"id": str(uuid.uuid4()), "grid": grid.code}
    if started is not None:
        body["device_time"] = started.isoformat()
    response = client.post("/api/patrols", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()
