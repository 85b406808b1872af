"""My password: the policy, changing it, and one-time codes from a reset."""

from datetime import timedelta

import pytest

from app import clock
from app.history.services import timeline
from app.people import accounts
from app.people.models import GRID_MEMBER, User
from tests.conftest import PASSWORD, make_user

NEW = "湖边的柳树 grows tall"


def login(client, user, password):
    return client.post("/api/auth/login", json={"phone": user.phone, "password": password})


def change(client, old, new):
    return client.post("/api/me/password", json={"old_password": old, "new_password": new})


@pytest.mark.parametrize(
    "password, problem",
    [
        ("short1!", "at least 8"),
        ("123456", "at least 8"),
        ("88888888", "most common"),
        ("5201314a", "most common"),
        ("a1234567", "most common"),
        ("qq123456", "most common"),
        ("Woaini1314", "most common"),
        ("PassWord", "most common"),
        ("13800000001", "phone number"),
        ("my 13800000001 x", "phone number"),
        ("me000001!", "phone number"),  # its last six digits
        (PASSWORD, None),
        ("网格通的巡查员们", None),
        ("k7m4-p9x2", None),
    ],
)
def test_the_policy_names_what_is_wrong(password, problem):
    problems = accounts.password_problems(password, "13800000001")
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


def test_the_common_list_holds_thousands_including_the_chinese_favourites():
    common = accounts.common_passwords()
    assert len(common) > 3000
    for typical in ("123456", "88888888", "5201314", "a1234567", "qq123456", "woaini1314"):
        assert typical in common


def test_demo_logins_pass_the_policy(db, district):
    from app.people.demo import seed_people

    logins = seed_people(members=40)
    for login_ in logins:
        phone = login_["phone"] if login_["phone"].isdigit() else None
        assert accounts.password_problems(login_["password"], phone) == [], login_


def test_changing_my_password_needs_the_old_one_and_ends_my_other_sessions(app, as_user, db):
    user = make_user(GRID_MEMBER)
    phone, laptop = as_user(user), app.test_client()
    login(laptop, user, PASSWORD)

    wrong = change(phone, "not it at all", NEW)
    assert wrong.status_code == 422
    assert wrong.get_json()["error"]["fields"] == {"old_password": ["Not your current password."]}

    assert change(phone, PASSWORD, NEW).status_code == 204

    assert phone.get("/api/me").status_code == 200  # this session goes on
    assert laptop.get("/api/me").status_code == 401  # the other one ended
    fresh = app.test_client()
    assert login(fresh, user, PASSWORD).status_code == 401
    assert login(fresh, user, NEW).status_code == 200
    assert [e.action for e in timeline("person", user.id)] == ["change_password"]


def test_guessing_the_old_password_is_throttled_like_a_login(app, as_user, db):
    user = make_user(GRID_MEMBER)
    phone = as_user(user)  # a stolen phone, still logged in
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert change(phone, "a wrong guess", NEW).status_code == 422

    response = change(phone, PASSWORD, NEW)

    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert db.session.get(User, user.id).password_hash == user.password_hash


@pytest.mark.parametrize(
    "new, field_problem",
    [
        ("1234567", "at least 8"),
        ("13800000009", "phone number"),
        ("qq123456", "most common"),
        (PASSWORD, "same as the current"),
    ],
)
def test_a_weak_new_password_is_refused_naming_the_field(as_user, db, new, field_problem):
    user = make_user(GRID_MEMBER, phone="13800000009")
    response = change(as_user(user), PASSWORD, new)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "weak_password"
    assert any(field_problem in p for p in error["fields"]["new_password"])
    assert db.session.get(User, user.id).password_hash == user.password_hash


def test_a_reset_code_logs_in_once_and_must_be_changed_before_anything_else(app, cast, as_user):
    member_phone = as_user(cast.member)
    code = as_user(cast.secretary).post(f"/api/people/{cast.member.id}/reset").get_json()
    assert set(code) == {"one_time_code", "expires_at"}
    assert code["expires_at"].endswith("+00:00")

    assert member_phone.get("/api/me").status_code == 401  # the reset ended their sessions
    client = app.test_client()
    assert login(client, cast.member, PASSWORD).status_code == 401  # the old one is gone
    me = login(client, cast.member, code["one_time_code"]).get_json()
    assert me["password_change_required"] is True

    for path in ("/api/tasks", "/api/incidents", f"/api/grids/{cast.grid.code}"):
        blocked = client.get(path)
        assert blocked.status_code == 403, path
        assert blocked.get_json()["error"]["code"] == "password_change_required"
    assert client.get("/api/me").status_code == 200

    assert change(client, code["one_time_code"], NEW).status_code == 204
    assert client.get("/api/me").get_json()["password_change_required"] is False
    assert client.get("/api/tasks").status_code == 200
    assert login(app.test_client(), cast.member, code["one_time_code"]).status_code == 401
    actions = [(e.action, e.actor_id) for e in timeline("person", cast.member.id)]
    assert actions == [("reset", cast.secretary.id), ("change_password", cast.member.id)]


def test_only_the_hash_of_a_code_is_kept(cast, as_user, db):
    code = as_user(cast.secretary).post(f"/api/people/{cast.member.id}/reset").get_json()
    stored = db.session.get(User, cast.member.id)
    db.session.refresh(stored)
    assert code["one_time_code"] not in stored.password_hash
    assert code["one_time_code"] not in str([e.data for e in timeline("person", stored.id)])


def test_a_code_expires(app, cast, as_user, monkeypatch):
    code = as_user(cast.secretary).post(f"/api/people/{cast.member.id}/reset").get_json()
    later = clock.now() + timedelta(hours=app.config["ONE_TIME_CODE_HOURS"], minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = login(app.test_client(), cast.member, code["one_time_code"])
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "code_expired"
