"""Migration 0013 encrypts the cases already there, and downgrades back, on a database that
holds them with rows pointing at them (SQLite once refused: making the table again failed on
their followers)."""

import flask_migrate
from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.incidents import services as incidents
from app.incidents.models import Follower, Incident
from app.people.models import GRID_MEMBER
from app.units.importer import import_units
from app.units.models import Unit
from tests.builders import report_body
from tests.conftest import MAP_LEVELS, make_user


def test_existing_cases_are_encrypted_and_decrypted_back(tmp_path, demo_files):
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"})
    with app.app_context():
        flask_migrate.upgrade()
        for level in MAP_LEVELS:
            import_units(
                str(demo_files[level]), level, crs="gcj02" if level == "district" else "wgs84"
            )
        grid = db.session.query(Unit).filter_by(level="grid").first()
        member = make_user(GRID_MEMBER, [grid])
        body = report_body(grid, resident_name="张三", resident_phone="13912345678")
        defaults = {"urgent": False, "handled_on_spot": False, "source": "member", "photos": []}
        case = incidents.report(member, {**defaults, **body}).incident
        db.session.add(Follower(incident_id=case.id, user_id=member.id, at=case.reported_at))
        db.session.commit()
        raw = text("SELECT resident_phone FROM incident")

        db.session.remove()
        flask_migrate.downgrade(revision="0012")
        assert db.session.execute(raw).scalar() == "13912345678"  # as before the migration
        db.session.remove()
        flask_migrate.upgrade()
        assert "13912345678" not in db.session.execute(raw).scalar()
        db.session.remove()
        assert db.session.query(Incident).one().resident_phone == "13912345678"
        assert db.session.query(Follower).count() == 1
        db.session.remove()
        db.engine.dispose()
