"""The party organisation as a secretary keeps it: the community's committee, a grid's branch
with its members and secretary, a 流动党员 with where they come from, an in-service member's
report giving their login the community's wishes, a joint-built unit claiming through its
member; and a member's own record."""

from app.people.models import PARTY_MEMBER
from tests.tasks.conftest import person
from tests.wishes.conftest import error, ok, published


def test_committee_branch_members_secretary_and_report(crowd, as_user):
    place, secretary = crowd.place, as_user(crowd.secretary)
    branch = {"kind": "branch", "unit": place.grid.code, "name": "一网格党支部"}
    error(secretary.post("/api/party/orgs", json=branch), 422, "validation_error")  # no committee
    committee = ok(
        secretary.post(
            "/api/party/orgs",
            json={"kind": "committee", "unit": place.community.code, "name": "社区党委"},
        ),
        201,
    )
    branch = ok(secretary.post("/api/party/orgs", json=branch), 201)
    assert branch["parent_id"] == committee["id"]
    error(
        secretary.post(
            "/api/party/orgs", json={"kind": "branch", "unit": place.far_grid.code, "name": "x"}
        ),
        403,
        "not_allowed",
    )
    mobile = {"org_id": branch["id"], "name": "流动党员丙", "mobile": True}
    error(secretary.post("/api/party/members", json=mobile), 422, "validation_error")
    ok(secretary.post("/api/party/members", json={**mobile, "origin": "贵州省思南县"}), 201)
    login = person(PARTY_MEMBER, name="在职党员丁")
    member = ok(
        secretary.post(
            "/api/party/members",
            json={
                "org_id": branch["id"],
                "name": "在职党员丁",
                "type": "probationary",
                "user_id": login.id,
            },
        ),
        201,
    )
    shown = ok(
        secretary.post(
            f"/api/party/orgs/{branch['id']}/secretary", json={"member_id": member["id"]}
        )
    )
    assert shown["secretary"]["name"] == "在职党员丁"
    orgs = ok(secretary.get(f"/api/party/orgs?community={place.community.code}"))
    assert [o["kind"] for o in orgs] == ["committee", "branch"]
    assert sorted(m["name"] for m in orgs[1]["members"]) == ["在职党员丁", "流动党员丙"]

    # Before the report the login sees no wall; after it, the community's.
    wish = published(crowd)
    party = as_user(login)
    wall = f"/api/wishes/wall?community={place.community.code}"
    error(party.get(wall), 404, "not_found")
    joint = ok(
        as_user(crowd.street_admin).post(
            "/api/party/joint-units", json={"street": place.street.code, "name": "碧江供电局"}
        ),
        201,
    )
    ok(
        secretary.post(
            "/api/party/reports",
            json={
                "member_id": member["id"],
                "community": place.community.code,
                "work_unit": "碧江供电局",
                "post": "楼栋志愿者",
                "joint_unit_id": joint["id"],
            },
        ),
        201,
    )
    assert [w["id"] for w in ok(party.get(wall))] == [wish.id]
    claimed = ok(party.post(f"/api/wishes/{wish.id}/claim", json={"joint_unit_id": joint["id"]}))
    assert claimed["mine"]
    record = ok(party.get("/api/party/me"))
    assert record["member"]["type"] == "probationary" and record["org"]["name"] == "一网格党支部"
    assert [r["work_unit"] for r in record["reports"]] == ["碧江供电局"]
    assert record["wishes_claimed"] == 1 and record["wishes_fulfilled"] == 0
    listed = f"/api/party/joint-units?street={place.street.code}"
    # The street, and the secretary of one of its communities (who records reports from them).
    for keeper in (crowd.street_admin, crowd.secretary):
        assert [u["name"] for u in ok(as_user(keeper).get(listed))] == ["碧江供电局"]
    error(as_user(crowd.far_party).get(listed), 403, "out_of_scope")


def test_a_joint_unit_claim_needs_a_member_who_reported_from_it(crowd, as_user):
    joint = ok(
        as_user(crowd.street_admin).post(
            "/api/party/joint-units", json={"street": crowd.place.street.code, "name": "碧江二中"}
        ),
        201,
    )
    wish = published(crowd)
    error(
        as_user(crowd.party).post(
            f"/api/wishes/{wish.id}/claim", json={"joint_unit_id": joint["id"]}
        ),
        422,
        "validation_error",
    )


def test_a_member_becomes_full_and_mobile_and_the_change_is_kept_by_the_community(crowd, as_user):
    place, secretary = crowd.place, as_user(crowd.secretary)
    ok(
        secretary.post(
            "/api/party/orgs",
            json={"kind": "committee", "unit": place.community.code, "name": "社区党委"},
        ),
        201,
    )
    branch = ok(
        secretary.post(
            "/api/party/orgs",
            json={"kind": "branch", "unit": place.grid.code, "name": "一网格党支部"},
        ),
        201,
    )
    member = ok(
        secretary.post(
            "/api/party/members",
            json={"org_id": branch["id"], "name": "预备党员戊", "type": "probationary"},
        ),
        201,
    )
    edit = f"/api/party/members/{member['id']}"
    assert ok(secretary.patch(edit, json={"type": "full"}))["type"] == "full"  # 转正
    assert error(secretary.patch(edit, json={"mobile": True}), 422, "validation_error")[
        "fields"
    ] == {"origin": ["required"]}
    gone = ok(secretary.patch(edit, json={"mobile": True, "origin": "贵州省思南县"}))
    assert (gone["mobile"], gone["origin"]) == (True, "贵州省思南县")
    back = ok(secretary.patch(edit, json={"mobile": False}))
    assert (back["mobile"], back["origin"]) == (False, None)  # no origin without leaving
    error(secretary.patch(edit, json={"type": "honorary"}), 422, "validation_error")
    # The grid's member sees the branch but does not keep it; others do not see it at all.
    error(as_user(crowd.member).patch(edit, json={"type": "probationary"}), 403, "not_allowed")
    for stranger in (crowd.party, crowd.far_member):
        error(as_user(stranger).patch(edit, json={"type": "probationary"}), 404, "not_found")
    orgs = ok(secretary.get(f"/api/party/orgs?community={place.community.code}"))
    assert [(m["name"], m["type"], m["mobile"]) for m in orgs[1]["members"]] == [
        ("预备党员戊", "full", False)
    ]
