"""Who may switch where, what a switch brings, overlapping scopes and levels, ending and
re-entering, drills, requests, reinforcements and the templates."""

from datetime import timedelta

import pytest
from shapely.geometry import box, mapping
from sqlalchemy import func, select

from app.emergency.models import EmergencySwitch
from app.history.models import HistoryEntry
from app.notify.models import Message
from app.tasks.models import Task
from tests.builders import point_in

# (who, the scope they name, the answer): a street admin within their street, the district
# anywhere, a secretary requests for their own community, nobody else.
PERMISSIONS = [
    ("street_admin", "own_community", 201, "active"),
    ("street_admin", "own_street", 201, "active"),
    ("street_admin", "own_grid", 201, "active"),
    ("street_admin", "other_community", 403, None),
    ("street_admin", "district", 403, None),
    ("district_admin", "district", 201, "active"),
    ("district_admin", "other_community", 201, "active"),
    ("secretary", "own_community", 201, "requested"),
    ("secretary", "own_grid", 201, "requested"),
    ("secretary", "other_community", 403, None),
    ("secretary", "own_street", 403, None),
    ("member", "own_grid", 403, None),
    ("colleague", "own_community", 403, None),
    ("dept_user", "own_community", 403, None),
]


def _scope(cast, name):
    return {
        "own_grid": {"level": "grid", "codes": [cast.grid.code]},
        "own_community": {"level": "community", "codes": [cast.community.code]},
        "own_street": {"level": "street", "codes": [cast.street.code]},
        "other_community": {"level": "community", "codes": [cast.other_grid.parent.code]},
        "district": {"level": "district"},
    }[name]


@pytest.mark.parametrize("who,scope,status,state", PERMISSIONS)
def test_who_may_switch_where(cast, as_user, switch_body, db, who, scope, status, state):
    body = {**switch_body(), "scope": _scope(cast, scope)}
    response = as_user(getattr(cast, who)).post("/api/emergency/switches", json=body)
    assert response.status_code == status, response.get_json()
    if state:
        assert response.get_json()["state"] == state
        made = db.session.execute(select(func.count()).select_from(Task)).scalar()
        assert (made > 0) == (state == "active")  # a request makes no tasks yet
    else:
        assert response.get_json()["error"]["code"] == "not_allowed"
        assert db.session.execute(select(func.count()).select_from(EmergencySwitch)).scalar() == 0


def _switch(client, body):
    response = client.post("/api/emergency/switches", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _tasks(db, **where):
    query = select(Task).where(*(getattr(Task, k) == v for k, v in where.items()))
    return db.session.execute(query).scalars().all()


def test_a_switch_brings_its_template_the_roll_call_and_the_word(
    cast, as_user, switch_body, district, db
):
    started = _switch(as_user(cast.street_admin), switch_body(codes=[cast.community.code]))
    grids = [g for g in district["grid"] if g.parent_id == cast.community.id]
    assert started["grids"] == [g.code for g in grids]
    assert (started["level"], started["colour"], started["title"]) == (
        "II",
        "orange",
        "防汛Ⅱ级应急响应",
    )
    made = _tasks(db, emergency_id=started["id"])
    assert len(made) == 3 * len(grids)  # flood: before, during, after in every grid
    assert {t.grid_id for t in made} == {g.id for g in grids}
    assert {t.responsible_id for t in made} == {cast.secretary.id}
    limits = {t.title: t.deadline - t.created_at for t in made}
    assert limits == {
        "雨前排查": timedelta(hours=2),
        "雨中巡查": timedelta(hours=4),
        "雨后复查": timedelta(hours=24),
    }
    # The member's list puts the emergency tasks first; the normal queue is still there.
    secretary = as_user(cast.secretary)
    routine = secretary.post(
        "/api/tasks",
        json={
            "title": "走访独居老人",
            "grid": cast.grid.code,
            "target": "走访",
            "capacity": 1,
            "deadline": (made[0].created_at + timedelta(minutes=30)).isoformat(),
        },
    )
    assert routine.status_code == 201, routine.get_json()
    listed = as_user(cast.member).get("/api/tasks").get_json()
    assert [t["emergency_id"] is not None for t in listed] == [True, True, True, False]
    # Everyone answering for the community is asked (not the admin who called it).
    call = as_user(cast.member).get(f"/api/rollcalls/{started['roll_call']}").get_json()
    assert call["mine"] == {"asked": True, "acknowledged_at": None}
    assert as_user(cast.secretary).get(f"/api/rollcalls/{call['id']}").get_json()["asked"] == 3
    kinds = db.session.execute(
        select(Message.user_id, Message.kind).order_by(Message.user_id, Message.kind)
    ).all()
    asked = sorted([cast.member.id, cast.colleague.id, cast.secretary.id])
    assert kinds == [(u, "rollcall") for u in asked]  # its message names the switch
    assert cast.outsider.id not in {u for u, _ in kinds}


def test_effective_mode_is_the_most_severe_and_tasks_are_not_doubled(
    cast, as_user, switch_body, district, db
):
    district_wide = _switch(as_user(cast.district_admin), switch_body("district", level="IV"))
    assert len(_tasks(db)) == 3 * len(district["grid"])
    street = _switch(as_user(cast.street_admin), switch_body(codes=[cast.community.code]))
    modes = as_user(cast.outsider).get("/api/emergency/modes").get_json()["grids"]
    assert (
        modes[cast.grid.code]["level"] == "II" and modes[cast.grid.code]["switch"] == street["id"]
    )
    assert modes[cast.other_grid.code]["level"] == "IV"
    # The community already runs the flood template of the district switch: not twice.
    assert _tasks(db, emergency_id=street["id"]) == []
    # Another kind over the same grids brings its own template.
    fire = _switch(
        as_user(cast.street_admin), switch_body("grid", codes=[cast.grid.code], kind="fire")
    )
    assert len(_tasks(db, emergency_id=fire["id"])) == 2
    ended = as_user(cast.street_admin).post(f"/api/emergency/switches/{street['id']}/end", json={})
    assert ended.status_code == 200
    modes = as_user(cast.member).get("/api/emergency/modes").get_json()["grids"]
    assert modes[cast.community.children[1].code]["switch"] == district_wide["id"]
    assert (modes[cast.grid.code]["switch"], modes[cast.grid.code]["level"]) == (fire["id"], "II")


def test_ending_cancels_open_work_keeps_done_work_and_a_new_switch_starts_afresh(
    cast, as_user, switch_body, db
):
    admin, member = as_user(cast.street_admin), as_user(cast.member)
    first = _switch(admin, switch_body("grid", codes=[cast.grid.code]))
    before, during, after = sorted(_tasks(db, emergency_id=first["id"]), key=lambda t: t.deadline)
    assert member.post(f"/api/tasks/{before.id}/claim", json={}).status_code == 200
    assert member.post(f"/api/tasks/{during.id}/claim", json={}).status_code == 200
    done = member.post(
        f"/api/tasks/{before.id}/complete",
        json={"note": "已排查", **point_in(cast.grid), "photos": []},
    )
    assert done.status_code == 422  # evidence is still needed in an emergency
    db.session.execute(
        Task.__table__.update().where(Task.id == before.id).values(state="completed")
    )
    db.session.commit()
    ended = admin.post(f"/api/emergency/switches/{first['id']}/end", json={"note": "退水"})
    assert ended.get_json()["state"] == "ended"
    db.session.expire_all()
    states = {t.id: (t.state, t.claimed) for t in _tasks(db, emergency_id=first["id"])}
    assert states == {
        before.id: ("completed", 1),
        during.id: ("cancelled", 0),
        after.id: ("cancelled", 0),
    }
    call = member.get(f"/api/rollcalls/{first['roll_call']}").get_json()
    assert call["closed_at"] is not None
    again = admin.post(f"/api/emergency/switches/{first['id']}/end", json={})
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "wrong_state")
    second = _switch(admin, switch_body("grid", codes=[cast.grid.code]))
    assert len(_tasks(db, emergency_id=second["id"])) == 3
    assert second["roll_call"] != first["roll_call"]
    actions = (
        db.session.execute(
            select(HistoryEntry.action)
            .where(HistoryEntry.entity == "emergency", HistoryEntry.entity_id == first["id"])
            .order_by(HistoryEntry.id)
        )
        .scalars()
        .all()
    )
    assert actions == ["start", "end"]


def test_changing_the_level(cast, as_user, switch_body, db):
    item = _switch(as_user(cast.street_admin), switch_body(codes=[cast.community.code]))
    url = f"/api/emergency/switches/{item['id']}/level"
    assert as_user(cast.member).post(url, json={"level": "I"}).status_code == 403
    assert as_user(cast.secretary).post(url, json={"level": "I"}).status_code == 403
    raised = as_user(cast.street_admin).post(url, json={"level": "I", "note": "洪峰将至"})
    assert (raised.get_json()["level"], raised.get_json()["colour"]) == ("I", "red")
    bad = as_user(cast.street_admin).post(url, json={"level": "V"})
    assert bad.status_code == 422 and "level" in bad.get_json()["error"]["fields"]
    entry = db.session.execute(
        select(HistoryEntry).where(HistoryEntry.action == "level")
    ).scalar_one()
    assert entry.data == {"from": "II", "to": "I"} and entry.note == "洪峰将至"
    modes = as_user(cast.member).get("/api/emergency/modes").get_json()["grids"]
    assert modes[cast.grid.code]["colour"] == "red"


def test_a_drill_behaves_the_same_and_says_so(cast, as_user, switch_body, db):
    drill = _switch(
        as_user(cast.street_admin), switch_body("grid", codes=[cast.grid.code], drill=True)
    )
    assert drill["title"] == "防汛Ⅱ级应急响应（演练）"
    assert len(_tasks(db, emergency_id=drill["id"])) == 3
    call = as_user(cast.member).get(f"/api/rollcalls/{drill['roll_call']}").get_json()
    assert call["drill"] is True


def test_a_secretary_requests_and_the_street_decides(cast, as_user, switch_body, db):
    request = _switch(as_user(cast.secretary), switch_body(codes=[cast.community.code]))
    assert request["state"] == "requested" and request["roll_call"] is None
    told = db.session.execute(select(Message).where(Message.user_id == cast.street_admin.id))
    assert told.scalar_one().entity_id == request["id"]
    url = f"/api/emergency/switches/{request['id']}/decide"
    # Another street's secretary does not even see it; the requester may not approve it.
    assert as_user(cast.outside_secretary).post(url, json={"approve": True}).status_code == 404
    assert as_user(cast.secretary).post(url, json={"approve": True}).status_code == 403
    refused = as_user(cast.street_admin).post(url, json={"approve": False})
    assert refused.status_code == 422 and "note" in refused.get_json()["error"]["fields"]
    approved = as_user(cast.street_admin).post(url, json={"approve": True})
    assert approved.get_json()["state"] == "active"
    assert len(_tasks(db, emergency_id=request["id"])) == 15
    again = as_user(cast.street_admin).post(url, json={"approve": False, "note": "晚了"})
    assert again.status_code == 409


def test_a_refused_request_tells_the_secretary(cast, as_user, switch_body, db):
    request = _switch(as_user(cast.secretary), switch_body("grid", codes=[cast.grid.code]))
    url = f"/api/emergency/switches/{request['id']}/decide"
    refused = as_user(cast.district_admin).post(url, json={"approve": False, "note": "水位回落"})
    assert (refused.get_json()["state"], refused.get_json()["note"]) == ("refused", "水位回落")
    message = db.session.execute(
        select(Message).where(Message.user_id == cast.secretary.id)
    ).scalar_one()
    assert message.body == "水位回落" and _tasks(db) == []


def test_a_drawn_polygon_selects_the_grids_it_touches(cast, as_user, switch_body, db):
    point = point_in(cast.grid)
    area = box(
        point["lng"] - 0.0001, point["lat"] - 0.0001, point["lng"] + 0.0001, point["lat"] + 0.0001
    )
    body = {**switch_body(), "scope": {"level": "polygon", "geometry": mapping(area)}}
    drawn = _switch(as_user(cast.street_admin), body)
    assert cast.grid.code in drawn["grids"]
    assert all(code.startswith(cast.community.code) for code in drawn["grids"])
    outside = {**body, "scope": {"level": "polygon", "geometry": mapping(box(0, 0, 0.1, 0.1))}}
    missed = as_user(cast.street_admin).post("/api/emergency/switches", json=outside)
    assert missed.status_code == 422 and missed.get_json()["error"]["fields"] == {
        "scope": ["no grid"]
    }
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    invalid = as_user(cast.street_admin).post(
        "/api/emergency/switches", json={**body, "scope": {"level": "polygon", "geometry": bowtie}}
    )
    assert invalid.status_code == 422 and "scope.geometry" in invalid.get_json()["error"]["fields"]


def test_unknown_codes_are_named(cast, as_user, switch_body):
    body = switch_body(codes=[cast.community.code, "520602999999", cast.grid.code])
    response = as_user(cast.district_admin).post("/api/emergency/switches", json=body)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "scope.codes": ["520602999999", cast.grid.code]
    }


def test_a_retried_switch_is_the_same_switch(cast, as_user, switch_body, db):
    body = switch_body("grid", codes=[cast.grid.code], id="6f1c1f9e-3c55-4a39-9a59-0b7d2f1f0a11")
    first = as_user(cast.street_admin).post("/api/emergency/switches", json=body)
    again = as_user(cast.street_admin).post("/api/emergency/switches", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert len(_tasks(db)) == 3


def test_reinforcements_serve_the_grid_until_the_switch_ends(cast, as_user, switch_body, db):
    item = _switch(as_user(cast.district_admin), switch_body("district"))
    url = f"/api/emergency/switches/{item['id']}/reinforce"
    body = {"user_id": cast.outsider.id, "grid": cast.grid.code}
    assert as_user(cast.secretary).post(url, json=body).status_code == 403
    assert as_user(cast.district_admin).post(url, json=body).status_code == 200
    task = _tasks(db, emergency_id=item["id"], grid_id=cast.grid.id)[0]
    claimed = as_user(cast.outsider).post(f"/api/tasks/{task.id}/claim", json={})
    assert claimed.status_code == 200, claimed.get_json()
    sent = db.session.execute(
        select(Message).where(Message.user_id == cast.outsider.id, Message.kind == "dispatch")
    ).scalar_one()
    assert cast.grid.name in sent.title
    as_user(cast.district_admin).post(f"/api/emergency/switches/{item['id']}/end", json={})
    db.session.expire_all()
    assert [u.code for u in db.session.get(type(cast.outsider), cast.outsider.id).units] == [
        cast.other_grid.code
    ]


def test_templates_are_data_edited_by_the_district(cast, as_user, switch_body, db):
    current = as_user(cast.member).get("/api/emergency/templates").get_json()
    assert current["version"] == 0 and {"flood", "fire"} <= set(current["data"])
    data = {
        "flood": [
            {
                "stage": "during",
                "title": "转移群众",
                "target": "转移低洼处群众",
                "capacity": 4,
                "hours": {"I": 1, "II": 1, "III": 2, "IV": 3},
            }
        ]
    }
    assert (
        as_user(cast.street_admin).put("/api/emergency/templates", json={"data": data}).status_code
        == 403
    )
    broken = {"flood": [{**data["flood"][0], "capacity": 0, "hours": {"I": 1}}], "storm": []}
    refused = as_user(cast.district_admin).put("/api/emergency/templates", json={"data": broken})
    assert refused.status_code == 422
    assert set(refused.get_json()["error"]["fields"]) == {
        "flood[0].capacity",
        "flood[0].hours",
        "storm",
    }
    saved = as_user(cast.district_admin).put("/api/emergency/templates", json={"data": data})
    assert saved.get_json()["version"] == 1
    item = _switch(as_user(cast.street_admin), switch_body("grid", codes=[cast.grid.code]))
    [task] = _tasks(db, emergency_id=item["id"])
    assert (task.title, task.capacity, task.deadline - task.created_at) == (
        "转移群众",
        4,
        timedelta(hours=1),
    )


def test_the_live_view_is_for_those_who_run_the_switch(cast, as_user, switch_body):
    item = _switch(as_user(cast.street_admin), switch_body(codes=[cast.community.code]))
    live = as_user(cast.street_admin).get("/api/emergency/live").get_json()
    [row] = live["switches"]
    assert row["switch"]["id"] == item["id"]
    assert row["tasks"]["open"] == 15 and row["roll_call"]["outstanding"] == 3
    assert live["poll_after_s"] > 0
    assert as_user(cast.member).get("/api/emergency/live").get_json()["switches"] == []


def test_candidates_to_reinforce_are_the_street_s_and_the_district_support(
    cast, as_user, switch_body, db
):
    from tests.conftest import make_user

    support = make_user("team_member", [cast.other_grid], name="区支援", force="district_support")
    reserve = make_user("team_member", [cast.other_grid], name="后备", force="social_reserve")
    item = _switch(as_user(cast.street_admin), switch_body(codes=[cast.community.code]))
    url = f"/api/emergency/switches/{item['id']}/candidates"
    found = {c["name"] for c in as_user(cast.street_admin).get(url).get_json()}
    # The street's own members and the district's support; not another street's reserve.
    assert found == {"王芳", "李强", "区支援"}
    everyone = {c["name"] for c in as_user(cast.district_admin).get(url).get_json()}
    assert {"区支援", reserve.name, cast.outsider.name} <= everyone
    named = as_user(cast.district_admin).get(url, query_string={"q": "支援"}).get_json()
    assert [(c["id"], c["grid"]["code"]) for c in named] == [(support.id, cast.other_grid.code)]
    assert as_user(cast.secretary).get(url).status_code == 403
