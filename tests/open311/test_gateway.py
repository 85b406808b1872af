"""The Open311 GeoReport v2 gateway as other systems see it: the spec's calls and examples in
JSON and XML, keys and their limits, and nothing of anyone in the public view."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.incidents.models import Incident
from app.open311.models import Post
from tests.builders import point_in, report_body

BASE = "/open311/v2"


@pytest.fixture
def keys(cast, as_user):
    """An Open311 key and a 12345 key, issued by the district admin."""
    admin = as_user(cast.district_admin)

    def issue(name, source, **extra):
        response = admin.post(
            "/api/open311/clients", json={"name": name, "source": source, **extra}
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return {
        "app": issue("城市服务App", "open311")["api_key"],
        "hotline": issue("12345 热线", "hotline_12345", hourly_limit=2),
        "admin": admin,
    }


def post(client, key, unit, fmt="json", **form):
    point = point_in(unit)
    data = {"api_key": key, "service_code": "street_light", "lat": point["lat"]}
    data.update({"long": point["lng"], "description": "路灯不亮，晚上很黑"}, **form)
    return client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in data.items() if v})


def xml(response):
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    return ET.fromstring(response.data)


def test_discovery_names_the_endpoint_and_both_formats(client):
    body = client.get(f"{BASE}/discovery.json")
    assert body.headers["Content-Type"] == "application/json; charset=utf-8"
    endpoint = body.get_json()["endpoints"][0]
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == [
        "text/xml",
        "application/json",
    ]


def test_services_are_the_resident_open_subcategories_with_group_keywords_and_fields(client):
    services = client.get(f"{BASE}/services.json").get_json()
    by_code = {s["service_code"]: s for s in services}
    assert "street_light" in by_code and "special_group_abnormal" not in by_code
    light = by_code["street_light"]
    assert light["group"] == "城管" and "路灯" in light["keywords"]
    assert light["metadata"] is True and by_code["clutter_piling"]["metadata"] is False
    root = xml(client.get(f"{BASE}/services.xml"))
    assert {s.findtext("service_code") for s in root.iter("service")} == set(by_code)
    assert root.find("service/metadata").text in ("true", "false")

    definition = client.get(f"{BASE}/services/street_light.json").get_json()
    assert definition["service_code"] == "street_light"
    assert definition["attributes"] == [
        {
            "variable": True,
            "code": "pole_number",
            "datatype": "string",
            "required": False,
            "datatype_description": None,
            "order": 1,
            "description": "灯杆编号",
        }
    ]
    root = xml(client.get(f"{BASE}/services/street_light.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("attributes/attribute/code") == "pole_number"


@pytest.mark.parametrize(
    "path",
    ["/services/special_group_abnormal", "/services/nothing", "/requests/no-such-id"],
)
def test_what_does_not_exist_is_the_specs_404_in_each_format(client, cast, path):
    response = client.get(f"{BASE}{path}.json")
    assert response.status_code == 404
    [error] = response.get_json()
    assert error["code"] == 404 and error["description"]
    response = client.get(f"{BASE}{path}.xml")
    assert response.status_code == 404
    assert xml(response).findtext("error/code") == "404"


def test_a_post_needs_a_live_key_and_is_recorded_with_it(client, cast, keys):
    assert post(client, None, cast.grid).status_code == 403
    assert post(client, "not-a-key", cast.grid).status_code == 403
    assert xml(post(client, "not-a-key", cast.grid, fmt="xml")).findtext("error/code") == "403"

    media = "https://photos.example.org/a.jpg"
    created = post(
        client, keys["app"], cast.grid, media_url=media, **{"attribute[pole_number]": "BJ-0042"}
    )
    assert created.status_code == 201, created.get_json()
    [answer] = created.get_json()
    incident = _db.session.get(Incident, answer["service_request_id"])
    assert incident.source == "open311" and incident.state == "reported"
    assert incident.grid_id == cast.grid.id  # placed by its point, into the grid's queue
    assert incident.reporter.name == "城市服务App"  # the key's own channel account
    assert incident.description.endswith(f"灯杆编号：BJ-0042\n附件链接：{media}")
    assert client.get(f"{BASE}/tokens/{answer['token']}.json").get_json() == [
        {"service_request_id": incident.id, "token": answer["token"]}
    ]

    [issued] = keys["admin"].get("/api/open311/clients").get_json()[:1]
    assert keys["admin"].post(f"/api/open311/clients/{issued['id']}/revoke").status_code == 200
    assert post(client, keys["app"], cast.grid).status_code == 403
    posts = _db.session.execute(select(Post.client_id, Post.status).order_by(Post.id)).all()
    assert posts == [(issued["id"], 201)]  # keyless posts belong to no client


def test_a_hotline_key_files_as_the_hotline_within_its_hourly_rate(client, cast, keys, frozen):
    key = keys["hotline"]["api_key"]
    for _ in range(2):
        assert post(client, key, cast.grid, phone="13900001111").status_code == 201
    refused = post(client, key, cast.grid)
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    frozen.move(hours=1, seconds=1)
    assert post(client, key, cast.grid).status_code == 201
    sources = _db.session.execute(select(Incident.source)).scalars().all()
    assert sources == ["hotline_12345"] * 3
    statuses = _db.session.execute(select(Post.status).order_by(Post.id)).scalars().all()
    assert statuses == [201, 201, 429, 201]


@pytest.mark.parametrize(
    "form, field",
    [
        ({"service_code": "special_group_abnormal"}, "service_code"),
        ({"lat": None, "long": None, "address_string": "碧江区某路"}, "lat"),
        ({"lat": "91"}, "lat"),
        ({"long": "abc"}, "long"),
        ({"lat": "0", "long": "0"}, "lat"),  # outside the district
        ({"description": "长" * 4001}, "description"),
        ({"media_url": "http://10.0.0.1/photo.jpg"}, "media_url"),
    ],
)
def test_a_refused_post_is_the_specs_400_and_files_nothing(client, cast, keys, form, field):
    response = post(client, keys["app"], cast.grid, **form)
    assert response.status_code == 400, response.get_json()
    [error] = response.get_json()
    assert error["code"] == 400
    assert _db.session.execute(select(Incident.id)).first() is None
    assert _db.session.execute(select(Post.status)).scalars().all() == [400]


def _reported(cast, as_user, **extra):
    member = as_user(cast.member)
    body = report_body(cast.grid, **{"category": "street_light", **extra})
    response = member.post("/api/incidents", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_requests_filter_by_id_service_status_and_time_in_both_formats(
    client, cast, as_user, frozen
):
    first = _reported(cast, as_user)
    frozen.move(days=10)
    second = _reported(cast, as_user, category="garbage_collection")
    secretary = as_user(cast.secretary)
    secretary.post(f"/api/incidents/{second['id']}/reject", json={"reason": "已由物业处理"})
    hidden = _reported(cast, as_user, category="dispute")  # not open to residents

    def ids(**args):
        response = client.get(f"{BASE}/requests.json", query_string=args)
        assert response.status_code == 200, response.get_json()
        return [r["service_request_id"] for r in response.get_json()]

    assert ids() == [second["id"], first["id"]]  # newest first; the dispute is not public
    assert ids(status="open") == [first["id"]]
    assert ids(status="closed") == [second["id"]]
    assert ids(service_code="street_light,garbage_collection") == [second["id"], first["id"]]
    start = (frozen.at - timedelta(days=5)).isoformat()
    assert ids(start_date=start) == [second["id"]]
    assert ids(service_request_id=f"{first['id']},{hidden['id']}", status="closed") == [first["id"]]
    assert ids(page_size="1", page="2") == [first["id"]]
    too_long = client.get(
        f"{BASE}/requests.json",
        query_string={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
    )
    assert too_long.status_code == 400
    assert client.get(f"{BASE}/requests.json?status=pending").status_code == 400
    early = (frozen.at - timedelta(days=95)).isoformat()  # alone: the 90 days from it
    assert ids(start_date=early) == [first["id"]]

    one = client.get(f"{BASE}/requests/{second['id']}.json?extensions=true").get_json()
    assert len(one) == 1 and one[0]["status"] == "closed"
    assert one[0]["status_notes"] == "不予受理：已由物业处理"
    assert [n["type"] for n in one[0]["notes"]] == ["received", "rejected"]
    assert one[0]["requested_datetime"].endswith("+08:00")
    root = xml(client.get(f"{BASE}/requests.xml", query_string={"extensions": "true"}))
    assert [r.findtext("service_request_id") for r in root.iter("request")] == [
        second["id"],
        first["id"],
    ]
    assert root.find("request/notes/note/summary").text == "已收到"


def test_an_open_request_tells_who_handles_it_and_by_when(client, cast, as_user):
    case = _reported(cast, as_user)
    [shown] = client.get(f"{BASE}/requests/{case['id']}.json").get_json()
    assert shown["status"] == "open" and shown["status_notes"] == "已收到"
    assert shown["agency_responsible"] == "区城市管理局"  # the catalogue's department for it
    assert shown["expected_datetime"].endswith("+08:00")
    assert shown["service_code"] == "street_light" and isinstance(shown["lat"], float)


# What the public view never shows, whoever filed the case and however it is asked for.
SECRETS = ("13900001111", "王小明", "王芳", "李强", "张书记")


@pytest.mark.parametrize(
    "path",
    [
        "/requests.json?extensions=true",
        "/requests.xml?extensions=true",
        "/requests/{id}.json",
        "/requests/{id}.xml",
    ],
)
def test_the_public_view_has_no_personal_data_and_a_rounded_point(
    client, cast, as_user, keys, path
):
    reported = post(
        client,
        keys["app"],
        cast.grid,
        phone="13900001111",
        first_name="小明",
        last_name="王",
        description="请联系13900001111",
    )
    case = reported.get_json()[0]["service_request_id"]
    secretary, colleague = as_user(cast.secretary), as_user(cast.colleague)
    secretary.post(f"/api/incidents/{case}/accept", json={"note": "张书记受理"})
    secretary.post(f"/api/incidents/{case}/dispatch", json={"assignee_id": cast.colleague.id})
    colleague.post(f"/api/incidents/{case}/start", json={})
    text = client.get(BASE + path.format(id=case)).get_data(as_text=True)
    assert case in text
    for secret in SECRETS:
        assert secret not in text
    assert "139****" in text  # the description's number, masked
    incident = _db.session.get(Incident, case)
    shown = client.get(f"{BASE}/requests/{case}.json").get_json()[0]
    assert (shown["lat"], shown["long"]) == (round(incident.lat, 3), round(incident.lng, 3))


def test_a_client_name_longer_than_its_channel_account_takes_is_refused(cast, as_user):
    admin = as_user(cast.district_admin)
    response = admin.post("/api/open311/clients", json={"name": "名" * 51, "source": "open311"})
    assert response.status_code == 422 and "name" in response.get_json()["error"]["fields"]
