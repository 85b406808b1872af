"""Two districts served by one deployment, each with its own database, chosen by the host
name: a person of one district logs in there and is unknown in the other; an address of no
district is a JSON 404. On SQLite two files, on PostGIS two schemas of one database."""

import os

import flask_migrate
import pytest
from sqlalchemy import create_engine, text
from werkzeug.test import Client

from app import districts
from app.people.models import DISTRICT_ADMIN
from tests.conftest import PASSWORD, make_user

HOSTS = {"bijiang": "bijiang.example.gov.cn", "wanshan": "wanshan.example.gov.cn"}


@pytest.fixture(params=["sqlite", "postgis"])
def urls(request, tmp_path):
    if request.param == "sqlite":
        yield {name: f"sqlite:///{tmp_path / name}.db" for name in HOSTS}
        return
    # The end-to-end tests' database, which they wipe when they start: the test database's
    # public schema holds the session's tables, which a district's search_path would find.
    url = os.environ.get("E2E_DATABASE_URL")
    if not url:
        if os.environ.get("GRIDLINK_REQUIRE_POSTGIS") == "1":
            pytest.fail("GRIDLINK_REQUIRE_POSTGIS=1 but E2E_DATABASE_URL is not set")
        pytest.skip("PostGIS leg: set E2E_DATABASE_URL=postgresql+psycopg://...")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
        connection.execute(text("CREATE EXTENSION postgis"))
        for name in HOSTS:
            connection.execute(text(f"DROP SCHEMA IF EXISTS district_{name} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA district_{name}"))
    # PostGIS stays in public, each district's tables in its own schema.
    sep = "&" if "?" in url else "?"
    yield {name: f"{url}{sep}options=-csearch_path%3Ddistrict_{name},public" for name in HOSTS}
    with engine.begin() as connection:
        for name in HOSTS:
            connection.execute(text(f"DROP SCHEMA district_{name} CASCADE"))
    engine.dispose()


PHONE_ADDRESS = {"REMOTE_ADDR": "10.1.2.3"}


def login(client, host, phone):
    base = f"http://{host}"
    token = client.get("/api/auth/csrf", base_url=base).json["csrf_token"]
    return client.post(
        "/api/auth/login",
        base_url=base,
        json={"phone": phone, "password": PASSWORD},
        headers={"X-CSRFToken": token},
        environ_base=PHONE_ADDRESS,
    )


def test_each_district_its_own_database_by_host_name(urls, tmp_path):
    env = {
        "DISTRICTS": " ".join(f"{host}={name}" for name, host in HOSTS.items()),
        "GRIDLINK_INSTANCE": str(tmp_path),
        **{f"DATABASE_URL_{name.upper()}": url for name, url in urls.items()},
    }
    router = districts.create("test", env)
    apps = {name: router.apps[host] for name, host in HOSTS.items()}
    assert apps["bijiang"] is not apps["wanshan"]
    for name, app in apps.items():
        assert app.config["S3_PREFIX"] == f"{name}/"
        assert app.config["PHOTO_ROOT"] == str(tmp_path / name / "photos")
        with app.app_context():
            flask_migrate.upgrade()
    with apps["bijiang"].app_context():
        admin = make_user(DISTRICT_ADMIN, phone="13800000001")
        phone = admin.phone

    client = Client(router)
    assert login(client, "BIJIANG.example.gov.cn:443", phone).status_code == 200
    unknown = login(Client(router), HOSTS["wanshan"], phone)
    assert unknown.status_code == 401
    elsewhere = Client(router).get("/api/health", base_url="http://gridlink.example.com")
    assert elsewhere.status_code == 404
    assert elsewhere.json["error"]["code"] == "not_found"
    for app in apps.values():
        with app.app_context():
            from app.extensions import db

            db.session.remove()
            db.engine.dispose()


def test_a_district_named_alone_and_malformed_lists():
    with pytest.raises(RuntimeError, match="DATABASE_URL_WANSHAN"):
        districts.create("test", {"GRIDLINK_DISTRICT": "wanshan"})
    with pytest.raises(RuntimeError, match="host=name"):
        districts.parse("bijiang.example.gov.cn")
    assert districts.parse("A.Example.cn.=bijiang, b.example.cn=wanshan") == {
        "a.example.cn": "bijiang",
        "b.example.cn": "wanshan",
    }
