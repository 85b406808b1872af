"""The category catalogue and the holiday list: read by everyone, edited by district admins."""

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.catalogue import services
from app.errors import Forbidden
from app.people.models import DISTRICT_ADMIN

blp = Blueprint("catalogue", __name__, url_prefix="/api", description="Categories and calendar")


class Versioned(Schema):
    version = fields.Integer(metadata={"description": "0: the file shipped with the code"})
    data = fields.Dict()


class DocumentIn(Schema):
    data = fields.Dict(required=True)


def _admin():
    if current_user.role != DISTRICT_ADMIN:
        raise Forbidden("Only district admins edit the catalogue and calendar.", code="not_allowed")


@blp.get("/catalogue")
@blp.response(200, Versioned)
def catalogue():
    """The two-level catalogue (大类/小类) in force, with conditions, departments and limits."""
    version, data = services.document("catalogue")
    return {"version": version, "data": data}


@blp.put("/catalogue")
@blp.arguments(DocumentIn)
@blp.response(200, Versioned)
def replace_catalogue(body):
    """Replace the catalogue (validated; every problem is named by its path)."""
    _admin()
    version = services.replace_catalogue(body["data"], current_user)
    return {"version": version, "data": body["data"]}


@blp.get("/calendar/holidays")
@blp.response(200, Versioned)
def holidays():
    """Holidays and adjusted working days (调休) that working-time limits skip."""
    version, data = services.document("holidays")
    return {"version": version, "data": data}


@blp.put("/calendar/holidays")
@blp.arguments(DocumentIn)
@blp.response(200, Versioned)
def replace_holidays(body):
    _admin()
    version = services.replace_holidays(body["data"], current_user)
    return {"version": version, "data": body["data"]}
