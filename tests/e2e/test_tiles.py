"""天地图-like basemap (a vector layer and its labels apart, from a host of their own) served by
a local tile server: the map draws both layers, the service worker keeps the tiles of the
member's own grid and its surroundings (fetched ahead, a bounded count), and offline the map
still shows them, with no request reaching the tile server."""

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from app.people.models import GRID_MEMBER
from tests.e2e import flows
from tests.e2e.server import Server, free_port

TILE_LIMIT = 600  # the service worker's bound (pwa/vite.config.js)


def png(colour=None):
    """A tile: a plain colour (the vector layer), or clear with a mark (labels drawn over it)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (256, 256), colour or (0, 0, 0, 0))
    if colour is None:
        ImageDraw.Draw(image).rectangle((96, 120, 160, 136), fill=(60, 60, 60, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


class Tiles(ThreadingHTTPServer):
    """/vec/{z}/{x}/{y}.png and /cva/{z}/{x}/{y}.png; counts what it was asked."""

    daemon_threads = True

    def __init__(self):
        self.asked = []
        self.images = {"vec": png((222, 226, 214, 255)), "cva": png()}
        super().__init__(("127.0.0.1", free_port()), TileHandler)

    @property
    def base(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class TileHandler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the standard library's name)
        layer = self.path.strip("/").split("/")[0]
        body = self.server.images.get(layer)
        self.server.asked.append(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "image/png")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def tiled(server, tmp_path_factory):
    """The tile server, and a second app server (same database) configured with it."""
    tiles = Tiles()
    threading.Thread(target=tiles.serve_forever, daemon=True).start()
    env = {
        "BASEMAP_URL": f"{tiles.base}/vec/{{z}}/{{x}}/{{y}}.png",
        "BASEMAP_LABELS_URL": f"{tiles.base}/cva/{{z}}/{{x}}/{{y}}.png",
        "BASEMAP_ATTRIBUTION": "测试天地图",
    }
    app = Server(server.url, tmp_path_factory.mktemp("e2e-tiled"), env=env)
    try:
        app.start(timeout=90)  # a second server, on a loaded machine
    except RuntimeError as error:
        pytest.fail(str(error))
    yield app, tiles
    app.stop()
    tiles.shutdown()
    tiles.server_close()


def tile_of(lat, lng, z):
    import math

    n = 2**z
    return int((lng + 180) / 360 * n), int(
        (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    )


CACHED = """([urls, ms]) => {
  const has = async () => {
    const keys = (await (await caches.open('gridlink-tiles')).keys()).map((r) => r.url)
    // all kept, and the fetching ahead is over (it notes the day when it is)
    const done = Boolean(localStorage.getItem('gridlink.tiles'))
    return { all: done && urls.every((u) => keys.includes(u)), n: keys.length }
  }
  const until = Date.now() + ms
  const poll = async () => {
    const now = await has()
    if (now.all || Date.now() > until) return now
    return new Promise((resolve) => setTimeout(() => resolve(poll()), 200))
  }
  return poll()
}"""


def test_the_members_grid_tiles_are_kept_and_shown_offline(tiled, people, units, phone, shots):
    app, tiles = tiled
    grid = units.grids[1]
    member = people.make(GRID_MEMBER, grid.code, name="蒋底图")
    context = phone(
        base_url=app.base,
        geolocation={"latitude": grid.lat, "longitude": grid.lng, "accuracy": 5},
    )
    page = context.new_page()
    flows.login(page, member)
    flows.service_worker_ready(page)

    # Fetched ahead: the tiles of the member's grid, both layers, from the widest zoom to 17.
    wanted = [
        f"{tiles.base}/{layer}/{z}/{x}/{y}.png"
        for layer in ("vec", "cva")
        for z in (13, 17)
        for x, y in [tile_of(grid.lat, grid.lng, z)]
    ]
    kept = page.evaluate(CACHED, [wanted, 3 * flows.WAIT_MS])  # a few hundred, on a slow CI
    zooms = sorted({int(p.split("/")[2]) for p in tiles.asked})
    assert kept["all"], f"not all of {wanted} kept ({kept['n']} kept, zooms {zooms} asked)"
    assert kept["n"] <= TILE_LIMIT
    fetched = len(tiles.asked)
    assert fetched <= TILE_LIMIT, "a bounded count is asked for"

    # Offline, the report's map still shows the streets: from the worker's cache.
    context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="蒋底图，您好")).to_be_visible()
    flows.tab(page, "上报")
    page.get_by_text("城管", exact=True).click()
    page.get_by_text("乱堆乱放", exact=True).click()
    page.locator("input[name=camera]").set_input_files(
        {"name": "scene.jpg", "mimeType": "image/jpeg", "buffer": flows.jpeg(size=(400, 300))}
    )
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_text("测试天地图")).to_be_visible()
    shown = page.locator(".picker .leaflet-tile-loaded")
    expect(shown.first).to_be_visible()
    labels = page.locator(".leaflet-tile-loaded[src*='/cva/']")
    expect(labels.first).to_be_attached()  # the labels layer over the vector one
    shots(page, "report-location-tiles-offline")
    assert len(tiles.asked) == fetched, "offline, no tile was asked of the tile server"
