"""A resident on a phone browser with no account: reports a problem without signal (a
draft, sent when the signal returns), gets a tracking number and a private link, and follows
the case through the community's handling to its close and their verdict (回访); a point tapped
on the map over a GCJ-02 basemap is stored in WGS-84."""

import math
import re
import uuid

from playwright.sync_api import expect
from sqlalchemy import text

from app.people.models import GRID_MEMBER, SECRETARY, TEAM_MEMBER
from geo.crs import wgs84_to_gcj02
from tests.e2e import flows
from tests.e2e.test_basemap import metres, tile


def test_a_resident_reports_offline_and_follows_the_case_to_its_verdict(
    playwright_instance, server, engine, people, units, phone, shots
):
    grid = units.grids[-1]
    secretary = people.make(SECRETARY, units.code, name="周书记")
    handler = people.make(TEAM_MEMBER, grid.code, name="吴综合")
    checker = people.make(GRID_MEMBER, grid.code, name="郑网格")
    description = f"单元门口堆满装修垃圾 {uuid.uuid4().hex[:6]}"

    context = phone(geolocation={"latitude": grid.lat, "longitude": grid.lng, "accuracy": 12})
    page = context.new_page()
    page.goto("/resident.html")
    expect(page.get_by_role("heading", name="随手拍")).to_be_visible()
    category = page.get_by_label("问题类型")
    expect(category.locator("option[value=clutter_piling]")).to_be_attached()

    context.set_offline(True)  # no signal in the stairwell
    category.select_option("clutter_piling")
    page.locator("input[type=file]").set_input_files(
        {"name": "scene.jpg", "mimeType": "image/jpeg", "buffer": flows.jpeg()}
    )
    page.get_by_role("button", name="使用当前位置").click()
    expect(page.get_by_role("button", name=re.compile("已定位"))).to_be_visible()
    page.get_by_label("问题描述").fill(description)
    page.get_by_label(re.compile("手机号")).fill("13900005555")
    shots(page, "resident-report")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status").first).to_contain_text("已保存草稿")
    with engine.connect() as connection:
        assert (
            connection.execute(
                text("SELECT count(*) FROM incident WHERE source = 'resident'")
            ).scalar()
            == 0
        )

    context.set_offline(False)  # the signal returns: the draft goes by itself
    link = page.get_by_role("link", name=re.compile("查看进度"))
    expect(link).to_be_visible()
    number = page.locator(".sent strong").inner_text()
    with engine.connect() as connection:
        incident_id, source, phone_stored = connection.execute(
            text("SELECT id, source, resident_phone FROM incident WHERE description = :d"),
            {"d": description},
        ).one()
    assert source == "resident" and "13900005555" not in phone_stored  # encrypted at rest

    desk = flows.Api(playwright_instance, server.base, secretary)
    desk.post(f"/api/incidents/{incident_id}/accept", {})
    desk.post(f"/api/incidents/{incident_id}/dispatch", {"assignee_id": handler.id})
    member = flows.Api(playwright_instance, server.base, handler)
    after = {"sha256": "b" * 64, "kind": "after"}
    member.post(f"/api/incidents/{incident_id}/handle", {"note": "已清运", "photos": [after]})
    flows.Api(playwright_instance, server.base, checker).post(
        f"/api/incidents/{incident_id}/check", {"passed": True}
    )
    for api in (desk, member):
        api.close()

    link.click()
    expect(page.get_by_text(number)).to_be_visible()
    expect(page.locator(".state")).to_have_text("已办结")
    for step in ("已收到", "已受理", "处理中", "已处置，待核查"):
        expect(page.locator(".timeline")).to_contain_text(step)
    expect(page.locator(".timeline")).not_to_contain_text("吴综合")
    page.get_by_role("button", name="满意", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("感谢您的评价")
    shots(page, "resident-track")
    with engine.connect() as connection:
        assert connection.execute(
            text("SELECT verdict, by FROM return_visit WHERE incident_id = :i"),
            {"i": incident_id},
        ).one() == ("satisfied", "resident")


def test_a_tap_on_the_map_over_a_gcj02_basemap_places_the_point_in_wgs84(
    server, engine, units, phone, shots
):
    grid = units.grids[0]
    description = f"路灯不亮 {uuid.uuid4().hex[:6]}"
    # Tiles served by routing, which does not see the service worker's fetches.
    context = phone(
        geolocation={"latitude": grid.lat, "longitude": grid.lng, "accuracy": 40},
        service_workers="block",
    )
    basemap = {"url": f"{server.base}/e2e-tiles/{{z}}/{{x}}/{{y}}.png", "crs": "gcj02"}
    basemap |= {"attribution": "测试底图", "subdomains": ""}
    context.route("**/api/settings", lambda route: route.fulfill(json={"basemap": basemap}))
    png, tiles = tile(), []

    def serve_tile(route):
        tiles.append(route.request.url)
        route.fulfill(body=png, content_type="image/png")

    context.route("**/e2e-tiles/**", serve_tile)
    page = context.new_page()
    leaflet = []
    page.on("request", lambda r: leaflet.append(r.url) if "ResidentMap" in r.url else None)
    page.goto("/resident.html")
    page.get_by_label("问题类型").select_option("street_light")
    page.get_by_role("button", name="使用当前位置").click()
    expect(page.get_by_role("button", name=re.compile("已定位"))).to_be_visible()
    assert not leaflet, "the map's chunk comes only when the map is opened"
    page.get_by_role("button", name="在地图上选点").click()
    expect(page.get_by_text("测试底图")).to_be_visible()
    assert leaflet
    expect(page.locator(".where")).to_contain_text("当前定位")
    # The fix is drawn where a GCJ-02 map has it: the tiles around its shifted point, not the
    # tiles of its WGS-84 coordinates (half a kilometre off here, two tiles at zoom 17).
    page.wait_for_function("() => document.querySelectorAll('.leaflet-tile-loaded').length > 0")
    shown = tile_of(*reversed(wgs84_to_gcj02(grid.lng, grid.lat)), 17)
    assert f"/17/{shown[0]}/{shown[1]}.png" in " ".join(tiles), tiles
    assert f"/17/{tile_of(grid.lat, grid.lng, 17)[0]}/" not in " ".join(tiles)

    # Tap just under the pin's tip: where the map shows the GPS fix, on the GCJ-02 tiles.
    page.locator(".gl-pin").scroll_into_view_if_needed()
    pin = page.locator(".gl-pin").bounding_box()
    page.mouse.click(pin["x"] + pin["width"] / 2, pin["y"] + pin["height"] + 1)
    expect(page.locator(".where")).to_have_text("已在地图上选点，可再点修改")
    page.get_by_label("问题描述").fill(description)
    shots(page, "resident-map")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("link", name=re.compile("查看进度"))).to_be_visible()
    with engine.connect() as db:
        row = db.execute(
            text("SELECT lat, lng, accuracy_m FROM incident WHERE description = :d"),
            {"d": description},
        ).one()
    # One pixel at zoom 17 is about a metre; the GCJ-02 offset is hundreds of metres.
    assert metres(row.lat, row.lng, grid.lat, grid.lng) < 15
    assert row.accuracy_m is None  # a tapped point, not a fix


def tile_of(lat, lng, zoom):
    """The Web Mercator tile (x, y) holding a point at a zoom."""
    n = 2**zoom
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lng + 180) / 360 * n), int(y)
