"""Shapes of the Open311 keys' API (the gateway's own output follows the spec: routes.py)."""

from marshmallow import Schema, fields, validate

from app.incidents.models import HOTLINE, OPEN311
from app.schemas import Time


class ClientIn(Schema):
    # the name is also its channel account's (a person's name is at most 50)
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    source = fields.String(load_default=OPEN311, validate=validate.OneOf((OPEN311, HOTLINE)))
    hourly_limit = fields.Integer(validate=validate.Range(min=1, max=100_000))


class ClientOut(Schema):
    id = fields.Integer()
    name = fields.String()
    source = fields.String()
    hourly_limit = fields.Integer()
    created_at = Time()
    revoked_at = Time(allow_none=True)


class IssuedOut(ClientOut):
    api_key = fields.String(metadata={"description": "shown this once; kept only as a digest"})
