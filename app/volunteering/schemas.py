"""Request and response shapes for 志愿服务."""

from marshmallow import Schema, fields, validate

from app.inputs import Int
from app.schemas import UUID, Out, PersonRef, Ref, Time


class ActivityIn(Schema):
    id = fields.String(validate=UUID)
    community = fields.String(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default=None, validate=validate.Length(max=2000))
    place = fields.String(required=True, validate=validate.Length(min=1, max=200))
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))
    radius_m = Int(
        minimum=10, maximum=5000, load_default=200, metadata={"description": "check-in distance"}
    )
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    capacity = Int(minimum=1, maximum=1000, required=True)


class SignUpIn(Schema):
    device_time = fields.AwareDateTime(load_default=None)


class CheckInIn(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))
    device_time = fields.AwareDateTime(load_default=None)


class CheckOutIn(Schema):
    device_time = fields.AwareDateTime(load_default=None)


class HoursConfirmIn(Schema):
    user_id = Int(minimum=1, required=True)
    hours = fields.Float(load_default=None, validate=validate.Range(0, 24))


class ActivityQuery(Schema):
    mine = fields.Boolean()
    upcoming = fields.Boolean()
    limit = Int(minimum=1, maximum=500, load_default=100)
    offset = Int(minimum=0, load_default=0)


class HoursQuery(Schema):
    by = fields.String(
        load_default="person", validate=validate.OneOf(("person", "branch", "community"))
    )
    since = fields.AwareDateTime(load_default=None)
    until = fields.AwareDateTime(load_default=None)


class SignUpOut(Out):
    user = fields.Nested(PersonRef)
    signed_up_at = Time()
    checked_in_at = Time(allow_none=True)
    check_in_m = fields.Float(allow_none=True)
    checked_out_at = Time(allow_none=True)
    hours = fields.Float(allow_none=True)
    confirmed_at = Time(allow_none=True)


class ActivityOut(Out):
    id = fields.String()
    community = fields.Nested(Ref)
    title = fields.String()
    description = fields.String(allow_none=True)
    place = fields.String()
    lat = fields.Float()
    lng = fields.Float()
    radius_m = fields.Integer()
    starts_at = Time()
    ends_at = Time()
    capacity = fields.Integer()
    signed_up = fields.Integer()
    state = fields.String()
    organiser = fields.Nested(PersonRef)
    mine = fields.Nested(SignUpOut, allow_none=True, metadata={"description": "my sign-up"})


class ActivityDetail(ActivityOut):
    signups = fields.List(fields.Nested(SignUpOut), metadata={"description": "for the organiser"})


class HoursOut(Out):
    id = fields.Integer(metadata={"description": "by=person, branch"})
    code = fields.String(metadata={"description": "by=community"})
    name = fields.String()
    hours = fields.Float()
    activities = fields.Integer()
