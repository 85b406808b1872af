"""Visits: records with the forms their people's tags need, what is due and overdue, a
department's sign-off within its time limit, an incident raised, and exactly once."""

import uuid
from datetime import timedelta

from app import clock
from app.extensions import db as _db
from app.households import services as households
from app.people.models import DEPARTMENT, Department
from app.visits import services as visits
from app.visits.models import Visit
from tests.conftest import make_user
from tests.sync.conftest import command
from tests.sync.test_pull import pull_all
from tests.sync.test_push import push


def _visit(homes, **extra):
    return {
        "id": str(uuid.uuid4()),
        "household": homes.ours.id,
        "met": [homes.member_id],
        "note": "老人身体尚可，叮嘱按时吃药",
        "forms": {homes.member_id: {"health": "fair"}},
        "lat": 27.7,
        "lng": 109.2,
        **extra,
    }


def test_a_visit_fills_the_forms_of_the_tagged_people_met(cast, homes, as_user):
    member = as_user(cast.member)
    incomplete = member.post("/api/visits", json=_visit(homes, forms={}))
    assert incomplete.status_code == 422
    assert incomplete.get_json()["error"]["fields"] == {
        f"forms.{homes.member_id}.health": ["required"]
    }
    wrong = member.post(
        "/api/visits", json=_visit(homes, forms={homes.member_id: {"health": "ok", "x": 1}})
    )
    assert set(wrong.get_json()["error"]["fields"]) == {
        f"forms.{homes.member_id}.health",
        f"forms.{homes.member_id}.x",
    }
    done = member.post("/api/visits", json=_visit(homes))
    assert done.status_code == 201, done.get_json()
    visit = done.get_json()
    assert visit["visitor"]["id"] == cast.member.id and visit["plans_version"] == 1
    assert visit["signoff_department_id"] is None  # 独居老人 need no sign-off
    assert as_user(homes.liaison).post("/api/visits", json=_visit(homes)).status_code == 403
    assert as_user(cast.outsider).post("/api/visits", json=_visit(homes)).status_code == 404


def test_last_and_next_visits_and_the_overdue_list(cast, homes, as_user, frozen):
    member = as_user(cast.member)
    due = member.get("/api/visits/due?overdue=true").get_json()
    assert {d["household"]["id"] for d in due} == {
        homes.ours.id,
        homes.neighbour.id,
    }  # never visited
    member.post("/api/visits", json=_visit(homes))
    shown = member.get(f"/api/households/{homes.ours.id}").get_json()
    # The household is due twice a year, its 独居老人 monthly: the sooner counts.
    assert shown["last_visit_at"] == frozen.at.isoformat()
    assert shown["next_visit_due"] == (frozen.at + timedelta(days=30)).isoformat()
    due = member.get("/api/visits/due?overdue=true").get_json()
    assert [d["household"]["id"] for d in due] == [homes.neighbour.id]
    frozen.move(days=31)
    due = member.get("/api/visits/due?overdue=true").get_json()
    assert {d["household"]["id"] for d in due} == {homes.ours.id, homes.neighbour.id}
    assert as_user(homes.liaison).get("/api/visits/due").status_code == 403


def test_a_key_person_visit_reaches_the_police_who_sign_it_off(cast, homes, as_user, frozen):
    households.update(
        cast.member,
        homes.ours.id,
        {"tags": ["key_person:mental_disorder"]},
        {"tags": 0},
        homes.member_id,
    )
    form = {"medication_taken": "yes", "guardian_present": "no", "unusual": "情绪稳定"}
    body = _visit(homes, forms={homes.member_id: form})
    visit = as_user(cast.member).post("/api/visits", json=body).get_json()
    police = _db.session.query(Department).filter_by(code="public_security").one()
    assert visit["signoff_department_id"] == police.id
    assert visit["signoff_due"] == (frozen.at + timedelta(hours=72)).isoformat()
    officer = as_user(make_user(DEPARTMENT, name="派出所民警", department_id=police.id))
    assert [v["id"] for v in officer.get("/api/visits/signoffs").get_json()] == [visit["id"]]
    other = as_user(cast.dept_user)
    assert (
        other.post(f"/api/visits/{visit['id']}/signoff", json={"opinion": "x"}).status_code == 404
    )
    frozen.move(hours=73)
    signed = officer.post(f"/api/visits/{visit['id']}/signoff", json={"opinion": "已掌握"})
    assert signed.status_code == 200
    assert (signed.get_json()["opinion"], signed.get_json()["signoff_late"]) == ("已掌握", True)
    assert officer.get("/api/visits/signoffs").get_json() == []
    again = officer.post(f"/api/visits/{visit['id']}/signoff", json={"opinion": "改口"})
    assert again.status_code == 409


def test_a_visit_raises_an_incident_and_a_resent_visit_counts_once(db, cast, homes, as_user):
    member = as_user(cast.member)
    raised = {"category": "elderly_living_alone", "description": "老人家中燃气灶漏气"}
    body = _visit(homes, incident=raised)
    device = str(uuid.uuid4())
    batch = [command(1, "visit.record", body)]
    first = push(member, device, batch)["results"][0]
    again = push(member, device, batch)["results"][0]
    assert (first["status"], again["status"]) == ("applied", "duplicate")
    # The same visit sent again as a new command (or online) is still the one visit.
    assert member.post("/api/visits", json=body).get_json()["id"] == body["id"]
    [visit] = db.session.query(Visit).all()
    incident = member.get(f"/api/incidents/{visit.incident_id}").get_json()
    assert incident["category"]["code"] == "elderly_living_alone"
    assert [v.id for v in visits.of_member_on(cast.member, clock.today())] == [visit.id]
    pulled = {
        who: pull_all(as_user(user))[0]
        for who, user in (
            ("secretary", cast.secretary),
            ("liaison", homes.liaison),
            ("outsider", cast.outsider),
        )
    }
    seen = {
        who: [c["id"] for c in changes if c["entity"] == "visit"] for who, changes in pulled.items()
    }
    assert seen == {"secretary": [visit.id], "liaison": [], "outsider": []}
