"""A grid member's day, one walk in a real Chromium against the real server: offline from the
start, an hour's patrol on a simulated GPS (the phone's clock moved a minute a fix), visits
of two households (one 独居老人 with her form), the 民情日志 written; back online, the track,
both visits and the log arrive exactly once, and the secretary sees them. Any of them lost or
doubled fails it."""

import math
import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect
from sqlalchemy import text

from app.people.models import GRID_MEMBER, SECRETARY
from tests.e2e import flows

FIXES = 61  # one a minute for an hour, the first at the start
RADIUS_DEG = 0.0006  # a round of about 65 m around the grid's middle
# watchPosition driven by the test: each fix stamped with the page's (moved) clock, which
# Chromium's own geolocation override does not follow.
FAKE_GPS = """
(() => {
  const watchers = new Map()
  let next = 1
  let last = null
  const position = (c) => ({
    coords: { latitude: c.lat, longitude: c.lng, accuracy: c.accuracy, altitude: null,
              altitudeAccuracy: null, heading: null, speed: null },
    timestamp: Date.now(),
  })
  const geo = navigator.geolocation
  geo.watchPosition = (ok) => {
    const id = next++
    watchers.set(id, ok)
    if (last) setTimeout(() => ok(position(last)), 0)
    return id
  }
  geo.clearWatch = (id) => watchers.delete(id)
  geo.getCurrentPosition = (ok) => { if (last) setTimeout(() => ok(position(last)), 0) }
  window.__gps = (c) => {
    last = c
    for (const ok of watchers.values()) ok(position(c))
  }
})()
"""


def _households(server, secretary, grid):
    from app.extensions import db
    from app.households import services
    from app.people.models import User

    made = []
    with server.app.app_context():
        user = db.session.get(User, secretary.id)
        for address, name, tags in (
            ("松桃路1号", "吴秀兰", ["elderly_alone"]),
            ("松桃路3号", "罗建国", []),
        ):
            body = {
                "id": str(uuid.uuid4()),
                "grid": grid,
                "address": address,
                "members": [{"name": name, "relationship": "head", "tags": tags}],
            }
            services.create(user, body)
            made.append(body["id"])
    return made


def _fix(page, grid, i):
    angle = 2 * math.pi * i / (FIXES - 1)
    point = {
        "lat": grid.lat + RADIUS_DEG * math.sin(angle),
        "lng": grid.lng + RADIUS_DEG * math.cos(angle),
        "accuracy": 8,
    }
    page.evaluate("(c) => window.__gps(c)", point)


def _visit(page, address, note, form=None, photo=False):
    page.locator(".overdue-visits").get_by_text(address).click()
    household = page.locator(".household-page")
    household.get_by_role("button", name=f"走访 {address}").click()
    sheet = page.locator(".visit-form")
    if form:
        for name, value in form.items():
            sheet.locator(f"select[name={name}]").select_option(value)
    sheet.locator("textarea[name=note]").fill(note)
    if photo:
        sheet.locator("input[name=album]").set_input_files(
            {"name": "visit.jpg", "mimeType": "image/jpeg", "buffer": flows.jpeg((200, 120, 60))}
        )
        expect(sheet.get_by_role("img", name="现场照片 1")).to_be_visible()
    expect(sheet.locator(".point-field")).to_contain_text("精度")  # the fix taken on opening
    sheet.get_by_role("button", name="保存走访记录").click()
    expect(page.get_by_text("没有网络：走访记录已保存在手机上，联网后自动发送")).to_be_visible()
    expect(household.locator(".visit", has_text=note).get_by_text("待发送")).to_be_visible()
    household.locator(".van-nav-bar__left").click()


def test_a_members_day_offline_arrives_once_and_the_secretary_sees_it(
    server, engine, people, units, phone, shots
):
    grid = units.grids[3]
    member = people.make(GRID_MEMBER, grid.code, name="孙网格")
    secretary = people.make(SECRETARY, units.code, name="周书记")
    elder, neighbour = _households(server, secretary, grid.code)

    context = phone()
    context.add_init_script(FAKE_GPS)
    page = context.new_page()
    # The day began 90 minutes ago on the phone: every time it sends is in the server's past.
    page.clock.install(time=datetime.now(UTC) - timedelta(minutes=90))
    flows.login(page, member)
    flows.synced(page)
    flows.service_worker_ready(page)
    overdue = page.locator(".overdue-visits")
    expect(overdue.get_by_text("松桃路1号")).to_be_visible()
    expect(overdue.get_by_text("松桃路3号")).to_be_visible()

    context.set_offline(True)
    _fix(page, grid, 0)
    page.get_by_role("button", name="开始巡查").click()
    card = page.locator(".patrol-card")
    points = card.locator(".points")
    expect(points).to_have_text("1")
    for i in range(1, FIXES):
        page.clock.fast_forward(60_000)
        _fix(page, grid, i)
        expect(points).to_have_text(str(i + 1))
    expect(card).to_contain_text("离线也在记录")
    shots(page, "member-day-patrol")
    card.get_by_role("button", name="结束巡查").click()
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_role("button", name="开始巡查")).to_be_visible()

    _visit(page, "松桃路1号", "吴婆婆精神好，药按时吃", form={"health": "good"}, photo=True)
    _visit(page, "松桃路3号", "罗师傅反映楼道灯坏了")
    expect(overdue.get_by_text("松桃路1号")).to_have_count(0)  # visited: not overdue now

    page.locator(".patrol-card").get_by_role("link", name="民情日志").click()
    journal = page.locator("form.write")
    journal.locator("textarea[name=problems]").fill("松桃路3号楼道灯损坏")
    journal.locator("textarea[name=measures]").fill("巡查一小时，走访独居老人吴秀兰和罗建国家")
    journal.locator("textarea[name=results]").fill("已上报物业维修")
    journal.get_by_role("button", name="保存日志").click()
    entry = page.locator(".entry", has_text="松桃路3号楼道灯损坏")
    expect(entry.get_by_text("待发送")).to_be_visible()
    shots(page, "member-day-journal")

    context.set_offline(False)
    expect(entry.get_by_text("待发送")).to_have_count(0)
    page.locator(".van-nav-bar__left").click()
    flows.synced(page)
    expect(page.locator(".counter", has_text="待同步").locator("strong")).to_have_text("0")

    with engine.connect() as db:
        patrols = db.execute(
            text(
                "SELECT id, state, points, counted, started_at, ended_at FROM patrol "
                "WHERE member_id = :m"
            ),
            {"m": member.id},
        ).all()
        assert [(p.state, p.points, p.counted) for p in patrols] == [("ended", FIXES, FIXES)]
        assert patrols[0].ended_at - patrols[0].started_at >= timedelta(minutes=59)
        visits = db.execute(
            text("SELECT id, household_id, lat, lng FROM visit WHERE visitor_id = :m ORDER BY at"),
            {"m": member.id},
        ).all()
        assert [v.household_id for v in visits] == [elder, neighbour]
        assert all(v.lat is not None and v.lng is not None for v in visits)  # where it was
        photos = db.execute(
            text(
                "SELECT a.entity_id, u.user_id FROM attachment a LEFT JOIN photo_uploader u "
                "ON u.sha256 = a.sha256 AND u.user_id = a.added_by_id WHERE a.entity = 'visit'"
            )
        ).all()
        assert [(str(p.entity_id), p.user_id) for p in photos] == [(str(visits[0].id), member.id)]
        entries = db.execute(
            text("SELECT problems FROM journal_entry WHERE member_id = :m"), {"m": member.id}
        ).scalars()
        assert list(entries) == ["松桃路3号楼道灯损坏"]
        # Each command applied once: none lost, none doubled (a resend would be a duplicate).
        sent = dict(
            db.execute(
                text(
                    "SELECT type, count(*) FROM sync_command WHERE user_id = :m "
                    "AND status = 'applied' GROUP BY type"
                ),
                {"m": member.id},
            ).all()
        )
        assert {
            t: sent.get(t) for t in ("patrol.start", "patrol.end", "visit.record", "journal.write")
        } == {"patrol.start": 1, "patrol.end": 1, "visit.record": 2, "journal.write": 1}
        assert (
            db.execute(
                text(
                    "SELECT count(*) FROM sync_command WHERE user_id = :m AND status <> 'applied'"
                ),
                {"m": member.id},
            ).scalar()
            == 0
        )

    desk = phone(
        viewport={"width": 1280, "height": 800}, is_mobile=False, has_touch=False
    ).new_page()
    flows.login_desk(desk, secretary)
    expect(desk.get_by_label("今日巡查").get_by_text("孙网格")).to_be_visible()
    shots(desk, "member-day-desk")
    desk.goto(f"/households/{elder}")
    expect(desk.locator(".visit", has_text="吴婆婆精神好，药按时吃")).to_be_visible()
    desk.goto("/journal")
    mine = desk.locator(".entry", has_text="松桃路3号楼道灯损坏")
    expect(mine).to_contain_text("孙网格")
