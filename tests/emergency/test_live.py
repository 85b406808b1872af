"""The live view at district scale: figures per street, community and grid without names, a
304 to a poll that finds nothing changed, and the silent named on demand, per unit, paged,
grouped by grid with who answers for each group."""

import pytest

from tests.emergency.test_rollcalls import FIGURES


def _start(admin, body):
    response = admin.post("/api/emergency/switches", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _by_code(nodes):
    return {node["code"]: node for node in nodes}


def test_the_live_view_counts_by_street_community_and_grid_and_names_nobody(
    cast, as_user, switch_body
):
    admin = as_user(cast.street_admin)
    item = _start(admin, switch_body(codes=[cast.community.code]))
    as_user(cast.colleague).post(f"/api/rollcalls/{item['roll_call']}/ack", json={})
    response = admin.get("/api/emergency/live")
    [row] = response.get_json()["switches"]
    figures = row["roll_call"]
    assert (figures["asked"], figures["acknowledged"], figures["outstanding"]) == (3, 1, 2)
    [street] = figures["streets"]
    assert (street["code"], street["asked"], street["outstanding"]) == (cast.street.code, 3, 2)
    [community] = street["communities"]
    assert (community["code"], community["asked"]) == (cast.community.code, 3)
    grids = _by_code(community["grids"])
    # The secretary answers for the community, no grid: counted under its own label.
    assert (grids[None]["name"], grids[None]["outstanding"]) == ("社区本级", 1)
    assert (grids[cast.grid.code]["asked"], grids[cast.grid.code]["acknowledged"]) == (2, 1)
    text = response.get_data(as_text=True)
    assert "王芳" not in text and "张书记" not in text  # names come on demand


def test_a_district_roll_call_labels_the_street_s_own_people(cast, as_user, switch_body):
    _start(as_user(cast.district_admin), switch_body("district"))
    [row] = as_user(cast.district_admin).get("/api/emergency/live").get_json()["switches"]
    street = _by_code(row["roll_call"]["streets"])[cast.street.code]
    own = _by_code(street["communities"])[None]
    assert own["name"] == "街道本级" and own["asked"] >= 1  # 赵街道
    assert own["grids"] == []
    assert sum(s["asked"] for s in row["roll_call"]["streets"]) == row["roll_call"]["asked"]


def test_a_poll_that_finds_nothing_changed_is_a_304(cast, as_user, switch_body):
    admin = as_user(cast.street_admin)
    item = _start(admin, switch_body(codes=[cast.community.code]))
    first = admin.get("/api/emergency/live")
    tag = first.headers["ETag"]
    again = admin.get("/api/emergency/live", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    as_user(cast.member).post(f"/api/rollcalls/{item['roll_call']}/ack", json={})
    changed = admin.get("/api/emergency/live", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert changed.get_json()["switches"][0]["roll_call"]["acknowledged"] == 1
    # Another leader's view of the same state is theirs: their tag is not this one.
    district = as_user(cast.district_admin).get("/api/emergency/live")
    assert district.headers["ETag"] != changed.headers["ETag"]


def test_the_silent_of_a_community_grouped_by_grid_with_who_answers(cast, as_user, switch_body):
    admin = as_user(cast.street_admin)
    call = _start(admin, switch_body(codes=[cast.community.code]))["roll_call"]
    as_user(cast.colleague).post(f"/api/rollcalls/{call}/ack", json={})
    found = admin.get(f"/api/rollcalls/{call}/silent?unit={cast.community.code}").get_json()
    assert found["outstanding"] == 2
    assert found["unit"] == {
        "code": cast.community.code,
        "name": cast.community.name,
        "level": "community",
    }
    own, grid = found["groups"]  # map order: the community's own people first
    assert own["grid"] == {"code": None, "name": "社区本级"}
    assert [p["name"] for p in own["people"]] == ["张书记"]
    assert [p["name"] for p in own["answering"]] == ["赵街道"]  # the street's admin
    assert grid["grid"]["code"] == cast.grid.code and grid["outstanding"] == 1
    assert [p["name"] for p in grid["people"]] == ["王芳"]
    [secretary] = grid["answering"]
    assert (secretary["name"], secretary["phone"]) == ("张书记", cast.secretary.phone)


def test_the_silent_come_a_page_at_a_time(cast, as_user, switch_body):
    admin = as_user(cast.street_admin)
    call = _start(admin, switch_body(codes=[cast.community.code]))["roll_call"]
    pages = [
        admin.get(f"/api/rollcalls/{call}/silent?limit=1&page={n}").get_json() for n in (1, 2, 3, 4)
    ]
    named = [p["name"] for page in pages for g in page["groups"] for p in g["people"]]
    assert sorted(named) == sorted(["张书记", "王芳", "李强"])
    assert pages[3]["groups"] == [] and pages[3]["outstanding"] == 3
    grid_page = next(page for page in pages if page["groups"][0]["grid"]["code"])
    assert grid_page["groups"][0]["outstanding"] == 2  # the group's, not the page's


@pytest.mark.parametrize("who,status", FIGURES)  # the silent are named to who sees the figures
def test_who_is_told_the_silent(cast, as_user, switch_body, who, status):
    call = _start(as_user(cast.street_admin), switch_body(codes=[cast.community.code]))
    response = as_user(getattr(cast, who)).get(f"/api/rollcalls/{call['roll_call']}/silent")
    assert response.status_code == status, response.get_json()


@pytest.mark.parametrize("unit", ["nowhere", "district"])
def test_the_silent_of_no_unit_is_refused_in_words(cast, as_user, switch_body, district, unit):
    admin = as_user(cast.street_admin)
    call = _start(admin, switch_body(codes=[cast.community.code]))["roll_call"]
    code = district["district"][0].code if unit == "district" else unit
    response = admin.get(f"/api/rollcalls/{call}/silent?unit={code}")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"unit": [code]}
