"""The inbox, push subscription and mute routes: login needed everywhere, only one's own
messages and subscriptions, and every refusal in the one JSON error shape."""

import base64

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.notify import push
from app.notify.models import PushSubscription
from app.notify.services import deliver
from tests.notify.conftest import Phone, person

ROUTES = [
    ("get", "/api/push/key"),
    ("post", "/api/push/subscriptions"),
    ("delete", "/api/push/subscriptions"),
    ("get", "/api/me/notifications"),
    ("put", "/api/me/notifications"),
    ("get", "/api/inbox"),
    ("get", "/api/inbox/unread"),
    ("post", "/api/inbox/1/read"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_needs_a_login(client, method, path):
    response = getattr(client, method)(path, json={})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.fixture
def me(db, as_user):
    user = person(name="王芳")
    return user, as_user(user)


@pytest.fixture
def other(db, as_user):
    user = person(name="李强")
    return user, as_user(user)


def subscriptions():
    _db.session.expire_all()
    return {
        s.endpoint: s.user_id for s in _db.session.execute(select(PushSubscription)).scalars().all()
    }


def test_the_public_key_is_the_servers_vapid_point(me, vapid_key):
    _, client = me
    key = client.get("/api/push/key").get_json()["public_key"]
    assert key == push.public_key()
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert len(raw) == 65 and raw[0] == 4
    assert "=" not in key


def test_subscribe_again_updates_and_another_person_takes_the_phone_over(me, other, push_service):
    (user, client), (other_user, other_client) = me, other
    phone = Phone(push_service)

    first = client.post("/api/push/subscriptions", json=phone.subscription())
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["endpoint"] == phone.endpoint
    again = client.post("/api/push/subscriptions", json=phone.subscription())
    assert again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert subscriptions() == {phone.endpoint: user.id}

    # The phone changed hands (another person logged in on it): the subscription moves.
    phone.key, phone.auth = Phone(push_service).key, b"\x01" * 16
    moved = other_client.post("/api/push/subscriptions", json=phone.subscription())
    assert moved.status_code == 200
    assert subscriptions() == {phone.endpoint: other_user.id}
    stored = _db.session.execute(select(PushSubscription)).scalar_one()
    assert stored.p256dh == phone.subscription()["keys"]["p256dh"]


def test_unsubscribe_removes_only_ones_own(me, other, push_service):
    (_, client), (_, other_client) = me, other
    mine, theirs = Phone(push_service), Phone(push_service)
    client.post("/api/push/subscriptions", json=mine.subscription())
    other_client.post("/api/push/subscriptions", json=theirs.subscription())

    assert (
        client.delete("/api/push/subscriptions", json={"endpoint": theirs.endpoint}).status_code
        == 204
    )
    assert theirs.endpoint in subscriptions()
    assert (
        client.delete("/api/push/subscriptions", json={"endpoint": mine.endpoint}).status_code
        == 204
    )
    assert mine.endpoint not in subscriptions()
    # Again: harmless.
    assert (
        client.delete("/api/push/subscriptions", json={"endpoint": mine.endpoint}).status_code
        == 204
    )


def _with(subscription, **changes):
    keys = dict(subscription["keys"])
    for name in ("p256dh", "auth"):
        if name in changes:
            keys[name] = changes.pop(name)
    return {**subscription, "keys": keys, **changes}


# what is wrong -> (status, code, field named)
BAD_SUBSCRIPTIONS = [
    ("no keys", lambda s: {"endpoint": s["endpoint"]}, 422, "validation_error", "keys"),
    ("no endpoint", lambda s: {"keys": s["keys"]}, 422, "validation_error", "endpoint"),
    ("p256dh too short", lambda s: _with(s, p256dh="BAAA"), 422, "validation_error", "keys.p256dh"),
    (
        "p256dh not base64",
        lambda s: _with(s, p256dh="!!!" * 30),
        422,
        "validation_error",
        "keys.p256dh",
    ),
    (
        "auth of 8 bytes",
        lambda s: _with(s, auth="AAAAAAAAAAA"),
        422,
        "validation_error",
        "keys.auth",
    ),
    ("an unknown field", lambda s: {**s, "owner": 1}, 400, "unknown_field", "owner"),
    (
        "not a URL",
        lambda s: _with(s, endpoint="push-service"),
        422,
        "validation_error",
        "endpoint",
    ),
]


@pytest.mark.parametrize(
    ("what", "change", "status", "code", "field"),
    BAD_SUBSCRIPTIONS,
    ids=[b[0] for b in BAD_SUBSCRIPTIONS],
)
def test_bad_subscriptions_are_refused_naming_the_field(
    me, push_service, what, change, status, code, field
):
    _, client = me
    response = client.post(
        "/api/push/subscriptions", json=change(Phone(push_service).subscription())
    )
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == code
    assert field in error["fields"]
    assert subscriptions() == {}


ENDPOINTS = [
    ("https://fcm.googleapis.com/fcm/send/abc", 201),
    ("https://updates.push.services.mozilla.com/wpush/v2/abc", 201),
    ("https://push.example.net/abc", 422),  # public, but not a known push service
    ("https://fcm.googleapis.com:8443/fcm/send/abc", 422),
    ("http://fcm.googleapis.com/fcm/send/abc", 422),
    ("https://localhost/push", 422),
    ("https://127.0.0.1/push", 422),
    ("https://10.0.0.5/push", 422),
    ("https://[::1]/push", 422),
    ("https://169.254.169.254/latest", 422),
    ("file:///etc/passwd", 422),
]


@pytest.mark.parametrize(("endpoint", "status"), ENDPOINTS)
def test_only_known_push_services_on_the_internet_in_production(
    me, push_service, app, monkeypatch, resolver, endpoint, status
):
    monkeypatch.setitem(app.config, "PUSH_ALLOW_LOCAL_ENDPOINTS", False)
    for host in ("fcm.googleapis.com", "updates.push.services.mozilla.com", "push.example.net"):
        resolver.answers[host] = ("142.250.1.1",)
    _, client = me
    body = Phone(push_service).subscription() | {"endpoint": endpoint}
    response = client.post("/api/push/subscriptions", json=body)
    assert response.status_code == status, response.get_json()
    if status == 422:
        assert "endpoint" in response.get_json()["error"]["fields"]


def test_a_host_without_an_address_is_refused_naming_the_endpoint(
    me, push_service, app, monkeypatch
):
    monkeypatch.setitem(app.config, "PUSH_ALLOW_LOCAL_ENDPOINTS", False)
    monkeypatch.setitem(app.config, "PUSH_SERVICE_HOSTS", ())
    _, client = me
    body = Phone(push_service).subscription() | {"endpoint": "https://push.invalid/x"}
    response = client.post("/api/push/subscriptions", json=body)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"endpoint": ["Its host has no address."]}


def test_unsafe_requests_need_the_csrf_token(me, push_service):
    _, client = me
    response = client.post(
        "/api/push/subscriptions", json=Phone(push_service).subscription(), csrf=False
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"


def test_mute_settings(me):
    user, client = me
    assert client.get("/api/me/notifications").get_json() == {
        "muted": [],
        "mutable": ["dispatch", "rejection", "escalation", "patrol"],
        "critical": ["rollcall", "mode", "alarm"],
    }
    response = client.put("/api/me/notifications", json={"muted": ["rejection", "dispatch"]})
    assert response.status_code == 200
    assert response.get_json()["muted"] == ["dispatch", "rejection"]
    assert client.get("/api/me/notifications").get_json()["muted"] == ["dispatch", "rejection"]
    assert client.put("/api/me/notifications", json={"muted": []}).get_json()["muted"] == []


@pytest.mark.parametrize(
    ("muted", "says"),
    [
        (["rollcall"], "rollcall cannot be muted."),
        (["dispatch", "mode"], "mode cannot be muted."),
        (["weather"], "Unknown kind: weather."),
    ],
)
def test_critical_or_unknown_kinds_cannot_be_muted(me, muted, says):
    user, client = me
    client.put("/api/me/notifications", json={"muted": ["escalation"]})
    response = client.put("/api/me/notifications", json={"muted": muted})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"] == {"muted": [says]}
    assert client.get("/api/me/notifications").get_json()["muted"] == ["escalation"]


def test_muted_must_be_a_list(me):
    _, client = me
    response = client.put("/api/me/notifications", json={"muted": "dispatch"})
    assert response.status_code == 422
    assert "muted" in response.get_json()["error"]["fields"]


def _deliver(user, *titles, kind="dispatch"):
    for title in titles:
        deliver([user.id], kind, title, "正文", "task", "t-1")
    _db.session.commit()


def test_inbox_is_ones_own_newest_first_and_pages(me, other):
    (user, client), (other_user, _) = me, other
    _deliver(user, "一", "二", "三", "四", "五")
    _deliver(other_user, "别人的")

    page = client.get("/api/inbox?limit=2").get_json()
    assert [m["title"] for m in page] == ["五", "四"]
    assert set(page[0]) == {
        "id",
        "kind",
        "title",
        "body",
        "entity",
        "entity_id",
        "critical",
        "created_at",
        "read_at",
    }
    following = client.get(f"/api/inbox?limit=2&before={page[-1]['id']}").get_json()
    assert [m["title"] for m in following] == ["三", "二"]
    assert [m["title"] for m in client.get("/api/inbox").get_json()] == [
        "五",
        "四",
        "三",
        "二",
        "一",
    ]


def test_unread_and_read(me, other):
    (user, client), (other_user, other_client) = me, other
    _deliver(user, "一", "二")
    _deliver(user, "叫应", kind="rollcall")
    _deliver(other_user, "别人的")
    assert client.get("/api/inbox/unread").get_json() == {"unread": 3}
    first = client.get("/api/inbox").get_json()[-1]

    read = client.post(f"/api/inbox/{first['id']}/read")
    assert read.status_code == 200
    assert read.get_json()["read_at"] is not None
    again = client.post(f"/api/inbox/{first['id']}/read")
    assert again.get_json()["read_at"] == read.get_json()["read_at"]
    assert client.get("/api/inbox/unread").get_json() == {"unread": 2}
    assert [m["title"] for m in client.get("/api/inbox?unread=true").get_json()] == ["叫应", "二"]
    assert client.get("/api/inbox?unread=true").get_json()[0]["critical"] is True

    # Another person's message does not exist for me.
    theirs = other_client.get("/api/inbox").get_json()[0]["id"]
    response = client.post(f"/api/inbox/{theirs}/read")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert other_client.get("/api/inbox/unread").get_json() == {"unread": 1}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/inbox/999999/read", 404),
        ("/api/inbox/abc/read", 404),
    ],
)
def test_reading_what_is_not_there(me, path, status):
    _, client = me
    response = client.post(path)
    assert response.status_code == status
    assert set(response.get_json()["error"]) == {"code", "message", "fields"}


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "before=0", "before=x", "unread=maybe"])
def test_bad_inbox_queries(me, query):
    _, client = me
    response = client.get(f"/api/inbox?{query}")
    assert response.status_code == 422
    assert query.split("=")[0] in response.get_json()["error"]["fields"]
