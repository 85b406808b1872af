"""Logging in and out: passwords, sessions, CSRF, rate limits."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import clock
from app.people import services
from app.people.models import DISTRICT_ADMIN, GRID_MEMBER, LoginAttempt, User
from tests.conftest import PASSWORD, make_user


def login(client, phone, password, **extra):
    return client.post("/api/auth/login", json={"phone": phone, "password": password, **extra})


def test_login_sets_session_and_me_shows_role_and_units(client, district):
    grid = district["grid"][0]
    user = make_user(GRID_MEMBER, [grid])
    assert client.get("/api/me").status_code == 401

    response = login(client, user.phone, PASSWORD)

    assert response.status_code == 200
    assert response.headers["X-CSRFToken"]
    me = client.get("/api/me").get_json()
    assert me["role"] == GRID_MEMBER
    assert me["units"] == [{"code": grid.code, "name": grid.name, "level": "grid"}]
    assert PASSWORD not in str(me) and "hash" not in str(me)


@pytest.mark.parametrize(
    "phone, password, status, code",
    [
        ("13800000001", "wrong", 401, "invalid_credentials"),
        ("13999999999", PASSWORD, 401, "invalid_credentials"),
        ("12345", PASSWORD, 422, "validation_error"),
    ],
)
def test_bad_logins_are_refused_without_saying_which_part_was_wrong(
    client, phone, password, status, code
):
    make_user(GRID_MEMBER, phone="13800000001")
    response = login(client, phone, password)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert client.get("/api/me").status_code == 401


def test_inactive_user_cannot_log_in(client, db):
    user = make_user(GRID_MEMBER, active=False)
    assert login(client, user.phone, PASSWORD).status_code == 401


def test_logout_ends_the_session(client, auth, db):
    auth.as_role(DISTRICT_ADMIN)
    assert client.get("/api/me").status_code == 200
    assert client.post("/api/auth/logout").status_code == 204
    assert client.get("/api/me").status_code == 401


def test_unsafe_requests_need_the_csrf_token(client, db):
    user = make_user(GRID_MEMBER)
    response = client.post(
        "/api/auth/login", json={"phone": user.phone, "password": PASSWORD}, csrf=False
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"
    forged = client.post(
        "/api/auth/login",
        json={"phone": user.phone, "password": PASSWORD},
        headers={"X-CSRFToken": "forged"},
    )
    assert forged.get_json()["error"]["code"] == "csrf_failed"


def test_failed_logins_for_a_phone_are_rate_limited(app, client, db):
    user = make_user(GRID_MEMBER)
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert login(client, user.phone, "wrong").status_code == 401

    # Even the right password is refused while the phone is locked out.
    response = login(client, user.phone, PASSWORD)
    assert response.status_code == 429
    body = response.get_json()["error"]
    assert body["code"] == "rate_limited"
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60

    # Once the failures are older than the window, the phone may try again.
    for attempt in db.session.query(LoginAttempt):
        attempt.at -= timedelta(hours=1)
    db.session.commit()
    assert login(client, user.phone, PASSWORD).status_code == 200


def test_remember_me_sets_a_long_lived_cookie(app, client, db):
    user = make_user(GRID_MEMBER)
    response = login(client, user.phone, PASSWORD, remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("remember_token="))
    assert "HttpOnly" in remember and "SameSite=Lax" in remember
    days = app.config["REMEMBER_COOKIE_DURATION"].days
    assert days >= 28
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie


def test_remember_cookie_alone_logs_the_phone_back_in(app, db):
    user = make_user(GRID_MEMBER)
    first = app.test_client()
    login(first, user.phone, PASSWORD, remember=True)
    remember = first.get_cookie("remember_token")
    second = app.test_client()  # a browser restart: no session cookie, only the remember cookie
    second.set_cookie("remember_token", remember.value)
    assert second.get("/api/me").get_json()["phone"] == user.phone


def test_production_cookies_are_secure():
    from app.config import Prod

    assert Prod.SESSION_COOKIE_SECURE and Prod.REMEMBER_COOKIE_SECURE
    assert Prod.SESSION_COOKIE_HTTPONLY and Prod.SESSION_COOKIE_SAMESITE == "Lax"


ATTACKER, MEMBER, FRESH, NAT = "198.51.100.7", "203.0.113.20", "192.0.2.33", "100.64.0.1"
BOTNET = [f"198.51.100.{n}" for n in range(100, 105)]


def attempts(phone, ip, count, ok=False):
    return [(phone, ip, ok)] * count


# (what happened in the window, who logs in now from where with the right password or not,
# the answer). "member" is the account under attack; "other<n>" are people behind one NAT.
THROTTLE = [
    (
        "the pair's own cap locks the attacker's pair",
        attempts("member", ATTACKER, 5),
        ("member", ATTACKER, True),
        429,
    ),
    (
        "but not the member at their address",
        attempts("member", ATTACKER, 5),
        ("member", MEMBER, True),
        200,
    ),
    ("below the pair's cap", attempts("member", ATTACKER, 4), ("member", ATTACKER, True), 200),
    (
        "a success wipes its pair's slate",
        attempts("member", MEMBER, 4)
        + attempts("member", MEMBER, 1, ok=True)
        + attempts("member", MEMBER, 1),
        ("member", MEMBER, False),
        401,
    ),
    (
        "a phone attacked from many addresses: the member's clean address gets in",
        [a for ip in BOTNET for a in attempts("member", ip, 4)],
        ("member", MEMBER, True),
        200,
    ),
    (
        "a clean address may still try once",
        [a for ip in BOTNET for a in attempts("member", ip, 4)],
        ("member", FRESH, False),
        401,
    ),
    (
        "an attacker's address is on probation",
        [a for ip in BOTNET for a in attempts("member", ip, 4)],
        ("member", BOTNET[0], True),
        429,
    ),
    (
        "and so is the member's, if they mistyped since their last success",
        [a for ip in BOTNET for a in attempts("member", ip, 4)] + attempts("member", MEMBER, 1),
        ("member", MEMBER, True),
        429,
    ),
    (
        "below the phone's cap",
        [a for ip in BOTNET[:4] for a in attempts("member", ip, 4)] + attempts("member", FRESH, 3),
        ("member", FRESH, True),
        200,
    ),
    (
        "a guesser behind carrier NAT: everyone else behind it gets in",
        [a for n in range(50) for a in attempts(f"other{n}", NAT, 2)],
        ("member", NAT, True),
        200,
    ),
    (
        "the pairs that failed behind it wait",
        [a for n in range(50) for a in attempts(f"other{n}", NAT, 2)],
        ("other0", NAT, True),
        429,
    ),
    (
        "from another address they do not",
        [a for n in range(50) for a in attempts(f"other{n}", NAT, 2)],
        ("other0", MEMBER, True),
        200,
    ),
    (
        "below the address's cap",
        [a for n in range(33) for a in attempts(f"other{n}", NAT, 3)],
        ("other0", NAT, True),
        200,
    ),
]


@pytest.mark.parametrize(
    "before, now, status", [case[1:] for case in THROTTLE], ids=[case[0] for case in THROTTLE]
)
def test_login_throttling_locks_out_the_guesser_not_the_member(
    app, client, db, before, now, status
):
    people = {"member": make_user(GRID_MEMBER)}
    at = clock.now() - timedelta(minutes=10)
    for phone, ip, ok in before:
        if phone not in people:
            people[phone] = make_user(GRID_MEMBER)
        db.session.add(LoginAttempt(phone=people[phone].phone, ip=ip, succeeded=ok, at=at))
        at += timedelta(milliseconds=10)
    db.session.commit()
    who, ip, right = now

    response = client.post(
        "/api/auth/login",
        json={"phone": people[who].phone, "password": PASSWORD if right else "wrong"},
        environ_base={"REMOTE_ADDR": ip},
    )

    assert response.status_code == status, response.get_json()
    if status == 429:
        window = app.config["LOGIN_FAILURE_WINDOW"].total_seconds()
        assert 0 < int(response.headers["Retry-After"]) <= window


def test_failures_older_than_the_window_do_not_count(app, client, db):
    user = make_user(GRID_MEMBER)
    long_ago = clock.now() - app.config["LOGIN_FAILURE_WINDOW"] - timedelta(minutes=1)
    db.session.add_all(
        LoginAttempt(phone=user.phone, ip="127.0.0.1", succeeded=False, at=long_ago)
        for _ in range(app.config["LOGIN_MAX_FAILURES"])
    )
    db.session.commit()
    assert login(client, user.phone, PASSWORD).status_code == 200


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["member", "other"]),
            st.sampled_from([ATTACKER, NAT, FRESH, *BOTNET]),
            st.booleans(),
        ),
        max_size=150,
    )
)
def test_no_guessing_from_elsewhere_locks_the_member_out(app, db, guesses):
    """Whatever anyone tries from other addresses, for the member's number or any other,
    the member at their own address with the right password gets in."""
    member = db.session.query(User).filter_by(name="member").first() or make_user(
        GRID_MEMBER, name="member"
    )
    other = db.session.query(User).filter_by(name="other").first() or make_user(
        GRID_MEMBER, name="other"
    )
    phones = {"member": member.phone, "other": other.phone}
    db.session.query(LoginAttempt).delete()
    at = clock.now() - timedelta(minutes=10)
    for n, (who, ip, ok) in enumerate(guesses):
        db.session.add(
            LoginAttempt(phone=phones[who], ip=ip, succeeded=ok, at=at + timedelta(seconds=n))
        )
    db.session.commit()
    with app.test_request_context():
        assert services.log_in(member.phone, PASSWORD, False, MEMBER) is not None
