"""志愿服务 as a secretary organises it and volunteers live it: places held to capacity,
check-in only near the place, check-out giving the hours, the organiser confirming them, and
hours per person, branch and community; offline, the same as commands applied once."""

import uuid
from datetime import timedelta

import pytest

from app.party.models import PartyMember, PartyOrg
from tests.sync.conftest import command
from tests.sync.test_pull import pull_all
from tests.tasks.conftest import jsonable
from tests.volunteering.conftest import activity_body
from tests.wishes.conftest import error, ok


def north_of(place, metres):
    return {"lat": place["lat"] + metres / 111_195, "lng": place["lng"]}


@pytest.fixture
def activity(crowd, as_user, frozen):
    body = jsonable(activity_body(crowd.place.community))
    return ok(as_user(crowd.secretary).post("/api/activities", json=body), 201)


def test_sign_up_to_capacity_check_in_near_the_place_and_hours_confirmed(
    crowd, as_user, activity, frozen, db
):
    url = f"/api/activities/{activity['id']}"
    party, member = as_user(crowd.party), as_user(crowd.member)
    assert ok(party.post(f"{url}/sign-up", json={}))["signed_up"] == 1
    assert ok(party.post(f"{url}/sign-up", json={}))["signed_up"] == 1  # again: harmless
    ok(member.post(f"{url}/sign-up", json={}))
    full = error(as_user(crowd.party_b).post(f"{url}/sign-up", json={}), 409, "activity_full")
    assert full["capacity"] == 2
    error(as_user(crowd.far_party).post(f"{url}/sign-up", json={}), 404, "not_found")

    frozen.move(hours=1)
    far = error(party.post(f"{url}/check-in", json=north_of(activity, 150)), 422, "too_far")
    assert "100 m" in far["message"]
    error(party.post(f"{url}/check-out", json={}), 422, "not_checked_in")
    checked = ok(party.post(f"{url}/check-in", json=north_of(activity, 60)))["mine"]
    assert checked["checked_in_at"] and round(checked["check_in_m"]) == 60
    frozen.move(hours=2, minutes=30)
    out = ok(party.post(f"{url}/check-out", json={}))["mine"]
    assert out["hours"] == 2.5 and out["confirmed_at"] is None
    assert ok(as_user(crowd.secretary).get("/api/activities/hours")) == []  # not confirmed

    secretary = as_user(crowd.secretary)
    error(member.post(f"{url}/confirm", json={"user_id": crowd.party.id}), 403, "not_allowed")
    shown = ok(secretary.post(f"{url}/confirm", json={"user_id": crowd.party.id}))
    assert [s["user"]["id"] for s in shown["signups"]] == [crowd.party.id, crowd.member.id]
    assert ok(party.get("/api/party/me"))["volunteer_hours"] == 2.5
    by_person = ok(secretary.get("/api/activities/hours"))
    assert by_person == [{"id": crowd.party.id, "name": "党员甲", "hours": 2.5, "activities": 1}]
    by_community = ok(secretary.get("/api/activities/hours?by=community"))
    assert by_community == [
        {
            "code": crowd.place.community.code,
            "name": crowd.place.community.name,
            "hours": 2.5,
            "activities": 1,
        }
    ]
    branch = PartyOrg(
        kind="branch", name="一网格党支部", unit=crowd.place.grid, created_at=frozen.at
    )
    db.session.add(branch)
    db.session.flush()
    db.session.add(
        PartyMember(
            name="党员甲",
            org_id=branch.id,
            type="full",
            user_id=crowd.party.id,
            created_at=frozen.at,
        )
    )
    db.session.commit()
    by_branch = ok(secretary.get("/api/activities/hours?by=branch"))
    assert by_branch == [{"id": branch.id, "name": "一网格党支部", "hours": 2.5, "activities": 1}]


def test_offline_sign_up_check_in_and_out_are_commands_applied_once_at_the_phones_times(
    crowd, as_user, activity, frozen
):
    party, device = as_user(crowd.party), str(uuid.uuid4())
    pulled = {c["id"] for c in pull_all(party)[0] if c["entity"] == "activity"}
    assert pulled == {activity["id"]}
    start = frozen.at + timedelta(hours=1)
    batch = [
        command(1, "activity.sign_up", {"id": activity["id"]}),
        command(
            2,
            "activity.check_in",
            {
                "id": activity["id"],
                "lat": activity["lat"],
                "lng": activity["lng"],
                "device_time": start.isoformat(),
            },
        ),
        command(
            3,
            "activity.check_out",
            {"id": activity["id"], "device_time": (start + timedelta(hours=3)).isoformat()},
        ),
    ]
    frozen.move(hours=6)  # the phone comes back online after the activity
    for expected in ("applied", "duplicate"):
        answer = party.post("/api/sync/push", json={"device_id": device, "commands": batch})
        assert [r["status"] for r in answer.get_json()["results"]] == [expected] * 3
    mine = ok(party.get(f"/api/activities/{activity['id']}"))["mine"]
    assert mine["hours"] == 3.0
    assert ok(party.get(f"/api/activities/{activity['id']}"))["signed_up"] == 1
    assert all(c["data"]["mine"] for c in pull_all(party)[0] if c["entity"] == "activity")
    assert [c for c in pull_all(as_user(crowd.far_party))[0] if c["entity"] == "activity"] == []
