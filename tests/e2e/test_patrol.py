"""A member patrols without signal, the phone's GPS moved by the test (Playwright's
geolocation override), through a reload; back online, the track arrives once, whole, and
the secretary sees the patrol. A secretary sets a grid's plan with two checkpoints drawn on
the map; the member's phone shows them offline, passed as the phone walks."""

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect
from sqlalchemy import text

from app.people.models import GRID_MEMBER, SECRETARY
from tests.e2e import flows

STEP_DEG = 0.0002  # about 22 m north: past the 15 m that keeps a fix before 10 s
SPACING_MS = 2100  # the phone keeps at most a fix every 2 s (src/sync/patrol.js MIN_S)


def walk(page, context, grid, start, steps):
    """Move the phone north step by step; each position is a kept point, counted on screen."""
    points = page.locator(".patrol-card .points")
    for i in range(start, start + steps):
        # A length of time is the rule under test here: fixes closer than 2 s are dropped.
        page.wait_for_timeout(SPACING_MS)
        lat = grid.lat + i * STEP_DEG
        context.set_geolocation({"latitude": lat, "longitude": grid.lng, "accuracy": 8})
        expect(points).to_have_text(str(i + 1))


def test_an_offline_patrol_through_a_reload_arrives_once_and_whole(
    playwright_instance, server, engine, people, units, phone, shots
):
    grid = units.grids[1]
    member = people.make(GRID_MEMBER, grid.code, name="赵巡查")
    secretary = people.make(SECRETARY, units.code, name="钱书记")
    context = phone(geolocation={"latitude": grid.lat, "longitude": grid.lng, "accuracy": 8})
    page = context.new_page()
    flows.login(page, member)
    flows.synced(page)
    flows.service_worker_ready(page)

    context.set_offline(True)
    page.get_by_role("button", name="开始巡查").click()
    card = page.locator(".patrol-card")
    expect(card.locator(".status")).to_contain_text("巡查中")
    expect(card.locator(".points")).to_have_text("1")
    walk(page, context, grid, 1, 3)
    expect(card).to_contain_text("离线也在记录")
    # A reload with no network: the patrol goes on from what IndexedDB kept.
    page.reload()
    expect(card.locator(".points")).to_have_text("4")
    walk(page, context, grid, 4, 2)
    expect(card.locator(".distance")).to_have_text("111 米")  # 5 steps of 22 m
    shots(page, "patrol-offline")
    card.get_by_role("button", name="结束巡查").click()
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_role("button", name="开始巡查")).to_be_visible()

    context.set_offline(False)
    flows.synced(page)
    expect(page.locator(".counter", has_text="待同步").locator("strong")).to_have_text("0")
    with engine.connect() as db:
        patrols = db.execute(
            text("SELECT id, state, points, counted FROM patrol WHERE member_id = :m"),
            {"m": member.id},
        ).all()
        assert [(p.state, p.points, p.counted) for p in patrols] == [("ended", 6, 6)]
        tracks = db.execute(
            text(
                "SELECT count(*) FROM history WHERE entity = 'patrol' AND action = 'track' "
                "AND entity_id = :id"
            ),
            {"id": patrols[0].id},
        ).scalar()
        assert tracks == 1  # one batch, sent at the end, applied once

    desk = flows.Api(playwright_instance, server.base, secretary)
    shown = desk.get(f"/api/patrols/{patrols[0].id}")
    desk.close()
    assert shown["track"]["seq"] == [1, 2, 3, 4, 5, 6]
    assert shown["member"]["name"] == "赵巡查" and shown["length_m"] > 100


def test_a_secretary_sets_a_plan_with_two_checkpoints_and_a_members_phone_shows_them_offline(
    server, engine, people, units, phone, shots
):
    grid = units.grids[1]
    secretary = people.make(SECRETARY, units.code, name="孙书记")
    member = people.make(GRID_MEMBER, grid.code, name="周巡查")

    desk = phone().new_page()
    flows.login_desk(desk, secretary)
    desk.goto("/patrols/plans")
    desk.locator("select[name=grid]").select_option(grid.code)
    form = desk.locator(".plan-form")
    form.locator("input[value=hours]").check()
    form.locator("input[name=every_hours]").fill("12")
    form.locator("input[name=min_minutes]").fill("20")
    area = form.locator(".checkpoint-map .map")

    def middle():
        """The map's middle, once the bar above it (which moves it down) shows."""
        area.scroll_into_view_if_needed()
        box = area.bounding_box()
        return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    # A point tapped at the middle of the grid, then a small area drawn beside it.
    form.get_by_role("button", name="添加点位").click()
    expect(form.get_by_role("status")).to_contain_text("轻点必经点的位置")
    desk.mouse.click(*middle())
    form.get_by_role("button", name="画一个区域").click()
    expect(form.get_by_role("toolbar")).to_be_visible()
    cx, cy = middle()
    for dx, dy in ((20, 10), (70, 10), (45, 60)):
        desk.mouse.click(cx + dx, cy + dy)
    form.get_by_role("toolbar").get_by_role("button", name="完成").click()
    names = form.locator(".checkpoint .name")
    expect(names).to_have_count(2)
    names.nth(0).fill("菜市场")
    form.locator("input[name=ordered]").check()
    # The area left unnamed: the server refuses it, and says so in its row.
    form.get_by_role("button", name="保存计划").click()
    expect(form.locator(".checkpoint").nth(1)).to_have_class(re.compile("invalid"))
    expect(form.locator(".checkpoint").nth(1).get_by_role("alert")).to_be_visible()
    shots(desk, "patrol-plan-refused-phone")
    names.nth(1).fill("河堤")
    form.get_by_role("button", name="保存计划").click()
    expect(desk.get_by_text("计划已保存")).to_be_visible()
    shots(desk, "patrol-plan-phone")
    with engine.connect() as db:
        plan = db.execute(
            text(
                "SELECT every_hours, min_minutes, ordered, checkpoints FROM patrol_plan "
                "WHERE grid_id = (SELECT id FROM unit WHERE code = :grid)"
            ),
            {"grid": grid.code},
        ).one()
    checkpoints = (
        plan.checkpoints if isinstance(plan.checkpoints, list) else json.loads(plan.checkpoints)
    )
    assert (plan.every_hours, plan.min_minutes, bool(plan.ordered)) == (12, 20, True)
    assert [c["name"] for c in checkpoints] == ["菜市场", "河堤"]
    assert "lat" in checkpoints[0] and len(checkpoints[1]["polygon"]) == 4
    market = checkpoints[0]

    # The member's phone pulls it, then patrols with no signal: the checkpoints are on the
    # card, the market passed once the phone stands on it, in the plan's order.
    context = phone(geolocation={"latitude": grid.lat, "longitude": grid.lng, "accuracy": 8})
    page = context.new_page()
    flows.login(page, member)
    flows.synced(page)
    flows.service_worker_ready(page)
    context.set_offline(True)
    page.get_by_role("button", name="开始巡查").click()
    card = page.locator(".patrol-card")
    checkpoints_shown = card.locator(".checkpoints")
    expect(checkpoints_shown.locator("h3")).to_have_text("必经点 已到 0/2")
    expect(checkpoints_shown.locator("li")).to_have_text(
        [re.compile("菜市场.*下一个"), re.compile("河堤.*未到")]
    )
    page.wait_for_timeout(SPACING_MS)
    context.set_geolocation({"latitude": market["lat"], "longitude": market["lng"], "accuracy": 8})
    expect(checkpoints_shown.locator("h3")).to_have_text("必经点 已到 1/2")
    expect(checkpoints_shown.locator("li").nth(0)).to_have_class(re.compile("passed"))
    expect(checkpoints_shown.locator("li").nth(1)).to_contain_text("下一个")
    expect(card).to_contain_text("离线也在记录")
    shots(page, "patrol-checkpoints-offline")


DESKTOP = {"viewport": {"width": 1280, "height": 800}, "is_mobile": False, "has_touch": False}


def test_the_desk_map_draws_todays_patrols_and_a_tap_tells_who_walked_them(
    playwright_instance, server, people, units, phone, shots
):
    from app.extensions import db
    from app.patrols import demo
    from app.units.models import Unit

    # A community no other test walks in: its desk map has this patrol alone today.
    with server.app.app_context():
        community = (
            db.session.query(Unit).filter_by(level="community").order_by(Unit.code.desc()).first()
        )
        grid = min(community.children, key=lambda g: g.code)
        points = demo.walk(grid.geom, 90)
        community_code, grid_code = community.code, grid.code
    secretary = people.make(SECRETARY, community_code, name="吴书记")
    member = people.make(GRID_MEMBER, grid_code, name="郑巡查")
    started = datetime.now(UTC) - timedelta(minutes=20)
    walker = flows.Api(playwright_instance, server.base, member)
    patrol = str(uuid.uuid4())
    walker.post(
        "/api/patrols", {"id": patrol, "grid": grid_code, "device_time": started.isoformat()}
    )
    walker.post(f"/api/patrols/{patrol}/track", {**demo.batch(points, 1, started.isoformat())})
    walker.post(f"/api/patrols/{patrol}/end", {})
    walker.close()
    desk_api = flows.Api(playwright_instance, server.base, secretary)
    market = {"name": "菜市场", "lat": points[40][0], "lng": points[40][1]}
    desk_api.request.put(
        "/api/patrols/plans",
        data={"grid": grid_code, "checkpoints": [market]},
        headers={"X-CSRFToken": desk_api.token},
    )
    desk_api.close()

    desk = phone(**DESKTOP).new_page()
    flows.login_desk(desk, secretary)
    track = desk.locator(".desk-map path.patrol-track")
    expect(track).to_have_count(1)
    expect(desk.locator(".desk-map .patrol-checkpoint")).to_have_count(1)
    track.dispatch_event("click")  # a zigzag line: the middle of its box may not be on it
    popup = desk.locator(".leaflet-popup .patrol-popup")
    expect(popup).to_contain_text("郑巡查")
    expect(popup).to_contain_text(re.compile(r"开始，(19|20|21) 分钟"))
    expect(popup).to_contain_text("网格覆盖")
    expect(popup).to_contain_text("%")
    shots(desk, "desk-patrols-map")
