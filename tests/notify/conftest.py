"""Fixtures for push and inbox tests: a real push endpoint on 127.0.0.1 that records what it
is sent and answers as told, phones with real subscription keys that decrypt what arrived
(as a browser would), and people with a cheap password hash."""

import base64
import errno
import itertools
import json
import os
import socket
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.security import generate_password_hash

from app import clock, netguard
from app.extensions import db as _db
from app.notify.models import PushSubscription
from app.people.models import GRID_MEMBER, User
from tests.conftest import PASSWORD

CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
_numbers = itertools.count(1)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the sender opens many connections at once


class FakePushService:
    """A push service: POST /push/<name> is recorded and answered with the status set for
    that name (201 unless told), after `delay` seconds. With `tls` (an ssl.SSLContext) it
    speaks https, named `host` in its URLs, and records the names clients asked for (SNI)."""

    def __init__(self, tls=None, host="127.0.0.1"):
        self.host = host
        self.server_names = []
        self.received = []
        self.answers = {}
        self.delay = 0.0
        self.lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with service.lock:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    service.received.append(Received(self.path, headers, body))
                    status = service.answers.get(self.path.rsplit("/", 1)[-1], 201)
                if service.delay:
                    threading.Event().wait(service.delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        if tls is not None:
            tls.sni_callback = lambda sock, name, context: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self):
        return self.server.server_address[1]

    def url(self, name):
        scheme = "https" if isinstance(self.server.socket, ssl.SSLSocket) else "http"
        return f"{scheme}://{self.host}:{self.port}/push/{name}"

    def answer(self, name, status):
        self.answers[name] = status

    def to(self, name):
        with self.lock:
            return [r for r in self.received if r.path == f"/push/{name}"]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Listener:
    """A TCP port on 127.0.0.1 and (where the machine has IPv6) ::1 that nobody answers on:
    the kernel still completes each handshake, so `connections()` counts every client that
    reached it, without a thread."""

    def __init__(self):
        for _ in range(20):
            self.sockets = [socket.create_server(("127.0.0.1", 0))]
            self.port = self.sockets[0].getsockname()[1]
            try:
                self.sockets.append(
                    socket.create_server(("::1", self.port), family=socket.AF_INET6)
                )
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    self.sockets[0].close()
                    continue  # that port is taken on ::1: another pair
            break
        self.peers = []
        for listening in self.sockets:
            listening.setblocking(False)

    def connections(self):
        for listening in self.sockets:
            while True:
                try:
                    connection, peer = listening.accept()
                except BlockingIOError:
                    break
                connection.close()
                self.peers.append(peer[0])
        return self.peers

    def close(self):
        for listening in self.sockets:
            listening.close()


def tls_for(directory, name):
    """(server context, CA file): a certificate for `name` from a CA of the test's own."""

    def certificate(subject, issuer, key, signer, extensions):
        now = datetime.now(UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
        )
        for extension in extensions:
            builder = builder.add_extension(extension, critical=True)
        return builder.sign(signer, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = certificate("test CA", "test CA", ca_key, ca_key, [x509.BasicConstraints(True, None)])
    leaf = certificate(
        name,
        "test CA",
        key,
        ca_key,
        [x509.BasicConstraints(False, None), x509.SubjectAlternativeName([x509.DNSName(name)])],
    )
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca.public_bytes(pem))
    (directory / "leaf.pem").write_bytes(
        leaf.public_bytes(pem)
        + key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "leaf.pem")
    return context, str(directory / "ca.pem")


class Phone:
    """A browser's push subscription with real keys: P-256 and 16 random auth bytes."""

    def __init__(self, service, name=None):
        self.service = service
        self.name = name or f"phone{next(_numbers)}"
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = service.url(self.name)

    def subscription(self):
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)},
        }

    def answer(self, status):
        self.service.answer(self.name, status)

    def requests(self):
        return self.service.to(self.name)

    def shown(self):
        """What the phone would show: each push's payload, decrypted."""
        return [self.decrypt(r.body) for r in self.requests()]

    def decrypt(self, body):
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


@pytest.fixture
def push_service(app, monkeypatch):
    service = FakePushService()
    monkeypatch.setitem(app.config, "PUSH_ALLOW_LOCAL_ENDPOINTS", True)
    yield service
    service.close()


@pytest.fixture
def resolver(monkeypatch):
    """The resolver answers for names in `answers`; other hosts are looked up for real."""
    answers, real, asked = {}, netguard.resolve, []

    def resolve(host):
        asked.append(host)
        return answers[host] if host in answers else real(host)

    monkeypatch.setattr(netguard, "resolve", resolve)
    resolve.answers, resolve.asked = answers, asked
    return resolve


@pytest.fixture
def vapid_key(app, monkeypatch):
    """A VAPID key of the test's own (the app's instance folder stays untouched)."""
    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", pem)
    app.extensions.pop("gridlink_vapid", None)
    yield pem
    app.extensions.pop("gridlink_vapid", None)


def person(role=GRID_MEMBER, **fields):
    number = next(_numbers)
    user = User(
        phone=f"139{number:08d}",
        name=fields.pop("name", f"成员{number}"),
        password_hash=CHEAP_HASH,
        role=role,
        **fields,
    )
    _db.session.add(user)
    _db.session.commit()
    return user


def subscribe(user, phone):
    keys = phone.subscription()["keys"]
    subscription = PushSubscription(
        user_id=user.id,
        endpoint=phone.endpoint,
        p256dh=keys["p256dh"],
        auth=keys["auth"],
        created_at=clock.now(),
        failures=0,
    )
    _db.session.add(subscription)
    _db.session.commit()
    return subscription


@pytest.fixture
def sender(app, db, push_service, vapid_key):
    """Everything a send test needs: make(phones=1) -> (user, [Phone])."""

    def make(phones=1, **fields):
        user = person(**fields)
        made = [Phone(push_service) for _ in range(phones)]
        for phone in made:
            subscribe(user, phone)
        return user, made

    return make
