"""Logging in and out: passwords, sessions, CSRF, rate limits."""

from datetime import timedelta

import pytest

from app.people.models import DISTRICT_ADMIN, GRID_MEMBER, LoginAttempt
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


def test_password_is_hashed_with_a_current_algorithm(db):
    user = make_user(GRID_MEMBER)
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("scrypt:")


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
    limit = app.config["LOGIN_MAX_FAILURES_PER_PHONE"]
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
