"""What visits read and answer; the sync command checks the same."""

from marshmallow import Schema, fields, validate

from app.inputs import Int
from app.photos.schemas import AttachedPhoto, PhotoRef
from app.schemas import UUID, Out, PersonRef, Text, Time


class VisitIncidentIn(Schema):
    """An incident the visit raises (a visit can find a problem)."""

    id = fields.String(validate=UUID)
    category = fields.String(required=True)
    description = Text(required=True)
    urgent = fields.Boolean(load_default=False)


class HouseholdVisitIn(Schema):
    id = fields.String(required=True, validate=UUID, metadata={"description": "made by the phone"})
    household = fields.String(required=True, validate=UUID)
    met = fields.List(
        fields.String(validate=UUID), load_default=list, validate=validate.Length(max=50)
    )
    note = Text(required=True)
    forms = fields.Dict(
        keys=fields.String(validate=UUID),
        values=fields.Dict(keys=fields.String(validate=validate.Length(max=40))),
        load_default=dict,
        metadata={"description": "{member id: {field code: value}} by the plans' forms"},
    )
    lat = fields.Float(validate=validate.Range(-90, 90), load_default=None)
    lng = fields.Float(validate=validate.Range(-180, 180), load_default=None)
    photos = fields.List(
        fields.Nested(PhotoRef), load_default=list, validate=validate.Length(max=9)
    )
    incident = fields.Nested(VisitIncidentIn, load_default=None)
    device_time = fields.AwareDateTime(load_default=None)


class HouseholdVisitOut(Out):
    id = fields.String()
    household_id = fields.String()
    visitor = fields.Nested(PersonRef)
    at = Time()
    recorded_at = Time()
    lat = fields.Float(allow_none=True)
    lng = fields.Float(allow_none=True)
    met = fields.List(fields.String())
    note = fields.String()
    forms = fields.Dict()
    plans_version = fields.Integer()
    photos = fields.List(fields.Nested(AttachedPhoto))
    incident_id = fields.String(allow_none=True)
    signoff_department_id = fields.Integer(allow_none=True)
    signoff_due = Time(allow_none=True)
    signed_at = Time(allow_none=True)
    opinion = fields.String(allow_none=True)
    signoff_late = fields.Boolean(allow_none=True)


class VisitsArgs(Schema):
    household = fields.String(required=True, validate=UUID)


class VisitsDueArgs(Schema):
    grid = fields.String()
    overdue = fields.Boolean(load_default=False)
    limit = Int(minimum=1, maximum=1000, load_default=500)


class PersonVisitDue(Out):
    member = fields.String()
    last_visit_at = Time(allow_none=True)
    next_visit_due = Time(allow_none=True)


class VisitDueOut(Out):
    """A household's visits: when last, when next (none: never visited, due now)."""

    household = fields.Dict()
    last_visit_at = Time(allow_none=True)
    next_visit_due = Time(allow_none=True)
    due_now = fields.Boolean()
    people = fields.List(fields.Nested(PersonVisitDue))


class VisitSignOffIn(Schema):
    opinion = Text(required=True)


class VisitPlansOut(Schema):
    version = fields.Integer()
    plans = fields.List(fields.Dict(), metadata={"description": "{tag, name, every_days, fields}"})
