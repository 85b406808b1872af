"""Public Open311 clients from the package registry, used as a real client would, over HTTP
against the app served on loopback: civicbot (reads and posts, JSON) and georeport (reads,
JSON and XML)."""

import threading

import pytest
from civicbot.http import HttpTransport, RateLimiter
from civicbot.open311 import Open311Client
from civicbot.registry import Endpoint
from georeport import GeoReport
from werkzeug.serving import make_server

from tests.builders import point_in


@pytest.fixture
def server(app, db):
    served = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{served.server_port}/open311/v2"
    served.shutdown()
    thread.join()


@pytest.fixture
def key(cast, as_user):
    admin = as_user(cast.district_admin)
    return admin.post("/api/open311/clients", json={"name": "civicbot"}).get_json()["api_key"]


def test_civicbot_lists_validates_posts_and_follows_a_request(server, cast, key):
    endpoint = Endpoint(id="bijiang", name="碧江区", base_url=server, write=True)
    client = Open311Client(endpoint, HttpTransport(rate_limiter=RateLimiter(min_interval=0)))
    assert "street_light" in {s["service_code"] for s in client.list_services()}
    point = point_in(cast.grid)
    sent = client.create_request(
        "street_light",
        dry_run=False,
        confirm="SEND",
        api_key=key,
        validate_remote=True,  # it reads the service list and the definition first
        lat=point["lat"],
        lng=point["lng"],
        description="路灯不亮",
        attributes={"pole_number": "BJ-7"},
    )
    [answer] = sent.response
    request_id = answer["service_request_id"]
    assert client.get_request(request_id)["status"] == "open"
    assert [r["service_request_id"] for r in client.list_requests(status="open")] == [request_id]
    assert client.get_token(answer["token"])[0]["service_request_id"] == request_id


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_reads_services_definitions_and_requests(server, cast, key, client, fmt):
    point = point_in(cast.grid)
    posted = client.post(
        "/open311/v2/requests.json",
        data={"api_key": key, "service_code": "clutter_piling", "lat": point["lat"]}
        | {"long": point["lng"], "description": "楼道堆放杂物"},
    )
    request_id = posted.get_json()[0]["service_request_id"]
    reader = GeoReport(server, output_format=fmt)
    services = reader.get_service_list()
    assert "clutter_piling" in {s["service_code"] for s in services}
    definition = reader.get_service_definition("street_light")
    assert definition["service_code"] == "street_light"
    found = reader.get_service_requests(service_code="clutter_piling", status="open")
    # XML with one request parses as that request, not as a list of one
    found = found if isinstance(found, list) else [found]
    assert [r["service_request_id"] for r in found] == [request_id]
    assert reader.get_service_request(request_id)["status"] == "open"
