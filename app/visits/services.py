"""Visits' rules: who records a visit of which household, what its forms must say, when each
household and person is next due, a department's sign-off, and a member's day of visits (the
民情日志 drafts from `of_member_on`)."""

import uuid
from datetime import timedelta

from sqlalchemy import or_, select, true

from app import clock, transaction
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.history.services import record, register_scope
from app.households import services as households
from app.incidents import services as incidents
from app.notify import services as inbox
from app.people import services as people
from app.people.models import DEPARTMENT, DISTRICT_ADMIN, LIAISON, Department, User
from app.photos import services as photos
from app.rules import require
from app.schemas import Shown
from app.visits.models import Visit
from app.visits.plans import HOUSEHOLD, plans

ENTITY = "visit"


# -- who sees what -----------------------------------------------------------------------------


def visible(user, visit):
    if user.role == DISTRICT_ADMIN or visit.visitor_id == user.id:
        return True
    if user.role == DEPARTMENT:
        return visit.signoff_department_id == user.department_id
    return user.role != LIAISON and people.can_view(user, visit.household.grid)


def get_visible(user, visit_id):
    visit = db.session.get(Visit, visit_id)
    if visit is None or not visible(user, visit):
        raise NotFound("No such visit.", fields={"id": [visit_id]})
    return visit


def _seen_by(user):
    """A condition on Visit: the visits the user may see (as `visible` says, in SQL)."""
    if user.role == DISTRICT_ADMIN:
        return true()
    if user.role == DEPARTMENT:
        return Visit.signoff_department_id == user.department_id
    own = Visit.visitor_id == user.id
    if user.role == LIAISON:
        return own
    area = households.visible_ids(user)
    return or_(own, Visit.household_id.in_(area))


def snapshot(user, after_id, since, limit):
    """A first sync's visits: those the user sees of the last 30 days."""
    query = select(Visit).where(Visit.id > after_id, Visit.at >= since, _seen_by(user))
    return db.session.execute(query.order_by(Visit.id).limit(limit)).scalars().all()


def present(user, visits):
    shown = photos.attachments(ENTITY, [v.id for v in visits])
    return [
        Shown(
            visit,
            visitor={"id": visit.visitor.id, "name": visit.visitor.name},
            photos=shown.get(visit.id, []),
            signoff_late=_late(visit),
        )
        for visit in visits
    ]


def _late(visit):
    if visit.signoff_due is None:
        return None
    return (visit.signed_at or clock.now()) > visit.signoff_due


# -- recording ---------------------------------------------------------------------------------


def _check_form(specs, given, path):
    """A tagged person's form against their plans' fields, as the catalogue's fields check a
    report: {path: [problem]}."""
    problems = {}
    known = {spec["code"]: spec for spec in specs}
    for code in given:
        if code not in known:
            problems[f"{path}.{code}"] = ["not a field of this person's forms"]
    for code, spec in known.items():
        value = given.get(code)
        if value in (None, ""):
            if spec["required"]:
                problems[f"{path}.{code}"] = ["required"]
            continue
        if spec["datatype"] == "singlevaluelist":
            keys = [v["key"] for v in spec["values"]]
            if value not in keys:
                problems[f"{path}.{code}"] = [f"one of {', '.join(keys)}"]
        elif spec["datatype"] == "number" and not isinstance(value, int | float):
            problems[f"{path}.{code}"] = ["a number"]
        elif spec["datatype"] in ("string", "text") and (
            not isinstance(value, str) or len(value) > 2000
        ):
            problems[f"{path}.{code}"] = ["text of at most 2000 characters"]
    return problems


def record_visit(user, body):
    """A visit of a household by a member who serves its grid (or its manager): exactly once
    by its id. It may raise an incident, and reaches the department that must sign it off."""
    found = db.session.get(Visit, body["id"])
    if found is not None:
        require(found.visitor_id == user.id, "Another visit has this id.")
        return found  # sent again
    household = households.get_visible(user, body["household"])
    require(
        user.role != LIAISON and households.may_edit(user, household),
        "Visits are made by the grid's members.",
    )
    if household.moved_out_on is not None:
        raise Conflict("This household has moved out.", code="moved_out")
    members = {m.id: m for m in household.members if m.moved_out_on is None}
    current = plans()
    problems = {}
    unknown = [m for m in body["met"] if m not in members]
    if unknown:
        problems["met"] = [f"not a member living in this household: {m}" for m in unknown]
    for member_id in body["forms"]:
        if member_id not in body["met"]:
            problems[f"forms.{member_id}"] = ["a form of someone not met"]
    met = [members[m] for m in body["met"] if m in members]
    for member in met:
        specs = [spec for plan in current.of(member.tags) for spec in plan.fields]
        problems.update(_check_form(specs, body["forms"].get(member.id, {}), f"forms.{member.id}"))
    if problems:
        raise Invalid("The visit's record is incomplete.", fields=problems)
    now = clock.now()
    at = min(body.get("device_time") or now, now)
    signoffs = [p.signoff for m in met for p in current.of(m.tags) if p.signoff]
    signoff = min(signoffs, key=lambda s: s["hours"]) if signoffs else None
    department = None
    if signoff:
        department = db.session.execute(
            select(Department).where(Department.code == signoff["department"])
        ).scalar()
    visit = Visit(
        id=body["id"],
        household_id=household.id,
        household=household,
        grid_id=household.grid_id,
        community_id=household.community_id,
        visitor_id=user.id,
        visitor=user,
        at=at,
        recorded_at=now,
        lat=body.get("lat"),
        lng=body.get("lng"),
        met=[m.id for m in met],
        note=body["note"],
        forms=body["forms"],
        plans_version=current.version,
        signoff_department_id=department.id if department else None,
        signoff_due=now + timedelta(hours=signoff["hours"]) if department else None,
    )
    with transaction.grouped():  # the visit, its incident and its notices: one change
        if body.get("incident"):
            raised = body["incident"]
            point = household.grid.geom.representative_point()
            reported = incidents.report(
                user,
                {
                    "id": raised.get("id") or str(uuid.uuid4()),
                    "category": raised["category"],
                    "urgent": raised.get("urgent", False),
                    "description": raised["description"],
                    "lat": body.get("lat") if body.get("lat") is not None else point.y,
                    "lng": body.get("lng") if body.get("lng") is not None else point.x,
                    "address": household.address,
                    "handled_on_spot": False,
                    "photos": [],
                    "device_time": body.get("device_time"),
                },
            )
            visit.incident_id = reported.incident.id
        db.session.add(visit)
        db.session.flush()
        photos.attach(ENTITY, visit.id, body.get("photos") or [], user)
        scope = (household.grid_id, household.community_id)
        point = (body["lat"], body["lng"]) if body.get("lat") is not None else None
        record(
            ENTITY,
            visit.id,
            "record",
            user,
            data={"household": household.id, "met": visit.met},
            device_time=body.get("device_time"),
            point=point,
            scope=scope,
        )
        # The household's next visit moved: its phones learn it with the household.
        record(
            households.ENTITY, household.id, "visit", user, data={"visit": visit.id}, scope=scope
        )
        if department:
            signers = select(User.id).where(User.department_id == department.id, User.active)
            inbox.deliver(
                signers,
                "dispatch",
                f"走访签收: {household.address}",
                entity=ENTITY,
                entity_id=visit.id,
            )
    transaction.commit()
    return visit


def sign_off(user, visit_id, opinion):
    """签收: the department the record reached signs it with its opinion, once."""
    visit = get_visible(user, visit_id)
    require(
        user.role == DEPARTMENT and visit.signoff_department_id == user.department_id,
        "Only the department it reached signs a visit off.",
    )
    if visit.signed_at is not None:
        if visit.opinion == opinion:
            return visit  # sent again
        raise Conflict("This visit was signed off already.", code="signed")
    visit.signed_at, visit.signed_by_id, visit.opinion = clock.now(), user.id, opinion
    record(
        ENTITY,
        visit.id,
        "sign_off",
        user,
        note=opinion,
        data={"late": _late(visit)},
        scope=(visit.grid_id, visit.community_id),
    )
    transaction.commit()
    return visit


def awaiting_signoff(user):
    require(user.role == DEPARTMENT, "Sign-offs are for departments.")
    query = select(Visit).where(
        Visit.signoff_department_id == user.department_id, Visit.signed_at.is_(None)
    )
    return db.session.execute(query.order_by(Visit.signoff_due)).scalars().all()


def listing(user, household_id):
    household = households.get_visible(user, household_id)
    require(user.role != LIAISON, "Visit records are for the grid's people.")
    query = select(Visit).where(Visit.household_id == household.id).order_by(Visit.at.desc())
    return db.session.execute(query).scalars().all()


# -- what is due -------------------------------------------------------------------------------


def due_of(found_households):
    """{household id: {"last_visit_at", "next_visit_due", "people": [{member, tag, last, due}]}}:
    each household is due every `household` plan's days, each tagged person every their
    tags' plans' days (the most frequent counts); never visited is due now. Whoever moved
    out (迁出) is due never."""
    ids = [h.id for h in found_households]
    visits = {}
    if ids:
        for household_id, at, met in db.session.execute(
            select(Visit.household_id, Visit.at, Visit.met).where(Visit.household_id.in_(ids))
        ):
            visits.setdefault(household_id, []).append((at, met))
    current = plans()
    every = current.by_tag.get(HOUSEHOLD)
    out = {}
    for household in found_households:
        seen = visits.get(household.id, [])
        last = max((at for at, _ in seen), default=None)
        dues = []
        living = household.moved_out_on is None  # 迁出: off the plans
        if every and living:
            dues.append(last + timedelta(days=every.every_days) if last else None)
        people_due = []
        for member in household.members if living else ():
            tagged = current.of(member.tags) if member.moved_out_on is None else ()
            if not tagged:
                continue
            days = min(plan.every_days for plan in tagged)
            met_last = max((at for at, met in seen if member.id in met), default=None)
            due = met_last + timedelta(days=days) if met_last else None
            people_due.append(
                {"member": member.id, "last_visit_at": met_last, "next_visit_due": due}
            )
            dues.append(due)
        known = [d for d in dues if d is not None]
        next_due = None if (None in dues) else min(known, default=None)
        out[household.id] = {
            "last_visit_at": last,
            "next_visit_due": next_due,
            "due_now": bool(dues) and (None in dues or next_due <= clock.now()),
            "people": people_due,
        }
    return out


def due(user, filters):
    """The households the user sees with their next visit, soonest first (never visited
    first); with `overdue`, only those due now."""
    require(user.role != LIAISON, "Visit plans are for the grid's people.")
    found = households.listing(user, {**filters, "limit": filters.get("limit", 1000)})
    dues = due_of(found)
    rows = [(h, dues[h.id]) for h in found if not filters.get("overdue") or dues[h.id]["due_now"]]
    now = clock.now()
    rows.sort(key=lambda row: (not row[1]["due_now"], row[1]["next_visit_due"] or now))
    return rows


def of_member_on(user, day):
    """The visits `user` made on `day` (a date on the district's clock), in time order."""
    start, end = clock.day_bounds(day)
    query = select(Visit).where(Visit.visitor_id == user.id, Visit.at >= start, Visit.at < end)
    return db.session.execute(query.order_by(Visit.at)).scalars().all()


def _scope(visit_id):
    visit = db.session.get(Visit, visit_id)
    return (visit.grid_id, visit.community_id) if visit else (None, None)


def _photo_visible(user, visit_id):
    visit = db.session.get(Visit, visit_id)
    return visit is not None and visible(user, visit)


register_scope(ENTITY, _scope)
photos.register_visibility(ENTITY, _photo_visible)
