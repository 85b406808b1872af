"""The 民情日志: one entry per member and day, whichever phone writes it; drafted from the
day's patrols, visits and incidents; seen by the member and their secretary only; commented."""

import uuid
from datetime import datetime, time, timedelta

import pytest

from app import clock
from tests.builders import report_body
from tests.households.conftest import household_body
from tests.patrols.conftest import batch, walk
from tests.sync.conftest import command
from tests.sync.test_pull import pull_all


def entry(day, **extra):
    return {
        "id": str(uuid.uuid4()),
        "day": day.isoformat(),
        "problems": "河边护栏松动",
        "measures": "拍照上报，设置警示",
        "results": "已报城管",
        **extra,
    }


@pytest.fixture
def today(app):
    with app.app_context():
        return clock.today()


def push(client, device, commands):
    response = client.post("/api/sync/push", json={"device_id": device, "commands": commands})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def test_a_day_written_on_two_phones_is_one_entry_with_the_later_text(cast, as_user, today, db):
    member = as_user(cast.member)
    first = entry(today)
    second = entry(today, results="城管已修复")
    for phone, body in ((str(uuid.uuid4()), first), (str(uuid.uuid4()), second)):
        results = push(member, phone, [command(1, "journal.write", body)])
        assert results[0]["status"] == "applied"
        assert results[0]["result"] == {"entity": "journal", "id": first["id"]}
    listed = member.get("/api/journal").get_json()
    assert [(e["id"], e["results"]) for e in listed] == [(first["id"], "城管已修复")]
    query = db.text("SELECT action FROM history WHERE entity = 'journal' ORDER BY id")
    assert db.session.execute(query).scalars().all() == ["write", "write"]


def test_a_day_to_come_and_another_days_id_are_refused(cast, as_user, today):
    member = as_user(cast.member)
    tomorrow = member.post("/api/journal", json=entry(today + timedelta(days=1)))
    assert tomorrow.status_code == 422
    written = member.post("/api/journal", json=entry(today)).get_json()
    moved = member.post(
        "/api/journal", json={**entry(today - timedelta(days=1)), "id": written["id"]}
    )
    assert moved.status_code == 409
    secretary = as_user(cast.secretary).post("/api/journal", json=entry(today))
    assert secretary.status_code == 403


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("member", 200),
        ("colleague", 404),
        ("secretary", 200),
        ("outside_secretary", 404),
        ("street_admin", 200),
        ("district_admin", 200),
    ],
)
def test_who_reads_a_members_entry(cast, as_user, today, who, status):
    written = as_user(cast.member).post("/api/journal", json=entry(today)).get_json()
    assert as_user(getattr(cast, who)).get(f"/api/journal/{written['id']}").status_code == status


def test_a_colleagues_pull_has_no_entry_the_secretarys_has(cast, as_user, today):
    written = as_user(cast.member).post("/api/journal", json=entry(today)).get_json()
    colleague, _, _ = pull_all(as_user(cast.colleague))
    assert [c for c in colleague if c["entity"] == "journal"] == []
    secretary, _, _ = pull_all(as_user(cast.secretary))
    assert [c["id"] for c in secretary if c["entity"] == "journal"] == [written["id"]]


def test_the_draft_tells_the_days_patrols_visits_and_incidents(cast, as_user, today, frozen):
    frozen.at = datetime.combine(today, time(10), clock.zone())  # the patrol began today too
    member, secretary = as_user(cast.member), as_user(cast.secretary)
    assert member.get("/api/journal/draft").get_json()["measures"] == ""
    started = clock.now() - timedelta(minutes=45)
    patrol = {"id": str(uuid.uuid4()), "grid": cast.grid.code, "device_time": started.isoformat()}
    member.post("/api/patrols", json=patrol)
    member.post(f"/api/patrols/{patrol['id']}/track", json=batch(walk(cast.grid, 30), 1, started))
    member.post(f"/api/patrols/{patrol['id']}/end", json={})
    secretary.post(f"/api/patrols/{patrol['id']}/review", json={"score": 5, "note": "认真"})
    member.post("/api/incidents", json=report_body(cast.grid))
    household = member.post("/api/households", json=household_body(cast.grid)).get_json()
    visit = {"id": str(uuid.uuid4()), "household": household["id"], "note": "独居老人身体尚好"}
    assert member.post("/api/visits", json=visit).status_code == 201
    draft = member.get(f"/api/journal/draft?day={today.isoformat()}").get_json()
    assert "走访1户：独居老人身体尚好" in draft["measures"]
    assert draft["measures"].startswith("巡查1次，共45分钟")
    assert "楼道口堆放杂物" in draft["problems"]
    assert "巡查点评：5分，认真" in draft["results"] and "上报事件1件" in draft["results"]


def test_the_secretary_comments_and_the_member_is_told(cast, as_user, today):
    member = as_user(cast.member)
    written = member.post("/api/journal", json=entry(today)).get_json()
    assert (
        member.post(f"/api/journal/{written['id']}/comment", json={"note": "好"}).status_code == 403
    )
    outside = as_user(cast.outside_secretary).post(
        f"/api/journal/{written['id']}/comment", json={"note": "好"}
    )
    assert outside.status_code == 404
    commented = (
        as_user(cast.secretary)
        .post(f"/api/journal/{written['id']}/comment", json={"note": "措施得当，跟进结果"})
        .get_json()
    )
    assert commented["comment"] == "措施得当，跟进结果"
    assert commented["commented_by"]["id"] == cast.secretary.id
    assert [m["kind"] for m in member.get("/api/inbox").get_json()] == ["patrol"]
