"""The push sender against a real local push endpoint: what a phone gets (decrypted),
batching, the rate limit on a moved clock, mutes, dead and failing subscriptions, and two
workers at once on PostgreSQL."""

import threading
from datetime import timedelta

import pytest
from py_vapid import Vapid
from sqlalchemy import select

from app import clock
from app.extensions import db as _db
from app.notify import push
from app.notify.models import Message, PushSubscription
from app.notify.services import deliver
from tests.notify.conftest import person


def send(user_ids, kind="dispatch", title="新派单：清理占道经营", body=None, **more):
    deliver(user_ids, kind, title, body, **more)
    _db.session.commit()


def states(user):
    _db.session.expire_all()
    return [
        m.push
        for m in _db.session.execute(
            select(Message).where(Message.user_id == user.id).order_by(Message.id)
        ).scalars()
    ]


def subscriptions(user):
    _db.session.expire_all()
    return (
        _db.session.execute(select(PushSubscription).where(PushSubscription.user_id == user.id))
        .scalars()
        .all()
    )


def test_a_phone_gets_the_message_encrypted_signed_and_with_headers(app, sender):
    user, (phone,) = sender()
    send(
        [user.id],
        "dispatch",
        "新派单：清理占道经营",
        "幸福路 12 号门口",
        entity="task",
        entity_id="t-1",
    )

    result = push.send_pending()

    assert (result.people, result.pushes, result.sent) == (1, 1, 1)
    assert states(user) == ["sent"]
    (request,) = phone.requests()
    assert phone.decrypt(request.body) == {
        "title": "新派单：清理占道经营",
        "body": "幸福路 12 号门口",
        "count": 1,
        "unread": 1,
        "titles": ["新派单：清理占道经营"],
        "kind": "dispatch",
        "critical": False,
        "id": _db.session.execute(select(Message.id)).scalar_one(),
        "entity": "task",
        "entity_id": "t-1",
    }
    headers = request.headers
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["ttl"] == str(app.config["PUSH_TTL_S"])
    assert headers["urgency"] == "normal"
    assert headers["topic"] == "inbox"
    # VAPID (RFC 8292): signed with the server's key, the one browsers subscribed with.
    assert Vapid.verify(headers["authorization"])
    assert f"k={push.public_key()}" in headers["authorization"]
    assert len(request.body) < 1024


def test_three_messages_make_one_push_with_the_count_and_newest_titles(sender):
    user, (phone,) = sender()
    for title in ("派单一", "派单二", "派单三", "派单四"):
        send([user.id], "dispatch", title)

    result = push.send_pending()

    assert (result.people, result.pushes, result.sent) == (1, 1, 4)
    (shown,) = phone.shown()
    assert shown["count"] == 4
    assert shown["title"] == "4 条新消息"
    assert shown["titles"] == ["派单四", "派单三", "派单二"]
    assert shown["body"] == "派单四；派单三；派单二"
    assert states(user) == ["sent"] * 4


def test_critical_messages_lead_and_raise_the_urgency(sender):
    user, (phone,) = sender()
    send([user.id], "rollcall", "叫应：防汛 II 级响应，请立即回复")
    send([user.id], "dispatch", "新派单")

    push.send_pending()

    (request,) = phone.requests()
    shown = phone.decrypt(request.body)
    assert shown["title"] == "【紧急】2 条新消息"
    assert shown["titles"] == ["叫应：防汛 II 级响应，请立即回复", "新派单"]
    assert shown["critical"] is True and shown["kind"] == "rollcall"
    assert request.headers["urgency"] == "high"


def test_each_person_gets_their_own_push_on_every_phone(sender):
    one, one_phones = sender(phones=2)
    two, (two_phone,) = sender()
    send([one.id, two.id], "mode", "进入防汛 II 级应急响应")
    send([two.id], "dispatch", "派单")

    result = push.send_pending()

    assert (result.people, result.pushes, result.sent) == (2, 3, 3)
    assert [p.shown()[0]["count"] for p in one_phones] == [1, 1]
    assert two_phone.shown()[0]["count"] == 2


def test_rate_limit_holds_messages_and_batches_them_into_the_next_push(sender):
    user, (phone,) = sender()
    start = clock.now()
    send([user.id], "dispatch", "第一条")
    assert push.send_pending(now=start).pushes == 1

    # Within the interval nothing goes, a roll-call neither: they wait together.
    send([user.id], "dispatch", "第二条")
    send([user.id], "rollcall", "叫应")
    for seconds in (1, 15, 29):
        result = push.send_pending(now=start + timedelta(seconds=seconds))
        assert (result.people, result.pushes) == (0, 0)
    assert states(user) == ["sent", "pending", "pending"]

    result = push.send_pending(now=start + timedelta(seconds=30))
    assert (result.pushes, result.sent) == (1, 2)
    assert [s["count"] for s in phone.shown()] == [1, 2]
    assert phone.shown()[1]["titles"] == ["叫应", "第二条"]
    assert states(user) == ["sent"] * 3


def test_rate_limit_is_per_person(sender, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_MIN_INTERVAL_S", 60)
    busy, (busy_phone,) = sender()
    quiet, (quiet_phone,) = sender()
    start = clock.now()
    send([busy.id])
    push.send_pending(now=start)
    send([busy.id, quiet.id])

    result = push.send_pending(now=start + timedelta(seconds=59))

    assert (result.people, result.pushes) == (1, 1)
    assert (len(busy_phone.requests()), len(quiet_phone.requests())) == (1, 1)
    assert push.send_pending(now=start + timedelta(seconds=60)).pushes == 1
    assert len(busy_phone.requests()) == 2


# kind delivered, kinds muted (at delivery or after it), what the message's push becomes
MUTES = [
    ("dispatch", [], "sent"),
    ("dispatch", ["dispatch"], "none"),
    ("rejection", ["rejection", "escalation"], "none"),
    ("escalation", ["dispatch"], "sent"),
    # Critical kinds are pushed whatever the list says (the API refuses to store them).
    ("rollcall", ["rollcall", "mode", "dispatch"], "sent"),
    ("mode", ["mode"], "sent"),
]


@pytest.mark.parametrize("when", ["before delivery", "after delivery"])
@pytest.mark.parametrize(("kind", "muted", "expected"), MUTES)
def test_mutes(sender, kind, muted, expected, when):
    user, (phone,) = sender()
    if when == "before delivery":
        user.muted = muted
        _db.session.commit()
    send([user.id], kind, "消息")
    if when == "after delivery":
        user.muted = muted
        _db.session.commit()

    push.send_pending()

    assert states(user) == [expected]
    assert len(phone.requests()) == (1 if expected == "sent" else 0)


def test_no_subscription_means_not_pushed(sender):
    user = person()
    send([user.id], "rollcall", "叫应")

    result = push.send_pending()

    assert (result.people, result.pushes, result.none) == (0, 0, 1)
    assert states(user) == ["none"]


def test_a_message_read_before_its_push_is_not_pushed(sender):
    user, (phone,) = sender()
    send([user.id])
    message = _db.session.execute(select(Message)).scalar_one()
    message.read_at = clock.now()
    _db.session.commit()

    push.send_pending()

    assert states(user) == ["none"] and phone.requests() == []


@pytest.mark.parametrize("status", [404, 410])
def test_a_dead_subscription_is_pruned_and_the_others_still_get_it(sender, status):
    user, (dead, alive) = sender(phones=2)
    dead.answer(status)
    send([user.id])

    result = push.send_pending()

    assert (result.pushes, result.pruned, result.sent) == (1, 1, 1)
    assert [s.endpoint for s in subscriptions(user)] == [alive.endpoint]
    assert states(user) == ["sent"]


def test_when_the_only_subscription_is_dead_the_message_is_not_pushed(sender):
    user, (phone,) = sender()
    phone.answer(410)
    send([user.id])

    result = push.send_pending()

    assert (result.pruned, result.none) == (1, 1)
    assert subscriptions(user) == [] and states(user) == ["none"]
    send([user.id])
    assert push.send_pending().none == 1
    assert len(phone.requests()) == 1


def test_transient_failures_retry_next_round_then_give_up(sender, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_MAX_ATTEMPTS", 3)
    user, (phone,) = sender()
    phone.answer(500)
    send([user.id], "rollcall", "叫应")

    for attempt in (1, 2):
        result = push.send_pending()
        assert (result.pushes, result.retry) == (0, 1)
        assert states(user) == ["pending"]
        assert subscriptions(user)[0].failures == attempt
    result = push.send_pending()
    assert result.failed == 1
    assert states(user) == ["failed"]
    assert len(phone.requests()) == 3
    # The subscription stays (a 500 is the service's trouble, not the phone's).
    assert subscriptions(user)[0].failures == 3

    # Once it answers again, the next message goes and the count starts afresh.
    phone.answer(201)
    send([user.id])
    assert push.send_pending().sent == 1
    assert subscriptions(user)[0].failures == 0
    assert states(user) == ["failed", "sent"]


def test_a_failing_phone_does_not_hold_back_a_working_one(sender):
    user, (broken, working) = sender(phones=2)
    broken.answer(503)
    send([user.id])

    result = push.send_pending()

    assert (result.pushes, result.sent, result.retry) == (1, 1, 0)
    failures = {s.endpoint: s.failures for s in subscriptions(user)}
    assert failures == {broken.endpoint: 1, working.endpoint: 0}


def test_a_push_service_that_cannot_be_reached_is_a_transient_failure(sender, app):
    user, (phone,) = sender()
    subscription = subscriptions(user)[0]
    subscription.endpoint = "http://127.0.0.1:9/push/nobody"  # discard port: refused
    _db.session.commit()
    send([user.id])

    result = push.send_pending()

    assert (result.retry, result.pushes) == (1, 0)
    assert states(user) == ["pending"]


def test_a_claim_left_by_a_dead_worker_is_taken_again_after_the_timeout(sender, app):
    user, (phone,) = sender()
    send([user.id])
    start = clock.now()
    message = _db.session.execute(select(Message)).scalar_one()
    message.push, message.pushed_at = "sending", start
    _db.session.commit()

    assert push.send_pending(now=start + timedelta(seconds=60)).people == 0
    later = start + timedelta(seconds=app.config["PUSH_CLAIM_TIMEOUT_S"] + 1)
    assert push.send_pending(now=later).sent == 1
    assert states(user) == ["sent"]


def test_limit_takes_that_many_people_a_round(sender):
    people = [sender()[0] for _ in range(5)]
    send([p.id for p in people])

    assert push.send_pending(limit=2).people == 2
    assert push.send_pending(limit=2).people == 2
    assert push.send_pending(limit=2).people == 1
    assert push.send_pending(limit=2).people == 0


def test_two_workers_at_once_never_send_a_message_twice(app, sender, push_service):
    if _db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer; the race is PostgreSQL's")
    push_service.delay = 0.02  # a slow push service: the workers' rounds overlap
    people = [sender() for _ in range(24)]
    ids = [user.id for user, _ in people]
    for title in ("一", "二", "三"):
        send(ids, "rollcall", f"叫应{title}")
    now = clock.now()
    start = threading.Barrier(5)
    errors = []

    def worker():
        try:
            with app.app_context():
                start.wait()
                for _ in range(15):
                    push.send_pending(now=now, limit=5)
                _db.session.remove()
        except Exception as error:  # reported below
            errors.append(error)

    def dispatcher():
        # A fourth message to everyone while the workers push.
        try:
            with app.app_context():
                start.wait()
                send(ids, "rollcall", "叫应四")
                _db.session.remove()
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    threads.append(threading.Thread(target=dispatcher))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    # What waited for the rate limit goes in the next round.
    push.send_pending(now=now + timedelta(seconds=31))

    for user, (phone,) in people:
        counts = [shown["count"] for shown in phone.shown()]
        # Every message pushed once: counts add up to four, in at most two pushes.
        assert sum(counts) == 4 and len(counts) <= 2, (user.id, counts)
        assert states(user) == ["sent"] * 4
