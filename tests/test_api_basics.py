"""The API's common ground: one error shape, health, OpenAPI, security headers, the PWA shell."""

import pytest

from app.people.models import GRID_MEMBER


def assert_error(response, status, code):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    return error


def test_malformed_json_is_a_400_that_says_so(client, db):
    response = client.post("/api/auth/login", data="{bad json", content_type="application/json")
    assert_error(response, 400, "malformed_json")


def test_unknown_fields_are_a_400_naming_them(client, db):
    response = client.post(
        "/api/auth/login", json={"phone": "13800000001", "password": "x", "role": "district_admin"}
    )
    error = assert_error(response, 400, "unknown_field")
    assert "role" in error["fields"]


def test_missing_fields_are_a_422_naming_them(client, db):
    error = assert_error(client.post("/api/auth/login", json={}), 422, "validation_error")
    assert set(error["fields"]) == {"phone", "password"}


def test_unknown_api_path_is_a_json_404(client, auth, db):
    assert_error(
        client.get("/api/nothing-here"), 401, "unauthorized"
    )  # no map of the API for strangers
    auth.as_role(GRID_MEMBER)
    assert_error(client.get("/api/nothing-here"), 404, "not_found")
    assert_error(client.post("/api/nothing-here"), 404, "not_found")


def test_wrong_method_is_a_json_405_with_allow(client, db):
    response = client.delete("/api/health")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_too_large_body_is_a_json_413(app, client, db):
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/api/auth/login", data=big, content_type="application/json")
    assert_error(response, 413, "payload_too_large")


def test_out_of_scope_is_a_json_403(client, auth, district):
    auth.as_role(GRID_MEMBER, district["grid"][0])
    other = district["grid"][-1]
    assert_error(client.get(f"/api/grids/{other.code}"), 403, "out_of_scope")


def test_health_reports_database_and_schema(client, db):
    body = client.get("/api/health").get_json()
    assert body["status"] == "ok"
    assert body["schema"] == "current"
    assert body["database"] in ("sqlite", "postgresql")


def test_a_database_gone_mid_request_is_a_503_to_send_again(client, db, monkeypatch):
    """A failover drops the connections of requests in flight: the phone is told to resend
    (sync answers `duplicate` for what committed), not that the server is broken."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    client.token = client.get("/api/auth/csrf").get_json()["csrf_token"]

    def gone(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(Session, "execute", gone)
    response = client.post("/api/auth/login", json={"phone": "13800000000", "password": "x"})
    assert_error(response, 503, "unavailable")
    assert response.headers["Retry-After"] == "5"


def test_health_says_when_the_schema_is_behind(client, db):
    from sqlalchemy import text

    head = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    db.session.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    db.session.commit()
    try:
        response = client.get("/api/health")
        assert response.status_code == 503
        assert response.get_json()["schema"] == "behind"
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
        db.session.commit()


def test_openapi_document_describes_the_api(client, db):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/auth/login",
        "/api/me",
        "/api/units",
        "/api/grids",
        "/api/grids/{code}",
        "/api/locate",
    ):
        assert path in spec["paths"], path
    login = spec["paths"]["/api/auth/login"]["post"]
    assert "requestBody" in login
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and b"swagger-ui" in docs.data
    with client.get("/api/docs/assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200


def test_api_responses_carry_security_headers(client, db):
    response = client.get("/api/health")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def pwa_build(app, tmp_path):
    dist = app.config["PWA_DIST"]
    import os

    os.makedirs(os.path.join(dist, "assets"), exist_ok=True)
    with open(os.path.join(dist, "index.html"), "w") as f:
        f.write("<!doctype html><title>网格通</title>")
    with open(os.path.join(dist, "assets", "app-1234.js"), "w") as f:
        f.write("console.log(1)")
    return dist


def test_the_pwa_is_served_with_history_fallback(client, db, pwa_build):
    with client.get("/") as index:
        assert "网格通" in index.get_data(as_text=True)
    with client.get("/tasks/42") as deep:
        assert deep.status_code == 200 and "网格通" in deep.get_data(as_text=True)
        assert deep.headers["Cache-Control"] == "no-cache"
    with client.get("/assets/app-1234.js") as asset:
        assert "immutable" in asset.headers["Cache-Control"]
    assert client.get("/assets/missing.js").status_code == 404
    # /api never falls back to the app shell.
    assert client.get("/api/tasks/42").mimetype == "application/json"


def test_the_basemap_is_optional_and_configured_by_the_deployment(app, client, auth):
    auth.as_role("grid_member")
    assert client.get("/api/settings").get_json() == {"basemap": None}
    app.config.update(
        BASEMAP_URL="https://t{s}.tianditu.gov.cn/vec_w/{z}/{x}/{y}", BASEMAP_SUBDOMAINS="01"
    )
    try:
        basemap = client.get("/api/settings").get_json()["basemap"]
    finally:
        app.config.update(BASEMAP_URL=None)
    assert basemap["crs"] == "wgs84" and basemap["subdomains"] == "01"
