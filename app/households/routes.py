"""The household register over HTTP."""

from flask_login import current_user
from flask_smorest import Blueprint

from app.history.services import timeline
from app.households import groups, services
from app.households.schemas import (
    ConflictResolveIn,
    HouseholdAlarmIn,
    HouseholdConflictOut,
    HouseholdConflictsArgs,
    HouseholdIn,
    HouseholdMemberIn,
    HouseholdOut,
    HouseholdsArgs,
    HouseholdUpdateIn,
    LiaisonGroupIn,
    LiaisonGroupOut,
    MovedInIn,
    MovedOutIn,
)
from app.incidents import services as incidents
from app.incidents.schemas import IncidentOut
from app.schemas import HistoryOut

blp = Blueprint(
    "households", __name__, url_prefix="/api/households", description="Households (住户, 十联户)"
)


def _one(household):
    return services.present(current_user, [household])[0]


@blp.get("")
@blp.arguments(HouseholdsArgs, location="query")
@blp.response(200, HouseholdOut(many=True))
def listing(args):
    """The households the user sees (a 联户长: their group's), found by address, name,
    phone or ID number, and by tag; personal data masked."""
    return services.present(current_user, services.listing(current_user, args))


@blp.post("")
@blp.arguments(HouseholdIn)
@blp.response(201, HouseholdOut)
def create(body):
    """Register a household in a grid the user serves or manages."""
    return _one(services.create(current_user, body))


@blp.get("/conflicts")
@blp.arguments(HouseholdConflictsArgs, location="query")
@blp.response(200, HouseholdConflictOut(many=True))
def conflicts(args):
    """Fields two phones changed differently, for the secretary to decide."""
    found = services.conflicts(current_user, args.get("community"))
    return services.present_conflicts(current_user, found)


@blp.post("/conflicts/<int:conflict_id>")
@blp.arguments(ConflictResolveIn)
@blp.response(200, HouseholdConflictOut)
def resolve(body, conflict_id):
    """Keep the current value or take the proposed one."""
    conflict = services.resolve(current_user, conflict_id, body["keep"])
    return services.present_conflicts(current_user, [conflict])[0]


@blp.post("/groups")
@blp.arguments(LiaisonGroupIn)
@blp.response(201, LiaisonGroupOut)
def create_group(body):
    """A 十联户 group in a grid: its name, 联户长 and households."""
    return groups.save(current_user, body)


@blp.patch("/groups/<int:group_id>")
@blp.arguments(LiaisonGroupIn)
@blp.response(200, LiaisonGroupOut)
def change_group(body, group_id):
    return groups.save(current_user, body, group_id)


@blp.get("/<household_id>")
@blp.response(200, HouseholdOut)
def detail(household_id):
    return _one(services.get_visible(current_user, household_id))


@blp.patch("/<household_id>")
@blp.arguments(HouseholdUpdateIn)
@blp.response(200, HouseholdOut)
def update(body, household_id):
    """Change fields of the household or of one member, each with the version it was seen
    at: what another change moved since becomes a conflict, not an overwrite."""
    household = services.update(
        current_user,
        household_id,
        body["changes"],
        body["base"],
        body["member"],
        body["device_time"],
    )
    return _one(household)


@blp.get("/<household_id>/history")
@blp.response(200, HistoryOut(many=True))
def history(household_id):
    """The household's changes, conflicts (both values, encrypted) and alarms."""
    return timeline(services.ENTITY, services.get_visible(current_user, household_id).id)


@blp.post("/<household_id>/members")
@blp.arguments(HouseholdMemberIn)
@blp.response(200, HouseholdOut)
def add_member(body, household_id):
    return _one(services.add_member(current_user, household_id, body))


@blp.post("/<household_id>/move-out")
@blp.arguments(MovedOutIn)
@blp.response(200, HouseholdOut)
def move_out(body, household_id):
    """迁出: the household, or one member, moved out (when, where to, why)."""
    return _one(services.move_out(current_user, household_id, body))


@blp.post("/<household_id>/move-in")
@blp.arguments(MovedInIn)
@blp.response(200, HouseholdOut)
def move_in(body, household_id):
    """Moved back in: on the lists and visit plans again."""
    return _one(services.move_in(current_user, household_id, body))


@blp.post("/<household_id>/alarm")
@blp.arguments(HouseholdAlarmIn)
@blp.response(201, IncidentOut)
def alarm(body, household_id):
    """A household in trouble: an urgent case, and the grid's members, secretary and 联户长
    told at once."""
    incident = groups.alarm(current_user, household_id, body)
    return incidents.present(current_user, [incident])[0]
