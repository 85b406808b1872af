"""The bench's bare app answers as GridLink does, with only the work of each endpoint."""

import uuid

import pytest
from sqlalchemy import text

from app.extensions import db as _db
from app.units.services import placement
from bench import bare
from tests.builders import report_body


@pytest.fixture
def bare_client(app, district):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    bare.create_table(url)
    served = bare.create(url)
    yield served.test_client()
    bare.close(served)
    # Not GridLink's table: test_schema compares the database with the migrations.
    _db.session.execute(text(f"DROP TABLE {bare.TABLE}"))
    _db.session.commit()


def test_hello_is_small_json(bare_client):
    reply = bare_client.get("/hello")
    assert reply.status_code == 200
    assert reply.get_json() == {"status": "ok"}


def test_locate_finds_the_grid_gridlink_places_the_point_in(bare_client, district):
    for grid in district["grid"][::5]:
        point = grid.geom.representative_point()
        reply = bare_client.get(f"/locate?lat={point.y}&lng={point.x}")
        assert reply.status_code == 200
        assert reply.get_json() == placement(point.x, point.y)


def test_locate_outside_the_district_is_404(bare_client):
    assert bare_client.get("/locate?lat=0&lng=0").status_code == 404


def test_insert_writes_one_row_per_report(bare_client, district):
    bodies = [report_body(grid, id=str(uuid.uuid4())) for grid in district["grid"][:3]]
    for body in bodies:
        assert bare_client.post("/insert", json=body).status_code == 201
    rows = _db.session.execute(text(f"SELECT id, category_code FROM {bare.TABLE}")).all()
    assert sorted(rows) == sorted((body["id"], body["category"]) for body in bodies)
