"""Request and response shapes for tasks."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.inputs import Int
from app.photos.schemas import AttachedPhoto, PhotoRef
from app.schemas import UUID, HistoryOut, Out, PersonRef, PointMixin, Ref, Text, Time
from app.tasks.models import KINDS, STATES


class TaskIn(Schema):
    id = fields.String(validate=UUID)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(load_default="routine", validate=validate.OneOf(KINDS))
    incident_id = fields.String(validate=UUID, load_default=None)
    grid = fields.String(metadata={"description": "grid code; omit for the community's pool"})
    community = fields.String(metadata={"description": "community code, for a pool task"})
    target = Text(required=True, metadata={"description": "定目标"})
    capacity = Int(
        minimum=1,
        maximum=500,
        load_default=1,
        metadata={"description": "定人员: how many may claim it"},
    )
    responsible_id = Int(minimum=1, load_default=None, metadata={"description": "定责任"})
    deadline = fields.AwareDateTime(required=True, metadata={"description": "定时限"})
    measures = Text(load_default=None, metadata={"description": "定措施"})

    @validates_schema
    def one_place(self, data, **kwargs):
        if bool(data.get("grid")) == bool(data.get("community")):
            raise ValidationError("Give a grid, or a community for a pool task.", "grid")


class TaskQuery(Schema):
    state = fields.List(fields.String(validate=validate.OneOf(STATES)))
    grid = fields.String()
    mine = fields.Boolean()
    claimable = fields.Boolean()
    overdue = fields.Boolean()
    limit = Int(minimum=1, maximum=500, load_default=100)
    offset = Int(minimum=0, load_default=0)


class ClaimIn(Schema):
    device_time = fields.AwareDateTime(load_default=None)


class TaskAssignIn(Schema):
    user_id = Int(minimum=1, required=True)
    replace = Int(
        minimum=1, load_default=None, metadata={"description": "reassign from this member"}
    )


class UnassignIn(Schema):
    user_id = Int(minimum=1, required=True)
    note = Text(load_default=None)


class ProgressIn(PointMixin):
    note = Text(required=True)
    photos = fields.List(
        fields.Nested(PhotoRef), load_default=list, validate=validate.Length(max=9)
    )


class CompleteIn(Schema):
    note = Text(load_default=None)
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))
    # At least one is required, but by the service, so that the answer is the specific
    # evidence_required rather than a generic validation error.
    photos = fields.List(
        fields.Nested(PhotoRef), load_default=list, validate=validate.Length(max=9)
    )
    device_time = fields.AwareDateTime(load_default=None)


class VerifyIn(Schema):
    passed = fields.Boolean(required=True)
    reason = Text(load_default=None)


class CancelIn(Schema):
    reason = Text(required=True)


class Holder(Out):
    user_id = fields.Integer()
    name = fields.String()
    claimed_at = Time()


class TaskOut(Out):
    id = fields.String()
    title = fields.String()
    kind = fields.String()
    incident_id = fields.String(allow_none=True)
    emergency_id = fields.String(
        allow_none=True, metadata={"description": "made by this emergency switch: comes first"}
    )
    community = fields.Nested(Ref)
    grid = fields.Nested(Ref, allow_none=True)
    target = fields.String()
    capacity = fields.Integer()
    claimed = fields.Integer()
    holders = fields.List(fields.Nested(Holder))
    mine = fields.Boolean()
    responsible = fields.Nested(PersonRef)
    deadline = Time()
    overdue = fields.Boolean()
    measures = fields.String(allow_none=True)
    state = fields.String()
    completed_at = Time(allow_none=True)
    completion_note = fields.String(allow_none=True)
    off_site_m = fields.Float(
        allow_none=True, metadata={"description": "completed this far outside"}
    )
    reason = fields.String(allow_none=True)
    photos = fields.List(fields.Nested(AttachedPhoto))


class TaskDetail(TaskOut):
    history = fields.List(fields.Nested(HistoryOut))
