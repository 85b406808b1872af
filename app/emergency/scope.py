"""The part of the map a switch or a roll-call names, and who may act over it."""

from flask import current_app
from shapely.geometry import shape
from shapely.validation import explain_validity
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from app.errors import Invalid
from app.extensions import db
from app.people.models import DISTRICT_ADMIN, SECRETARY, STREET_ADMIN
from app.units import spatial
from app.units.models import Unit
from geo.geojson import polygon_problems


def grids_of(scope, user):
    """[(grid id, code, community id, street id)] of the grids a scope names, in code order:
    {"level": "district"}, {"level": street|community|grid, "codes": [...]}, or
    {"level": "polygon", "geometry": GeoJSON}: the grids it touches that `user` may act over,
    as the screen previews them (it draws on the user's own grids: an area drawn along a
    street's edge also touches the next street's, which is not the user's to switch)."""
    grid, community = aliased(Unit), aliased(Unit)
    query = (
        select(grid.id, grid.code, grid.parent_id, community.parent_id)
        .join(community, community.id == grid.parent_id)
        .where(grid.level == "grid")
    )
    level = scope["level"]
    if level == "polygon":
        problems = polygon_problems(
            scope.get("geometry"),
            "scope.geometry",
            current_app.config["POLYGON_MAX_VERTICES"],
        )
        if problems:
            raise Invalid("Draw the area as a GeoJSON Polygon or MultiPolygon.", fields=problems)
        geometry = shape(scope["geometry"])
        if not geometry.is_valid:
            raise Invalid(
                "The drawn area must be a valid polygon.",
                fields={"scope.geometry": [explain_validity(geometry)]},
            )
        query = query.where(grid.id.in_(spatial.grids_touching(geometry)))
    elif level != "district":
        codes = scope.get("codes") or []
        if not codes:
            raise Invalid(f"Name the {level} codes.", fields={"scope.codes": ["required"]})
        found = dict(
            db.session.execute(select(Unit.code, Unit.level).where(Unit.code.in_(codes))).all()
        )
        unknown = [code for code in codes if found.get(code) != level]
        if unknown:
            raise Invalid(f"No {level} with these codes.", fields={"scope.codes": unknown})
        query = query.where(or_(*(grid.code.startswith(code) for code in codes)))
    rows = db.session.execute(query.order_by(grid.code)).all()
    if not rows:
        raise Invalid("That area holds no grid.", fields={"scope": ["no grid"]})
    if level == "polygon" and user.role in (STREET_ADMIN, SECRETARY):  # others: 403 below
        rows = [row for row in rows if may_act_over(user, [row])]
        if not rows:
            raise Invalid(
                "The drawn area touches none of the grids you answer for.",
                code="outside_your_area",
                fields={"scope.geometry": ["none of your grids"]},
            )
    return rows


def own(user, level):
    return {unit.id for unit in user.units if unit.level == level}


def may_act_over(user, grids):
    """District admins anywhere, street admins within their street, secretaries within their
    community: who may switch (a secretary only requests) or call the roll over `grids`."""
    if user.role == DISTRICT_ADMIN:
        return True
    if user.role == STREET_ADMIN:
        return {street for *_, street in grids} <= own(user, "street")
    if user.role == SECRETARY:
        return {community for _, _, community, _ in grids} <= own(user, "community")
    return False
