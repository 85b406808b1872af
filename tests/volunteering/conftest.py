"""The volunteering tests share the wish tests' map and people."""

from datetime import timedelta

from app import clock
from tests.wishes.conftest import crowd, place  # noqa: F401


def activity_body(community, **fields):
    point = community.geom.representative_point()
    return {
        "community": community.code,
        "title": "文明城市创建：锦江路清扫",
        "place": "锦江路口",
        "lat": point.y,
        "lng": point.x,
        "radius_m": 100,
        "starts_at": clock.now() + timedelta(hours=1),
        "ends_at": clock.now() + timedelta(hours=4),
        "capacity": 2,
        **fields,
    }
