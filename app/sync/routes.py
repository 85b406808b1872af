"""Sync over HTTP: push commands, pull changes, see rejected commands."""

import zlib

from flask import current_app
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from webargs import core
from webargs.flaskparser import is_json_request

from app import inputs
from app.errors import ApiError
from app.incidents.schemas import UUID
from app.schemas import Out
from app.sync import feed, services
from app.sync.commands import HANDLERS
from app.transaction import reads_only


def gunzip(data, limit):
    """The bytes of a gzip body (members one after another, as gzip allows), refused past
    `limit` bytes unpacked: a small body must not unpack into a memory bomb."""
    out, size = [], 0
    while data:
        member = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            chunk = member.decompress(data, limit - size + 1)
        except zlib.error:
            chunk, member = None, None
        if chunk is not None:
            size += len(chunk)
            out.append(chunk)
        if size > limit:
            raise ApiError(
                f"The body unpacks to more than {limit} bytes.",
                status=413,
                code="payload_too_large",
            )
        if member is None or not member.eof:
            raise ApiError(
                "The body is not valid gzip (Content-Encoding: gzip).", code="malformed_gzip"
            )
        data = member.unused_data
    return b"".join(out)


class _Parser(inputs.Parser):
    """webargs' parser, reading a JSON body sent with Content-Encoding: gzip: a phone's queue
    of commands is repetitive JSON that gzip shrinks about five times, on a slow uplink."""

    def _raw_load_json(self, req):
        encoding = req.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding == "identity":
            return super()._raw_load_json(req)
        if encoding != "gzip":
            raise ApiError(
                f"Content-Encoding {encoding} is not supported: send gzip or nothing.",
                status=415,
                code="unsupported_media_type",
            )
        if not is_json_request(req):
            return core.missing
        return self.load_body(
            gunzip(req.get_data(cache=True), current_app.config["MAX_CONTENT_LENGTH"])
        )

    def checked_part(self, body):
        # A command's args are checked with the command, which is rejected alone: a push
        # refused whole for one of them would be sent again, and refused, forever.
        if not isinstance(body, dict) or not isinstance(body.get("commands"), list):
            return body
        commands = [
            {k: v for k, v in c.items() if k != "args"} if isinstance(c, dict) else c
            for c in body["commands"]
        ]
        return dict(body, commands=commands)


blp = Blueprint("sync", __name__, url_prefix="/api/sync", description="Offline sync")
blp.ARGUMENTS_PARSER = _Parser()


class CommandIn(Schema):
    command_id = fields.String(required=True, validate=UUID)
    seq = inputs.Int(minimum=1, required=True)
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
    limit = inputs.Int(minimum=1, maximum=2000, load_default=500)


class Change(Out):
    entity = fields.String()
    id = fields.String()
    op = fields.String(metadata={"description": "put (the whole entity) or del (a tombstone)"})
    data = fields.Dict(allow_none=True)


class PullOut(Out):
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
@blp.arguments(PushIn())
@blp.response(200, PushOut)
def push(body):
    """Apply queued commands, each once and in the device's order (see docs/sync.md)."""
    # The user itself, not Flask-Login's proxy: a push reads the user thousands of times.
    user = current_user._get_current_object()
    return services.push(user, body["device_id"], body["commands"])


@blp.get("/pull")
@reads_only
@blp.arguments(PullArgs(), location="query")
@blp.response(200, PullOut)
def pull(args):
    """Changes in my area since my cursor; without one, a first snapshot (paged)."""
    # The user itself, not Flask-Login's proxy: a first sync asks who they are for each of
    # thousands of entities, and through the proxy each asking cost a context lookup.
    return feed.pull(current_user._get_current_object(), args.get("cursor"), args["limit"])


@blp.get("/rejected")
@blp.response(200, RejectedOut(many=True))
def rejected():
    """Rejected commands with their payloads: mine, or my area's members' for managers."""
    return services.rejected(current_user)
