"""The dispatch desk over HTTP."""

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.dispatch import overview as overviews
from app.dispatch import services
from app.incidents.models import STATES
from app.incidents.schemas import UUID, IncidentOut, Ref
from app.inputs import Int
from app.tasks.models import STATES as TASK_STATES
from app.tasks.schemas import TaskOut

blp = Blueprint("dispatch", __name__, url_prefix="/api/dispatch", description="Dispatch desk")


class QueueArgs(Schema):
    community = fields.String(metadata={"description": "default: the secretary's community"})
    state = fields.List(fields.String(validate=validate.OneOf(STATES)))
    task_state = fields.List(fields.String(validate=validate.OneOf(TASK_STATES)))
    category = fields.String()
    grid = fields.String()
    urgent = fields.Boolean()
    overdue = fields.Boolean()
    limit = Int(minimum=1, maximum=500, load_default=100)


class Queue(Schema):
    community = fields.Nested(Ref)
    incidents = fields.List(fields.Nested(IncidentOut))
    tasks = fields.List(fields.Nested(TaskOut))


class MembersArgs(Schema):
    community = fields.String()


class Member(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()
    force = fields.String(allow_none=True)
    phone = fields.String()
    grid = fields.Nested(Ref)
    open_cases = fields.Integer()
    open_tasks = fields.Integer()


class CandidatesArgs(Schema):
    incident = fields.String(validate=UUID)
    task = fields.String(validate=UUID)
    q = fields.String(validate=validate.Length(max=20), metadata={"description": "name or phone"})
    limit = Int(minimum=1, maximum=200, load_default=50)

    @validates_schema
    def one_target(self, data, **kwargs):
        if bool(data.get("incident")) == bool(data.get("task")):
            raise ValidationError("Give an incident or a task.", "incident")


class ServedUnit(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String()


class DispatchCandidate(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()
    force = fields.String(allow_none=True)
    phone = fields.String()
    units = fields.List(fields.Nested(ServedUnit), metadata={"description": "where they serve"})
    own_grid = fields.Boolean(metadata={"description": "the case's grid is their own"})
    open_cases = fields.Integer()
    open_tasks = fields.Integer()


class OverviewArgs(Schema):
    unit = fields.String(metadata={"description": "default: the caller's street or district"})


class AreaFigures(Schema):
    open = fields.Integer(metadata={"description": "open cases"})
    overdue = fields.Integer()
    escalated = fields.Integer(metadata={"description": "open cases raised above the grid"})
    switches = fields.Integer(metadata={"description": "active emergency switches over it"})


class AreaUnitFigures(AreaFigures):
    code = fields.String()
    name = fields.String()
    level = fields.String()


class AreaOverview(AreaFigures):
    unit = fields.Nested(ServedUnit)
    units = fields.List(fields.Nested(AreaUnitFigures), metadata={"description": "the units below"})


class Assignment(Schema):
    incident_id = fields.String(validate=UUID)
    task_id = fields.String(validate=UUID)
    user_id = Int(minimum=1, required=True)
    deadline = fields.AwareDateTime(load_default=None)

    @validates_schema
    def one_target(self, data, **kwargs):
        if bool(data.get("incident_id")) == bool(data.get("task_id")):
            raise ValidationError("Give an incident_id or a task_id.", "incident_id")


class AssignIn(Schema):
    assignments = fields.List(
        fields.Nested(Assignment), required=True, validate=validate.Length(min=1, max=200)
    )


class AssignOut(Schema):
    assigned = fields.Integer()


@blp.get("")
@blp.arguments(QueueArgs, location="query")
@blp.response(200, Queue)
def queue(args):
    """The community's incidents and tasks, filterable, soonest deadline first."""
    return services.queue(current_user, args)


@blp.get("/members")
@blp.arguments(MembersArgs, location="query")
@blp.response(200, Member(many=True))
def members(args):
    """Members serving the community's grids with their current load, least loaded first."""
    return services.members(current_user, args.get("community"))


@blp.get("/candidates")
@blp.arguments(CandidatesArgs, location="query")
@blp.response(200, DispatchCandidate(many=True))
def candidates(args):
    """Who may take the incident or task: its grid's own members first, then those serving it
    from a wider unit, least loaded first; `q` finds a name or the end of a phone number."""
    return services.candidates(
        current_user, args.get("incident"), args.get("task"), args.get("q"), args["limit"]
    )


@blp.get("/overview")
@blp.arguments(OverviewArgs, location="query")
@blp.response(200, AreaOverview)
def overview(args):
    """The area at a glance (a street's communities, the district's streets): open, overdue
    and escalated cases, active switches."""
    return overviews.overview(current_user, args.get("unit"))


@blp.post("/assign")
@blp.arguments(AssignIn)
@blp.response(200, AssignOut)
def assign(body):
    """Assign many incidents and tasks at once: all succeed, or none and the error names which."""
    return {"assigned": len(services.assign(current_user, body["assignments"]))}
