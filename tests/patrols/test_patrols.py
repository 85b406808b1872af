"""Patrols: who may start, see and review them; a track whole from batches sent any way;
its figures (length, duration, coverage, counted points); incidents found on the way;
retention."""

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app import clock
from app.history.models import HistoryEntry
from app.patrols import plans, services
from app.patrols.models import Patrol
from app.patrols.track import decode_polyline, encode_polyline
from app.units import spatial
from geo.metric import LocalFrame
from tests.builders import report_body
from tests.patrols.conftest import batch, chunks, new_patrol, walk
from tests.sync.conftest import command, empty_written
from tests.sync.test_pull import pull_all


def flat(pairs):
    return [value for pair in pairs for value in pair]


def push(client, device, commands):
    response = client.post("/api/sync/push", json={"device_id": device, "commands": commands})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def test_the_polyline_is_googles():
    # The documented example of Google's Encoded Polyline Algorithm (5 decimal places).
    coords = [(38.5, -120.2), (40.7, -120.95), (43.252, -126.453)]
    assert encode_polyline(coords, 5) == "_p~iF~ps|U_ulLnnqC_mqNvxq`@"
    assert flat(decode_polyline("_p~iF~ps|U_ulLnnqC_mqNvxq`@", 5)) == pytest.approx(flat(coords))
    with pytest.raises(ValueError):
        decode_polyline("_p~iF~ps|U_")  # cut in the middle of a pair


def test_a_member_starts_a_patrol_only_in_a_grid_they_serve(cast, as_user):
    assert new_patrol(as_user(cast.member), cast.grid)["state"] == "active"
    other = as_user(cast.member).post(
        "/api/patrols", json={"id": str(uuid.uuid4()), "grid": cast.other_grid.code}
    )
    assert other.status_code == 403 and other.get_json()["error"]["code"] == "out_of_scope"
    secretary = as_user(cast.secretary).post(
        "/api/patrols", json={"id": str(uuid.uuid4()), "grid": cast.grid.code}
    )
    assert secretary.status_code == 403


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("member", 200),
        ("colleague", 404),  # the same grid, but below secretary: not another's track
        ("outsider", 404),
        ("secretary", 200),
        ("outside_secretary", 404),
        ("street_admin", 200),
        ("district_admin", 200),
        ("dept_user", 404),
    ],
)
def test_who_sees_a_members_patrol(cast, as_user, who, status):
    patrol = new_patrol(as_user(cast.member), cast.grid)
    response = as_user(getattr(cast, who)).get(f"/api/patrols/{patrol['id']}")
    assert response.status_code == status
    listed = as_user(getattr(cast, who)).get("/api/patrols").get_json()
    assert (patrol["id"] in [p["id"] for p in listed]) == (status == 200)


def test_a_colleagues_pull_never_names_the_patrol_a_secretarys_does(cast, as_user):
    member = as_user(cast.member)
    _, colleague_cursor, _ = pull_all(as_user(cast.colleague))
    _, secretary_cursor, _ = pull_all(as_user(cast.secretary))
    patrol = new_patrol(member, cast.grid, clock.now() - timedelta(minutes=5))
    points = walk(cast.grid, 20)
    started = clock.now() - timedelta(minutes=5)
    member.post(f"/api/patrols/{patrol['id']}/track", json=batch(points, 1, started))
    colleague, _, _ = pull_all(as_user(cast.colleague), colleague_cursor)
    assert [c for c in colleague if c["entity"] == "patrol"] == []
    secretary, _, _ = pull_all(as_user(cast.secretary), secretary_cursor)
    assert {(c["entity"], c["id"], c["op"]) for c in secretary if c["entity"] == "patrol"} == {
        ("patrol", patrol["id"], "put")
    }
    mine, _, _ = pull_all(member)
    assert [c["data"]["mine"] for c in mine if c["entity"] == "patrol"] == [True]


def test_figures_count_only_accurate_points_and_coverage_is_the_grids_share(cast, as_user, app):
    member = as_user(cast.member)
    started = clock.now() - timedelta(hours=1)
    patrol = new_patrol(member, cast.grid, started)
    points = walk(cast.grid, 60)
    # Every fifth point is a bad fix, 300 m off: kept, not counted.
    noisy = [
        (lat + 0.003, lng, t, 300.0) if i % 5 == 4 else (lat, lng, t, a)
        for i, (lat, lng, t, a) in enumerate(points)
    ]
    for args in chunks(noisy, started, 25):
        assert member.post(f"/api/patrols/{patrol['id']}/track", json=args).status_code == 200
    ended = member.post(
        f"/api/patrols/{patrol['id']}/end", json={"device_time": clock.now().isoformat()}
    ).get_json()
    assert ended["state"] == "ended" and ended["points"] == 60 and ended["counted"] == 48
    assert ended["duration_s"] == pytest.approx(3600, abs=2)
    good = [p for i, p in enumerate(points) if i % 5 != 4]
    frame = LocalFrame.around(cast.grid.geom)
    line = frame.to_metres(shapely.LineString([(lng, lat) for lat, lng, _, _ in good]))
    assert ended["length_m"] == pytest.approx(line.length, rel=0.01)
    grid = frame.to_metres(cast.grid.geom)
    expected = grid.intersection(line.buffer(30)).area / grid.area
    assert 0 < expected < 1
    assert ended["coverage"] == pytest.approx(expected, rel=0.02)  # both backends, one answer
    detail = member.get(f"/api/patrols/{patrol['id']}").get_json()
    assert detail["track"]["seq"] == list(range(1, 61))
    assert len(decode_polyline(detail["track"]["line"])) == 60


def _sent_every_way(draw, n):
    """Batches of a walk of n points: cut anywhere, some resent, some overlapping, in any
    order, as separate commands of one device."""
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=6)))
    spans = list(zip([0, *cuts], [*cuts, n], strict=True))
    extra = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(1, 15)), max_size=3))
    spans += [(a, min(n, a + k)) for a, k in extra]  # overlaps and resends
    spans += draw(st.lists(st.sampled_from(spans), max_size=2))
    order = draw(st.permutations(spans))
    return order


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_track_sent_in_batches_resent_out_of_order_and_overlapping_is_whole_once(cast, app, data):
    from tests.sync.conftest import logged_in

    n = 40
    points = walk(cast.grid, n)
    spans = _sent_every_way(data.draw, n)
    with app.app_context():
        empty_written()
    member = logged_in(app, cast.member)
    device, started = str(uuid.uuid4()), clock.now() - timedelta(hours=1)
    patrol_id = str(uuid.uuid4())
    queue = [
        (
            "patrol.start",
            {"id": patrol_id, "grid": cast.grid.code, "device_time": started.isoformat()},
        )
    ]
    for a, b in spans:
        queue.append(("patrol.track", {"id": patrol_id, **batch(points[:b], a + 1, started)}))
    commands = [command(seq, kind, args) for seq, (kind, args) in enumerate(queue, 1)]
    # Sent in two pushes, the second resending the first's last commands.
    cut = random.Random(len(commands)).randint(1, len(commands))
    results = push(member, device, commands[:cut]) + push(member, device, commands[cut - 1 :])
    assert {r["status"] for r in results} <= {"applied", "duplicate"}
    detail = member.get(f"/api/patrols/{patrol_id}").get_json()
    assert detail["points"] == n
    assert detail["track"]["seq"] == list(range(1, n + 1))
    got = decode_polyline(detail["track"]["line"])
    assert flat(got) == pytest.approx(flat((lat, lng) for lat, lng, _, _ in points), abs=1e-6)
    times = [sum(detail["track"]["dt"][: i + 1]) for i in range(n)]
    assert times == [t for _, _, t, _ in points]


def test_a_batch_that_is_not_a_track_is_refused_whole(cast, as_user):
    member = as_user(cast.member)
    patrol = new_patrol(member, cast.grid)
    args = batch(walk(cast.grid, 5), 1, clock.now())
    for broken in ({"line": "_p~iF~ps|U_"}, {"dt": [0, 10]}, {"line": "!!!!"}):
        response = member.post(f"/api/patrols/{patrol['id']}/track", json={**args, **broken})
        assert response.status_code == 422, broken
    colleague = as_user(cast.colleague).post(f"/api/patrols/{patrol['id']}/track", json=args)
    assert colleague.status_code == 404


def test_an_incident_found_on_a_patrol_is_its_own_once(cast, as_user, db):
    member = as_user(cast.member)
    device = str(uuid.uuid4())
    patrol = new_patrol(member, cast.grid)
    report = {**report_body(cast.grid), "patrol_id": patrol["id"]}
    first = push(member, device, [command(1, "patrol.report", report)])
    again = push(member, device, [command(2, "patrol.report", report)])  # resent as new
    assert first[0]["status"] == again[0]["status"] == "applied"
    assert first[0]["result"] == {"entity": "incident", "id": report["id"]}
    incident = member.get(f"/api/incidents/{report['id']}").get_json()
    assert incident["source"] == "patrol"
    shown = member.get(f"/api/patrols/{patrol['id']}").get_json()
    assert shown["incidents"] == [report["id"]]
    theirs = as_user(cast.colleague)
    other = str(uuid.uuid4())
    refused = push(
        theirs,
        other,
        [command(1, "patrol.report", {**report_body(cast.grid), "patrol_id": patrol["id"]})],
    )
    assert refused[0]["status"] == "rejected"


def test_the_secretary_reviews_an_ended_patrol_and_the_member_is_told(cast, as_user):
    member, secretary = as_user(cast.member), as_user(cast.secretary)
    patrol = new_patrol(member, cast.grid)
    early = secretary.post(f"/api/patrols/{patrol['id']}/review", json={"score": 4})
    assert early.status_code == 409
    member.post(f"/api/patrols/{patrol['id']}/end", json={})
    assert member.post(f"/api/patrols/{patrol['id']}/review", json={"score": 5}).status_code == 403
    for score in (0, 6):
        bad = secretary.post(f"/api/patrols/{patrol['id']}/review", json={"score": score})
        assert bad.status_code == 422
    reviewed = secretary.post(
        f"/api/patrols/{patrol['id']}/review", json={"score": 4, "note": "覆盖较全，河边再细"}
    ).get_json()
    assert (reviewed["score"], reviewed["review_note"]) == (4, "覆盖较全，河边再细")
    inbox = member.get("/api/inbox").get_json()
    assert [m["kind"] for m in inbox] == ["patrol"]


def test_a_new_patrol_ends_the_members_running_one(cast, as_user):
    member = as_user(cast.member)
    first = new_patrol(member, cast.grid, clock.now() - timedelta(minutes=30))
    new_patrol(member, cast.grid)
    assert member.get(f"/api/patrols/{first['id']}").get_json()["state"] == "ended"


def test_old_tracks_are_reduced_to_their_figures(cast, as_user, app, db, frozen):
    member = as_user(cast.member)
    started = clock.now() - timedelta(hours=1)
    patrol = new_patrol(member, cast.grid, started)
    member.post(f"/api/patrols/{patrol['id']}/track", json=batch(walk(cast.grid, 10), 1, started))
    ended = member.post(f"/api/patrols/{patrol['id']}/end", json={}).get_json()
    frozen.move(days=app.config["PATROL_TRACK_DAYS"] - 1)
    assert services.reduce_old() == 0
    frozen.move(days=2)
    assert services.reduce_old() == 1
    shown = member.get(f"/api/patrols/{patrol['id']}").get_json()
    assert shown["track"] is None and shown["reduced_at"] is not None
    kept = ("points", "counted", "length_m", "duration_s", "coverage")
    assert {k: shown[k] for k in kept} == {k: ended[k] for k in kept}
    late = member.post(
        f"/api/patrols/{patrol['id']}/track", json=batch(walk(cast.grid, 13), 11, started)
    )
    assert late.status_code == 409
    assert db.session.get(Patrol, patrol["id"]).track is None


@pytest.mark.parametrize(
    ("walked_min", "every_s", "later_min", "reason", "ended_after_min"),
    [
        (30, 10, 119, None, None),  # silent for less than 2 h: still running
        (30, 10, 120, "silence", 30),  # 2 h without a point: ended at its last point
        (0, 10, 120, "silence", 0),  # not one point since it started
        (12 * 60, 600, 10, "too_long", 12 * 60),  # points all along, but 12 h: ended at 12 h
    ],
)
def test_a_patrol_left_running_is_ended_by_the_system_and_the_member_told(
    cast, as_user, db, frozen, walked_min, every_s, later_min, reason, ended_after_min
):
    member = as_user(cast.member)
    started = clock.now()
    patrol = new_patrol(member, cast.grid, started)
    points = walk(cast.grid, walked_min * 60 // every_s + 1, every_s=every_s) if walked_min else []
    if points:
        member.post(f"/api/patrols/{patrol['id']}/track", json=batch(points, 1, started))
    frozen.move(minutes=walked_min + later_min)
    assert services.end_left_running() == (1 if reason else 0)
    shown = member.get(f"/api/patrols/{patrol['id']}").get_json()
    told = [m for m in member.get("/api/inbox").get_json() if m["kind"] == "patrol"]
    if reason is None:
        assert (shown["state"], shown["end_reason"], told) == ("active", None, [])
        return
    assert (shown["state"], shown["end_reason"]) == ("ended", reason)
    ended_at = started + timedelta(minutes=ended_after_min)
    assert shown["ended_at"] == ended_at.isoformat()
    assert shown["duration_s"] == ended_after_min * 60
    assert [m["title"] for m in told] == ["巡查已由系统结束"]
    end = db.session.execute(
        select(HistoryEntry).where(
            HistoryEntry.entity == "patrol",
            HistoryEntry.entity_id == patrol["id"],
            HistoryEntry.action == "end",
        )
    ).scalar_one()
    assert end.actor_id is None and end.note.startswith("ended by the system")
    assert end.data["reason"] == reason
    assert services.end_left_running() == 0  # once


def test_a_silent_phones_late_points_end_its_patrol_at_its_last_point(cast, as_user, frozen):
    """Silent, not lost: a phone offline for three hours that sends its walk at last."""
    member = as_user(cast.member)
    started = clock.now()
    patrol = new_patrol(member, cast.grid, started)
    points = walk(cast.grid, 181, every_s=60)  # three hours, a point a minute
    frozen.move(hours=3)
    assert services.end_left_running() == 1
    late = member.post(f"/api/patrols/{patrol['id']}/track", json=batch(points, 1, started))
    assert late.status_code == 200
    shown = late.get_json()
    assert (shown["state"], shown["end_reason"]) == ("ended", "silence")
    assert shown["ended_at"] == (started + timedelta(hours=3)).isoformat()
    assert (shown["duration_s"], shown["points"]) == (3 * 3600, 181)


def test_a_patrol_left_running_no_longer_holds_its_grids_window_back(cast, as_user, frozen):
    frozen.at = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 in Bijiang
    as_user(cast.secretary).put(
        "/api/patrols/plans",
        json={"grid": cast.grid.code, "every_hours": 24, "min_minutes": 30},
    )
    new_patrol(as_user(cast.member), cast.grid, clock.now())  # and the phone is lost
    frozen.move(days=1)
    assert plans.check_missed() == 0  # a patrol still running may yet meet the window
    assert services.end_left_running() == 1
    assert plans.check_missed() == 1


@pytest.mark.parametrize(
    ("who", "whose"),
    [
        ("member", {"member"}),  # their own only
        ("colleague", {"colleague"}),  # the same grid: still not the member's track
        ("secretary", {"member", "colleague"}),
        ("outside_secretary", set()),
    ],
)
def test_the_days_tracks_are_the_desks_and_each_members_own(cast, as_user, who, whose):
    started = clock.now() - timedelta(minutes=20)
    for walker in ("member", "colleague"):
        client = as_user(getattr(cast, walker))
        patrol = new_patrol(client, cast.grid, started)
        client.post(
            f"/api/patrols/{patrol['id']}/track", json=batch(walk(cast.grid, 12), 1, started)
        )
    since = (started - timedelta(minutes=1)).isoformat()
    response = as_user(getattr(cast, who)).get("/api/patrols/tracks", query_string={"since": since})
    assert response.status_code == 200
    found = response.get_json()
    names = {getattr(cast, w).name: w for w in ("member", "colleague")}
    assert {names[p["member"]["name"]] for p in found} == whose
    for patrol in found:
        assert patrol["track"]["seq"] == list(range(1, 13))
        assert len(decode_polyline(patrol["track"]["line"])) == 12


@pytest.mark.parametrize("n", [2, 60, 600])
def test_coverage_is_the_same_share_on_both_backends(cast, db, n):
    """PostGIS buffers in the grid's frame taken as affine, shapely in the sinusoidal frame
    itself: the same share to well under a tenth of a percent (on SQLite both are shapely)."""
    line = shapely.LineString([(lng, lat) for lat, lng, _, _ in walk(cast.grid, n)])
    found = spatial.coverage(cast.grid.id, line, 30)
    assert found == pytest.approx(spatial.shapely_coverage(cast.grid.geom, line, 30), abs=5e-4)
    assert 0 < found <= 1
