"""Importing units from GeoJSON: all or nothing, re-import updates by code."""

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import undefer

from app.extensions import db
from app.units.models import LEVELS, MODEL_BY_LEVEL, Unit, bump_revision, utcnow
from geo.checks import PARENT_LEVEL, Issue, check_units
from geo.features import UnitFeature, read_units
from geo.metric import area_m2

GRID_CODE = re.compile(r"^\d{3}$")


class ImportFailed(Exception):
    """The file was not imported; `report` says why, feature by feature."""

    def __init__(self, report):
        super().__init__(report.as_text())
        self.report = report


@dataclass
class ImportResult:
    report: object
    created: int = 0
    updated: int = 0
    dry_run: bool = False

    def as_text(self):
        created, updated = (
            ("would create", "would update") if self.dry_run else ("created", "updated")
        )
        return f"{self.report.as_text()}\n{created} {self.created}, {updated} {self.updated}"


def _code_issues(feature, parent_code):
    """Codes nest: a child's code extends its parent's; a grid adds exactly 3 digits."""
    if parent_code is None:
        return []
    suffix = feature.code[len(parent_code) :]
    if not feature.code.startswith(parent_code) or not suffix:
        message = f"code {feature.code} does not extend its parent's code {parent_code}"
    elif feature.level == "grid" and not GRID_CODE.match(suffix):
        message = f"a grid's code is its community's code plus 3 digits; {feature.code} is not"
    else:
        return []
    return [Issue("error", feature.code, feature.index, "code", message)]


def import_units(source, level, *, crs="wgs84", dry_run=False):
    """Check a GeoJSON file of one level against the map and write it in one transaction.

    Raises geo.features.GeoJSONError for an unreadable file and ImportFailed when any feature
    has an error; in both cases nothing is written.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    features = read_units(source, level)
    parent_level = PARENT_LEVEL[level]
    parents = {}
    if parent_level:
        parents = {
            u.code: u
            for u in db.session.execute(
                select(Unit).where(Unit.level == parent_level).options(undefer(Unit.geom))
            ).scalars()
        }
    existing = {
        u.code: u
        for u in db.session.execute(select(Unit).options(undefer(Unit.geom))).scalars()
        if u.code in {f.code for f in features} or u.level == level
    }
    # Siblings already in the map but not in the file count for overlaps and gaps too.
    file_codes = {f.code for f in features}
    touched_parents = {f.parent_code for f in features}
    kept = [
        UnitFeature(u.code, u.name, level, u.parent.code, u.geom, index=None)
        for u in existing.values()
        if u.level == level
        and u.code not in file_codes
        and u.parent
        and u.parent.code in touched_parents
    ]
    report = check_units(
        features + kept,
        level,
        {code: u.geom for code, u in parents.items()} if parent_level else None,
        crs=crs,
    )
    report.features = [f for f in report.features if f.code in file_codes]
    for feature in report.features:
        clash = existing.get(feature.code)
        if clash is not None and clash.level != level:
            report.issues.append(
                Issue(
                    "error",
                    feature.code,
                    feature.index,
                    "code",
                    f"code {feature.code} is already a {clash.level}",
                )
            )
        report.issues.extend(_code_issues(feature, feature.parent_code))
    if not report.ok:
        db.session.rollback()
        raise ImportFailed(report)

    result = ImportResult(report, dry_run=dry_run)
    model = MODEL_BY_LEVEL[level]
    for feature in report.features:
        unit = existing.get(feature.code)
        if unit is None:
            unit = model(code=feature.code)
            db.session.add(unit)
            result.created += 1
        else:
            result.updated += 1
        unit.name = feature.name
        unit.geom = feature.geometry
        unit.area_m2 = area_m2(feature.geometry)
        unit.parent = parents.get(feature.parent_code) if parent_level else None
        unit.updated_at = utcnow()
    if dry_run:
        db.session.rollback()
        return result
    bump_revision()
    db.session.commit()
    return result
