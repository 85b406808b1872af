"""The 联户长: the narrowest scope. Reports in its own grid (source liaison), sees no other
case of the grid, is asked by its grid's roll-calls, and relays a household's alarm to the
grid's members, the secretary and the grid's other 联户长 at once."""

import uuid

from app.notify.models import Message
from tests.builders import report_body


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
