"""Builders of request bodies shared by the tests."""

import uuid

SHA = "a" * 64
CATEGORY = "clutter_piling"  # 城管 / 乱堆乱放: ordinary limits in working time


def point_in(unit):
    p = unit.geom.representative_point()
    return {"lat": p.y, "lng": p.x}


def report_body(unit, **extra):
    body = {
        "id": str(uuid.uuid4()),
        "category": CATEGORY,
        "description": "楼道口堆放杂物，堵塞消防通道",
        "photos": [{"sha256": SHA, "kind": "close_up"}],
        **point_in(unit),
    }
    body.update(extra)
    return body
