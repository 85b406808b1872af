"""The register: who sees which household and which field in full (a table), encryption at
rest read from the raw column, search by blind index, and the sync entity."""

import base64

import pytest
from sqlalchemy import text

from app.privacy import crypto
from app.privacy.cli import rekey
from tests.households.conftest import ID_NUMBER, PHONE, household_body
from tests.sync.test_pull import pull_all

# who -> (sees our household, name as shown, may unmask phone, may unmask id number)
MATRIX = [
    ("member", 200, "张三丰", 200, 200),
    ("colleague", 200, "张三丰", 200, 403),
    ("secretary", 200, "张三丰", 200, 200),
    ("street_admin", 200, "张三丰", 403, 403),
    ("district_admin", 200, "张三丰", 403, 403),
    ("liaison", 200, "张**", 403, 403),
    ("other_liaison", 404, None, 404, 404),  # another group of the same grid
    ("outsider", 404, None, 404, 404),
    ("dept_user", 404, None, 404, 404),
]


def _who(cast, homes, who):
    return getattr(homes, who, None) or getattr(cast, who)


@pytest.mark.parametrize(("who", "sees", "name", "phone", "id_number"), MATRIX)
def test_who_sees_a_household_and_which_fields_in_full(
    cast, homes, as_user, who, sees, name, phone, id_number
):
    client = as_user(_who(cast, homes, who))
    response = client.get(f"/api/households/{homes.ours.id}")
    assert response.status_code == sees
    if sees == 200:
        [member] = response.get_json()["members"]
        # Masked for everyone by default.
        assert (member["name"], member["phone"], member["id_number"]) == (
            name,
            "139****5678",
            "520***********1232",
        )
    for field, status, full in (("phone", phone, PHONE), ("id_number", id_number, ID_NUMBER)):
        body = {"entity": "household_member", "id": homes.member_id, "field": field}
        answer = client.post("/api/privacy/unmask", json={**body, "reason": "走访核实"})
        assert answer.status_code == status, (field, answer.get_json())
        if status == 200:
            assert answer.get_json() == {"value": full}
    events = as_user(cast.district_admin).get("/api/privacy/unmaskings").get_json()
    assert len(events) == (phone == 200) + (id_number == 200)


def test_phones_and_id_numbers_are_encrypted_at_rest_and_found_by_blind_index(
    db, cast, homes, as_user
):
    raw = db.session.execute(
        text("SELECT phone, phone_index, id_number, id_index FROM household_member")
    ).all()
    for phone, phone_index, id_number, id_index in raw:
        assert PHONE not in phone and ID_NUMBER not in id_number
        assert PHONE not in phone_index and ID_NUMBER not in id_index
    member = as_user(cast.member)
    by_phone = member.get(f"/api/households?q={PHONE}").get_json()
    by_id = member.get(f"/api/households?q={ID_NUMBER.lower()}").get_json()
    by_part = member.get("/api/households?q=清水塘路10").get_json()
    assert (
        {h["id"] for h in by_phone}
        == {h["id"] for h in by_id}
        == {
            homes.ours.id,
            homes.neighbour.id,
        }
    )  # the same person registered in both
    assert [h["id"] for h in by_part] == [homes.neighbour.id]
    assert member.get("/api/households?q=1391234").get_json() == []  # a phone's part finds none


def test_a_household_is_registered_by_the_grids_people_once_per_address(cast, as_user):
    body = household_body(cast.grid)
    first = as_user(cast.member).post("/api/households", json=body)
    assert first.status_code == 201
    again = as_user(cast.member).post("/api/households", json=body)  # resent: the same
    assert again.get_json()["id"] == first.get_json()["id"]
    same_address = {**household_body(cast.grid), "building": " 3栋 "}
    taken = as_user(cast.colleague).post("/api/households", json=same_address)
    assert taken.status_code == 409 and taken.get_json()["error"]["code"] == "address_taken"
    refused = as_user(cast.outsider).post("/api/households", json=household_body(cast.grid))
    assert refused.status_code == 403
    # A member given no id gets its household's, its place in the last four digits.
    unnamed = household_body(cast.grid, address="锦江北路1号")
    del unnamed["members"][0]["id"]
    made = as_user(cast.member).post("/api/households", json=unnamed).get_json()
    assert made["members"][0]["id"] == made["id"][:32] + "0000"
    clash = household_body(cast.grid, address="锦江北路2号")
    clash["members"][0]["id"] = made["members"][0]["id"]
    assert as_user(cast.member).post("/api/households", json=clash).status_code == 409
    bad = household_body(cast.grid, tags=["palace"])
    assert as_user(cast.member).post("/api/households", json=bad).status_code == 422


def test_households_are_pulled_masked_by_those_who_see_them(cast, homes, as_user):
    changes, _, _ = pull_all(as_user(cast.member))
    pulled = {c["id"]: c["data"] for c in changes if c["entity"] == "household"}
    assert set(pulled) == {homes.ours.id, homes.neighbour.id}
    assert pulled[homes.ours.id]["members"][0]["phone"] == "139****5678"
    changes, _, _ = pull_all(as_user(homes.liaison))
    assert [c["id"] for c in changes if c["entity"] == "household"] == [homes.ours.id]


def test_after_a_key_rotation_people_are_still_found_and_rekey_moves_their_index(
    app, db, cast, homes, as_user
):
    old_ring = app.extensions["privacy"]
    new_key = base64.urlsafe_b64encode(b"r" * 32).decode()
    app.extensions["privacy"] = crypto.Keyring(new_key, [app.config["PERSONAL_DATA_KEY"]])
    member = as_user(cast.member)
    try:
        assert len(member.get(f"/api/households?q={PHONE}").get_json()) == 2  # by the old index
        assert rekey()["household_member"] == 3
        app.extensions["privacy"] = crypto.Keyring(new_key)  # the old key dropped
        assert len(member.get(f"/api/households?q={PHONE}").get_json()) == 2
        [one] = member.get(f"/api/households/{homes.ours.id}").get_json()["members"]
        assert one["phone"] == "139****5678"
    finally:
        app.extensions["privacy"] = old_ring
