"""The demo's residents and hotline: the printed operator login sees the case it filed, and
the community's queue holds the residents' reports."""

from app.people.demo import seed_people
from app.people.models import HOTLINE_OPERATOR, SECRETARY
from app.residents.demo import REPORTS, seed_residents


def test_the_demo_operator_logs_in_and_the_queue_has_the_residents_reports(app, db, district):
    logins = seed_people(members=40)
    seed_residents(logins)
    db.session.commit()
    assert logins[-1]["role"] == "everyone else"

    def log_in(role):
        login = next(entry for entry in logins if entry["role"] == role)
        client = app.test_client()
        answer = client.post(
            "/api/auth/login", json={"phone": login["phone"], "password": login["password"]}
        )
        assert answer.status_code == 200
        return client

    [call] = log_in(HOTLINE_OPERATOR).get("/api/incidents").get_json()
    assert (call["source"], call["state"]) == ("hotline_12345", "accepted")
    queue = log_in(SECRETARY).get("/api/incidents?source=resident").get_json()
    assert sorted(i["description"] for i in queue) == sorted(d for _, d in REPORTS)
