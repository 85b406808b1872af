"""Patrols and patrol plans over HTTP: thin wrappers around app.patrols.services and plans.
A phone records a patrol through sync (docs/sync.md); these routes are the same commands
online, and what the desk reads."""

from flask_login import current_user
from flask_smorest import Blueprint

from app.patrols import plans, services
from app.patrols.schemas import (
    PatrolDetail,
    PatrolEndIn,
    PatrolOut,
    PatrolPlanIn,
    PatrolPlanOut,
    PatrolQuery,
    PatrolReviewIn,
    PatrolStartIn,
    PatrolTrackIn,
    PlanMissOut,
    PlanMissQuery,
)
from app.schemas import Shown

blp = Blueprint("patrols", __name__, url_prefix="/api/patrols", description="Patrols (巡查)")


def _detail(patrol_id):
    patrol = services.get_visible(current_user, patrol_id)
    return services.present(current_user, [patrol], detail=True)[0]


@blp.post("")
@blp.arguments(PatrolStartIn)
@blp.response(200, PatrolOut)
def start(body):
    """Start a patrol in a grid you serve; the same id again is the same patrol."""
    patrol = services.start(current_user, body)
    return services.present(current_user, [patrol])[0]


@blp.get("")
@blp.arguments(PatrolQuery, location="query")
@blp.response(200, PatrolOut(many=True))
def listing(filters):
    """Your patrols; a secretary's, their community's; newest first."""
    return services.present(current_user, services.listing(current_user, filters))


@blp.get("/tracks")
@blp.arguments(PatrolQuery, location="query")
@blp.response(200, PatrolDetail(many=True))
def tracks(filters):
    """As the listing, each with its track: the desk's map of the day's patrols."""
    found = services.listing(current_user, filters, tracks=True)
    return services.present(current_user, found, detail=True)


@blp.get("/<patrol_id>")
@blp.response(200, PatrolDetail)
def detail(patrol_id):
    """A patrol with its track (the wire's encoding, docs/sync.md)."""
    return _detail(patrol_id)


@blp.post("/<patrol_id>/track")
@blp.arguments(PatrolTrackIn)
@blp.response(200, PatrolOut)
def add_track(body, patrol_id):
    patrol = services.add_track(current_user, {**body, "id": patrol_id})
    return services.present(current_user, [patrol])[0]


@blp.post("/<patrol_id>/end")
@blp.arguments(PatrolEndIn)
@blp.response(200, PatrolOut)
def end(body, patrol_id):
    patrol = services.end(current_user, {**body, "id": patrol_id})
    return services.present(current_user, [patrol])[0]


@blp.post("/<patrol_id>/review")
@blp.arguments(PatrolReviewIn)
@blp.response(200, PatrolOut)
def review(body, patrol_id):
    """The secretary's 考评: a score of 1 to 5 and a comment."""
    patrol = services.review(current_user, patrol_id, body["score"], body["note"])
    return services.present(current_user, [patrol])[0]


@blp.get("/plans")
@blp.response(200, PatrolPlanOut(many=True))
def plan_listing():
    return plans.listing(current_user)


@blp.get("/plans/<int:plan_id>")
@blp.response(200, PatrolPlanOut)
def plan_detail(plan_id):
    return plans.get_visible(current_user, plan_id)


@blp.put("/plans")
@blp.arguments(PatrolPlanIn)
@blp.response(200, PatrolPlanOut)
def set_plan(body):
    """Set the grid's patrol plan (one per grid): how often, how long, which checkpoints."""
    return plans.set_plan(current_user, body)


@blp.post("/plans/<int:plan_id>/stop")
@blp.response(200, PatrolPlanOut)
def stop_plan(plan_id):
    return plans.stop_plan(current_user, plan_id)


@blp.get("/misses")
@blp.arguments(PlanMissQuery, location="query")
@blp.response(200, PlanMissOut(many=True))
def misses(query):
    """Windows of a plan that passed without a patrol that met it, newest first."""
    found = plans.misses(current_user, query.get("community"), query.get("since"))
    return [Shown(miss, grid=miss.plan.grid, title=miss.plan.title) for miss in found]
