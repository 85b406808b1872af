"""The inbox, push subscriptions and mute settings over HTTP: thin wrappers around
app.notify.services and app.notify.push. Everything here is the caller's own."""

from flask_login import current_user
from flask_smorest import Blueprint

from app.notify import push, services
from app.notify.schemas import (
    EndpointIn,
    InboxQuery,
    KeyOut,
    MessageOut,
    NotificationsIn,
    NotificationsOut,
    SubscriptionIn,
    SubscriptionOut,
    UnreadOut,
)

blp = Blueprint("notify", __name__, url_prefix="/api", description="Inbox (站内信) and Web Push")


@blp.get("/push/key")
@blp.response(200, KeyOut)
def key():
    """The server's VAPID public key, for PushManager.subscribe's applicationServerKey."""
    return {"public_key": push.public_key()}


@blp.post("/push/subscriptions")
@blp.arguments(SubscriptionIn)
@blp.response(201, SubscriptionOut)
@blp.alt_response(200, schema=SubscriptionOut, description="the endpoint was known: updated")
def subscribe(body):
    """Keep this phone's push subscription (PushSubscription.toJSON()) for the caller."""
    subscription, created = push.subscribe(
        current_user, body["endpoint"], body["keys"]["p256dh"], body["keys"]["auth"]
    )
    return subscription, 201 if created else 200


@blp.delete("/push/subscriptions")
@blp.arguments(EndpointIn)
@blp.response(204)
def unsubscribe(body):
    """Stop pushing to this phone (harmless if already gone)."""
    push.unsubscribe(current_user, body["endpoint"])


@blp.get("/me/notifications")
@blp.response(200, NotificationsOut)
def notifications():
    return push.notification_settings(current_user)


@blp.put("/me/notifications")
@blp.arguments(NotificationsIn)
@blp.response(200, NotificationsOut)
def set_notifications(body):
    """The kinds of message not to push (they still reach the inbox)."""
    return push.set_muted(current_user, body["muted"])


@blp.get("/inbox")
@blp.arguments(InboxQuery, location="query")
@blp.response(200, MessageOut(many=True))
def inbox(query):
    """The caller's messages, newest first; page with `before` (the last id seen)."""
    messages = services.listing(current_user, query["unread"], query["limit"], query["before"])
    return services.present(current_user, messages)


@blp.get("/inbox/unread")
@blp.response(200, UnreadOut)
def unread():
    return {"unread": services.unread_count(current_user)}


@blp.post("/inbox/<int:message_id>/read")
@blp.response(200, MessageOut)
def read(message_id):
    """Mark one of the caller's messages read; again is harmless."""
    message = services.mark_read(current_user, message_id)
    return services.present(current_user, [message])[0]
