"""What unmasking reads and answers."""

from marshmallow import Schema, fields, validate

from app.inputs import Int
from app.schemas import Out, PersonRef, Time


class UnmaskIn(Schema):
    entity = fields.String(required=True, validate=validate.Length(min=1, max=32))
    id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    field = fields.String(required=True, validate=validate.Length(min=1, max=32))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class UnmaskOut(Schema):
    value = fields.String(allow_none=True)


class UnmaskingsArgs(Schema):
    entity = fields.String(validate=validate.Length(max=32))
    before = Int(minimum=1)
    limit = Int(minimum=1, maximum=500, load_default=100)


class UnmaskingOut(Out):
    """Who (actor), whose (entity, entity_id, field), when (at) and why (reason)."""

    id = fields.Integer()
    at = Time()
    actor = fields.Nested(PersonRef, allow_none=True)
    actor_role = fields.String(allow_none=True)
    entity = fields.Function(lambda e: e.data["entity"])
    entity_id = fields.String()
    field = fields.Function(lambda e: e.data["field"])
    reason = fields.String(attribute="note")
