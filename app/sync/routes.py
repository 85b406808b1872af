"""Sync over HTTP: push commands, pull changes, see rejected commands."""

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.incidents.schemas import UUID
from app.sync import feed, services
from app.sync.commands import HANDLERS

blp = Blueprint("sync", __name__, url_prefix="/api/sync", description="Offline sync")


class CommandIn(Schema):
    command_id = fields.String(required=True, validate=UUID)
    seq = fields.Integer(required=True, validate=validate.Range(min=1))
    type = fields.String(required=True, validate=validate.OneOf(sorted(HANDLERS)))
    args = fields.Dict(required=True)
    device_time = fields.AwareDateTime(load_default=None)


class PushIn(Schema):
    device_id = fields.String(required=True, validate=UUID)
    commands = fields.List(
        fields.Nested(CommandIn), required=True, validate=validate.Length(max=1000)
    )


class Receipt(Schema):
    command_id = fields.String()
    seq = fields.Integer()
    status = fields.String(metadata={"description": "applied, rejected, duplicate or gap"})
    outcome = fields.String(
        allow_none=True, metadata={"description": "for a duplicate: what it was"}
    )
    result = fields.Dict(allow_none=True, metadata={"description": "{entity, id} it changed"})
    error = fields.Dict(metadata={"description": "{code, message, fields} of a rejection or gap"})
    expected_seq = fields.Integer(metadata={"description": "for a gap: the seq to send next"})


class PushOut(Schema):
    results = fields.List(fields.Nested(Receipt))
    last_seq = fields.Integer()


class PullArgs(Schema):
    cursor = fields.String(metadata={"description": "from the last pull; none for a first sync"})
    limit = fields.Integer(load_default=500, validate=validate.Range(1, 2000))


class Change(Schema):
    entity = fields.String()
    id = fields.String()
    op = fields.String(metadata={"description": "put (the whole entity) or del (a tombstone)"})
    data = fields.Dict(allow_none=True)


class PullOut(Schema):
    changes = fields.List(fields.Nested(Change))
    cursor = fields.String()
    has_more = fields.Boolean()
    snapshot = fields.Boolean()
    drop_scopes = fields.List(fields.String(), metadata={"description": "unit codes to purge"})


class RejectedOut(Schema):
    id = fields.String()
    device_id = fields.String()
    seq = fields.Integer()
    user = fields.Function(lambda c: {"id": c.user.id, "name": c.user.name})
    type = fields.String()
    args = fields.Dict()
    device_time = fields.DateTime(allow_none=True)
    code = fields.String()
    message = fields.String()
    fields_ = fields.Dict(data_key="fields", attribute="fields")
    received_at = fields.DateTime()


@blp.post("/push")
@blp.arguments(PushIn)
@blp.response(200, PushOut)
def push(body):
    """Apply queued commands, each once and in the device's order (see docs/sync.md)."""
    return services.push(current_user, body["device_id"], body["commands"])


@blp.get("/pull")
@blp.arguments(PullArgs, location="query")
@blp.response(200, PullOut)
def pull(args):
    """Changes in my area since my cursor; without one, a first snapshot (paged)."""
    return feed.pull(current_user, args.get("cursor"), args["limit"])


@blp.get("/rejected")
@blp.response(200, RejectedOut(many=True))
def rejected():
    """Rejected commands with their payloads: mine, or my area's members' for managers."""
    return services.rejected(current_user)
