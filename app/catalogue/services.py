"""The catalogue and calendar in force, read from the database (seeded from the repo's data
files on first use) and edited by district admins."""

import json
import time
from threading import Lock

from flask import current_app, g
from sqlalchemy import func, select

from app import clock
from app.catalogue.calendar import DATA_DIR, WorkCalendar, holiday_dates, validate_holidays
from app.catalogue.catalogue import Catalogue, validate_catalogue
from app.catalogue.models import ReferenceDocument
from app.catalogue.problems import Problem
from app.errors import Invalid
from app.extensions import db
from app.people.models import Department

SHIPPED = {
    "catalogue": [DATA_DIR / "categories.json"],
    "holidays": sorted(DATA_DIR.glob("holidays_*.json")),
}

_cache, _lock = {}, Lock()
_seen = {}  # database engine -> (time.monotonic(), versions): as this process last read them


def ship(kind, *paths):
    """Another domain's reference document, seeded from its data file (version 0)."""
    SHIPPED[kind] = list(paths)


def _newest(kind, *columns):
    return db.session.execute(
        select(ReferenceDocument.version, *columns)
        .where(ReferenceDocument.kind == kind)
        .order_by(ReferenceDocument.version.desc())
        .limit(1)
    ).first()


def _versions_statement():
    newest = (
        select(ReferenceDocument.kind, func.max(ReferenceDocument.version).label("version"))
        .group_by(ReferenceDocument.kind)
        .subquery()
    )
    return select(
        ReferenceDocument.kind, ReferenceDocument.version, ReferenceDocument.created_at
    ).join(
        newest,
        (newest.c.kind == ReferenceDocument.kind) & (newest.c.version == ReferenceDocument.version),
    )


# Built once: it is asked on every request that reads the catalogue or the calendar, and
# building the statement cost more than running it.
_VERSIONS = _versions_statement()


def _versions():
    """{kind: (version, created_at)} of the newest document of each kind, in one query."""
    rows = db.session.execute(_VERSIONS).all()
    return {kind: (version, created_at) for kind, version, created_at in rows}


def _recent_versions():
    """The versions as this process read them in the last REFERENCE_CHECK_SECONDS: asking on
    every report was one of its round trips. A new document is in force at once in the
    worker that saved it, and in the others within those seconds."""
    now, seen = time.monotonic(), _seen.get(db.engine)
    if seen is None or now - seen[0] >= current_app.config["REFERENCE_CHECK_SECONDS"]:
        seen = _seen[db.engine] = (now, _versions())
    return seen[1]


def _shipped(kind):
    documents = [json.loads(path.read_text(encoding="utf-8")) for path in SHIPPED[kind]]
    if kind == "holidays":
        return {"years": documents}
    return documents[0]


def document(kind):
    """(version, data) of the document in force; version 0 is the shipped file."""
    row = _newest(kind, ReferenceDocument.data)
    return (row.version, row.data) if row else (0, _shipped(kind))


def _built(kind, build):
    """The document in force, built into its object once per version (and per database: the
    time stamp tells apart two databases, or a test's, that reuse a version number)."""
    if "reference_documents" not in g:  # one look at the versions per request, for all kinds
        g.reference_documents = _recent_versions()
    key = (db.engine, kind, *g.reference_documents.get(kind, (0, None)))
    with _lock:
        built = _cache.get(key)
    if built is None:
        built = build(document(kind)[1])
        with _lock:
            _cache[key] = built
    return built


def department_codes():
    return set(db.session.execute(select(Department.code)).scalars())


def catalogue():
    return _built("catalogue", lambda data: Catalogue(data))


def calendar():
    def build(data):
        holidays, workdays = set(), set()
        for year in data["years"]:
            h, w = holiday_dates(year)
            holidays |= h
            workdays |= w
        return WorkCalendar(holidays=holidays, workdays=workdays, zone=clock.zone())

    return _built("holidays", build)


def save_document(kind, data, user):
    """A new version of a document, in force from now; its number."""
    g.pop("reference_documents", None)
    version = (
        db.session.execute(
            select(func.max(ReferenceDocument.version)).where(ReferenceDocument.kind == kind)
        ).scalar()
        or 0
    )
    db.session.add(
        ReferenceDocument(kind=kind, version=version + 1, data=data, created_by_id=user.id)
    )
    db.session.commit()
    _seen.pop(db.engine, None)
    return version + 1


def _problems_as_fields(problems):
    fields = {}
    for problem in problems:
        fields.setdefault(problem.path or "_document", []).append(problem.reason)
    return fields


def replace_catalogue(data, user):
    problems = validate_catalogue(data, department_codes())
    if problems:
        raise Invalid("The catalogue has problems.", fields=_problems_as_fields(problems))
    return save_document("catalogue", data, user)


def replace_holidays(data, user):
    years = data.get("years")
    if not isinstance(years, list) or not years:
        raise Invalid('Send {"years": [holiday lists]}.', fields={"years": ["required"]})
    problems = [p for i, year in enumerate(years) for p in validate_holidays(year, f"years[{i}]")]
    seen = {}
    for i, year in enumerate(years):
        number = year.get("year") if isinstance(year, dict) else None
        if number is not None and number in seen:
            problems.append(Problem(f"years[{i}].year", f"{number} is also years[{seen[number]}]"))
        seen.setdefault(number, i)
    if problems:
        raise Invalid("The holiday list has problems.", fields=_problems_as_fields(problems))
    return save_document("holidays", data, user)
