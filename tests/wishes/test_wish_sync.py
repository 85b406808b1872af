"""Wishes on the phone: each pull shows a wish masked as its route does for that role, a
party member pulls their communities' walls and their own claims and nothing else, and
claim, fulfil and cancel are commands applied exactly once."""

import uuid

import pytest

from app.history.services import timeline
from tests.sync.conftest import command
from tests.sync.test_pull import pull_all
from tests.tasks.conftest import photo_ref
from tests.wishes.conftest import BENEFICIARY, published, wish_body


def push(client, device, commands):
    response = client.post("/api/sync/push", json={"device_id": device, "commands": commands})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def wishes_in(changes):
    return {c["id"]: c["data"] for c in changes if c["entity"] == "wish" and c["op"] == "put"}


@pytest.mark.parametrize(
    "who, pulls, sees_beneficiary",
    [
        ("member", True, True),
        ("secretary", True, True),
        ("street_admin", True, False),
        ("district_admin", True, False),
        ("party", True, False),
        ("far_party", False, False),
        ("far_member", False, False),
    ],
)
def test_a_pull_masks_the_beneficiary_by_role_as_the_route_does(
    crowd, as_user, who, pulls, sees_beneficiary
):
    wish = published(crowd)
    client = as_user(getattr(crowd, who))
    changes, cursor, _ = pull_all(client)
    pulled = wishes_in(changes)
    assert (wish.id in pulled) == pulls
    if pulls:
        shown = client.get(f"/api/wishes/{wish.id}").get_json()
        assert pulled[wish.id]["beneficiary_name"] == shown["beneficiary_name"]
        name, phone = BENEFICIARY["beneficiary_name"], BENEFICIARY["beneficiary_phone"]
        if sees_beneficiary:
            assert (pulled[wish.id]["beneficiary_name"], pulled[wish.id]["beneficiary_phone"]) == (
                name,
                phone,
            )
        else:
            assert pulled[wish.id]["beneficiary_name"] is None
            assert pulled[wish.id]["address"] is None
            assert name not in str(changes) and phone not in str(changes)
    # A change later reaches those who pull it, masked the same way.
    as_user(crowd.party_b).post(f"/api/wishes/{wish.id}/claim", json={})
    later = wishes_in(pull_all(client, cursor)[0])
    assert (wish.id in later) == pulls
    if pulls and not sees_beneficiary:
        assert later[wish.id]["beneficiary_name"] is None


def test_claim_fulfil_and_cancel_are_commands_applied_once(crowd, as_user):
    first, second = published(crowd), published(crowd, need="一套课外书", category="study")
    party = as_user(crowd.party)
    device = str(uuid.uuid4())
    batch = [
        command(1, "wish.claim", {"id": first.id}),
        command(2, "wish.fulfil", {"id": first.id, "photos": [photo_ref()], "confirmed": True}),
        command(3, "wish.claim", {"id": second.id}),
        command(4, "wish.cancel", {"id": second.id, "reason": "家里有事"}),
    ]
    results = push(party, device, batch)
    assert [r["status"] for r in results] == ["applied"] * 4
    assert results[0]["result"] == {"entity": "wish", "id": first.id}
    again = push(party, device, batch)
    assert [r["status"] for r in again] == ["duplicate"] * 4
    actions = [e.action for e in timeline("wish", first.id)]
    assert actions == ["record", "verify", "claim", "fulfil"]
    assert [e.action for e in timeline("wish", second.id)][-2:] == ["claim", "cancel"]

    pulled = wishes_in(pull_all(party)[0])
    assert pulled[first.id]["state"] == "fulfilled" and pulled[first.id]["mine"]
    assert pulled[second.id]["state"] == "published" and pulled[second.id]["reason"] == "家里有事"

    # Someone else's claim of a held wish is refused as its own command, with the reason.
    other = as_user(crowd.party_b)
    push(party, device, [command(5, "wish.claim", {"id": second.id})])
    refused = push(other, str(uuid.uuid4()), [command(1, "wish.claim", {"id": second.id})])
    assert refused[0]["status"] == "rejected" and refused[0]["error"]["code"] == "wish_claimed"


def test_a_wish_recorded_door_to_door_offline_arrives_once_and_waits_to_be_verified(crowd, as_user):
    member, device = as_user(crowd.member), str(uuid.uuid4())
    body = {**wish_body(crowd.place.grid), "id": str(uuid.uuid4())}
    batch = [command(1, "wish.record", body)]
    assert [r["status"] for r in push(member, device, batch)] == ["applied"]
    assert [r["status"] for r in push(member, device, batch)] == ["duplicate"]
    pulled = wishes_in(pull_all(member)[0])
    assert pulled[body["id"]]["state"] == "recorded"
    assert pulled[body["id"]]["beneficiary_name"] == body["beneficiary_name"]
    # Not on anyone's wall until verified: the party member pulls nothing of it.
    assert body["id"] not in wishes_in(pull_all(as_user(crowd.party))[0])
