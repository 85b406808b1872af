"""The map over HTTP: the unit tree, grid GeoJSON, locate, grid details."""

from flask import Response, request
from flask_login import current_user
from flask_smorest import Blueprint

from app.transaction import reads_only
from app.units import services
from app.units.schemas import GridDetail, GridQuery, LocateArgs, Placement, UnitNode

blp = Blueprint("units", __name__, url_prefix="/api", description="The map: units and grids")


@blp.get("/units")
@reads_only
@blp.response(200, UnitNode(many=True))
def unit_tree():
    """District → streets → communities → grids, codes and names only."""
    return services.unit_tree()


@blp.get("/grids")
@reads_only
@blp.arguments(GridQuery, location="query")
@blp.response(200, description="GeoJSON FeatureCollection of grids (WGS-84)")
def grids(args):
    """Grid boundaries as GeoJSON, filterable; answers 304 to a matching If-None-Match."""
    rendered = services.grid_collection(
        args.get("community"), args.get("street"), args.get("bbox"), args.get("simplify")
    )
    # Each encoding is its own representation with its own tag; gzip is made once, at render.
    gzipped = "gzip" in request.accept_encodings
    etag = rendered.etag + ("-gz" if gzipped else "")
    headers = {"ETag": f'"{etag}"', "Cache-Control": "private, no-cache", "Vary": "Accept-Encoding"}
    if etag in request.if_none_match:
        return Response(status=304, headers=headers)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
        return Response(rendered.gzipped, headers=headers, mimetype="application/geo+json")
    return Response(rendered.body, headers=headers, mimetype="application/geo+json")


@blp.get("/grids/<code>")
@reads_only
@blp.response(200, GridDetail)
def grid(code):
    """One grid's details, for those whose area covers it."""
    return services.grid_detail(current_user, code)


@blp.get("/locate")
@reads_only
@blp.arguments(LocateArgs, location="query")
@blp.response(200, Placement)
def locate(args):
    """The grid, community and street holding a WGS-84 point; 404 outside the district."""
    return services.placement(args["lng"], args["lat"])
