"""Request and response shapes for incidents."""

from marshmallow import Schema, fields, validate

from app.incidents.models import REPORTED_BY, SOURCES, STATES
from app.inputs import Int
from app.photos.schemas import AttachedPhoto, PhotoRef
from app.schemas import UUID, HistoryOut, Out, PersonRef, PointMixin, Ref, Text, Time


class ReportIn(Schema):
    id = fields.String(validate=UUID, metadata={"description": "made by the phone, for retries"})
    category = fields.String(required=True, metadata={"description": "a subcategory code"})
    urgent = fields.Boolean(load_default=False)
    description = Text(required=True)
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(validate=validate.Range(0, 100_000), load_default=None)
    address = fields.String(validate=validate.Length(max=200), load_default=None)
    resident_name = fields.String(validate=validate.Length(max=50), load_default=None)
    resident_phone = fields.String(validate=validate.Length(max=20), load_default=None)
    handled_on_spot = fields.Boolean(load_default=False, metadata={"description": "自行处置"})
    source = fields.String(
        validate=validate.OneOf(REPORTED_BY),
        load_default="member",
        metadata={
            "description": "来源: found by the member, or told by a resident, the 12345 "
            "hotline or a department"
        },
    )
    photos = fields.List(
        fields.Nested(PhotoRef), load_default=list, validate=validate.Length(max=9)
    )
    device_time = fields.AwareDateTime(load_default=None)


class SimilarArgs(Schema):
    category = fields.String(required=True)
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))


class IncidentQuery(Schema):
    state = fields.List(fields.String(validate=validate.OneOf(STATES)))
    category = fields.String()
    grid = fields.String()
    community = fields.String()
    urgent = fields.Boolean()
    source = fields.List(fields.String(validate=validate.OneOf(SOURCES)))
    overdue = fields.Boolean()
    mine = fields.Boolean()
    escalated = fields.Boolean()
    limit = Int(minimum=1, maximum=500, load_default=100)
    offset = Int(minimum=0, load_default=0)


class NoteIn(Schema):
    note = Text(load_default=None)


class ReasonIn(Schema):
    reason = Text(required=True)


class MergeIn(Schema):
    into = fields.String(required=True, validate=UUID)
    note = Text(load_default=None)


class DispatchIn(Schema):
    assignee_id = Int(minimum=1, required=True)
    deadline = fields.AwareDateTime(load_default=None)
    note = Text(load_default=None)


class StartIn(PointMixin):
    pass


class HandleIn(PointMixin):
    note = Text(required=True)
    photos = fields.List(
        fields.Nested(PhotoRef), required=True, validate=validate.Length(min=1, max=9)
    )


class CheckIn(PointMixin):
    passed = fields.Boolean(required=True)
    reason = Text(load_default=None)
    photos = fields.List(
        fields.Nested(PhotoRef), load_default=list, validate=validate.Length(max=9)
    )


class ExtendIn(Schema):
    deadline = fields.AwareDateTime(required=True)
    reason = Text(required=True)


class WhistleIn(Schema):
    departments = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    minutes = Int(minimum=5, maximum=24 * 60, load_default=30)
    note = Text(load_default=None)


class WhistleStepIn(PointMixin):
    note = Text(load_default=None)


class RateIn(Schema):
    rating = Int(minimum=1, maximum=5, required=True)
    note = Text(load_default=None)


class CategoryRef(Ref):
    parent = fields.String(allow_none=True)


class WhistleOut(Out):
    id = fields.Integer()
    incident_id = fields.String()
    department = fields.Nested(Ref)
    called_at = Time()
    report_deadline = Time()
    note = fields.String(allow_none=True)
    reported_at = Time(allow_none=True)
    arrived_at = Time(allow_none=True)
    outcome = fields.String(allow_none=True)
    done_at = Time(allow_none=True)
    rating = fields.Integer(allow_none=True)
    rating_note = fields.String(allow_none=True)


class IncidentOut(Out):
    id = fields.String()
    category = fields.Nested(CategoryRef)
    urgent = fields.Boolean()
    description = fields.String()
    lat = fields.Float()
    lng = fields.Float()
    accuracy_m = fields.Float(allow_none=True)
    address = fields.String(allow_none=True)
    grid = fields.Nested(Ref)
    community = fields.Nested(Ref)
    street = fields.Nested(Ref)
    reporter = fields.Nested(PersonRef)
    resident_name = fields.String(
        allow_none=True, metadata={"description": "masked below secretary"}
    )
    resident_phone = fields.String(
        allow_none=True, metadata={"description": "masked below secretary"}
    )
    state = fields.String()
    source = fields.String(metadata={"description": "来源: " + ", ".join(SOURCES)})
    self_handled = fields.Boolean()
    assignee = fields.Nested(PersonRef, allow_none=True)
    merged_into = fields.String(attribute="merged_into_id", allow_none=True)
    deadline = Time(allow_none=True)
    due = fields.String(allow_none=True, metadata={"description": "on_time, due_soon or overdue"})
    escalation = fields.Integer(metadata={"description": "0 none, 1 secretary, 2 street, 3 leader"})
    rework_count = fields.Integer()
    supervised = fields.Boolean()
    reason = fields.String(allow_none=True)
    reported_at = Time()
    photos = fields.List(fields.Nested(AttachedPhoto))


class IncidentDetail(IncidentOut):
    history = fields.List(fields.Nested(HistoryOut))
    whistles = fields.List(fields.Nested(WhistleOut))
    followers = fields.List(fields.Integer())


class SimilarOut(Schema):
    distance_m = fields.Float()
    incident = fields.Nested(IncidentOut)
