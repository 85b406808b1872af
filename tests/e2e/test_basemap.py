"""A GCJ-02 basemap converts at the edge: the grids and the pin are drawn shifted onto it, and a
point tapped on it reaches the server in WGS-84. The settings answer and the tiles are served
by the test itself (no network)."""

import math
import re

from playwright.sync_api import expect
from sqlalchemy import text

from app.people.models import GRID_MEMBER
from tests.e2e import flows


def tile():
    """A grey 256×256 PNG: the "tiles"."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (256, 256), (220, 224, 230)).save(out, "PNG")
    return out.getvalue()


def metres(lat1, lng1, lat2, lng2):
    k = 111_320
    return math.hypot((lat1 - lat2) * k, (lng1 - lng2) * k * math.cos(math.radians(lat1)))


def test_a_point_tapped_on_a_gcj02_basemap_is_stored_in_wgs84(
    server, engine, people, units, phone, shots
):
    grid = units.grids[0]
    member = people.make(GRID_MEMBER, grid.code, name="赵底图")
    # The tiles are served by routing in this context, which does not see what the service
    # worker fetches (it keeps tiles: tests/e2e/test_tiles.py covers that with a tile server).
    context = phone(
        geolocation={"latitude": grid.lat, "longitude": grid.lng, "accuracy": 5},
        service_workers="block",
    )
    settings = {
        "basemap": {
            "url": f"{server.base}/e2e-tiles/{{z}}/{{x}}/{{y}}.png",
            "crs": "gcj02",
            "attribution": "测试底图",
            "subdomains": "",
        }
    }
    tiles = []
    png = tile()
    context.route("**/api/settings", lambda route: route.fulfill(json=settings))

    def serve_tile(route):
        tiles.append(route.request.url)
        route.fulfill(body=png, content_type="image/png")

    context.route("**/e2e-tiles/**", serve_tile)
    page = context.new_page()
    flows.login(page, member)
    flows.synced(page)

    flows.tab(page, "上报")
    page.get_by_text("城管", exact=True).click()
    page.get_by_text("乱堆乱放", exact=True).click()
    page.locator("input[name=camera]").set_input_files(
        {"name": "scene.jpg", "mimeType": "image/jpeg", "buffer": flows.jpeg(size=(400, 300))}
    )
    page.get_by_role("button", name="下一步").click()
    expect(page.locator(".where")).to_contain_text("精度约")
    expect(page.get_by_text("测试底图")).to_be_visible()
    assert tiles, "the basemap's tiles were asked for"
    shots(page, "report-location-gcj02")

    # Tap just under the pin's tip: where the map shows the GPS fix, on the GCJ-02 tiles.
    page.locator(".gl-pin").scroll_into_view_if_needed()
    pin = page.locator(".gl-pin").bounding_box()
    page.mouse.click(pin["x"] + pin["width"] / 2, pin["y"] + pin["height"] + 1)
    expect(page.locator(".where")).not_to_contain_text("精度约")
    expect(page.locator(".where")).to_contain_text(grid.name)
    page.get_by_role("button", name="下一步").click()
    description = "底图换算：点在地图上的位置按 WGS-84 保存"
    page.get_by_label("情况描述").fill(description)
    page.get_by_role("button", name="提交上报").click()
    expect(page.get_by_role("heading", name=re.compile("您好"))).to_be_visible()
    flows.synced(page)

    with engine.connect() as db:
        row = db.execute(
            text("SELECT lat, lng FROM incident WHERE description = :d"), {"d": description}
        ).one()
    # One pixel at zoom 16 is ~2 m here; the GCJ-02 offset is hundreds of metres.
    assert metres(row.lat, row.lng, grid.lat, grid.lng) < 15
