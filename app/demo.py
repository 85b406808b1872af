"""The demo district: generated GeoJSON through the real importer, then demo people."""

import json
import os

from sqlalchemy import func, select

from app.assessment import demo as assessment_demo
from app.extensions import db
from app.households.demo import seed_households
from app.party.demo import seed_party
from app.patrols import demo as patrols_demo
from app.people.demo import seed_people
from app.residents.demo import seed_residents
from app.units.importer import import_units
from app.units.models import Unit
from geo import demo as geo_demo

LOGINS_FILE = "demo-logins.json"


def load(instance_path, *, seed=42, members=13000, streets=7, communities=36, grids=514):
    """Generate the demo map into instance/demo, import it level by level, add people."""
    out_dir = os.path.join(instance_path, "demo")
    paths = geo_demo.generate(
        out_dir, seed=seed, streets=streets, communities=communities, grids=grids
    )
    results = {}
    for level in ("district", "street", "community", "grid"):
        # The real district outline is GCJ-02 and not valid as published: the importer
        # converts and repairs it, and says so in its report.
        crs = "gcj02" if level == "district" else "wgs84"
        results[level] = import_units(str(paths[level]), level, crs=crs)
    logins = seed_people(members=members, seed=seed)
    seed_party(logins)
    seed_residents(logins)
    seed_households(logins)
    db.session.commit()
    patrols_demo.seed()
    assessment_demo.seed()  # last: its facts are built from everyone's history
    save_logins(instance_path, logins)
    return results, logins


def is_empty():
    return not db.session.execute(select(func.count()).select_from(Unit)).scalar()


def save_logins(instance_path, logins):
    path = os.path.join(instance_path, LOGINS_FILE)
    os.makedirs(instance_path, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(logins, f, ensure_ascii=False, indent=1)


def read_logins(instance_path):
    path = os.path.join(instance_path, LOGINS_FILE)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)
