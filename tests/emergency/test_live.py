"""The live view at district scale: figures per street, community and grid without names, a
304 to a poll that finds nothing changed, and the silent named on demand, per unit, paged,
grouped by grid with who answers for each group."""

import threading
from datetime import UTC

import jsonschema_rs  # schemathesis's (requirements-dev)
import pytest

from app.emergency import live
from app.emergency.models import RollCall
from app.extensions import db
from app.people.models import User
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


def test_a_poll_that_finds_nothing_changed_is_a_304(cast, as_user, switch_body, frozen):
    admin = as_user(cast.street_admin)
    item = _start(admin, switch_body(codes=[cast.community.code]))
    first = admin.get("/api/emergency/live")
    tag = first.headers["ETag"]
    again = admin.get("/api/emergency/live", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    # As a browser sends it back after a compressed answer.
    gzip = admin.get("/api/emergency/live", headers={"If-None-Match": f'{tag[:-1]}:gzip"'})
    assert gzip.status_code == 304
    as_user(cast.member).post(f"/api/rollcalls/{item['roll_call']}/ack", json={})
    frozen.move(seconds=live.SHARED_S)  # the figures are read again
    changed = admin.get("/api/emergency/live", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert changed.get_json()["switches"][0]["roll_call"]["acknowledged"] == 1
    # Another leader's view of the same state is theirs: their tag is not this one.
    district = as_user(cast.district_admin).get("/api/emergency/live")
    assert district.headers["ETag"] != changed.headers["ETag"]


def test_leaders_of_one_area_share_a_reading_of_the_figures_for_a_few_seconds(
    cast, as_user, switch_body, frozen, monkeypatch
):
    reads = []
    real = live.figures
    monkeypatch.setattr(live, "figures", lambda *args: reads.append(args[1].id) or real(*args))
    admin = as_user(cast.street_admin)
    item = _start(admin, switch_body(codes=[cast.community.code]))
    read_at = frozen.at
    first = admin.get("/api/emergency/live").get_json()
    assert first["at"] == read_at.astimezone(UTC).isoformat()
    as_user(cast.member).post(f"/api/rollcalls/{item['roll_call']}/ack", json={})
    frozen.move(seconds=live.SHARED_S - 1)
    # An answer within the interval is the reading's, and says when it was read.
    within = admin.get("/api/emergency/live").get_json()
    assert within["switches"][0]["roll_call"] == first["switches"][0]["roll_call"]
    assert within["at"] == first["at"]
    assert reads == [item["roll_call"]]
    # The district follows the whole call, as the admin who called it does: the same reading.
    whole = as_user(cast.district_admin).get("/api/emergency/live").get_json()
    assert whole["switches"][0]["roll_call"] == first["switches"][0]["roll_call"]
    assert reads == [item["roll_call"]]
    frozen.move(seconds=1)
    later = admin.get("/api/emergency/live").get_json()
    assert later["switches"][0]["roll_call"]["acknowledged"] == 1
    assert later["at"] == frozen.at.astimezone(UTC).isoformat()
    assert reads == [item["roll_call"]] * 2


def test_threads_asking_at_once_wait_for_one_reading(cast, as_user, switch_body, app, monkeypatch):
    item = _start(as_user(cast.street_admin), switch_body(codes=[cast.community.code]))
    started, release, reads = threading.Event(), threading.Event(), []
    real = live.figures

    def slow(user, call):  # the first reading takes a while: the others come meanwhile
        reads.append(call.id)
        started.set()
        release.wait(5)
        return real(user, call)

    monkeypatch.setattr(live, "figures", slow)
    answers = []

    def ask():
        with app.app_context():
            user = db.session.get(User, cast.street_admin.id)
            call = db.session.get(RollCall, item["roll_call"])
            answers.append(live.shared_figures(user, call))
            db.session.remove()

    threads = [threading.Thread(target=ask) for _ in range(6)]
    threads[0].start()
    assert started.wait(5)
    for thread in threads[1:]:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(10)
    assert reads == [item["roll_call"]]
    assert len(answers) == 6 and len(set(answers)) == 1


def test_the_live_view_is_what_the_openapi_document_says(cast, as_user, switch_body, client):
    admin = as_user(cast.district_admin)
    _start(admin, switch_body("district"))
    spec = client.get("/api/openapi.json").get_json()
    schema = _closed(spec["components"]["schemas"]["LiveOut"], spec["components"]["schemas"])
    body = admin.get("/api/emergency/live").get_json()
    assert body["switches"][0]["roll_call"]["streets"], "the test sees figures"
    jsonschema_rs.validate(schema, body)


def _closed(schema, components):
    """The schema with its references resolved and no property left undescribed."""
    if "$ref" in schema:
        return _closed(components[schema["$ref"].rsplit("/", 1)[1]], components)
    if schema.get("nullable") and schema.get("type") == "object" and "properties" not in schema:
        return {"type": "null"}  # how OpenAPI 3.0 adds "or null" to a nested schema (anyOf)
    found = dict(schema)
    if "properties" in found:
        found["properties"] = {k: _closed(v, components) for k, v in found["properties"].items()}
        found["additionalProperties"] = False
    if "items" in found:
        found["items"] = _closed(found["items"], components)
    if found.get("nullable"):
        kinds = found.get("type")
        found["type"] = [*([kinds] if isinstance(kinds, str) else kinds or []), "null"]
        if not kinds:
            found.pop("type")
    for key in ("anyOf", "oneOf", "allOf"):
        if key in found:
            found[key] = [_closed(part, components) for part in found[key]]
    return found


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
