"""Request and response shapes for the inbox, push subscriptions and mute settings."""

from marshmallow import Schema, fields, validate

from app.inputs import Int
from app.notify.models import KINDS
from app.schemas import Out, Time


class MessageOut(Out):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "one of " + ", ".join(KINDS)})
    title = fields.String()
    body = fields.String(allow_none=True)
    entity = fields.String(allow_none=True, metadata={"description": "what it is about"})
    entity_id = fields.String(allow_none=True)
    critical = fields.Boolean(metadata={"description": "a roll-call or mode switch"})
    created_at = Time()
    read_at = Time(allow_none=True)


class InboxQuery(Schema):
    unread = fields.Boolean(load_default=False)
    before = Int(
        minimum=1,
        load_default=None,
        metadata={"description": "messages older than this id (the last one of a page)"},
    )
    limit = Int(minimum=1, maximum=200, load_default=50)


class UnreadOut(Schema):
    unread = fields.Integer()


class KeyOut(Schema):
    public_key = fields.String(
        metadata={"description": "applicationServerKey: the VAPID P-256 point, base64url"}
    )


class SubscriptionKeys(Schema):
    p256dh = fields.String(required=True, validate=validate.Length(1, 200))
    auth = fields.String(required=True, validate=validate.Length(1, 100))


class SubscriptionIn(Schema):
    """The browser's PushSubscription.toJSON()."""

    endpoint = fields.String(required=True, validate=validate.Length(1, 1000))
    keys = fields.Nested(SubscriptionKeys, required=True)
    expiration_time = fields.Integer(data_key="expirationTime", allow_none=True, load_default=None)


class EndpointIn(Schema):
    endpoint = fields.String(required=True, validate=validate.Length(1, 1000))


class SubscriptionOut(Schema):
    id = fields.Integer()
    endpoint = fields.String()
    created_at = Time()


class NotificationsIn(Schema):
    muted = fields.List(
        fields.String(validate=validate.Length(1, 16)),
        required=True,
        metadata={"description": "kinds not to push; rollcall and mode cannot be muted"},
    )


class NotificationsOut(Schema):
    muted = fields.List(fields.String())
    mutable = fields.List(fields.String(), metadata={"description": "kinds one may mute"})
    critical = fields.List(fields.String(), metadata={"description": "kinds always pushed"})
