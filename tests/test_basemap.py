"""The basemap a district would use, as the deployment sets it: 天地图 (Tianditu: WGS-84 as
CGCS2000, a key, a vector layer and its labels apart), or a GCJ-02 provider; the app's pages
let those hosts' tiles in (images, and the service worker's fetch), and no other."""

import pytest

from app.security import tile_origins

TIANDITU = "https://t{s}.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=KEY"
TIANDITU_LABELS = "https://t{s}.tianditu.gov.cn/DataServer?T=cva_w&x={x}&y={y}&l={z}&tk=KEY"
AMAP = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&style=8&x={x}&y={y}&z={z}"


@pytest.fixture
def basemap(app):
    def configure(**settings):
        app.config.update(settings)

    yield configure
    app.config.update(
        BASEMAP_URL=None, BASEMAP_LABELS_URL=None, BASEMAP_CRS="wgs84", BASEMAP_SUBDOMAINS=""
    )


def csp(client, directive):
    response = client.get("/login")
    response.close()  # the page's file, not read here
    header = response.headers["Content-Security-Policy"]
    return next(p.split()[1:] for p in header.split("; ") if p.startswith(directive + " "))


def test_tianditu_vector_and_labels_are_offered_and_let_in(app, client, auth, basemap):
    auth.as_role("grid_member")
    basemap(BASEMAP_URL=TIANDITU, BASEMAP_LABELS_URL=TIANDITU_LABELS, BASEMAP_SUBDOMAINS="01234567")
    shown = client.get("/api/settings").get_json()["basemap"]
    assert shown["url"] == TIANDITU and shown["labels"] == TIANDITU_LABELS
    assert shown["crs"] == "wgs84"
    hosts = [f"https://t{n}.tianditu.gov.cn" for n in range(8)]
    assert csp(client, "img-src") == ["'self'", "data:", "blob:", *hosts]
    assert csp(client, "connect-src") == ["'self'", *hosts]  # the service worker caches them
    assert "tianditu" not in client.get("/api/health").headers["Content-Security-Policy"]


def test_a_gcj02_provider_is_named_so_and_its_hosts_let_in(client, auth, basemap):
    auth.as_role("grid_member")
    basemap(BASEMAP_URL=AMAP, BASEMAP_CRS="gcj02", BASEMAP_SUBDOMAINS="1234")
    shown = client.get("/api/settings").get_json()["basemap"]
    assert (shown["crs"], shown["labels"]) == ("gcj02", None)
    assert csp(client, "img-src")[3:] == [f"https://webrd0{n}.is.autonavi.com" for n in "1234"]


def test_with_no_basemap_images_come_from_the_app_only(client, basemap):
    assert csp(client, "img-src") == ["'self'", "data:", "blob:"]
    assert csp(client, "connect-src") == ["'self'"]


@pytest.mark.parametrize(
    "templates, subdomains, origins",
    [
        (
            ["https://{s}.tile.example/{z}/{x}/{y}.png"],
            "",
            [f"https://{c}.tile.example" for c in "abc"],
        ),
        (["https://t{s}.example/{z}"], "t0,t1", ["https://tt0.example", "https://tt1.example"]),
        (["http://127.0.0.1:8123/{z}/{x}/{y}.png"], "", ["http://127.0.0.1:8123"]),
        (["javascript:alert(1)", "/tiles/{z}/{x}/{y}.png", None], "", []),  # no host, no origin
    ],
)
def test_tile_origins_spell_out_subdomains_as_leaflet_does(templates, subdomains, origins):
    assert tile_origins(templates, subdomains) == origins
