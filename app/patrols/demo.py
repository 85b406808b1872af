"""Demo patrols: a plan for each grid of the demo secretary's community, and a few walked
patrols (yesterday's reviewed, today's ended) of the demo grid member and a colleague."""

import uuid
from datetime import timedelta

import numpy as np
import shapely
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.patrols import plans, services
from app.patrols.track import encode_polyline
from app.people.models import GRID_MEMBER, SECRETARY, TEAM_MEMBER, User, user_scope
from app.units.models import Unit
from geo.metric import LocalFrame


def walk(shape, n, step_m=12.0, every_s=10, accuracy=8.0):
    """n points [(lat, lng, seconds, accuracy)] of a walk zigzagging across a WGS-84 polygon
    from a point inside it, `every_s` apart: a member walking their grid."""
    frame = LocalFrame.around(shape)
    inner = frame.to_metres(shape)
    start = inner.representative_point()
    xmin, _, xmax, _ = inner.bounds
    reach = max(xmax - xmin, step_m * 4) / 3
    points, x, y, direction, climb = [], start.x, start.y, 1, step_m
    for _ in range(n):
        points.append((x, y))
        x += direction * step_m
        if abs(x - start.x) > reach or not inner.contains(shapely.Point(x, y)):
            x, direction = x - direction * step_m, -direction
            if not inner.contains(shapely.Point(x, y + climb)):
                climb = -climb  # the grid's edge: back the other way
            y += climb
    degrees = shapely.get_parts(frame.to_degrees(shapely.points(np.array(points)))).tolist()
    return [(p.y, p.x, every_s * i, accuracy) for i, p in enumerate(degrees)]


def batch(points, from_seq, start):
    """The `patrol.track` args of points[from_seq - 1:] (seqs count from 1), times after
    `start` (the patrol's start)."""
    chunk = points[from_seq - 1 :]
    times = [t for _, _, t, _ in chunk]
    return {
        "from_seq": from_seq,
        "start": start,
        "line": encode_polyline([(lat, lng) for lat, lng, _, _ in chunk]),
        "dt": [times[0], *(b - a for a, b in zip(times, times[1:], strict=False))],
        "accuracy": [a for *_, a in chunk],
    }


def _walk_patrol(member, grid, started, minutes, points):
    patrol = services.start(
        member, {"id": str(uuid.uuid4()), "grid": grid.code, "device_time": started}
    )
    services.add_track(member, {"id": patrol.id, **batch(points, 1, started)})
    return services.end(
        member, {"id": patrol.id, "device_time": started + timedelta(minutes=minutes)}
    )


def _first(role, unit_id):
    return db.session.execute(
        select(User)
        .join(user_scope, user_scope.c.user_id == User.id)
        .where(User.role == role, user_scope.c.unit_id == unit_id)
        .order_by(User.id)
    ).scalar()


def seed():
    """Into the demo district just loaded (app/demo.py), after its people."""
    grid = db.session.execute(select(Unit).where(Unit.level == "grid").order_by(Unit.code)).scalar()
    secretary = _first(SECRETARY, grid.parent_id)
    member, colleague = _first(GRID_MEMBER, grid.id), _first(TEAM_MEMBER, grid.id)
    points = walk(grid.geom, 240)
    market = points[180]
    for each in grid.parent.children:
        checkpoints = (
            [{"name": "农贸市场", "lat": market[0], "lng": market[1], "radius_m": 30}]
            if each.id == grid.id
            else []
        )
        plans.set_plan(
            secretary,
            {
                "grid": each.code,
                "title": "日常巡查",
                "every_hours": 24,
                "min_minutes": 30,
                "checkpoints": checkpoints,
                "ordered": False,
                "working_days_only": True,
            },
        )
    now = clock.now()
    yesterday = _walk_patrol(member, grid, now - timedelta(days=1, hours=2), 45, points)
    services.review(secretary, yesterday.id, 4, "路线完整，市场周边再细致些")
    _walk_patrol(member, grid, now - timedelta(hours=3), 40, points[:200])
    if colleague is not None:
        _walk_patrol(colleague, grid, now - timedelta(hours=5), 35, points[40:])
