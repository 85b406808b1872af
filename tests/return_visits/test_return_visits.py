"""回访: who records the resident's verdict on a closed case, once per closing, and how a
dissatisfied verdict sends the case back for rework when the plan says so."""

import pytest

from app.catalogue import services as documents
from app.incidents import services as incidents
from app.incidents.schemas import ReportIn
from app.return_visits import services as visits
from tests.builders import report_body


def closed_case(cast, **extra):
    """A case the member handled on the spot and the secretary closed."""
    body = ReportIn().load(
        report_body(
            cast.grid,
            handled_on_spot=True,
            photos=[{"sha256": "a" * 64, "kind": "before"}, {"sha256": "b" * 64, "kind": "after"}],
            **extra,
        )
    )
    incident = incidents.report(cast.member, body).incident
    incidents.check(cast.secretary, incident.id, True)
    return incident.id


def post_visit(client, incident_id, **body):
    return client.post(f"/api/incidents/{incident_id}/return-visits", json=body)


@pytest.mark.parametrize(
    "who, status",
    [
        ("secretary", 201),
        ("street_admin", 201),
        ("district_admin", 201),
        ("member", 403),  # sees the case, may not record its visit
        ("outside_secretary", 404),  # the case does not exist for them
        ("dept_user", 404),
    ],
)
def test_who_records_a_visit(cast, as_user, who, status):
    incident_id = closed_case(cast)
    response = post_visit(as_user(getattr(cast, who)), incident_id, verdict="satisfied")
    assert response.status_code == status, response.get_json()
    if status == 201:
        visit = response.get_json()
        assert visit["verdict"] == "satisfied" and visit["by"] == "secretary"
        assert visit["reopened"] is False and visit["closed_at"].endswith("+00:00")


def test_satisfied_keeps_the_case_closed_and_is_in_its_history(cast, as_user):
    incident_id = closed_case(cast)
    secretary = as_user(cast.secretary)
    assert (
        post_visit(secretary, incident_id, verdict="basically_satisfied", note="还行").status_code
        == 201
    )
    detail = secretary.get(f"/api/incidents/{incident_id}").get_json()
    assert detail["state"] == "closed"
    entry = detail["history"][-1]
    assert entry["action"] == "return_visit" and entry["note"] == "还行"
    assert entry["data"]["verdict"] == "basically_satisfied"


def test_dissatisfied_sends_the_case_back_to_its_handler(cast, as_user):
    incident_id = closed_case(cast)
    secretary = as_user(cast.secretary)
    visit = post_visit(secretary, incident_id, verdict="dissatisfied", note="又堆上了").get_json()
    assert visit["reopened"] is True
    detail = secretary.get(f"/api/incidents/{incident_id}").get_json()
    assert detail["state"] == "dispatched" and detail["assignee"]["id"] == cast.member.id
    assert detail["rework_count"] == 1 and detail["reason"] == "又堆上了"
    assert [e["action"] for e in detail["history"][-2:]] == ["return_visit", "rework"]
    assert detail["history"][-1]["data"] == {"after": "return_visit"}
    # The member is told, as with a failed check.
    inbox = as_user(cast.member).get("/api/inbox").get_json()
    assert any(m["entity_id"] == incident_id for m in inbox)


def test_dissatisfied_stays_closed_when_the_plan_says_so(cast, as_user):
    documents.save_document(
        "assessment_plan",
        {"name": "no rework", "return_visit": {"reopen_dissatisfied": False}},
        cast.district_admin,
    )
    incident_id = closed_case(cast)
    secretary = as_user(cast.secretary)
    assert (
        post_visit(secretary, incident_id, verdict="dissatisfied").get_json()["reopened"] is False
    )
    assert secretary.get(f"/api/incidents/{incident_id}").get_json()["state"] == "closed"


def test_rework_of_a_handler_who_left_goes_back_to_be_dispatched(cast, db):
    incident_id = closed_case(cast)
    cast.member.active = False
    db.session.commit()
    visits.record(cast.secretary, incident_id, "dissatisfied", "没修好")
    incident = incidents.get_visible(cast.secretary, incident_id)
    assert incident.state == "accepted" and incident.assignee_id is None


def test_one_verdict_per_closing_and_attempts_that_reached_nobody(cast, as_user):
    incident_id = closed_case(cast)
    secretary = as_user(cast.secretary)
    for _ in range(2):
        missed = post_visit(secretary, incident_id, reached=False, note="无人接听")
        assert missed.status_code == 201 and missed.get_json()["verdict"] is None
    assert post_visit(secretary, incident_id, verdict="dissatisfied").status_code == 201
    # Reworked and closed again: this closing is visited anew.
    member = as_user(cast.member)
    assert (
        member.post(
            f"/api/incidents/{incident_id}/handle",
            json={"note": "重新清理", "photos": [{"sha256": "c" * 64, "kind": "after"}]},
        ).status_code
        == 200
    )
    assert (
        secretary.post(f"/api/incidents/{incident_id}/check", json={"passed": True}).status_code
        == 200
    )
    assert post_visit(secretary, incident_id, verdict="satisfied").status_code == 201
    again = post_visit(secretary, incident_id, verdict="satisfied")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_visited"
    listed = secretary.get(f"/api/incidents/{incident_id}/return-visits").get_json()
    assert [(v["reached"], v["verdict"]) for v in listed] == [
        (False, None),
        (False, None),
        (True, "dissatisfied"),
        (True, "satisfied"),
    ]
    assert listed[2]["closed_at"] < listed[3]["closed_at"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "verdict"),  # reached needs a verdict
        ({"verdict": "great"}, "verdict"),
        ({"reached": False, "verdict": "satisfied"}, "verdict"),
    ],
)
def test_a_visit_says_a_verdict_only_when_someone_was_reached(cast, as_user, body, field):
    response = post_visit(as_user(cast.secretary), closed_case(cast), **body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_an_open_case_has_no_visit(cast, as_user):
    body = ReportIn().load(report_body(cast.grid))
    incident = incidents.report(cast.member, body).incident
    response = post_visit(as_user(cast.secretary), incident.id, verdict="satisfied")
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "wrong_state"


def test_the_resident_gives_the_verdict_on_their_own_page(cast):
    incident_id = closed_case(cast)
    visit = visits.record(None, incident_id, "satisfied", "谢谢")
    assert visit.by == "resident" and visit.recorded_by_id is None


def test_the_desk_lists_closed_cases_until_their_verdict(cast, as_user):
    first, second = closed_case(cast), closed_case(cast)
    secretary = as_user(cast.secretary)
    listed = lambda: [i["id"] for i in secretary.get("/api/return-visits/pending").get_json()]  # noqa: E731
    assert listed() == [first, second]
    post_visit(secretary, first, reached=False)
    assert listed() == [first, second]  # not reached: still waiting
    post_visit(secretary, first, verdict="satisfied")
    assert listed() == [second]
    assert as_user(cast.outside_secretary).get("/api/return-visits/pending").get_json() == []
    assert as_user(cast.member).get("/api/return-visits/pending").status_code == 403
