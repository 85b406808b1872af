"""Many points placed at once: the same answers as one by one, on both backends."""

from app.errors import NotFound
from app.units import services as units


def _one(point):
    try:
        return units.placement(*point)
    except NotFound:
        return None


def test_points_placed_together_are_placed_as_one_by_one(district):
    grids = district["grid"][:8]
    points = [(g.geom.representative_point().x, g.geom.representative_point().y) for g in grids]
    corner = grids[0].geom.geoms[0].exterior.coords[0]  # on edges shared with neighbours
    points += [(116.4, 39.9), points[0], (corner[0], corner[1])]  # outside; again
    placed = units.placements(points)
    assert placed == [_one(point) for point in points]
    assert [p["grid"]["code"] for p in placed[:8]] == [g.code for g in grids]
    assert placed[8] is None and placed[9] == placed[0] and placed[10] is not None
    assert units.placements([]) == [] and units.placements([points[1]]) == [placed[1]]
