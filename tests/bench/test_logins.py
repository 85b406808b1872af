"""The mass login's clients log each person in once, as the PWA does."""

import json
from email.message import Message

from bench.logins import Logins


class Answer:
    def __init__(self, status, cookies=(), retry_after=None):
        self.status = status
        self.headers = Message()
        for cookie in cookies:
            self.headers["Set-Cookie"] = cookie
        if retry_after is not None:
            self.headers["Retry-After"] = retry_after


def test_each_person_gets_a_token_then_logs_in_with_it_once():
    logins = Logins(["13800000001", "13800000002"], "secret")
    sent = []
    for i in range(5):
        step = logins(i)
        if step is None:
            break
        method, path, body, headers, tag = step
        sent.append((tag, json.loads(body)["phone"] if body else None, headers.get("Cookie")))
        if tag == "csrf":
            token = f"token-{i}".encode()
            cookie = f"session=anon{i}; HttpOnly; Path=/"
            logins.answered(Answer(200, [cookie]), b'{"csrf_token": "%s"}' % token)
            assert logins(i + 1)[3]["X-CSRFToken"] == token.decode()
        else:
            logins.answered(Answer(200, ["session=user; Path=/"]), b"{}")
    assert sent == [
        ("csrf", None, None),
        ("login", "13800000001", "session=anon0"),
        ("csrf", None, None),
        ("login", "13800000002", "session=anon2"),
    ]


def test_a_failed_token_request_sends_the_login_without_one():
    logins = Logins(["13800000001"], "secret")
    logins(0)
    logins.answered(Answer(503), b"{}")
    assert logins(1)[3]["X-CSRFToken"] == ""


def test_a_login_told_to_wait_is_sent_again_after_retry_after_then_the_next_person():
    logins = Logins(["13800000001", "13800000002"], "secret")
    logins(0)
    logins.answered(Answer(200, ["session=anon0; Path=/"]), b'{"csrf_token": "t"}')
    first = logins(1)
    logins.answered(Answer(429, retry_after="0"), b"{}")
    assert logins(2) == first  # the same login, with the same session
    logins.answered(Answer(200, ["session=user; Path=/"]), b"{}")
    assert logins(3)[4] == "csrf"
    assert json.loads(logins(4)[2])["phone"] == "13800000002"
