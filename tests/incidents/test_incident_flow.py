"""The incident loop as the people doing it see it, through the HTTP API."""

from datetime import UTC, datetime, timedelta

import pytest
import shapely
from sqlalchemy import select, text

from app import clock
from app.history.services import timeline
from app.incidents import services
from app.notify.models import Message
from app.people.models import DISTRICT_ADMIN
from tests.builders import CATEGORY, SHA, point_in, report_body
from tests.conftest import make_user


def report(client, unit, **extra):
    return client.post("/api/incidents", json=report_body(unit, **extra))


def walk(incident_id, steps):
    """Run (client, action, body) steps, asserting each succeeds; return the last body."""
    body = None
    for client, action, payload in steps:
        response = client.post(f"/api/incidents/{incident_id}/{action}", json=payload)
        assert response.status_code == 200, (action, response.get_json())
        body = response.get_json()
    return body


def test_the_whole_loop_report_accept_dispatch_handle_check_close(cast, as_user):
    member, secretary, colleague = (
        as_user(cast.member),
        as_user(cast.secretary),
        as_user(cast.colleague),
    )
    created = report(member, cast.grid)
    assert created.status_code == 201
    incident = created.get_json()
    assert incident["state"] == "reported"
    assert incident["grid"]["code"] == cast.grid.code  # placed by the server from the point
    assert incident["community"]["code"] == cast.community.code
    assert incident["deadline"] and incident["due"] == "on_time"

    final = walk(
        incident["id"],
        [
            (secretary, "accept", {"note": "属实，立案"}),
            (secretary, "dispatch", {"assignee_id": cast.colleague.id}),
            (colleague, "start", {}),
            (
                colleague,
                "handle",
                {"note": "已清理", "photos": [{"sha256": "b" * 64, "kind": "after"}]},
            ),
            (member, "check", {"passed": True}),
        ],
    )
    assert final["state"] == "closed"
    assert final["due"] is None and final["deadline"] is None
    actions = [(h["action"], h["from_state"], h["to_state"]) for h in final["history"]]
    assert actions == [
        ("report", None, "reported"),
        ("accept", "reported", "accepted"),
        ("dispatch", "accepted", "dispatched"),
        ("start", "dispatched", "in_progress"),
        ("handle", "in_progress", "handled"),
        ("check", "handled", "closed"),
    ]
    assert final["history"][2]["actor_name"] == "张书记"
    assert {p["kind"] for p in final["photos"]} == {"close_up", "after"}
    # The member it was dispatched to heard of it in the inbox.
    [told] = colleague.get("/api/inbox").get_json()
    assert (told["kind"], told["entity_id"]) == ("dispatch", incident["id"])
    assert told["title"].startswith("派单：")


def test_failed_check_sends_it_back_for_rework_with_the_reason(cast, as_user):
    member, secretary, colleague = (
        as_user(cast.member),
        as_user(cast.secretary),
        as_user(cast.colleague),
    )
    incident_id = report(member, cast.grid).get_json()["id"]
    after = {"note": "已清理", "photos": [{"sha256": "b" * 64, "kind": "after"}]}
    walk(
        incident_id,
        [
            (secretary, "accept", {}),
            (secretary, "dispatch", {"assignee_id": cast.colleague.id}),
            (colleague, "handle", after),
        ],
    )
    missing = secretary.post(f"/api/incidents/{incident_id}/check", json={"passed": False})
    assert missing.status_code == 422 and "reason" in missing.get_json()["error"]["fields"]
    body = walk(incident_id, [(secretary, "check", {"passed": False, "reason": "还有残留"})])
    assert body["state"] == "dispatched"
    assert body["rework_count"] == 1 and body["reason"] == "还有残留"
    assert body["assignee"]["id"] == cast.colleague.id
    assert body["history"][-1]["action"] == "rework"


def test_the_handler_cannot_check_their_own_work(cast, as_user):
    member, secretary, colleague = (
        as_user(cast.member),
        as_user(cast.secretary),
        as_user(cast.colleague),
    )
    incident_id = report(member, cast.grid).get_json()["id"]
    walk(
        incident_id,
        [
            (secretary, "accept", {}),
            (secretary, "dispatch", {"assignee_id": cast.colleague.id}),
            (colleague, "handle", {"note": "好了", "photos": [{"sha256": SHA, "kind": "after"}]}),
        ],
    )
    response = colleague.post(f"/api/incidents/{incident_id}/check", json={"passed": True})
    assert response.status_code == 403


def test_handling_on_the_spot_needs_before_and_after_photos(cast, as_user):
    member = as_user(cast.member)
    refused = report(member, cast.grid, handled_on_spot=True)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "evidence_required"
    photos = [{"sha256": SHA, "kind": "before"}, {"sha256": "b" * 64, "kind": "after"}]
    done = report(member, cast.grid, handled_on_spot=True, photos=photos).get_json()
    assert done["state"] == "handled" and done["self_handled"]
    assert done["assignee"]["id"] == cast.member.id
    closed = walk(done["id"], [(as_user(cast.secretary), "check", {"passed": True})])
    assert closed["state"] == "closed"


def test_a_retried_report_is_the_same_report(cast, as_user, db):
    member = as_user(cast.member)
    body = report_body(cast.grid)
    first = member.post("/api/incidents", json=body)
    again = member.post("/api/incidents", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    count = db.session.execute(text("SELECT count(*) FROM incident")).scalar()
    assert count == 1
    # Someone else cannot take over that id.
    stolen = as_user(cast.colleague).post("/api/incidents", json=body)
    assert stolen.status_code == 409 and stolen.get_json()["error"]["code"] == "id_taken"


def test_a_report_writes_its_case_photos_in_order_and_one_history_entry(cast, as_user, db):
    """What the report's write leaves in the database, every value as sent (the resident's
    contact encrypted at rest), and a resent report adds nothing to any of it."""
    member = as_user(cast.member)
    photos = [
        {"sha256": "c" * 64, "kind": "wide", "taken_at": "2026-03-02T09:15:00.123456+08:00"},
        {"sha256": "a" * 64, "kind": "close_up", "lat": 27.712345678901, "lng": 109.2},
        {"sha256": "b" * 64, "kind": "close_up"},
    ]
    body = report_body(
        cast.grid,
        photos=photos,
        resident_name="张三丰",
        resident_phone="13912345678",
        device_time="2026-03-02T09:16:00.5+08:00",
    )
    created = member.post("/api/incidents", json=body)
    assert created.status_code == 201

    def written():
        return (
            db.session.execute(
                text("SELECT sha256, kind, lat FROM attachment WHERE entity_id = :id ORDER BY id"),
                {"id": body["id"]},
            ).all(),
            db.session.execute(
                text(
                    "SELECT action, to_state, note, grid_id, community_id, lat, lng, actor_id"
                    " FROM history WHERE entity_id = :id"
                ),
                {"id": body["id"]},
            ).all(),
        )

    attachments, entries = written()
    assert attachments == [
        ("c" * 64, "wide", None),
        ("a" * 64, "close_up", 27.712345678901),
        ("b" * 64, "close_up", None),
    ]
    assert entries == [
        (
            "report",
            "reported",
            body["description"],
            cast.grid.id,
            cast.community.id,
            body["lat"],
            body["lng"],
            cast.member.id,
        )
    ]
    (entry,) = timeline("incident", body["id"])
    assert entry.data == {"grid": cast.grid.code, "handled_on_spot": False, "source": "member"}
    assert entry.device_time == datetime(2026, 3, 2, 1, 16, 0, 500000, tzinfo=UTC)
    row = db.session.execute(
        text("SELECT resident_name, resident_phone, lat, lng FROM incident WHERE id = :id"),
        {"id": body["id"]},
    ).one()
    assert "张三丰" not in row.resident_name and "13912345678" not in row.resident_phone
    assert (row.lat, row.lng) == (body["lat"], body["lng"])
    incident = services.get_visible(cast.member, body["id"])
    assert (incident.resident_name, incident.resident_phone) == ("张三丰", "13912345678")
    assert created.get_json()["photos"][0]["taken_at"] == "2026-03-02T01:15:00.123456+00:00"

    assert member.post("/api/incidents", json=body).status_code == 200
    assert as_user(cast.colleague).post("/api/incidents", json=body).status_code == 409
    assert written() == (attachments, entries)


def test_a_report_answers_what_a_fresh_read_shows(cast, as_user):
    """The report's answer is built from what the server wrote, not read back: it must say
    what reading the incident afterwards says (units, photos and whether they arrived)."""
    from tests.photos.test_images import _jpeg
    from tests.photos.test_photo_api import upload

    member = as_user(cast.member)
    arrived = upload(member, _jpeg()).get_json()["sha256"]
    photos = [
        {"sha256": SHA, "kind": "close_up", "taken_at": "2026-03-02T09:15:00+08:00"},
        {"sha256": arrived, "kind": "wide", "lat": 27.7, "lng": 109.2},
    ]
    answer = report(member, cast.grid, photos=photos, urgent=True, address="北门")
    assert answer.status_code == 201
    created = answer.get_json()
    shown = member.get(f"/api/incidents/{created['id']}").get_json()
    assert [p["available"] for p in created["photos"]] == [False, True]
    assert [p["kind"] for p in created["photos"]] == ["close_up", "wide"]
    for moment in ("deadline", "reported_at"):  # the same instant, whatever the offset
        assert datetime.fromisoformat(created.pop(moment)) == datetime.fromisoformat(
            shown.pop(moment)
        )
    for photo in created["photos"] + shown["photos"]:
        photo["taken_at"] = photo["taken_at"] and datetime.fromisoformat(photo["taken_at"])
    assert created == {k: v for k, v in shown.items() if k in created}


def test_a_point_outside_the_district_is_rejected_clearly(cast, as_user):
    response = as_user(cast.member).post(
        "/api/incidents", json={**report_body(cast.grid), "lat": 39.9, "lng": 116.4}
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "outside_district" and set(error["fields"]) == {"lat", "lng"}


@pytest.mark.parametrize(
    "change, field",
    [
        ({"category": "no_such_thing"}, "category"),
        ({"description": ""}, "description"),
        ({"lat": 200}, "lat"),
        ({"id": "not-a-uuid"}, "id"),
        ({"photos": [{"sha256": "xyz", "kind": "after"}]}, "photos"),
        ({"photos": [{"sha256": SHA, "kind": "selfie"}]}, "photos"),
    ],
)
def test_bad_reports_name_the_field(cast, as_user, change, field):
    response = as_user(cast.member).post(
        "/api/incidents", json={**report_body(cast.grid), **change}
    )
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_the_client_cannot_choose_its_grid(cast, as_user):
    response = as_user(cast.member).post(
        "/api/incidents", json={**report_body(cast.grid), "grid": cast.other_grid.code}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "unknown_field"


def test_likely_duplicates_are_near_same_category_open_and_recent(cast, as_user, monkeypatch):
    member, secretary = as_user(cast.member), as_user(cast.secretary)
    here = shapely.Point(point_in(cast.grid)["lng"], point_in(cast.grid)["lat"])

    def at(metres_north, **extra):
        lat = here.y + metres_north / 111_000
        return report(member, cast.grid, lat=lat, lng=here.x, **extra).get_json()

    near = at(50)
    nearer = at(10)
    far = at(400)
    other_kind = at(20, category="street_light")
    rejected = at(30)
    walk(rejected["id"], [(secretary, "reject", {"reason": "不属实"})])
    found = member.get(
        f"/api/incidents/similar?category={CATEGORY}&lat={here.y}&lng={here.x}"
    ).get_json()
    ids = [f["incident"]["id"] for f in found]
    assert ids == [nearer["id"], near["id"]]
    assert found[0]["distance_m"] == pytest.approx(10, abs=1)
    assert far["id"] not in ids and other_kind["id"] not in ids

    # A week later they are no longer suggested.
    later = datetime.now(UTC) + timedelta(days=8)
    monkeypatch.setattr(clock, "now", lambda: later)
    stale = member.get(f"/api/incidents/similar?category={CATEGORY}&lat={here.y}&lng={here.x}")
    assert stale.get_json() == []


def test_at_most_five_duplicates_are_suggested(cast, as_user):
    member = as_user(cast.member)
    for _ in range(7):
        report(member, cast.grid)
    p = point_in(cast.grid)
    found = member.get(f"/api/incidents/similar?category={CATEGORY}&lat={p['lat']}&lng={p['lng']}")
    assert len(found.get_json()) == 5


def test_me_too_joins_an_incident_once(cast, as_user):
    incident = report(as_user(cast.member), cast.grid).get_json()
    colleague = as_user(cast.colleague)
    first = colleague.post(f"/api/incidents/{incident['id']}/me-too")
    again = colleague.post(f"/api/incidents/{incident['id']}/me-too")
    assert first.status_code == again.status_code == 200
    assert again.get_json()["followers"] == [cast.colleague.id]


def test_merging_a_duplicate_makes_its_reporter_follow_the_original(cast, as_user):
    member, colleague, secretary = (
        as_user(cast.member),
        as_user(cast.colleague),
        as_user(cast.secretary),
    )
    original = report(member, cast.grid).get_json()
    duplicate = report(colleague, cast.grid).get_json()
    merged = walk(duplicate["id"], [(secretary, "merge", {"into": original["id"]})])
    assert merged["state"] == "merged" and merged["merged_into"] == original["id"]
    followers = secretary.get(f"/api/incidents/{original['id']}").get_json()["followers"]
    assert cast.colleague.id in followers


def test_dispatch_only_to_a_member_serving_the_grid(cast, as_user):
    secretary = as_user(cast.secretary)
    incident = report(as_user(cast.member), cast.grid).get_json()
    walk(incident["id"], [(secretary, "accept", {})])
    response = secretary.post(
        f"/api/incidents/{incident['id']}/dispatch", json={"assignee_id": cast.outsider.id}
    )
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "bad_assignee"


def test_actions_in_the_wrong_state_are_409(cast, as_user):
    secretary = as_user(cast.secretary)
    incident = report(as_user(cast.member), cast.grid).get_json()
    response = secretary.post(
        f"/api/incidents/{incident['id']}/dispatch", json={"assignee_id": cast.member.id}
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "wrong_state"


def test_giving_a_case_back_returns_it_for_dispatch(cast, as_user):
    secretary, colleague = as_user(cast.secretary), as_user(cast.colleague)
    incident = report(as_user(cast.member), cast.grid).get_json()
    body = walk(
        incident["id"],
        [
            (secretary, "accept", {}),
            (secretary, "dispatch", {"assignee_id": cast.colleague.id}),
            (colleague, "return", {"reason": "需要专业设备"}),
        ],
    )
    assert body["state"] == "accepted" and body["assignee"] is None
    assert body["reason"] == "需要专业设备"


def test_residents_personal_data_is_masked_below_secretary(cast, as_user):
    member = as_user(cast.member)
    incident = report(
        member, cast.grid, resident_name="张三丰", resident_phone="13912345678"
    ).get_json()
    assert incident["resident_name"] == "张**"
    assert incident["resident_phone"] == "139****5678"
    full = as_user(cast.secretary).get(f"/api/incidents/{incident['id']}").get_json()
    assert full["resident_name"] == "张三丰" and full["resident_phone"] == "13912345678"
    dept = as_user(cast.dept_user)
    as_user(cast.street_admin).post(
        f"/api/incidents/{incident['id']}/whistle", json={"departments": ["urban_management"]}
    )
    assert (
        dept.get(f"/api/incidents/{incident['id']}").get_json()["resident_phone"] == "139****5678"
    )


def test_deadlines_come_from_the_catalogue_and_urgent_cases_are_faster(cast, as_user):
    member = as_user(cast.member)
    ordinary = report(member, cast.grid).get_json()
    urgent = report(member, cast.grid, urgent=True).get_json()
    assert urgent["deadline"] < ordinary["deadline"]


def test_due_soon_then_overdue_with_a_moving_clock(cast, as_user, monkeypatch):
    member = as_user(cast.member)
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday, 17:00 in Tongren
    monkeypatch.setattr(clock, "now", lambda: start)
    incident = report(member, cast.grid, urgent=True).get_json()
    deadline = datetime.fromisoformat(incident["deadline"])
    allowed = deadline - start
    for moment, expected in [
        (start + allowed * 0.1, "on_time"),
        (deadline - min(allowed / 5, timedelta(minutes=1)), "due_soon"),
        (deadline + timedelta(minutes=1), "overdue"),
    ]:
        monkeypatch.setattr(clock, "now", lambda m=moment: m)
        assert member.get(f"/api/incidents/{incident['id']}").get_json()["due"] == expected


def test_overdue_cases_escalate_up_the_chain_once_per_level(cast, as_user, monkeypatch, db):
    leader = make_user(DISTRICT_ADMIN, responsible_for=[cast.grid], name="包保领导")
    member = as_user(cast.member)
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: start)
    incident = report(member, cast.grid, urgent=True).get_json()
    deadline = datetime.fromisoformat(incident["deadline"])
    allowed = deadline - start
    steps = [
        (deadline - timedelta(seconds=1), 0),
        (deadline + timedelta(seconds=1), 1),
        (deadline + allowed + timedelta(seconds=1), 2),
        (deadline + allowed * 2 + timedelta(seconds=1), 3),
        (deadline + allowed * 9, 3),
    ]
    for moment, level in steps:
        services.escalate_overdue(moment)
        services.escalate_overdue(moment)  # idempotent
        assert member.get(f"/api/incidents/{incident['id']}").get_json()["escalation"] == level
    history = member.get(f"/api/incidents/{incident['id']}").get_json()["history"]
    levels = [h["data"]["level"] for h in history if h["action"] == "escalate"]
    assert levels == ["secretary", "street", "leader"]
    assert all(h["actor_role"] == "system" for h in history if h["action"] == "escalate")
    # Each level is told once, in its inbox: the secretary, the street, the 包保 leader.
    told = db.session.execute(
        select(Message.user_id).where(Message.kind == "escalation").order_by(Message.id)
    ).scalars()
    assert list(told) == [cast.secretary.id, cast.street_admin.id, leader.id]


def test_extend_before_the_deadline_but_not_after(cast, as_user, monkeypatch):
    secretary = as_user(cast.secretary)
    incident = report(as_user(cast.member), cast.grid).get_json()
    later = (datetime.fromisoformat(incident["deadline"]) + timedelta(days=2)).isoformat()
    body = walk(incident["id"], [(secretary, "extend", {"deadline": later, "reason": "等待材料"})])
    assert datetime.fromisoformat(body["deadline"]) == datetime.fromisoformat(later)
    monkeypatch.setattr(clock, "now", lambda: datetime.fromisoformat(later) + timedelta(hours=1))
    even_later = (datetime.fromisoformat(later) + timedelta(days=2)).isoformat()
    response = secretary.post(
        f"/api/incidents/{incident['id']}/extend", json={"deadline": even_later, "reason": "再等"}
    )
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "overdue"


def test_whistle_departments_report_arrive_finish_and_are_rated(cast, as_user, monkeypatch):
    street, dept, other_dept = (
        as_user(cast.street_admin),
        as_user(cast.dept_user),
        as_user(cast.other_dept_user),
    )
    incident = report(as_user(cast.member), cast.grid).get_json()
    assert dept.get(f"/api/incidents/{incident['id']}").status_code == 404  # not called yet

    called = street.post(
        f"/api/incidents/{incident['id']}/whistle", json={"departments": ["urban_management"]}
    )
    assert called.status_code == 201
    whistle = called.get_json()[0]
    deadline = datetime.fromisoformat(whistle["report_deadline"])
    assert deadline - datetime.fromisoformat(whistle["called_at"]) == timedelta(minutes=30)

    assert dept.get(f"/api/incidents/{incident['id']}").status_code == 200
    assert [i["id"] for i in dept.get("/api/incidents").get_json()] == [incident["id"]]
    assert other_dept.get(f"/api/incidents/{incident['id']}").status_code == 404
    assert other_dept.post(f"/api/whistles/{whistle['id']}/report", json={}).status_code == 404

    too_early = street.post(f"/api/whistles/{whistle['id']}/rate", json={"rating": 5})
    assert too_early.status_code == 409
    for step, payload in [("report", {}), ("arrive", {}), ("done", {"note": "已联合执法清理"})]:
        response = dept.post(f"/api/whistles/{whistle['id']}/{step}", json=payload)
        assert response.status_code == 200, response.get_json()
    rated = street.post(f"/api/whistles/{whistle['id']}/rate", json={"rating": 4, "note": "及时"})
    assert rated.get_json()["rating"] == 4
    assert rated.get_json()["reported_at"] and rated.get_json()["done_at"]
    detail = street.get(f"/api/incidents/{incident['id']}").get_json()
    assert detail["whistles"][0]["outcome"] == "已联合执法清理"


def test_the_secretary_lists_the_community_soonest_deadline_first(cast, as_user):
    member, secretary = as_user(cast.member), as_user(cast.secretary)
    ordinary = report(member, cast.grid).get_json()
    urgent = report(member, cast.grid, urgent=True).get_json()
    elsewhere = report(as_user(cast.outsider), cast.other_grid).get_json()
    listed = [i["id"] for i in secretary.get("/api/incidents").get_json()]
    assert listed == [urgent["id"], ordinary["id"]]
    assert elsewhere["id"] not in listed
    only_urgent = secretary.get("/api/incidents?urgent=true").get_json()
    assert [i["id"] for i in only_urgent] == [urgent["id"]]
    by_state = secretary.get("/api/incidents?state=closed").get_json()
    assert by_state == []
    everything = as_user(cast.district_admin).get("/api/incidents").get_json()
    assert {i["id"] for i in everything} == {ordinary["id"], urgent["id"], elsewhere["id"]}


def test_history_cannot_be_rewritten(cast, as_user, db):
    report(as_user(cast.member), cast.grid)
    for statement in ("UPDATE history SET note = 'forged'", "DELETE FROM history"):
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text(statement))
            db.session.flush()
        db.session.rollback()


@pytest.mark.parametrize(
    "sent, kept",
    [
        ({}, "member"),
        ({"source": "resident"}, "resident"),
        ({"source": "hotline_12345"}, "hotline_12345"),
    ],
)
def test_a_report_says_where_the_case_came_from(cast, as_user, sent, kept):
    member, secretary = as_user(cast.member), as_user(cast.secretary)
    created = report(member, cast.grid, **sent).get_json()
    assert created["source"] == kept
    listed = secretary.get(f"/api/incidents?source={kept}").get_json()
    assert [i["id"] for i in listed] == [created["id"]]
    assert secretary.get("/api/incidents?source=patrol").get_json() == []


@pytest.mark.parametrize("claimed", ["patrol", "open311", "liaison", "nobody"])
def test_a_reporter_cannot_claim_a_source_only_the_server_knows(cast, as_user, claimed):
    response = report(as_user(cast.member), cast.grid, source=claimed)
    assert response.status_code == 422
    assert "source" in response.get_json()["error"]["fields"]
