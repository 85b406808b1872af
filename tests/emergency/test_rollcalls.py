"""叫应: asked once, acknowledged once however often the phone resends, figures, re-issue,
escalation on a controllable clock, roll-calls on demand, and delivery through sync."""

import uuid

import pytest
from sqlalchemy import func, select

from app.emergency.rollcalls import escalate_roll_calls
from app.history.models import HistoryEntry
from app.notify.models import Message
from tests.sync.conftest import command


def _start(cast, as_user, switch_body, **fields):
    body = switch_body(codes=[cast.community.code], **fields)
    response = as_user(cast.street_admin).post("/api/emergency/switches", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _count(db, *where, model=HistoryEntry):
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar()


def test_an_acknowledgement_counts_once(cast, as_user, switch_body, db):
    call = _start(cast, as_user, switch_body)["roll_call"]
    member = as_user(cast.member)
    answers = [member.post(f"/api/rollcalls/{call}/ack", json={}).get_json() for _ in range(3)]
    assert [a["first"] for a in answers] == [True, False, False]
    assert len({a["acknowledged_at"] for a in answers}) == 1
    mine = member.get(f"/api/rollcalls/{call}").get_json()
    assert mine["mine"]["acknowledged_at"] == answers[0]["acknowledged_at"]
    assert mine["acknowledged"] is None  # the totals are for those who run it
    seen = as_user(cast.street_admin).get(f"/api/rollcalls/{call}").get_json()
    assert (seen["acknowledged"], seen["outstanding"]) == (1, 2)
    assert _count(db, HistoryEntry.action == "acknowledge") == 1
    # Someone not asked is told so, and counts nowhere.
    outsider = as_user(cast.outsider).post(f"/api/rollcalls/{call}/ack", json={})
    assert outsider.status_code == 404


# (who, sees the figures): who called it and the managers over the people asked.
FIGURES = [
    ("street_admin", 200),
    ("secretary", 200),
    ("district_admin", 200),
    ("member", 403),
    ("outside_secretary", 404),
    ("outsider", 404),
]


@pytest.mark.parametrize("who,status", FIGURES)
def test_who_sees_the_figures(cast, as_user, switch_body, who, status):
    call = _start(cast, as_user, switch_body)["roll_call"]
    response = as_user(getattr(cast, who)).get(f"/api/rollcalls/{call}/figures")
    assert response.status_code == status, response.get_json()


def test_figures_per_grid_community_and_street_name_the_silent(cast, as_user, switch_body):
    call = _start(cast, as_user, switch_body)["roll_call"]
    as_user(cast.colleague).post(f"/api/rollcalls/{call}/ack", json={})
    admin = as_user(cast.street_admin)
    by_grid = admin.get(f"/api/rollcalls/{call}/figures?level=grid").get_json()
    rows = {u["code"]: u for u in by_grid["units"]}
    assert (rows[cast.grid.code]["asked"], rows[cast.grid.code]["acknowledged"]) == (2, 1)
    assert [p["name"] for p in rows[cast.grid.code]["outstanding_people"]] == ["王芳"]
    assert [p["name"] for p in rows[None]["outstanding_people"]] == ["张书记"]  # no grid
    by_street = admin.get(f"/api/rollcalls/{call}/figures?level=street").get_json()
    assert [(u["code"], u["asked"], u["outstanding"]) for u in by_street["units"]] == [
        (cast.street.code, 3, 2)
    ]
    bad = admin.get(f"/api/rollcalls/{call}/figures?level=house")
    assert bad.status_code == 422 and "level" in bad.get_json()["error"]["fields"]


def test_reissue_asks_only_the_outstanding(cast, as_user, switch_body, db):
    call = _start(cast, as_user, switch_body)["roll_call"]
    as_user(cast.member).post(f"/api/rollcalls/{call}/ack", json={})
    assert as_user(cast.member).post(f"/api/rollcalls/{call}/reissue").status_code == 403
    again = as_user(cast.street_admin).post(f"/api/rollcalls/{call}/reissue")
    assert again.get_json() == {"asked": 2}
    asked_again = db.session.execute(
        select(Message.user_id).where(Message.title.startswith("再次叫应"))
    ).scalars()
    assert sorted(asked_again) == sorted([cast.colleague.id, cast.secretary.id])
    assert as_user(cast.secretary).get(f"/api/rollcalls/{call}").get_json()["issues"] == 2


def test_the_silent_are_escalated_once_after_the_set_minutes(
    cast, as_user, switch_body, db, frozen
):
    call = _start(cast, as_user, switch_body, escalate_after_min=10)["roll_call"]
    as_user(cast.colleague).post(f"/api/rollcalls/{call}/ack", json={})
    frozen.move(minutes=9, seconds=59)
    assert escalate_roll_calls() == 0
    frozen.move(seconds=1)
    assert escalate_roll_calls() == 2  # the member and the secretary
    up = dict(
        db.session.execute(
            select(Message.user_id, Message.body).where(Message.kind == "escalation")
        ).all()
    )
    # A grid's member goes to the community's secretary, the secretary to the street.
    assert up == {cast.secretary.id: "王芳", cast.street_admin.id: "张书记"}
    frozen.move(minutes=30)
    assert escalate_roll_calls() == 0  # once per person
    # A re-issue restarts the clock only for those not escalated yet: nobody here.
    as_user(cast.street_admin).post(f"/api/rollcalls/{call}/reissue")
    frozen.move(minutes=11)
    assert escalate_roll_calls() == 0


def test_a_closed_roll_call_escalates_nobody(cast, as_user, switch_body, frozen):
    item = _start(cast, as_user, switch_body, escalate_after_min=5)
    as_user(cast.street_admin).post(f"/api/emergency/switches/{item['id']}/end", json={})
    frozen.move(minutes=6)
    assert escalate_roll_calls() == 0


# (who, the scope they call over, the answer)
ON_DEMAND = [
    ("secretary", "community", 201),
    ("secretary", "other_community", 403),
    ("street_admin", "community", 201),
    ("district_admin", "other_community", 201),
    ("member", "community", 403),
    ("dept_user", "community", 403),
]


@pytest.mark.parametrize("who,scope,status", ON_DEMAND)
def test_roll_calls_on_demand(cast, as_user, who, scope, status):
    code = cast.community.code if scope == "community" else cast.other_grid.parent.code
    body = {"scope": {"level": "community", "codes": [code]}, "message": "夜间值班点名"}
    response = as_user(getattr(cast, who)).post("/api/rollcalls", json=body)
    assert response.status_code == status, response.get_json()
    if status == 201:
        assert response.get_json()["switch_id"] is None and response.get_json()["asked"] >= 1


def _pull_all(client):
    changes, cursor = [], None
    while True:
        page = client.get("/api/sync/pull", query_string={"cursor": cursor} if cursor else {})
        assert page.status_code == 200, page.get_json()
        body = page.get_json()
        changes += body["changes"]
        cursor = body["cursor"]
        if not body["has_more"]:
            return changes, cursor


def test_phones_learn_of_modes_roll_calls_and_messages_by_sync(cast, as_user, switch_body):
    member, outsider = as_user(cast.member), as_user(cast.outsider)
    _, cursor = _pull_all(member)
    _, outsider_cursor = _pull_all(outsider)
    item = _start(cast, as_user, switch_body)
    page = member.get("/api/sync/pull", query_string={"cursor": cursor}).get_json()
    seen = {(c["entity"], c["op"]) for c in page["changes"]}
    assert {("emergency", "put"), ("rollcall", "put"), ("message", "put"), ("task", "put")} <= seen
    banner = next(c["data"] for c in page["changes"] if c["entity"] == "emergency")
    assert (banner["title"], banner["colour"]) == ("防汛Ⅱ级应急响应", "orange")
    kinds = sorted(c["data"]["kind"] for c in page["changes"] if c["entity"] == "message")
    assert kinds == ["rollcall"]
    # Another street's member hears nothing of it, and none of anyone's messages.
    quiet = outsider.get("/api/sync/pull", query_string={"cursor": outsider_cursor}).get_json()
    assert quiet["changes"] == []
    # A first sync brings the same.
    first, _ = _pull_all(as_user(cast.colleague))
    assert {"emergency", "rollcall", "message"} <= {c["entity"] for c in first}
    # Ending reaches the phone as a change of the switch.
    as_user(cast.street_admin).post(f"/api/emergency/switches/{item['id']}/end", json={})
    later = member.get("/api/sync/pull", query_string={"cursor": page["cursor"]}).get_json()
    ended = [c["data"] for c in later["changes"] if c["entity"] == "emergency"]
    assert ended and ended[-1]["state"] == "ended"


def test_an_acknowledgement_sent_offline_and_resent_counts_once(cast, as_user, switch_body, db):
    call = _start(cast, as_user, switch_body)["roll_call"]
    member = as_user(cast.member)
    device = str(uuid.uuid4())
    ack = command(1, "rollcall.ack", {"id": call, "device_time": "2026-11-27T10:00:00+08:00"})
    for _ in range(3):  # the response was lost twice: the phone resends the same command
        answer = member.post("/api/sync/push", json={"device_id": device, "commands": [ack]})
        assert answer.status_code == 200, answer.get_json()
    statuses = [r["status"] for r in answer.get_json()["results"]]
    assert statuses == ["duplicate"]
    # The same acknowledgement as a new command (another tab) changes nothing either.
    other = command(2, "rollcall.ack", {"id": call})
    applied = member.post("/api/sync/push", json={"device_id": device, "commands": [other]})
    assert applied.get_json()["results"][0]["status"] == "applied"
    assert applied.get_json()["results"][0]["result"] == {"entity": "rollcall", "id": call}
    figures = as_user(cast.street_admin).get(f"/api/rollcalls/{call}/figures").get_json()
    assert figures["acknowledged"] == 1
    assert _count(db, HistoryEntry.action == "acknowledge") == 1


def test_a_long_title_is_cut_and_kept_whole_in_the_body(cast, db):
    from app.notify.services import deliver

    reason = "任务已满：" + "、".join(f"队员{n}于14:02认领" for n in range(40))
    assert deliver([cast.member.id], "rejection", reason) == 1
    db.session.commit()
    message = db.session.execute(select(Message)).scalar_one()
    assert len(message.title) == 200 and message.title.endswith("…")
    assert message.body == reason
