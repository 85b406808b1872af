"""Moved out (迁出): a household or a person leaves the visit plans, the due lists and the
联户长's list, stays in the register with its history, and comes back when moved back in."""

import uuid
from datetime import date, timedelta

import pytest

from app.history.models import HistoryEntry
from tests.households.test_visits import _visit
from tests.sync.conftest import command
from tests.sync.test_pull import pull_all
from tests.sync.test_push import push

MOVE = {"on": "2026-11-30", "to": "铜仁市万山区", "reason": "随子女迁居"}

WHO_MAY_MOVE = [
    ("member", 200),
    ("colleague", 200),
    ("secretary", 200),
    ("liaison", 403),  # sees its group's household, records no move
    ("outsider", 404),
    ("outside_secretary", 404),
]


@pytest.mark.parametrize(("who", "status"), WHO_MAY_MOVE, ids=[w for w, _ in WHO_MAY_MOVE])
def test_who_records_a_move(cast, homes, as_user, who, status):
    person = homes.liaison if who == "liaison" else getattr(cast, who)
    client = as_user(person)
    url = f"/api/households/{homes.ours.id}"
    assert client.post(f"{url}/move-out", json=MOVE).status_code == status
    if status == 200:
        assert client.post(f"{url}/move-in", json={}).status_code == 200


def _listed(client, path="/api/households"):
    return {h["id"] for h in client.get(path).get_json()}


def test_a_household_moved_out_leaves_the_lists_and_comes_back(db, cast, homes, as_user):
    member, liaison = as_user(cast.member), as_user(homes.liaison)
    url = f"/api/households/{homes.ours.id}"
    due = "/api/visits/due"
    assert homes.ours.id in _listed(member) and homes.ours.id in _listed(liaison)
    assert homes.ours.id in {d["household"]["id"] for d in member.get(due).get_json()}
    moved = member.post(f"{url}/move-out", json=MOVE)
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["moved_out"] == {
        "on": "2026-11-30",
        **{k: MOVE[k] for k in ("to", "reason")},
    }
    assert moved.get_json()["next_visit_due"] is None
    assert homes.ours.id not in _listed(member)
    assert homes.ours.id not in _listed(liaison)
    assert homes.ours.id not in {d["household"]["id"] for d in member.get(due).get_json()}
    assert _listed(member, "/api/households?moved_out=true") == {homes.ours.id}
    assert member.get(url).status_code == 200  # still in the register
    refused = member.post("/api/visits", json=_visit(homes))
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "moved_out"
    again = member.post(f"{url}/move-out", json=MOVE)  # sent again: nothing new
    assert again.status_code == 200
    back = member.post(f"{url}/move-in", json={})
    assert back.status_code == 200 and back.get_json()["moved_out"] is None
    assert homes.ours.id in _listed(member) and homes.ours.id in _listed(liaison)
    assert member.post("/api/visits", json=_visit(homes)).status_code == 201
    actions = [h["action"] for h in member.get(f"{url}/history").get_json()]
    assert actions.count("move_out") == 1 and actions.count("move_in") == 1
    entry = db.session.query(HistoryEntry).filter_by(action="move_out").one()
    assert entry.data == {"member": None, "on": "2026-11-30", "to": "铜仁市万山区"}
    assert entry.note == "随子女迁居"


def test_a_person_moved_out_is_off_the_plans_and_not_met(cast, homes, as_user):
    member = as_user(cast.member)
    url = f"/api/households/{homes.ours.id}"
    # 张三丰 (独居老人, monthly) is visited; the household is due in a month, not six.
    assert member.post("/api/visits", json=_visit(homes)).status_code == 201
    monthly = member.get(url).get_json()["next_visit_due"]
    body = {**MOVE, "member": homes.member_id, "to": "碧江区养老院", "reason": "入住养老院"}
    moved = member.post(f"{url}/move-out", json=body).get_json()
    assert moved["members"][0]["moved_out"]["to"] == "碧江区养老院"
    assert moved["next_visit_due"] > monthly  # only the household's own plan is left
    refused = member.post("/api/visits", json=_visit(homes, id=str(uuid.uuid4())))
    assert refused.status_code == 422
    assert "met" in refused.get_json()["error"]["fields"]
    member.post(f"{url}/move-in", json={"member": homes.member_id})
    assert member.get(url).get_json()["next_visit_due"] == monthly


def test_a_move_is_checked(cast, homes, as_user):
    member = as_user(cast.member)
    url = f"/api/households/{homes.ours.id}/move-out"
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    future = member.post(url, json={**MOVE, "on": tomorrow})
    assert future.status_code == 422 and "on" in future.get_json()["error"]["fields"]
    missing = member.post(url, json={"on": "2026-11-30"})
    assert missing.status_code == 422 and "reason" in missing.get_json()["error"]["fields"]
    nobody = member.post(url, json={**MOVE, "member": str(uuid.uuid4())})
    assert nobody.status_code == 404


def test_a_move_offline_goes_through_sync_once_and_the_pull_shows_it(cast, homes, as_user):
    member = as_user(cast.member)
    device = str(uuid.uuid4())
    batch = [command(1, "household.move_out", {"id": homes.ours.id, **MOVE})]
    first = push(member, device, batch)["results"][0]
    assert first["status"] == "applied", first
    assert push(member, device, batch)["results"][0]["status"] == "duplicate"
    changes, _, _ = pull_all(member)
    [shown] = [
        c["data"] for c in changes if c["entity"] == "household" and c["id"] == homes.ours.id
    ]
    assert shown["moved_out"]["reason"] == "随子女迁居"
    back = [command(2, "household.move_in", {"id": homes.ours.id})]
    assert push(member, device, back)["results"][0]["status"] == "applied"
