"""Visits over HTTP."""

from flask_login import current_user
from flask_smorest import Blueprint

from app.visits import services
from app.visits.plans import plans
from app.visits.schemas import (
    HouseholdVisitIn,
    HouseholdVisitOut,
    VisitDueOut,
    VisitPlansOut,
    VisitsArgs,
    VisitsDueArgs,
    VisitSignOffIn,
)

blp = Blueprint("visits", __name__, url_prefix="/api/visits", description="Visits (走访)")


def _one(visit):
    return services.present(current_user, [visit])[0]


@blp.post("")
@blp.arguments(HouseholdVisitIn)
@blp.response(201, HouseholdVisitOut)
def record(body):
    """Record a visit of a household (once by its id); it may raise an incident."""
    return _one(services.record_visit(current_user, body))


@blp.get("")
@blp.arguments(VisitsArgs, location="query")
@blp.response(200, HouseholdVisitOut(many=True))
def listing(args):
    """A household's visits, newest first."""
    return services.present(current_user, services.listing(current_user, args["household"]))


@blp.get("/due")
@blp.arguments(VisitsDueArgs, location="query")
@blp.response(200, VisitDueOut(many=True))
def due(args):
    """The households the user sees by when they are next due (overdue first)."""
    return [
        {"household": {"id": h.id, "address": h.address, "grid": h.grid.code}, **d}
        for h, d in services.due(current_user, args)
    ]


@blp.get("/plans")
@blp.response(200, VisitPlansOut)
def plan_document():
    """The visit plans and their forms (version, plans by tag), as the phone fills them."""
    current = plans()
    return {
        "version": current.version,
        "plans": [
            {"tag": p.tag, "name": p.name, "every_days": p.every_days, "fields": list(p.fields)}
            for p in current.by_tag.values()
        ],
    }


@blp.get("/signoffs")
@blp.response(200, HouseholdVisitOut(many=True))
def awaiting():
    """The visit records waiting for this department's sign-off, soonest due first."""
    return services.present(current_user, services.awaiting_signoff(current_user))


@blp.get("/<visit_id>")
@blp.response(200, HouseholdVisitOut)
def detail(visit_id):
    return _one(services.get_visible(current_user, visit_id))


@blp.post("/<visit_id>/signoff")
@blp.arguments(VisitSignOffIn)
@blp.response(200, HouseholdVisitOut)
def sign_off(body, visit_id):
    """签收: the department signs the record off with its opinion."""
    return _one(services.sign_off(current_user, visit_id, body["opinion"]))
