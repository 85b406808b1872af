"""A resident's report (随手拍) as the resident and the community see it: no account, the
nearby cases first, a private link to follow it to the verdict, and the abuse limits."""

import io
import secrets

import pytest
from PIL import Image
from sqlalchemy import select, text

from app.extensions import db as _db
from app.incidents.models import Incident
from app.return_visits.models import ReturnVisit
from tests.builders import point_in

DEVICE = "d" * 32


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(out, "JPEG")
    return out.getvalue()


def body(unit, **extra):
    return {
        "category": "clutter_piling",
        "description": "楼道口堆满杂物，堵住了消防通道",
        **point_in(unit),
        **extra,
    }


def send(client, unit, device=DEVICE, ip="198.51.100.7", **extra):
    return client.post(
        "/api/public/reports",
        json=body(unit, **extra),
        headers={"X-Device": device},
        environ_base={"REMOTE_ADDR": ip},
    )


def track(client, secret):
    return client.get("/api/public/track", headers={"X-Track": secret})


def test_a_resident_reports_with_no_account_and_follows_it_to_close_and_verdict(
    client, cast, as_user
):
    photo = client.post(
        "/api/public/photos",
        data={"file": (io.BytesIO(jpeg()), "p.jpg")},
        headers={"X-Device": DEVICE},
    )
    assert photo.status_code == 201, photo.get_json()
    sent = send(client, cast.grid, phone="13900002222", photos=[photo.get_json()])
    assert sent.status_code == 201, sent.get_json()
    secret = sent.get_json()["secret"]
    assert sent.get_json()["tracking_number"][6] == "-"
    incident = _db.session.execute(select(Incident)).scalar_one()
    assert (incident.source, incident.state, incident.grid_id) == (
        "resident",
        "reported",
        cast.grid.id,
    )

    secretary, colleague = as_user(cast.secretary), as_user(cast.colleague)
    queue = secretary.get("/api/incidents", query_string={"source": "resident"}).get_json()
    assert [i["id"] for i in queue] == [incident.id]  # in the community's queue
    assert queue[0]["photos"][0]["available"] is True
    assert track(client, secret).get_json()["state"] == "received"

    comment = client.post(
        "/api/public/track/comments",
        json={"text": "晚上更严重"},
        headers={"X-Device": DEVICE, "X-Track": secret},
    )
    assert comment.status_code == 200, comment.get_json()
    for who, action, payload in (
        (secretary, "accept", {}),
        (secretary, "dispatch", {"assignee_id": cast.colleague.id}),
        (colleague, "handle", {"note": "已清理", "photos": [photo.get_json() | {"kind": "after"}]}),
        (as_user(cast.member), "check", {"passed": True}),
    ):
        response = who.post(f"/api/incidents/{incident.id}/{action}", json=payload)
        assert response.status_code == 200, (action, response.get_json())

    shown = track(client, secret).get_json()
    assert shown["state"] == "closed" and shown["may_give_verdict"] is True
    assert [s["step"] for s in shown["timeline"]] == [
        "received",
        "comment",
        "accepted",
        "in_progress",
        "handled",
        "closed",
    ]
    given = client.post(
        "/api/public/track/verdict", json={"verdict": "satisfied"}, headers={"X-Track": secret}
    )
    assert given.status_code == 200, given.get_json()
    assert given.get_json()["may_give_verdict"] is False
    visit = _db.session.execute(select(ReturnVisit)).scalar_one()
    assert (visit.verdict, visit.by) == ("satisfied", "resident")
    again = client.post(
        "/api/public/track/verdict", json={"verdict": "dissatisfied"}, headers={"X-Track": secret}
    )
    assert again.status_code == 409


def test_the_link_is_a_secret_not_an_id(client, cast):
    secret = send(client, cast.grid).get_json()["secret"]
    incident_id = _db.session.execute(select(Incident.id)).scalar_one()
    for guess in (incident_id, secret[:-1], "", None):
        headers = {"X-Track": guess} if guess is not None else {}
        assert client.get("/api/public/track", headers=headers).status_code == 404
    assert track(client, secret).status_code == 200


def test_nearby_open_cases_are_offered_and_seconded_once_per_device(client, cast):
    send(client, cast.grid)
    args = {"category": "clutter_piling", **point_in(cast.grid)}
    [near] = client.get("/api/public/nearby", query_string=args).get_json()
    assert near["distance_m"] == 0 and near["case"]["state"] == "received"
    case = near["case"]["id"]
    for device in (DEVICE, DEVICE, "e" * 32):
        seconded = client.post(f"/api/public/cases/{case}/second", headers={"X-Device": device})
        assert seconded.status_code == 200
    entries = _db.session.execute(select(Incident.id).where(Incident.id == case)).scalars().all()
    assert entries == [case]
    from app.history.models import HistoryEntry

    seconds = _db.session.execute(
        select(HistoryEntry.id).where(HistoryEntry.action == "resident_me_too")
    ).all()
    assert len(seconds) == 2
    closed = client.get(
        "/api/public/nearby", query_string={**args, "category": "special_group_abnormal"}
    )
    assert closed.status_code == 404  # not open to residents


@pytest.mark.parametrize(
    "extra, status, field",
    [
        ({"category": "special_group_abnormal"}, 404, None),  # not open to residents
        ({"description": "<script>alert(1)</script>"}, 422, "description"),
        ({"description": "好" * 501}, 422, "description"),
        ({"phone": "call me"}, 422, "phone"),
        ({"lat": 0, "lng": 0}, 422, None),  # outside the district
        ({"photos": [{"sha256": "b" * 64}]}, 422, "photos"),  # never uploaded
    ],
)
def test_what_a_report_may_not_be(client, cast, extra, status, field):
    response = send(client, cast.grid, **extra)
    assert response.status_code == status, response.get_json()
    if field:
        assert field in response.get_json()["error"]["fields"]
    assert _db.session.execute(select(Incident.id)).first() is None


@pytest.mark.parametrize("device", [None, "short", "x" * 65, "bad token with spaces!!"])
def test_a_report_needs_a_device_token(client, cast, device):
    headers = {"X-Device": device} if device else {}
    response = client.post("/api/public/reports", json=body(cast.grid), headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "device_required"


def test_the_limits_per_device_and_per_address(app, client, cast, frozen, monkeypatch):
    monkeypatch.setitem(
        app.config, "RESIDENT_LIMITS", {**app.config["RESIDENT_LIMITS"], "report": (2, 3, 24)}
    )
    assert [send(client, cast.grid).status_code for _ in range(3)] == [201, 201, 429]
    other = "f" * 32
    assert send(client, cast.grid, device=other).status_code == 201  # 3 from the address
    assert send(client, cast.grid, device="g" * 32).status_code == 429
    assert send(client, cast.grid, device="g" * 32, ip="203.0.113.9").status_code == 201
    frozen.move(hours=24, seconds=1)
    assert send(client, cast.grid).status_code == 201


def test_rejections_as_not_a_case_count_against_the_device(app, client, cast, as_user):
    secretary = as_user(cast.secretary)
    for _ in range(app.config["RESIDENT_MAX_REJECTED"]):
        assert send(client, cast.grid).status_code == 201
    for incident_id in _db.session.execute(select(Incident.id)).scalars():
        rejected = secretary.post(
            f"/api/incidents/{incident_id}/reject", json={"reason": "不是问题，恶意上报"}
        )
        assert rejected.status_code == 200
    refused = send(client, cast.grid)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "device_refused"
    assert send(client, cast.grid, device=secrets.token_urlsafe(24)).status_code == 201


# What the public view never shows: the resident's phone and name, staff names and phones.
SECRETS = ("13900002222", "王小明", "张书记", "李强", "王芳")


@pytest.mark.parametrize("where", ["track", "nearby", "open311"])
def test_the_public_view_shows_nobody(client, cast, as_user, where):
    sent = send(client, cast.grid, phone="13900002222", name="王小明")
    secret = sent.get_json()["secret"]
    incident_id = _db.session.execute(select(Incident.id)).scalar_one()
    secretary = as_user(cast.secretary)
    secretary.post(f"/api/incidents/{incident_id}/accept", json={"note": "张书记 13800000001"})
    secretary.post(
        f"/api/incidents/{incident_id}/dispatch", json={"assignee_id": cast.colleague.id}
    )
    staff = secretary.get(f"/api/incidents/{incident_id}").get_json()
    assert staff["resident_phone"] == "13900002222"  # the secretary sees it in full
    member = as_user(cast.member).get(f"/api/incidents/{incident_id}").get_json()
    assert member["resident_phone"] == "139****2222"  # masked below secretary
    text = {
        "track": lambda: track(client, secret),
        "nearby": lambda: client.get(
            "/api/public/nearby", query_string={"category": "clutter_piling", **point_in(cast.grid)}
        ),
        "open311": lambda: client.get(f"/open311/v2/requests/{incident_id}.json?extensions=true"),
    }[where]().get_data(as_text=True)
    assert incident_id in text
    for secret_text in (*SECRETS, "13800000001"):
        assert secret_text not in text


def test_the_residents_phone_is_encrypted_at_rest(client, cast):
    send(client, cast.grid, phone="13900002222", name="王小明")
    stored = _db.session.execute(text("SELECT resident_phone, resident_name FROM incident")).one()
    assert "13900002222" not in stored[0] and "王小明" not in stored[1]
