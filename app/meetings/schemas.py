"""Request and response shapes for 联席会议."""

from marshmallow import Schema, fields, validate

from app.inputs import Int
from app.meetings.models import KINDS, STATES
from app.schemas import UUID, Out, PersonRef, Ref, Text, Time

People = lambda **kw: fields.List(Int(minimum=1), validate=validate.Length(max=200), **kw)  # noqa: E731


class MeetingIn(Schema):
    id = fields.String(validate=UUID)
    unit = fields.String(required=True, metadata={"description": "a street's or community's code"})
    kind = fields.String(load_default="quarterly", validate=validate.OneOf(KINDS))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    place = fields.String(required=True, validate=validate.Length(min=1, max=200))
    due_at = fields.AwareDateTime(required=True, metadata={"description": "when it is planned"})
    due = People(load_default=list, metadata={"description": "who is due to attend"})


class HoldIn(Schema):
    held_at = fields.AwareDateTime(required=True)
    attended = People(load_default=list)


class ProblemIn(Schema):
    description = Text(required=True)
    raised_by_id = Int(minimum=1, load_default=None, metadata={"description": "default: me"})


class DecisionIn(Schema):
    responsible_id = Int(minimum=1, required=True, metadata={"description": "定责任"})
    community = fields.String(
        load_default=None, metadata={"description": "for a street's meeting: where the task is"}
    )
    measure = Text(required=True, metadata={"description": "定措施"})
    deadline = fields.AwareDateTime(required=True, metadata={"description": "定时限"})
    capacity = Int(minimum=1, maximum=50, load_default=1, metadata={"description": "定人员"})


class CloseIn(Schema):
    note = Text(required=True)


class MeetingQuery(Schema):
    state = fields.String(validate=validate.OneOf(STATES))
    limit = Int(minimum=1, maximum=500, load_default=100)
    offset = Int(minimum=0, load_default=0)


class PeriodQuery(Schema):
    since = fields.AwareDateTime(required=True)
    until = fields.AwareDateTime(required=True)


class AttendeeOut(Out):
    user = fields.Nested(PersonRef)
    attended = fields.Boolean()


class DecisionOut(Out):
    id = fields.Integer()
    department = fields.Nested(Ref, allow_none=True)
    measure = fields.String()
    deadline = Time()
    task_id = fields.String()
    task_state = fields.Function(lambda d: d.task.state)
    responsible = fields.Nested(PersonRef, metadata={"description": "定责任: the task's"})


class ProblemOut(Out):
    id = fields.Integer()
    description = fields.String()
    raised_by = fields.Nested(PersonRef)
    state = fields.String()
    created_at = Time()
    closed_at = Time(allow_none=True)
    close_note = fields.String(allow_none=True)
    decisions = fields.List(fields.Nested(DecisionOut))


class MeetingOut(Out):
    id = fields.String()
    unit = fields.Nested(Ref)
    kind = fields.String()
    title = fields.String()
    place = fields.String()
    due_at = Time()
    held_at = Time(allow_none=True)
    state = fields.String()
    convened_by = fields.Nested(PersonRef)
    problems = fields.List(fields.Nested(ProblemOut))


class MeetingDetail(MeetingOut):
    attendees = fields.List(fields.Nested(AttendeeOut))


class MeetingCounts(Out):
    planned = fields.Integer()
    held = fields.Integer()
    problems = fields.Integer()
    closed = fields.Integer()
