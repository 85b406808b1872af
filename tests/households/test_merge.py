"""Two phones edit one household offline: changes merge field by field; the same field changed
differently from the same version is a conflict the secretary decides, both values in the
history."""

import uuid

from app.households.models import Conflict
from app.privacy import decrypt
from tests.sync.conftest import command
from tests.sync.test_push import push


class Phone:
    """A phone of its own (device id, its commands' sequence) pushing household changes."""

    def __init__(self, client):
        self.client, self.device, self.seq = client, str(uuid.uuid4()), 0

    def update(self, household_id, changes, base, member=None):
        self.seq += 1
        args = {"id": household_id, "changes": changes, "base": base, "member": member}
        batch = [command(self.seq, "household.update", args)]
        [receipt] = push(self.client, self.device, batch)["results"]
        return receipt


def test_different_fields_merge_and_the_same_field_conflicts(db, cast, homes, as_user):
    member, colleague = Phone(as_user(cast.member)), Phone(as_user(cast.colleague))
    household = member.client.get(f"/api/households/{homes.ours.id}").get_json()
    person = household["members"][0]
    base = {"room": household["versions"].get("room", 0), "tags": 0}
    # Both phones saw the same versions; each changes the room, and only one the tags.
    first = member.update(homes.ours.id, {"room": "502", "tags": ["rental"]}, base)
    second = colleague.update(homes.ours.id, {"room": "503"}, {"room": base["room"]})
    assert first["status"] == second["status"] == "applied"
    phone_base = {"phone": person["versions"].get("phone", 0)}
    member.update(homes.ours.id, {"phone": "13800000001"}, phone_base, person["id"])
    colleague.update(homes.ours.id, {"phone": "13800000002"}, phone_base, person["id"])

    now = as_user(cast.secretary).get(f"/api/households/{homes.ours.id}").get_json()
    assert (now["room"], now["tags"]) == ("502", ["rental"])  # the first change stands
    assert now["versions"] == {"room": 1, "tags": 1}
    conflicts = as_user(cast.secretary).get("/api/households/conflicts").get_json()
    assert [(c["field"], c["current"], c["proposed"]) for c in conflicts] == [
        ("room", "502", "503"),
        ("phone", "138****0001", "138****0002"),  # masked as the register shows phones
    ]
    assert conflicts[0]["proposed_by"]["id"] == cast.colleague.id

    # The history keeps both values (encrypted, as the register keeps them).
    timeline = as_user(cast.secretary).get(f"/api/households/{homes.ours.id}/history").get_json()
    kept = [e["data"] for e in timeline if e["action"] == "conflict"]
    assert [(decrypt(d["current"]), decrypt(d["proposed"])) for d in kept] == [
        ('"502"', '"503"'),
        ('"13800000001"', '"13800000002"'),
    ]

    # The secretary takes the second room; the phone stays as the first phone set it.
    room, phone = conflicts
    assert (
        as_user(cast.member)
        .post(f"/api/households/conflicts/{room['id']}", json={"keep": "proposed"})
        .status_code
        == 403
    )
    secretary = as_user(cast.secretary)
    taken = secretary.post(f"/api/households/conflicts/{room['id']}", json={"keep": "proposed"})
    assert taken.status_code == 200 and taken.get_json()["kept"] == "proposed"
    secretary.post(f"/api/households/conflicts/{phone['id']}", json={"keep": "current"})
    again = secretary.post(f"/api/households/conflicts/{phone['id']}", json={"keep": "proposed"})
    assert again.status_code == 409
    now = secretary.get(f"/api/households/{homes.ours.id}").get_json()
    assert now["room"] == "503" and now["versions"]["room"] == 2
    assert secretary.get("/api/households/conflicts").get_json() == []
    assert db.session.query(Conflict).filter(Conflict.resolved_at.is_(None)).count() == 0


def test_the_same_change_from_two_phones_is_no_conflict(cast, homes, as_user):
    body = {"changes": {"room": "600"}, "base": {"room": 0}}
    for who in (cast.member, cast.colleague):
        response = as_user(who).patch(f"/api/households/{homes.ours.id}", json=body)
        assert response.status_code == 200
    assert as_user(cast.secretary).get("/api/households/conflicts").get_json() == []


def test_a_change_names_known_fields_with_their_versions(cast, homes, as_user):
    member = as_user(cast.member)
    url = f"/api/households/{homes.ours.id}"
    unknown = member.patch(url, json={"changes": {"grid_id": 1}, "base": {"grid_id": 0}})
    assert unknown.status_code == 422 and unknown.get_json()["error"]["fields"] == {
        "grid_id": ["unknown"]
    }
    unversioned = member.patch(url, json={"changes": {"room": "1"}, "base": {}})
    assert unversioned.get_json()["error"]["fields"] == {"room": ["no base version"]}
    bad_phone = member.patch(
        url,
        json={"member": homes.member_id, "changes": {"phone": "12"}, "base": {"phone": 0}},
    )
    assert bad_phone.status_code == 422
    liaison = as_user(homes.liaison).patch(
        url, json={"changes": {"room": "1"}, "base": {"room": 0}}
    )
    assert liaison.status_code == 403  # a 联户长 sees, the grid's members change
