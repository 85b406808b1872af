"""The 联户长: the narrowest scope. Reports in its own grid (source liaison), sees no other
case of the grid, is asked by its grid's roll-calls, and relays a household's alarm to the
grid's members, the secretary and the grid's other 联户长 at once."""

import uuid

import pytest

from app.notify.models import Message
from app.people.models import LIAISON
from tests.builders import report_body
from tests.conftest import make_user


def test_a_liaison_reports_in_its_own_grid_and_sees_only_its_own_cases(cast, homes, as_user):
    liaison = as_user(homes.liaison)
    mine = liaison.post("/api/incidents", json=report_body(cast.grid, source="resident"))
    assert mine.status_code == 201 and mine.get_json()["source"] == "liaison"
    elsewhere = liaison.post("/api/incidents", json=report_body(cast.other_grid))
    assert elsewhere.status_code == 403
    members = as_user(cast.member).post("/api/incidents", json=report_body(cast.grid))
    assert liaison.get(f"/api/incidents/{members.get_json()['id']}").status_code == 404
    assert liaison.get(f"/api/households/{homes.neighbour.id}").status_code == 404


def test_an_alarm_reaches_the_grid_the_secretary_and_the_other_liaisons_once(
    db, cast, homes, as_user
):
    body = {"id": str(uuid.uuid4()), "description": "独居老人家中无人应门，电话不通"}
    liaison = as_user(homes.liaison)
    response = liaison.post(f"/api/households/{homes.ours.id}/alarm", json=body)
    assert response.status_code == 201, response.get_json()
    incident = response.get_json()
    assert (incident["urgent"], incident["source"]) == (True, "liaison")
    assert incident["grid"]["code"] == cast.grid.code
    told = {m.user_id for m in db.session.query(Message).filter_by(kind="alarm")}
    assert told == {cast.member.id, cast.colleague.id, cast.secretary.id, homes.other_liaison.id}
    again = liaison.post(f"/api/households/{homes.ours.id}/alarm", json=body)
    assert again.get_json()["id"] == incident["id"]
    assert db.session.query(Message).filter_by(kind="alarm").count() == 4  # once
    other = as_user(homes.other_liaison).post(
        f"/api/households/{homes.ours.id}/alarm", json={"description": "x"}
    )
    assert other.status_code == 404  # not its group's household


def test_a_liaison_is_asked_by_its_grids_roll_call_and_acknowledges(cast, homes, as_user):
    body = {"scope": {"level": "community", "codes": [cast.community.code]}, "message": "集合"}
    call = as_user(cast.secretary).post("/api/rollcalls", json=body)
    assert call.status_code == 201, call.get_json()
    call_id = call.get_json()["id"]
    liaison = as_user(homes.liaison)
    assert liaison.get(f"/api/rollcalls/{call_id}").status_code == 200
    answer = liaison.post(f"/api/rollcalls/{call_id}/ack", json={})
    assert answer.status_code == 200 and answer.get_json()["first"] is True


def test_a_new_group_without_its_grid_or_name_is_refused_by_name(cast, as_user):
    response = as_user(cast.secretary).post("/api/households/groups", json={})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"grid", "name"}


# Who hears of an emergency switch over the member's community: its start (the roll-call's
# message), a change of level and its end. Each row: a person, and (start, level, end).
SWITCH_TOLD = [
    ("the grid's 联户长", "liaison", (True, True, True)),
    ("another group's 联户长 of the grid", "other_liaison", (True, True, True)),
    ("a 联户长 appointed after the start", "late_liaison", (False, True, True)),
    ("a 联户长 of a grid outside", "outside_liaison", (False, False, False)),
    ("a 联户长 whose account was closed", "closed_liaison", (True, False, False)),
    ("the grid's member", "member", (True, True, True)),
    ("a member of a grid outside", "outsider", (False, False, False)),
]


@pytest.mark.parametrize(
    ("who", "told"), [row[1:] for row in SWITCH_TOLD], ids=[row[0] for row in SWITCH_TOLD]
)
def test_an_emergency_switchs_messages_reach_the_liaisons_of_its_grids(
    db, cast, homes, as_user, who, told
):
    people = {
        "liaison": homes.liaison,
        "other_liaison": homes.other_liaison,
        "outside_liaison": make_user(LIAISON, [cast.other_grid], name="联户长丙"),
        "closed_liaison": make_user(LIAISON, [cast.grid], name="联户长丁"),
        "member": cast.member,
        "outsider": cast.outsider,
    }
    street = as_user(cast.street_admin)
    body = {
        "kind": "flood",
        "level": "II",
        "reason": "锦江水位超警戒",
        "scope": {"level": "community", "codes": [cast.community.code]},
    }
    started = street.post("/api/emergency/switches", json=body)
    assert started.status_code == 201, started.get_json()
    switch = started.get_json()
    person = people.get(who)
    if person is not None and person.role == LIAISON and told[0]:  # 叫应: they answer it
        ack = as_user(person).post(f"/api/rollcalls/{switch['roll_call']}/ack", json={})
        assert ack.status_code == 200 and ack.get_json()["first"] is True
    people["late_liaison"] = make_user(LIAISON, [cast.grid], name="联户长戊")
    people["closed_liaison"].active = False
    db.session.commit()
    url = f"/api/emergency/switches/{switch['id']}"
    assert street.post(f"{url}/level", json={"level": "I", "note": "洪峰将至"}).status_code == 200
    assert street.post(f"{url}/end", json={"note": "水位回落"}).status_code == 200
    person = people[who]
    got = db.session.query(Message).filter_by(user_id=person.id).order_by(Message.id).all()
    heard = (
        any(m.kind == "rollcall" and m.entity_id == switch["roll_call"] for m in got),
        any(m.kind == "mode" and m.title.startswith("调整为") for m in got),
        any(m.kind == "mode" and m.title.endswith("结束") for m in got),
    )
    assert heard == told
    assert len(got) == sum(told)  # each once, a 联户长 both asked and of the grid too
    if person.role == LIAISON and person.active:  # and they mark each message read
        phone = as_user(person)
        for message in got:
            assert phone.post(f"/api/inbox/{message.id}/read", json={}).status_code == 200
        db.session.expire_all()
        unread = db.session.query(Message).filter_by(user_id=person.id, read_at=None)
        assert unread.count() == 0
