"""A member patrols without signal, the phone's GPS moved by the test (Playwright's
geolocation override), through a reload; back online, the track arrives once, whole, and
the secretary sees the patrol."""

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
