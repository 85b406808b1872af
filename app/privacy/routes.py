"""Unmasking over HTTP: one field in full on request, and the district's list of requests."""

from flask_login import current_user
from flask_smorest import Blueprint

from app.privacy import services
from app.privacy.schemas import UnmaskIn, UnmaskingOut, UnmaskingsArgs, UnmaskOut

blp = Blueprint("privacy", __name__, url_prefix="/api/privacy", description="Personal data")


@blp.post("/unmask")
@blp.arguments(UnmaskIn)
@blp.response(200, UnmaskOut)
def unmask(body):
    """One field of a person in full, for a role that may read it; the reason is recorded."""
    value = services.unmask(current_user, body["entity"], body["id"], body["field"], body["reason"])
    return {"value": value}


@blp.get("/unmaskings")
@blp.arguments(UnmaskingsArgs, location="query")
@blp.response(200, UnmaskingOut(many=True))
def unmaskings(args):
    """Every unmasking, newest first (who, whose, when, why): district admins only."""
    return services.unmaskings(current_user, **args)
