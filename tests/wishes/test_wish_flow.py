"""A wish's whole life over HTTP, as the grid, the secretary and party members live it:
recorded, verified onto the wall, claimed once, cancelled back with the reason, fulfilled with
a photo and the beneficiary's confirmation, counted by the date fulfilled; and who may do
each step."""

import pytest
from sqlalchemy import text

from app.wishes import services
from tests.builders import report_body
from tests.tasks.conftest import make_task, photo_ref
from tests.wishes.conftest import error, ok, published, wish_body


def test_recorded_verified_claimed_cancelled_fulfilled_confirmed_and_counted(
    crowd, as_user, frozen
):
    member, secretary, party = as_user(crowd.member), as_user(crowd.secretary), as_user(crowd.party)
    wish = ok(member.post("/api/wishes", json=wish_body(crowd.place.grid)), 201)
    assert wish["state"] == "recorded"
    community = crowd.place.community.code
    assert ok(party.get(f"/api/wishes/wall?community={community}")) == []  # not yet verified

    assert (
        ok(secretary.post(f"/api/wishes/{wish['id']}/verify", json={"passed": True}))["state"]
        == "published"
    )
    wall = ok(party.get(f"/api/wishes/wall?community={community}"))
    assert [w["id"] for w in wall] == [wish["id"]]
    assert set(wall[0]) == {"id", "category", "need", "place", "published_at"}
    assert ok(party.get(f"/api/wishes/wall?community={community}&category=study")) == []

    claimed = ok(party.post(f"/api/wishes/{wish['id']}/claim", json={}))
    assert claimed["state"] == "claimed" and claimed["mine"]
    # The claimant learns whom to ask and where; never the beneficiary's name or phone.
    assert claimed["address"] and claimed["contact"] == {
        "name": "王网格",
        "phone": crowd.member.phone,
    }
    assert claimed["beneficiary_name"] is None and claimed["beneficiary_phone"] is None
    assert ok(party.get(f"/api/wishes/wall?community={community}")) == []
    assert ok(party.post(f"/api/wishes/{wish['id']}/claim", json={}))["mine"]  # a retry
    error(
        as_user(crowd.party_b).post(f"/api/wishes/{wish['id']}/claim", json={}), 409, "wish_claimed"
    )
    error(
        member.post(f"/api/wishes/{wish['id']}/withdraw", json={"reason": "x"}), 409, "wrong_state"
    )

    back = ok(party.post(f"/api/wishes/{wish['id']}/cancel", json={"reason": "临时出差"}))
    assert back["state"] == "published" and back["reason"] == "临时出差" and not back["mine"]
    assert [w["id"] for w in ok(party.get(f"/api/wishes/wall?community={community}"))] == [
        wish["id"]
    ]

    other = as_user(crowd.party_b)
    ok(other.post(f"/api/wishes/{wish['id']}/claim", json={}))
    error(other.post(f"/api/wishes/{wish['id']}/fulfil", json={}), 422, "evidence_required")
    error(
        party.post(f"/api/wishes/{wish['id']}/fulfil", json={"photos": [photo_ref()]}),
        403,
        "not_allowed",
    )
    delivered = ok(other.post(f"/api/wishes/{wish['id']}/fulfil", json={"photos": [photo_ref()]}))
    assert delivered["state"] == "delivered" and len(delivered["photos"]) == 1
    assert ok(secretary.get("/api/wishes/counts")) == []  # not yet confirmed

    frozen.move(hours=2)
    done = ok(member.post(f"/api/wishes/{wish['id']}/confirm", json={}))
    assert done["state"] == "fulfilled" and done["confirmed_by"] == "grid"
    actions = [entry["action"] for entry in done["history"]]
    assert actions == ["record", "verify", "claim", "cancel", "claim", "deliver", "confirm"]

    by_community = ok(secretary.get("/api/wishes/counts"))
    assert by_community == [{"code": community, "name": crowd.place.community.name, "count": 1}]
    by_claimant = ok(secretary.get("/api/wishes/counts?by=claimant"))
    assert by_claimant == [{"id": crowd.party_b.id, "name": "党员乙", "count": 1}]
    street = ok(as_user(crowd.district_admin).get("/api/wishes/counts?by=street"))
    assert street == [
        {"code": crowd.place.street.code, "name": crowd.place.street.name, "count": 1}
    ]
    # By the date fulfilled: a window that ends before it counts nothing.
    since = frozen.at.isoformat().replace("+00:00", "Z")
    assert ok(secretary.get("/api/wishes/counts", query_string={"until": since})) == []
    error(as_user(crowd.party).get("/api/wishes/counts"), 403, "not_allowed")


def test_a_beneficiary_confirming_on_the_claimants_phone_fulfils_it_at_once(crowd, as_user):
    wish = published(crowd)
    party = as_user(crowd.party)
    ok(party.post(f"/api/wishes/{wish.id}/claim", json={}))
    done = ok(
        party.post(
            f"/api/wishes/{wish.id}/fulfil",
            json={"photos": [photo_ref()], "confirmed": True, "note": "已送到"},
        )
    )
    assert done["state"] == "fulfilled" and done["confirmed_by"] == "beneficiary"
    assert done["fulfilled_at"] and done["fulfilment_note"] == "已送到"
    assert ok(party.get("/api/party/me"))["wishes_fulfilled"] == 1


def test_withdrawn_only_while_unclaimed_and_a_failed_verification_says_why(crowd, as_user):
    member = as_user(crowd.member)
    first = ok(member.post("/api/wishes", json=wish_body(crowd.place.grid)), 201)
    error(
        member.post(f"/api/wishes/{first['id']}/verify", json={"passed": False}),
        422,
        "validation_error",
    )
    gone = ok(
        member.post(f"/api/wishes/{first['id']}/verify", json={"passed": False, "reason": "重复"})
    )
    assert gone["state"] == "withdrawn" and gone["reason"] == "重复"
    wish = published(crowd)
    assert (
        ok(member.post(f"/api/wishes/{wish.id}/withdraw", json={"reason": "已解决"}))["state"]
        == "withdrawn"
    )
    error(as_user(crowd.party).post(f"/api/wishes/{wish.id}/claim", json={}), 404, "not_found")


@pytest.mark.parametrize(
    "who, may",
    [
        ("member", True),  # the grid's own
        ("secretary", True),
        ("street_admin", True),
        ("sibling_member", False),  # another grid of the community
        ("party", False),
        ("far_member", False),
    ],
)
def test_who_records_a_wish(crowd, as_user, who, may):
    response = as_user(getattr(crowd, who)).post("/api/wishes", json=wish_body(crowd.place.grid))
    if may:
        ok(response, 201)
    else:
        assert response.status_code == 403, response.get_json()


@pytest.mark.parametrize(
    "who, sees_wall, may_claim",
    [
        ("party", True, True),  # reported to the community
        ("sibling_member", True, True),  # a member of another grid volunteers
        ("member", True, True),
        ("secretary", True, False),  # sees it, claims nothing
        ("far_party", False, False),  # reported elsewhere: not even told it exists
        ("far_member", False, False),
    ],
)
def test_who_sees_the_wall_and_claims(crowd, as_user, who, sees_wall, may_claim):
    wish = published(crowd)
    client = as_user(getattr(crowd, who))
    wall = client.get(f"/api/wishes/wall?community={crowd.place.community.code}")
    assert wall.status_code == (200 if sees_wall else 404), wall.get_json()
    claim = client.post(f"/api/wishes/{wish.id}/claim", json={})
    assert claim.status_code == (200 if may_claim else 403 if sees_wall else 404), claim.get_json()


def test_a_party_member_sees_wishes_but_none_of_the_communitys_cases(crowd, as_user):
    make_task(crowd.secretary, crowd.place.grid)
    assert ok(as_user(crowd.member).post("/api/incidents", json=report_body(crowd.place.grid)), 201)
    party = as_user(crowd.party)
    error(party.get(f"/api/grids/{crowd.place.grid.code}"), 403, "out_of_scope")
    assert ok(party.get("/api/incidents")) == []
    assert ok(party.get("/api/tasks")) == []
    assert ok(as_user(crowd.member).get("/api/tasks")) != []  # there is something not to see


def test_the_beneficiary_is_kept_encrypted(crowd, db):
    wish = published(crowd)
    stored = db.session.execute(
        text("SELECT beneficiary_name, beneficiary_phone, address FROM wish WHERE id = :id"),
        {"id": wish.id},
    ).one()
    assert "杨秀英" not in str(stored) and "13800001111" not in str(stored)
    assert "锦江路12号" not in str(stored)
    db.session.expire_all()
    assert db.session.get(type(wish), wish.id).beneficiary_name == "杨秀英"


def test_the_tally_counts_a_communitys_wishes_by_state_for_those_who_keep_them(crowd, as_user):
    for _ in range(2):
        published(crowd)
    services.create(crowd.member, wish_body(crowd.place.grid))
    claimed = published(crowd)
    services.claim(crowd.party, claimed.id)
    path = f"/api/wishes/tally?community={crowd.place.community.code}"
    want = {"recorded": 1, "published": 2, "claimed": 1, "delivered": 0, "fulfilled": 0}
    for keeper in (crowd.secretary, crowd.street_admin, crowd.district_admin):
        assert ok(as_user(keeper).get(path)) == {**want, "withdrawn": 0}
    for other in (crowd.member, crowd.party):
        error(as_user(other).get(path), 403, "not_allowed")
    error(as_user(crowd.secretary).get("/api/wishes/tally?community=nope"), 422, "validation_error")
