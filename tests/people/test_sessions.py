"""Server-side sessions: logging out for real, lifetimes, the list of my sessions, and
managers ending a lost phone's sessions."""

import uuid
from datetime import timedelta

import pytest

from app.config import Base
from app.people import sessions
from app.people.models import GRID_MEMBER, User, UserSession
from tests.builders import report_body
from tests.conftest import PASSWORD, Auth, make_user
from tests.sync.conftest import command

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 12; HUAWEI P40) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36"
)


def logged_in(app, user, remember=False, user_agent=None):
    client = app.test_client()
    if user_agent:
        client.environ_base["HTTP_USER_AGENT"] = user_agent
    Auth(client).login(user, remember=remember)
    return client


def copy_of(app, client, *names):
    """Another browser holding copies of `client`'s cookies (stolen, or backed up)."""
    thief = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        if cookie is not None:
            thief.set_cookie(name, cookie.value)
    return thief


@pytest.mark.parametrize("stolen", [("session",), ("remember_token",)])
def test_logging_out_ends_the_session_for_every_copy_of_its_cookies(app, db, stolen):
    user = make_user(GRID_MEMBER)
    phone = logged_in(app, user, remember=True)
    thief = copy_of(app, phone, *stolen)
    assert thief.get("/api/me").status_code == 200

    assert phone.post("/api/auth/logout").status_code == 204

    assert phone.get("/api/me").status_code == 401
    assert thief.get("/api/me").status_code == 401
    assert db.session.query(UserSession).one().revoked_at is not None


def test_a_copied_cookie_is_not_a_token_the_database_keeps(app, db):
    user = make_user(GRID_MEMBER)
    phone = logged_in(app, user, remember=True)
    token = phone.get("/api/auth/sessions").get_json()[0]["id"]
    # The listed id is the record's: a cookie made from it logs nobody in.
    forged = app.test_client()
    with app.test_request_context():
        from flask_login.utils import encode_cookie

        forged.set_cookie("remember_token", encode_cookie(token))
    assert forged.get("/api/me").status_code == 401


def test_my_sessions_are_listed_with_the_current_one_marked(app, db):
    user = make_user(GRID_MEMBER)
    desk = logged_in(app, user)
    phone = logged_in(app, user, remember=True, user_agent=PHONE_UA)

    listed = phone.get("/api/auth/sessions").get_json()

    assert len(listed) == 2
    mine = next(s for s in listed if s["current"])
    assert mine["device"] == "Android · Chrome" and mine["remember"] is True
    assert [s["current"] for s in desk.get("/api/auth/sessions").get_json()].count(True) == 1
    for field in ("created_at", "last_seen_at", "ends_at"):
        assert mine[field].endswith("+00:00")


def test_ending_another_of_my_sessions_logs_that_browser_out(app, db):
    user = make_user(GRID_MEMBER)
    desk, phone = logged_in(app, user), logged_in(app, user)
    other = next(s for s in desk.get("/api/auth/sessions").get_json() if not s["current"])

    assert desk.delete(f"/api/auth/sessions/{other['id']}").status_code == 204

    assert phone.get("/api/me").status_code == 401
    assert desk.get("/api/me").status_code == 200
    assert [s["current"] for s in desk.get("/api/auth/sessions").get_json()] == [True]


def test_logging_in_again_ends_the_session_it_replaces(app, db):
    first, second = make_user(GRID_MEMBER), make_user(GRID_MEMBER)
    browser = logged_in(app, first, remember=True)
    copy = copy_of(app, browser, "session", "remember_token")

    Auth(browser).login(second)

    assert browser.get("/api/me").get_json()["id"] == second.id
    assert copy.get("/api/me").status_code == 401
    assert db.session.query(UserSession).filter(UserSession.revoked_at.is_(None)).count() == 1


def test_the_session_routes_are_described_in_the_openapi(client, db):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    listed = paths["/api/auth/sessions"]["get"]["responses"]["200"]["content"]
    assert listed["application/json"]["schema"]["items"] == {
        "$ref": "#/components/schemas/SessionOut"
    }
    assert "delete" in paths["/api/auth/sessions/{session_id}"]
    assert {"get", "delete"} <= set(paths["/api/people/{person_id}/sessions"])
    assert "delete" in paths["/api/people/{person_id}/sessions/{session_id}"]


def test_someone_elses_session_is_not_mine_to_end(app, db):
    mine, theirs = make_user(GRID_MEMBER), make_user(GRID_MEMBER)
    me, them = logged_in(app, mine), logged_in(app, theirs)
    their_id = them.get("/api/auth/sessions").get_json()[0]["id"]

    response = me.delete(f"/api/auth/sessions/{their_id}")

    assert response.status_code == 404
    assert them.get("/api/me").status_code == 200


@pytest.mark.parametrize(
    "remember, idle, absolute",
    [
        (False, "SESSION_IDLE", "PERMANENT_SESSION_LIFETIME"),
        (True, "REMEMBER_IDLE", "REMEMBER_COOKIE_DURATION"),
    ],
)
def test_a_session_ends_after_its_idle_or_its_absolute_lifetime(
    app, db, frozen, monkeypatch, remember, idle, absolute
):
    for name in (idle, absolute):  # the defaults: the test configuration's are years long
        monkeypatch.setitem(app.config, name, getattr(Base, name))
    idle, absolute = app.config[idle], app.config[absolute]
    assert idle < absolute
    user = make_user(GRID_MEMBER)
    used = logged_in(app, user, remember=remember)
    unused = logged_in(app, user, remember=remember)

    # Used just inside the idle lifetime, again and again, up to the absolute one.
    step = idle - timedelta(minutes=1)
    while frozen.at + step < sessions_start(db) + absolute:
        frozen.move(seconds=step.total_seconds())
        assert used.get("/api/me").status_code == 200
    assert unused.get("/api/me").status_code == 401  # idle far too long

    frozen.move(seconds=(sessions_start(db) + absolute - frozen.at).total_seconds())
    assert used.get("/api/me").status_code == 401


def sessions_start(db):
    return min(record.created_at for record in db.session.query(UserSession))


def test_last_seen_is_written_at_most_every_few_minutes(app, db, frozen):
    user = make_user(GRID_MEMBER)
    phone = logged_in(app, user)
    seen = phone.get("/api/auth/sessions").get_json()[0]["last_seen_at"]
    touch = app.config["SESSION_TOUCH"]

    frozen.move(seconds=touch.total_seconds() - 1)
    assert phone.get("/api/auth/sessions").get_json()[0]["last_seen_at"] == seen
    frozen.move(seconds=2)
    assert phone.get("/api/auth/sessions").get_json()[0]["last_seen_at"] == (frozen.at.isoformat())


def test_end_sessions_ends_every_session_but_the_one_kept(app, db):
    user = make_user(GRID_MEMBER)
    kept, *others = (logged_in(app, user) for _ in range(3))
    bystander = make_user(GRID_MEMBER)
    theirs = logged_in(app, bystander)
    keep = db.session.query(UserSession).order_by(UserSession.created_at).first()

    with app.test_request_context():
        assert sessions.end_sessions(db.session.get(User, user.id), keep=keep) == 2

    assert kept.get("/api/me").status_code == 200
    assert [other.get("/api/me").status_code for other in others] == [401, 401]
    assert theirs.get("/api/me").status_code == 200


def test_a_deactivated_persons_sessions_stop_working(app, db):
    user = make_user(GRID_MEMBER)
    phone = logged_in(app, user, remember=True)
    db.session.get(User, user.id).active = False
    db.session.commit()
    assert phone.get("/api/me").status_code == 401


def test_a_request_sees_the_person_as_the_database_has_them_now(app, db):
    """The lookup reads the user afresh on every request: a new name, role or scope set
    since the phone's last request shows on its next one, and what the request changes of
    its user is written."""
    user = make_user(GRID_MEMBER, name="王五")
    phone = logged_in(app, user, remember=True)
    assert phone.get("/api/me").get_json()["name"] == "王五"
    db.session.get(User, user.id).name = "王六"
    db.session.commit()
    assert phone.get("/api/me").get_json()["name"] == "王六"
    before = user.password_hash
    changed = phone.post(
        "/api/me/password",
        json={"old_password": PASSWORD, "new_password": "a longer passphrase, 2026"},
    )
    assert changed.status_code == 204, changed.data
    db.session.expire_all()
    written = db.session.get(User, user.id)
    assert written.password_hash != before and written.name == "王六"


def test_the_lookup_gives_the_user_the_orm_would_load(app, db):
    """Every column of the user, typed as the ORM types it (aware UTC times, booleans,
    JSON), on each backend."""
    user = make_user(GRID_MEMBER)
    user.muted = ["rollcall"]
    with app.test_request_context():
        sessions.start(db.session.get(User, user.id), remember=True, ip="127.0.0.1")
        token = db.session.get(User, user.id).login_token
        db.session.commit()
    db.session.remove()
    with app.test_request_context():
        loaded = sessions.load(token)
        assert loaded in db.session and not db.session.dirty
        fresh = User.__table__.c
        row = db.session.execute(User.__table__.select().where(fresh.id == user.id)).one()
        for column in fresh:
            value = getattr(loaded, column.key)
            assert value == row._mapping[column] and type(value) is type(row._mapping[column])
        assert loaded.created_at.utcoffset() == timedelta(0)
        assert [unit.id for unit in loaded.units] == [unit.id for unit in user.units]
    db.session.remove()


# Who may see and end whose sessions: (actor, target, status). Out of the actor's scope the
# person does not exist (404); in scope a role that may not is refused (403).
REACH = [
    ("secretary", "member", 200),
    ("secretary", "colleague", 200),
    ("secretary", "street_admin", 404),
    ("secretary", "outsider", 404),
    ("outside_secretary", "member", 404),
    ("street_admin", "member", 200),
    ("street_admin", "secretary", 200),
    ("street_admin", "outsider", 404),
    ("district_admin", "member", 200),
    ("district_admin", "street_admin", 200),
    ("district_admin", "outsider", 200),
    ("colleague", "member", 403),
    ("dept_user", "member", 404),
    ("member", "outsider", 404),
    ("member", "member", 200),
]


@pytest.mark.parametrize("actor, target, status", REACH)
def test_who_may_see_and_end_a_persons_sessions(app, cast, as_user, actor, target, status):
    person = getattr(cast, target)
    phone = logged_in(app, person, remember=True)
    client = as_user(getattr(cast, actor))

    listed = client.get(f"/api/people/{person.id}/sessions")
    ended = client.delete(f"/api/people/{person.id}/sessions")

    assert (listed.status_code, ended.status_code) == (status, status)
    if status != 200:
        assert ended.get_json()["error"]["code"] == ("not_found", "not_allowed")[status == 403]
        assert phone.get("/api/me").status_code == 200
        return
    assert len(listed.get_json()) >= 1
    assert phone.get("/api/me").status_code == 401
    if actor == target:  # ending my own sessions keeps the one I asked with
        assert client.get("/api/me").status_code == 200


def test_a_secretary_ends_one_lost_phone_and_the_desk_stays(app, cast, as_user):
    desk = logged_in(app, cast.member)
    lost = logged_in(app, cast.member, remember=True, user_agent=PHONE_UA)
    secretary = as_user(cast.secretary)
    listed = secretary.get(f"/api/people/{cast.member.id}/sessions").get_json()
    phone = next(s for s in listed if s["device"] == "Android · Chrome")
    assert not any(s["current"] for s in listed)

    path = f"/api/people/{cast.member.id}/sessions/{phone['id']}"
    assert secretary.delete(path).status_code == 204

    assert lost.get("/api/me").status_code == 401
    assert desk.get("/api/me").status_code == 200
    other = secretary.delete(f"/api/people/{cast.secretary.id}/sessions/{phone['id']}")
    assert other.status_code == 404


def test_a_revoked_phones_queue_is_sent_once_it_logs_in_again(app, cast, as_user, db):
    phone = logged_in(app, cast.member, remember=True)
    device = str(uuid.uuid4())
    first, second = report_body(cast.grid), report_body(cast.grid)
    queue = [command(1, "incident.report", first), command(2, "incident.report", second)]
    as_user(cast.secretary).delete(f"/api/people/{cast.member.id}/sessions")

    refused = phone.post("/api/sync/push", json={"device_id": device, "commands": queue})
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorized"

    Auth(phone).login(cast.member, remember=True)
    sent, resent = (
        phone.post("/api/sync/push", json={"device_id": device, "commands": queue}).get_json()
        for _ in range(2)  # the phone resends until it sees the receipts
    )
    assert [r["status"] for r in sent["results"]] == ["applied", "applied"]
    assert [r["status"] for r in resent["results"]] == ["duplicate", "duplicate"]
    ids = {item["id"] for item in phone.get("/api/incidents").get_json()}
    assert ids == {first["id"], second["id"]}
    assert db.session.execute(db.text("SELECT count(*) FROM incident")).scalar() == 2
