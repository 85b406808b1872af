"""Web Push: the server's VAPID key, phones' subscriptions and mute settings, and the sender
the worker runs (`send_pending`), batched and rate-limited per person. How it fits together:
docs/push.md."""

import json
import logging
import os
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from py_vapid import Vapid
from py_vapid.utils import b64urldecode, b64urlencode
from pywebpush import WebPushException, webpush
from sqlalchemy import and_, delete, exists, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from app import clock, netguard, security, transaction
from app.errors import Invalid
from app.extensions import db
from app.notify.models import (
    CRITICAL,
    FAILED,
    KINDS,
    MUTABLE,
    NOT_PUSHED,
    PENDING,
    SENDING,
    SENT,
    Message,
    PushSubscription,
)
from app.people.models import User

log = logging.getLogger(__name__)

KEY_FILE = "vapid_private.pem"
# Serialises the workers' claims on PostgreSQL (a transaction-scoped advisory lock), so that
# "nobody is pushing to this person right now" holds while a claim is made.
CLAIM_LOCK = 0x6772_6964_7075_7368 >> 1  # "gridpush", as a positive bigint
# What a phone shows: a few titles, each cut short; push services take about 4 KB.
TITLES_SHOWN, TITLE_CHARS, BODY_CHARS = 3, 60, 120


# -- the VAPID key ------------------------------------------------------------------------------


def vapid():
    """The server's VAPID key (a py_vapid.Vapid), made on first use and kept per app."""
    app = current_app._get_current_object()
    key = app.extensions.get("gridlink_vapid")
    if key is None:
        pem = (app.config.get("VAPID_PRIVATE_KEY") or "").strip()
        if pem:
            # An environment variable may carry the PEM's line breaks as "\n".
            pem = pem.replace("\\n", "\n").encode()
        else:
            path = os.path.join(app.instance_path, KEY_FILE)
            # Made on the spot, each node of a cluster would sign with a key of its own and
            # phones subscribed through another node would never get a push: production is
            # given the key (the environment, or the file put there beforehand).
            pem = _instance_key(path, make=app.config["MAKE_SECRET_KEY"])
            if pem is None:
                raise RuntimeError(
                    f"Set VAPID_PRIVATE_KEY (PEM of an EC P-256 key), or put one in {path}."
                )
        private = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private, ec.EllipticCurvePrivateKey) or not isinstance(
            private.curve, ec.SECP256R1
        ):
            raise RuntimeError("VAPID_PRIVATE_KEY must be an EC P-256 private key (PEM).")
        key = app.extensions["gridlink_vapid"] = Vapid(private)
    return key


def _instance_key(path, make=True):
    """The PEM in the instance folder, made once if `make` (app.security.secret_file);
    None when there is none and none may be made."""
    return security.secret_file(
        path,
        (
            lambda: ec.generate_private_key(ec.SECP256R1()).private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        if make
        else None,
    )


def public_key():
    """The key a browser passes to PushManager.subscribe as applicationServerKey: the
    uncompressed P-256 point, base64url without padding."""
    point = vapid().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64urlencode(point)


# -- subscriptions and mute settings ------------------------------------------------------------


def _check_endpoint(endpoint):
    """A push service on the internet (app.netguard), looked up now and again at each push."""
    config = current_app.config
    if config["PUSH_ALLOW_LOCAL_ENDPOINTS"]:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise Invalid("A push endpoint is an http(s) URL.", fields={"endpoint": ["Not a URL."]})
        return
    try:
        netguard.check(endpoint, config["PUSH_SERVICE_HOSTS"])
    except netguard.Refused as refused:
        raise Invalid(
            "A push endpoint is a push service on the internet: " + str(refused),
            fields={"endpoint": [str(refused)]},
        ) from None
    except OSError:
        raise Invalid(
            "The push endpoint's host has no address.",
            fields={"endpoint": ["Its host has no address."]},
        ) from None


def _check_key(name, value, size):
    try:
        raw = b64urldecode(value.encode())
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != size or (name == "p256dh" and raw[:1] != b"\x04"):
        what = "an uncompressed P-256 point" if name == "p256dh" else f"{size} bytes"
        raise Invalid(
            f"keys.{name} must be {what}, base64url.",
            fields={f"keys.{name}": [f"Not {what}, base64url."]},
        )


def subscribe(user, endpoint, p256dh, auth):
    """Keep a phone's subscription for this person. The same endpoint again updates it: a
    phone on which another person logged in moves to them. Returns (subscription, created)."""
    _check_endpoint(endpoint)
    _check_key("p256dh", p256dh, 65)
    _check_key("auth", auth, 16)
    for _ in range(2):
        subscription = db.session.execute(
            select(PushSubscription).where(PushSubscription.endpoint == endpoint)
        ).scalar_one_or_none()
        if subscription is not None:
            if subscription.user_id != user.id:
                # The last push went to someone else: the new owner's rate starts afresh.
                subscription.last_push_at = None
            subscription.user_id = user.id
            if (subscription.p256dh, subscription.auth) != (p256dh, auth):
                subscription.failures = 0
            subscription.p256dh, subscription.auth = p256dh, auth
            transaction.commit()
            return subscription, False
        subscription = PushSubscription(
            user_id=user.id,
            endpoint=endpoint,
            p256dh=p256dh,
            auth=auth,
            created_at=clock.now(),
            failures=0,
        )
        db.session.add(subscription)
        try:
            transaction.commit()
            return subscription, True
        except IntegrityError:  # the same phone, twice at once: the other insert won
            db.session.rollback()
    raise RuntimeError("push subscription upsert did not settle")


def unsubscribe(user, endpoint):
    """Forget one of this person's phones; harmless if it is not (or no longer) theirs."""
    removed = db.session.execute(
        delete(PushSubscription).where(
            PushSubscription.endpoint == endpoint, PushSubscription.user_id == user.id
        )
    ).rowcount
    transaction.commit()
    return removed


def forget_phones(user):
    """Forget every phone of a person who no longer works here (deactivated): nothing about
    the district's cases may light up a phone that left with them. In the caller's
    transaction."""
    return db.session.execute(
        delete(PushSubscription).where(PushSubscription.user_id == user.id),
        execution_options={"synchronize_session": False},
    ).rowcount


def notification_settings(user):
    return {"muted": sorted(user.muted or ()), "mutable": list(MUTABLE), "critical": list(CRITICAL)}


def set_muted(user, kinds):
    """The kinds of message not to push to this person's phones (they still reach the inbox).
    Roll-calls and mode switches cannot be muted."""
    kinds = sorted(set(kinds))
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise Invalid(
            "Unknown kind of message: " + ", ".join(unknown) + ".",
            fields={"muted": [f"Unknown kind: {kind}." for kind in unknown]},
        )
    critical = [kind for kind in kinds if kind in CRITICAL]
    if critical:
        raise Invalid(
            "Roll-calls and mode switches cannot be muted.",
            fields={"muted": [f"{kind} cannot be muted." for kind in critical]},
        )
    db.session.execute(update(User).where(User.id == user.id).values(muted=kinds))
    transaction.commit()
    set_committed_value(user, "muted", kinds)
    return notification_settings(user)


# -- sending ------------------------------------------------------------------------------------


@dataclass
class Round:
    """What one call of send_pending did."""

    people: int = 0  # people whose pending messages were claimed
    pushes: int = 0  # requests a push service accepted
    sent: int = 0  # messages, by what became of them
    none: int = 0
    failed: int = 0
    retry: int = 0
    pruned: int = 0  # dead subscriptions removed


OK, DEAD, FAIL = "ok", "dead", "fail"


def send_pending(now=None, limit=None):
    """Push what is pending: one push per person (carrying the count and the newest titles)
    to each of their phones, at most one per person per PUSH_MIN_INTERVAL_S. Messages are
    claimed in a short transaction and recorded in another, so that no row stays locked
    while push services answer. Returns a Round."""
    config = current_app.config
    now = now or clock.now()
    limit = limit or config["PUSH_BATCH_PEOPLE"]
    result = Round()
    batches, subscriptions, unread, result.none = _claim(now, limit)
    result.people = len(batches)
    if not batches:
        return result
    try:
        jobs = []
        for user_id, messages in batches.items():
            payload = _payload(messages, unread.get(user_id, 0))
            critical = any(message.critical for message in messages)
            jobs.extend((s, payload, critical) for s in subscriptions.get(user_id, ()))
        outcomes = _deliver_all(jobs, config)
    except BaseException:
        _release(batches)
        raise
    _record(now, batches, subscriptions, outcomes, result, config["PUSH_MAX_ATTEMPTS"])
    return result


def _claim(now, limit):
    """Take the pending messages of up to `limit` people who may be pushed to now. Marks
    as not to be pushed what no phone can get (no subscription, already read, muted since).
    Returns ({user_id: [messages]}, {user_id: [subscriptions]}, {user_id: unread}, none)."""
    config = current_app.config
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK})
    stale = now - timedelta(seconds=config["PUSH_CLAIM_TIMEOUT_S"])
    takeable = or_(
        Message.push == PENDING, and_(Message.push == SENDING, Message.pushed_at < stale)
    )
    has_phone = exists().where(PushSubscription.user_id == Message.user_id)
    quick = {"synchronize_session": False}

    pointless = (
        select(Message.id)
        .where(takeable, or_(~has_phone, Message.read_at.is_not(None)))
        .order_by(Message.id)
        .limit(limit * 50)
        .with_for_update(skip_locked=True)
    )
    none = session.execute(
        update(Message)
        .where(Message.id.in_(pointless.scalar_subquery()))
        .values(push=NOT_PUSHED, pushed_at=None),
        execution_options=quick,
    ).rowcount

    flight = aliased(Message)
    in_flight = select(flight.user_id).where(flight.push == SENDING, flight.pushed_at >= stale)
    last_push = (
        select(func.max(PushSubscription.last_push_at))
        .where(PushSubscription.user_id == Message.user_id)
        .scalar_subquery()
    )
    interval = timedelta(seconds=config["PUSH_MIN_INTERVAL_S"])
    people = (
        session.execute(
            select(Message.user_id)
            .where(
                takeable,
                has_phone,
                Message.user_id.not_in(in_flight),
                or_(last_push.is_(None), last_push <= now - interval),
            )
            .group_by(Message.user_id)
            .order_by(func.min(Message.id))
            .limit(limit)
        )
        .scalars()
        .all()
    )
    if not people:
        session.commit()
        return {}, {}, {}, none

    ids = (
        select(Message.id)
        .where(takeable, Message.user_id.in_(people))
        .with_for_update(skip_locked=True)
    )
    rows = session.execute(
        update(Message)
        .where(Message.id.in_(ids.scalar_subquery()))
        .values(push=SENDING, pushed_at=now)
        .returning(
            Message.id,
            Message.user_id,
            Message.kind,
            Message.title,
            Message.body,
            Message.entity,
            Message.entity_id,
            Message.critical,
        ),
        execution_options=quick,
    ).all()

    # Muted since delivery: not pushed (critical kinds never are muted).
    muted = {
        user_id: set(kinds or ())
        for user_id, kinds in session.execute(
            select(User.id, User.muted).where(User.id.in_(people))
        )
    }
    batches, silenced = defaultdict(list), []
    for row in rows:
        if not row.critical and row.kind in muted.get(row.user_id, ()):
            silenced.append(row.id)
        else:
            batches[row.user_id].append(row)
    if silenced:
        session.execute(
            update(Message).where(Message.id.in_(silenced)).values(push=NOT_PUSHED, pushed_at=None),
            execution_options=quick,
        )
        none += len(silenced)

    subscriptions = defaultdict(list)
    for subscription in session.execute(
        select(
            PushSubscription.id,
            PushSubscription.user_id,
            PushSubscription.endpoint,
            PushSubscription.p256dh,
            PushSubscription.auth,
        ).where(PushSubscription.user_id.in_(list(batches)))
    ):
        subscriptions[subscription.user_id].append(subscription)
    unread = dict(
        session.execute(
            select(Message.user_id, func.count())
            .where(Message.user_id.in_(list(batches)), Message.read_at.is_(None))
            .group_by(Message.user_id)
        ).all()
    )
    session.commit()
    return dict(batches), subscriptions, unread, none


def _release(batches):
    """Give claimed messages back (the round broke off before anything was recorded)."""
    db.session.rollback()
    ids = [message.id for messages in batches.values() for message in messages]
    db.session.execute(
        update(Message)
        .where(Message.id.in_(ids), Message.push == SENDING)
        .values(push=PENDING, pushed_at=None),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()


def _cut(value, size):
    value = (value or "").strip()
    return value if len(value) <= size else value[: size - 1] + "…"


def _payload(messages, unread):
    """What the phone's service worker shows: Chinese first, from the messages' titles.
    Critical ones lead; otherwise the newest first."""
    ordered = sorted(messages, key=lambda m: (not m.critical, -m.id))
    top, count = ordered[0], len(ordered)
    critical = any(m.critical for m in ordered)
    if count == 1:
        title, body = _cut(top.title, TITLE_CHARS), _cut(top.body, BODY_CHARS)
    else:
        title = ("【紧急】" if critical else "") + f"{count} 条新消息"
        body = _cut("；".join(_cut(m.title, TITLE_CHARS) for m in ordered[:TITLES_SHOWN]), 200)
    data = {
        "title": title,
        "body": body,
        "count": count,
        "unread": max(unread, count),
        "titles": [_cut(m.title, TITLE_CHARS) for m in ordered[:TITLES_SHOWN]],
        "kind": top.kind,
        "critical": critical,
        "id": top.id,
        "entity": top.entity,
        "entity_id": top.entity_id,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _deliver_all(jobs, config):
    """Send every (person, subscription, payload), several at a time. No database here."""
    key, subject = vapid(), config["VAPID_SUBJECT"]
    ttl, timeout = config["PUSH_TTL_S"], config["PUSH_TIMEOUT_S"]
    guarded, hosts = not config["PUSH_ALLOW_LOCAL_ENDPOINTS"], config["PUSH_SERVICE_HOSTS"]
    local, opened = threading.local(), []

    def one(job):
        subscription, payload, critical = job
        if not hasattr(local, "http"):  # one connection pool per thread, kept for the round
            local.http = netguard.Session(hosts) if guarded else requests.Session()
            opened.append(local.http)
        return subscription.id, _send(
            local.http, subscription, payload, key, subject, ttl, timeout, critical
        )

    workers = max(1, min(config["PUSH_CONCURRENCY"], len(jobs)))
    try:
        if workers == 1:
            return dict(map(one, jobs))
        with ThreadPoolExecutor(workers, thread_name_prefix="push") as pool:
            return dict(pool.map(one, jobs))
    finally:
        for http in opened:
            http.close()


def _send(http, subscription, payload, key, subject, ttl, timeout, critical):
    """One push to one phone: OK, DEAD (the push service says it is gone, or the endpoint
    is not one to connect to) or FAIL."""
    try:
        if isinstance(http, netguard.Session):
            # It checks as it connects; first, as pywebpush turns some endpoints down before
            # that (an IPv6 literal, say), and a refusal is no passing failure.
            http.target(subscription.endpoint)
        webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=payload,
            vapid_private_key=key,
            vapid_claims={"sub": subject},  # a fresh dict: webpush writes aud and exp into it
            ttl=ttl,
            # A newer push to the same phone replaces one it has not yet fetched.
            headers={"Urgency": "high" if critical else "normal", "Topic": "inbox"},
            timeout=timeout,
            requests_session=http,
        )
        return OK
    except WebPushException as error:
        if error.status_code in (404, 410):
            return DEAD
        log.warning("push to subscription %s failed: %s", subscription.id, error.status_code)
        return FAIL
    except netguard.Refused as refused:
        # Stored before endpoints were checked, or its host now resolves inside the network:
        # nothing was sent, and nothing ever will be.
        log.warning("push subscription %s removed, not connected to: %s", subscription.id, refused)
        return DEAD
    except requests.RequestException as error:
        log.warning("push to subscription %s failed: %s", subscription.id, error)
        return FAIL
    except Exception:  # a key the encryption refuses, for one: that phone, not the round
        log.exception("push to subscription %s failed", subscription.id)
        return FAIL


def _record(now, batches, subscriptions, outcomes, result, max_attempts):
    session = db.session
    quick = {"synchronize_session": False}
    ok = [sid for sid, outcome in outcomes.items() if outcome == OK]
    dead = [sid for sid, outcome in outcomes.items() if outcome == DEAD]
    failing = [sid for sid, outcome in outcomes.items() if outcome == FAIL]
    if ok:
        session.execute(
            update(PushSubscription)
            .where(PushSubscription.id.in_(ok))
            .values(last_push_at=now, failures=0),
            execution_options=quick,
        )
    if dead:
        session.execute(
            delete(PushSubscription).where(PushSubscription.id.in_(dead)),
            execution_options=quick,
        )
    failures = {}
    if failing:
        failures = dict(
            session.execute(
                update(PushSubscription)
                .where(PushSubscription.id.in_(failing))
                .values(failures=PushSubscription.failures + 1)
                .returning(PushSubscription.id, PushSubscription.failures),
                execution_options=quick,
            ).all()
        )
    result.pushes, result.pruned = len(ok), len(dead)

    states = defaultdict(list)
    for user_id, messages in batches.items():
        mine = [outcomes[s.id] for s in subscriptions.get(user_id, ())]
        if OK in mine:
            state = SENT
        else:
            # Phones still there and still failing (one removed meanwhile is gone).
            tries = [failures[s.id] for s in subscriptions.get(user_id, ()) if s.id in failures]
            if not tries:
                state = NOT_PUSHED
            elif min(tries) >= max_attempts:
                state = FAILED
            else:
                state = PENDING
        states[state].extend(m.id for m in messages)
    for state, ids in states.items():
        session.execute(
            update(Message)
            .where(Message.id.in_(ids), Message.push == SENDING)
            .values(push=state, pushed_at=now if state == SENT else None),
            execution_options=quick,
        )
    session.commit()
    result.sent += len(states[SENT])
    result.none += len(states[NOT_PUSHED])
    result.failed += len(states[FAILED])
    result.retry += len(states[PENDING])
