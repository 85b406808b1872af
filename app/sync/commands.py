"""The commands a phone may send, each checked by the same schema as its HTTP route and run by
the same service: a command is the route's request, queued."""

from typing import NamedTuple

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from app import inputs, transaction
from app.emergency import rollcalls
from app.emergency.models import RollCall
from app.emergency.schemas import AckIn
from app.extensions import db
from app.history.services import record
from app.households import groups as household_groups
from app.households import services as households
from app.households.models import Household
from app.households.schemas import (
    HouseholdAlarmIn,
    HouseholdIn,
    HouseholdMemberIn,
    HouseholdUpdateIn,
    MovedInIn,
    MovedOutIn,
)
from app.incidents import services as incidents
from app.incidents.models import Incident
from app.incidents.schemas import UUID, CheckIn, HandleIn, ReasonIn, ReportIn, StartIn, Text
from app.journal import services as journal
from app.journal.models import JournalEntry
from app.journal.schemas import JournalWriteIn
from app.notify import services as inbox
from app.notify.models import Message
from app.patrols import services as patrols
from app.patrols.models import Patrol
from app.patrols.schemas import PatrolEndIn, PatrolReportIn, PatrolStartIn, PatrolTrackIn
from app.tasks import services as tasks
from app.tasks.models import Task
from app.tasks.schemas import ClaimIn, CompleteIn, ProgressIn
from app.visits import services as visits
from app.visits.models import Visit
from app.visits.schemas import HouseholdVisitIn
from app.volunteering import services as volunteering
from app.volunteering.models import Activity
from app.volunteering.schemas import CheckInIn, CheckOutIn, SignUpIn
from app.wishes import schemas as wish_schemas
from app.wishes import services as wishes
from app.wishes.models import Wish


def _with_id(schema):
    """The route's body schema plus the id of the incident or task it acts on."""
    return type(
        f"{schema.__name__}Command", (schema,), {"id": fields.String(required=True, validate=UUID)}
    )


def _of_household(schema):
    """The route's body schema plus the household it acts on (its own id is another's)."""
    return type(
        f"{schema.__name__}Command",
        (schema,),
        {"household": fields.String(required=True, validate=UUID)},
    )


class Changed(NamedTuple):
    """What a command changed, named by its handler where the service answers with an id (a
    claim decides on a row of its task's scope and never loads the task)."""

    entity: str
    id: str


def _point(args):
    if args.get("lat") is None or args.get("lng") is None:
        return None
    return (args["lat"], args["lng"])


class CommentIn(Schema):
    entity = fields.String(required=True, validate=validate.OneOf(("incident", "task")))
    id = fields.String(required=True, validate=UUID)
    note = Text(required=True)
    device_time = fields.AwareDateTime(load_default=None)


def comment(user, args):
    """A note on an incident or task the user can see: one history entry."""
    if args["entity"] == "incident":
        thing = incidents.get_visible(user, args["id"])
    else:
        thing = tasks.get_visible(user, args["id"])
    record(
        args["entity"],
        thing.id,
        "comment",
        user,
        note=args["note"],
        device_time=args["device_time"],
    )
    transaction.commit()
    return thing


def acknowledge(user, args):
    rollcalls.acknowledge(user, args["id"], args["device_time"])
    return db.session.get(RollCall, args["id"])


# type -> (schema of args, function(user, args) -> the incident or task it changed, or what
# names it: Changed)
_HANDLERS = {
    "incident.report": (ReportIn, lambda u, a: incidents.report(u, a)[0]),
    "incident.me_too": (_with_id(Schema), lambda u, a: incidents.me_too(u, a["id"])),
    "incident.start": (
        _with_id(StartIn),
        lambda u, a: incidents.start(u, a["id"], a["device_time"], _point(a)),
    ),
    "incident.return": (
        _with_id(ReasonIn),
        lambda u, a: incidents.give_back(u, a["id"], a["reason"]),
    ),
    "incident.handle": (
        _with_id(HandleIn),
        lambda u, a: incidents.handle(
            u, a["id"], a["note"], a["photos"], a["device_time"], _point(a)
        ),
    ),
    "incident.check": (
        _with_id(CheckIn),
        lambda u, a: incidents.check(u, a["id"], a["passed"], a["reason"], a["photos"], _point(a)),
    ),
    "task.claim": (
        _with_id(ClaimIn),
        lambda u, a: Changed("task", tasks.claim(u, a["id"], a["device_time"])),
    ),
    "task.release": (_with_id(Schema), lambda u, a: Changed("task", tasks.release(u, a["id"]))),
    "task.progress": (
        _with_id(ProgressIn),
        lambda u, a: tasks.progress(
            u, a["id"], a["note"], a["photos"], a["device_time"], _point(a)
        ),
    ),
    "task.complete": (
        _with_id(CompleteIn),
        lambda u, a: tasks.complete(
            u, a["id"], a["note"], a["lat"], a["lng"], a["photos"], a["device_time"]
        ),
    ),
    # Recorded door to door with the phone's id: the same id again is the original.
    "wish.record": (wish_schemas.WishIn, lambda u, a: wishes.create(u, a)[0]),
    "wish.claim": (
        _with_id(wish_schemas.WishClaimIn),
        lambda u, a: wishes.claim(u, a["id"], a["joint_unit_id"], a["device_time"]),
    ),
    "wish.cancel": (
        _with_id(wish_schemas.WishReasonIn),
        lambda u, a: wishes.cancel(u, a["id"], a["reason"], a["device_time"]),
    ),
    "wish.fulfil": (
        _with_id(wish_schemas.WishFulfilIn),
        lambda u, a: wishes.fulfil(
            u, a["id"], a["note"], a["photos"], a["confirmed"], a["device_time"]
        ),
    ),
    "activity.sign_up": (
        _with_id(SignUpIn),
        lambda u, a: volunteering.sign_up(u, a["id"], a["device_time"]),
    ),
    "activity.check_in": (
        _with_id(CheckInIn),
        lambda u, a: volunteering.check_in(u, a["id"], a["lat"], a["lng"], a["device_time"]),
    ),
    "activity.check_out": (
        _with_id(CheckOutIn),
        lambda u, a: volunteering.check_out(u, a["id"], a["device_time"]),
    ),
    "comment": (CommentIn, comment),
    "household.create": (HouseholdIn, households.create),
    "household.update": (
        _with_id(HouseholdUpdateIn),
        lambda u, a: households.update(
            u, a["id"], a["changes"], a["base"], a["member"], a["device_time"]
        ),
    ),
    "household.add_member": (
        _of_household(HouseholdMemberIn),
        lambda u, a: households.add_member(u, a.pop("household"), a),
    ),
    "household.move_out": (
        _with_id(MovedOutIn),
        lambda u, a: households.move_out(u, a.pop("id"), a),
    ),
    "household.move_in": (
        _with_id(MovedInIn),
        lambda u, a: households.move_in(u, a.pop("id"), a),
    ),
    "visit.record": (HouseholdVisitIn, visits.record_visit),
    "household.alarm": (
        _of_household(HouseholdAlarmIn),
        lambda u, a: household_groups.alarm(u, a.pop("household"), a),
    ),
    # Sent ahead of the rest by the phone (its own lane, docs/sync.md); once however often.
    "rollcall.ack": (_with_id(AckIn), acknowledge),
    "message.read": (
        type("MessageReadCommand", (Schema,), {"id": inputs.Int(minimum=1, required=True)}),
        lambda u, a: inbox.mark_read(u, a["id"]),
    ),
    "patrol.start": (PatrolStartIn, patrols.start),
    "patrol.track": (_with_id(PatrolTrackIn), patrols.add_track),
    "patrol.end": (_with_id(PatrolEndIn), patrols.end),
    "patrol.report": (PatrolReportIn, patrols.report),
    "journal.write": (JournalWriteIn, journal.write),
}

# The entity a command's result names, by the type of what its handler returns.
ENTITY_OF = {
    Incident: "incident",
    Task: "task",
    RollCall: "rollcall",
    Message: "message",
    Wish: "wish",
    Activity: "activity",
    Household: "household",
    Visit: "visit",
    Patrol: "patrol",
    JournalEntry: "journal",
}


class _Storable(Schema):
    """Args holding text the database cannot store reject their command alone (the push's
    edge check leaves them to the command: app/sync/routes.py)."""

    @pre_load
    def storable(self, data, **kwargs):
        problems = inputs.clean(data)
        if problems:
            raise ValidationError(problems)
        return data


# Schemas built once: a push of 500 commands would otherwise build 500 of them.
HANDLERS = {
    kind: (type(schema.__name__, (_Storable, schema), {})(), run)
    for kind, (schema, run) in _HANDLERS.items()
}
