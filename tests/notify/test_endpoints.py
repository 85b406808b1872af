"""Push endpoints cannot aim the server at its own network (SSRF): every spelling of a local
address is refused when a phone subscribes and again when the worker pushes, against a
listener on 127.0.0.1 and ::1 that must see no connection; the worker connects to the address
it checked, and TLS still verifies the push service's name."""

import logging

import pytest
import requests
from sqlalchemy import select

from app import netguard
from app.extensions import db as _db
from app.notify import push
from app.notify.models import PushSubscription
from app.notify.services import deliver
from tests.notify.conftest import FakePushService, Listener, Phone, person, subscribe, tls_for

PUBLIC = "93.184.215.14"  # a global address, given by the fake resolver below

# (how the host is written, whether an unguarded client reaches the listener with it)
LOCAL_HOSTS = [
    ("2130706433", True),
    ("127.1", True),
    ("0x7f000001", True),
    ("0177.0.0.1", True),
    ("017700000001", True),
    ("127.0.1", True),
    ("0x7f.1", True),
    ("127.0.0.1", True),
    ("127.0.0.1.", False),
    # Full-width dots and digits: IDNA 2003 maps them to ASCII (requests' IDNA 2008 does
    # not parse them at all, but another client might).
    ("127。0。0。1", False),
    ("１２７.0.0.1", False),
    ("localhost", True),
    ("LOCALHOST", True),
    ("localhost.", False),
    ("[::1]", True),
    ("[0:0:0:0:0:0:0:1]", True),
    ("[::ffff:127.0.0.1]", True),
    ("[::ffff:7f00:1]", True),
    ("evil@127.0.0.1", True),
    ("fcm.googleapis.com@127.0.0.1", True),
    ("0", True),  # 0.0.0.0: this host
]


def url(host, port):
    user, at, host = host.rpartition("@")
    return f"https://{user}{at}{host}:{port}/push/x"


@pytest.fixture
def listener(app, push_service, monkeypatch):
    """A listener on the one port endpoints may name (443 in production), no allowlist of
    push services (so the addresses themselves are what is judged), local endpoints off."""
    listening = Listener()
    monkeypatch.setattr(netguard, "PORT", listening.port)
    monkeypatch.setitem(app.config, "PUSH_SERVICE_HOSTS", ())
    monkeypatch.setitem(app.config, "PUSH_ALLOW_LOCAL_ENDPOINTS", False)
    monkeypatch.setitem(app.config, "PUSH_TIMEOUT_S", 0.5)
    yield listening
    listening.close()


def stored(user, endpoint, push_service):
    """A subscription already in the database: stored before endpoints were checked."""
    phone = Phone(push_service)
    phone.endpoint = endpoint
    return subscribe(user, phone)


def remaining():
    _db.session.expire_all()
    return _db.session.execute(select(PushSubscription.endpoint)).scalars().all()


def notify(user):
    deliver([user.id], "dispatch", "新派单", None)
    _db.session.commit()


@pytest.mark.parametrize(("host", "reaches"), LOCAL_HOSTS, ids=[h for h, _ in LOCAL_HOSTS])
def test_a_local_address_in_any_spelling_is_refused_at_subscription(
    as_user, listener, push_service, host, reaches
):
    client = as_user(person())
    body = Phone(push_service).subscription() | {"endpoint": url(host, listener.port)}
    response = client.post("/api/push/subscriptions", json=body)
    assert response.status_code == 422, response.get_json()
    assert "endpoint" in response.get_json()["error"]["fields"]
    assert remaining() == []
    assert listener.connections() == []


@pytest.mark.parametrize(("host", "reaches"), LOCAL_HOSTS, ids=[h for h, _ in LOCAL_HOSTS])
def test_the_worker_connects_to_no_local_address_and_drops_the_subscription(
    app, db, vapid_key, push_service, listener, caplog, monkeypatch, host, reaches
):
    monkeypatch.setitem(app.config, "PUSH_ALLOW_LOCAL_ENDPOINTS", False)
    user = person()
    stored(user, url(host, listener.port), push_service)
    notify(user)

    with caplog.at_level(logging.WARNING, logger="app.notify.push"):
        result = push.send_pending()

    assert listener.connections() == []
    assert (result.pushes, result.pruned, result.none) == (0, 1, 1)
    assert remaining() == []
    assert "not connected to" in caplog.text


@pytest.mark.parametrize(("host", "reaches"), LOCAL_HOSTS, ids=[h for h, _ in LOCAL_HOSTS])
def test_the_guarded_session_refuses_what_a_plain_one_would_connect_to(listener, host, reaches):
    """The control: the listener does see what the guard stops."""
    with pytest.raises(
        netguard.Refused if reaches else (netguard.Refused, requests.exceptions.InvalidURL)
    ):
        netguard.Session().post(url(host, listener.port), timeout=0.5)
    assert listener.connections() == []

    with pytest.raises(requests.RequestException):
        requests.Session().post(url(host, listener.port), timeout=0.5)
    assert len(listener.connections()) == (1 if reaches else 0)


def test_a_host_that_resolves_inside_the_network_later_is_not_connected_to(
    app, as_user, push_service, listener, resolver, vapid_key, caplog
):
    """DNS rebinding: public when the phone subscribed, loopback when the worker pushes."""
    user = person()
    client = as_user(user)
    resolver.answers["push.example.net"] = (PUBLIC,)
    endpoint = url("push.example.net", listener.port)
    body = Phone(push_service).subscription() | {"endpoint": endpoint}
    assert client.post("/api/push/subscriptions", json=body).status_code == 201

    resolver.answers["push.example.net"] = (PUBLIC, "127.0.0.1")
    notify(user)
    with caplog.at_level(logging.WARNING, logger="app.notify.push"):
        result = push.send_pending()

    assert listener.connections() == []
    assert result.pruned == 1 and remaining() == []
    assert "push.example.net is not on the internet (127.0.0.1)" in caplog.text


@pytest.fixture
def tls_push_service(app, push_service, tmp_path, monkeypatch, resolver):
    """An https push service named push.test (a name no real resolver knows) on 127.0.0.1,
    taken for a public host: the machine reaches no push service on the internet."""
    context, ca = tls_for(tmp_path, "push.test")
    service = FakePushService(tls=context, host="push.test")
    resolver.answers["push.test"] = ("127.0.0.1",)
    monkeypatch.setattr(netguard, "PORT", service.port)
    monkeypatch.setattr(netguard, "public", lambda address: address == "127.0.0.1")

    class Trusting(netguard.Session):  # the test's CA, not the system's
        def __init__(self, hosts=()):
            super().__init__(hosts)
            self.verify = ca

    monkeypatch.setattr(netguard, "Session", Trusting)
    monkeypatch.setitem(app.config, "PUSH_SERVICE_HOSTS", ("push.test",))
    monkeypatch.setitem(app.config, "PUSH_ALLOW_LOCAL_ENDPOINTS", False)
    monkeypatch.setitem(app.config, "PUSH_TIMEOUT_S", 2)
    yield service
    service.close()


def test_the_worker_connects_to_the_checked_address_and_verifies_the_name(
    db, tls_push_service, resolver, vapid_key
):
    user = person()
    phone = Phone(tls_push_service)
    subscribe(user, phone)
    notify(user)

    result = push.send_pending()

    # One lookup, by the guard: "push.test" would not resolve for anyone else.
    assert resolver.asked == ["push.test"]
    assert (result.pushes, result.sent) == (1, 1)
    (request,) = phone.requests()
    assert phone.decrypt(request.body)["title"] == "新派单"
    assert request.headers["host"] == "push.test"
    assert tls_push_service.server_names == ["push.test"]


def test_a_certificate_for_another_name_is_refused(
    app, db, tls_push_service, resolver, monkeypatch, vapid_key
):
    resolver.answers["other.test"] = ("127.0.0.1",)
    monkeypatch.setitem(app.config, "PUSH_SERVICE_HOSTS", ("other.test",))
    tls_push_service.host = "other.test"  # the same server, its certificate for push.test
    user = person()
    phone = Phone(tls_push_service)
    subscribe(user, phone)
    notify(user)

    result = push.send_pending()

    assert (result.pushes, result.retry) == (0, 1)
    assert tls_push_service.server_names == ["other.test"] and phone.requests() == []
    assert remaining() == [phone.endpoint]  # a failure to retry, not a dead phone


# -- the checks themselves ---------------------------------------------------------------


DEFAULT_HOSTS = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "*.notify.windows.com",
    "*.push.apple.com",
)

# endpoint -> None (allowed) or part of the reason it is refused, with the default allowlist
ENDPOINTS = [
    ("https://fcm.googleapis.com/fcm/send/abc", None),
    ("https://FCM.googleapis.com./fcm/send/abc", None),
    ("https://fcm.googleapis.com:443/fcm/send/abc", None),
    ("https://updates.push.services.mozilla.com/wpush/v2/abc", None),
    ("https://wns2-par02p.notify.windows.com/w/?token=abc", None),
    ("https://web.push.apple.com/QGx", None),
    ("http://fcm.googleapis.com/fcm/send/abc", "Not https"),
    ("https://fcm.googleapis.com:8443/fcm/send/abc", "Not port 443"),
    ("https://fcm.googleapis.com:99999/fcm", "Not a port"),
    ("https://user:pw@fcm.googleapis.com/fcm", "user name"),
    ("https://fcm.googleapis.com.evil.example/fcm", "Not a known push service"),
    ("https://evilfcm.googleapis.com/fcm", "Not a known push service"),
    ("https://notify.windows.com/w", "Not a known push service"),
    ("https://fcm.googleapis.com\\@127.0.0.1/", "Not a URL"),
    ("https://fcm.googleapis.com /fcm", "Not a URL"),
    ("https:///fcm", "Not a host name"),
    ("https://fcm.googleapis.com%00/fcm", "Not a host name"),
    ("file:///etc/passwd", "Not https"),
    ("https://142.250.1.1/fcm", "Not a known push service"),
]


@pytest.mark.parametrize(("endpoint", "refused"), ENDPOINTS)
def test_endpoints_must_name_a_known_push_service_on_port_443(endpoint, refused):
    if refused is None:
        assert netguard.host_of(endpoint, DEFAULT_HOSTS).endswith(
            ("googleapis.com", "mozilla.com", "windows.com", "apple.com")
        )
    else:
        with pytest.raises(netguard.Refused, match=refused):
            netguard.host_of(endpoint, DEFAULT_HOSTS)


# address -> public?
ADDRESSES = [
    ("142.250.1.1", True),
    ("2a00:1450:4001:80b::200a", True),
    ("::ffff:8.8.8.8", True),
    ("2002:808:808::1", True),  # 6to4 of 8.8.8.8
    ("127.0.0.1", False),
    ("10.0.0.5", False),
    ("172.16.0.1", False),
    ("192.168.1.1", False),
    ("169.254.169.254", False),  # cloud metadata
    ("100.64.0.1", False),  # carrier-grade NAT
    ("0.0.0.0", False),
    ("224.0.0.1", False),
    ("255.255.255.255", False),
    ("::1", False),
    ("::", False),
    ("fe80::1", False),
    ("fe80::1%1", False),
    ("fc00::1", False),
    ("ff02::1", False),
    ("ff0e::1", False),
    ("::ffff:127.0.0.1", False),
    ("::ffff:10.0.0.5", False),
    ("::ffff:0:7f00:1", False),  # IPv4-translated
    ("::127.0.0.1", False),  # IPv4-compatible
    ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
    ("64:ff9b:1::a00:5", False),  # local-use NAT64
    ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo
    ("2001:db8::1", False),
]


@pytest.mark.parametrize(("address", "public"), ADDRESSES)
def test_only_global_unicast_addresses_are_public(address, public):
    assert netguard.public(address) is public


def test_a_host_with_one_private_address_among_public_ones_is_refused(resolver):
    resolver.answers["push.example.net"] = (PUBLIC, "10.0.0.5")
    with pytest.raises(netguard.Refused, match="10.0.0.5"):
        netguard.check("https://push.example.net/x")
    resolver.answers["push.example.net"] = (PUBLIC, "2a00:1450:4001:80b::200a")
    assert netguard.check("https://push.example.net/x").addresses == (
        PUBLIC,
        "2a00:1450:4001:80b::200a",
    )


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_the_session_connects_to_the_address_it_checked_ipv4_or_ipv6(
    listener, resolver, monkeypatch, address
):
    if address == "::1" and len(listener.sockets) < 2:
        pytest.skip("no IPv6 on this machine")
    resolver.answers["push.test"] = (address,)
    monkeypatch.setattr(netguard, "public", lambda checked: checked == address)
    with pytest.raises(requests.RequestException):  # nobody answers: a timeout
        netguard.Session().post(url("push.test", listener.port), timeout=0.5)
    assert listener.connections() == [address]
