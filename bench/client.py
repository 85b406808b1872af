"""A small HTTP client for the set-up and one-off requests: cookies, CSRF login, timings."""

import gzip
import http.client
import json
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie

from bench.common import HOST, BenchError


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    wire: bytes  # the body as sent, possibly compressed
    seconds: float

    @property
    def body(self):
        """The body, decompressed."""
        if self.headers.get("Content-Encoding") == "gzip":
            return gzip.decompress(self.wire)
        return self.wire

    def json(self):
        return json.loads(self.body)


class Client:
    """One connection to the server, and the cookies it has set."""

    def __init__(self, port, timeout=120):
        self.port = port
        self.cookies = SimpleCookie()
        self.csrf_token = None  # the session's, once logged in
        self._connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
        self._reused = False  # a response has come back on this connection

    def request(self, method, path, headers=None, body=None):
        headers = {**(headers or {})}
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        while True:
            started = time.perf_counter()
            try:
                self._connection.request(method, path, body=body, headers=headers)
                response = self._connection.getresponse()
                wire = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # gunicorn closes a kept-alive connection idle for its keep-alive (5 s); one
                # reused just then is closed before the server read the request. As every HTTP
                # client does, send it once more on a new connection (never on a fresh one).
                self._connection.close()
                if not self._reused:
                    raise
                self._reused = False
        self._reused = True
        seconds = time.perf_counter() - started
        for cookie in response.headers.get_all("Set-Cookie") or ():
            self.cookies.load(cookie)
        return Reply(response.status, response.headers, wire, seconds)

    def get(self, path, headers=None):
        return self.request("GET", path, headers)

    def cookie_header(self):
        return "; ".join(f"{name}={morsel.value}" for name, morsel in self.cookies.items())

    def login(self, phone, password):
        """Log in as the PWA does: a CSRF token first, then the login with it in a header."""
        token = self.get("/api/auth/csrf").json()["csrf_token"]
        reply = self.request(
            "POST",
            "/api/auth/login",
            {"Content-Type": "application/json", "X-CSRFToken": token},
            json.dumps({"phone": phone, "password": password}),
        )
        if reply.status != 200:
            raise BenchError(f"login of {phone} failed: {reply.status} {reply.body[:300]!r}")
        # Logging in starts a new session: its token comes back in a header.
        self.csrf_token = reply.headers.get("X-CSRFToken")
        if not self.csrf_token:
            raise BenchError("the login answered without an X-CSRFToken header")

    def post_json(self, path, payload):
        """An unsafe request, as the PWA sends it: JSON, with the session's CSRF token."""
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.csrf_token}
        return self.request("POST", path, headers, json.dumps(payload))

    def session_headers(self):
        """What another process needs to act as this user: the cookies and the CSRF token."""
        return {"Cookie": self.cookie_header(), "X-CSRFToken": self.csrf_token}

    def close(self):
        self._connection.close()
