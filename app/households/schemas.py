"""What the household register reads and answers; the sync commands check the same."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.households.models import HOUSEHOLD_TAGS, PERSON_TAGS, RELATIONSHIPS
from app.inputs import Int
from app.photos.schemas import PhotoRef
from app.schemas import UUID, Out, PersonRef, Ref, Text, Time

PHONE = validate.Regexp(r"^1\d{10}$", error="Not a mobile number.")
# 身份证号: 17 digits and a check digit or X (the check itself: app/households/importer.py).
ID_NUMBER = validate.Regexp(r"^\d{17}[\dX]$", error="Not an ID number.")
_short = validate.Length(max=20)


class HouseholdMemberIn(Schema):
    id = fields.String(validate=UUID)
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    relationship = fields.String(required=True, validate=validate.OneOf(RELATIONSHIPS))
    phone = fields.String(validate=PHONE, allow_none=True)
    id_number = fields.String(validate=ID_NUMBER, allow_none=True)
    tags = fields.List(fields.String(validate=validate.OneOf(PERSON_TAGS)), load_default=list)


class HouseholdIn(Schema):
    id = fields.String(validate=UUID, metadata={"description": "made by the phone, for retries"})
    grid = fields.String(required=True, metadata={"description": "the grid's code"})
    address = fields.String(required=True, validate=validate.Length(min=1, max=200))
    building = fields.String(validate=_short, allow_none=True)
    unit = fields.String(validate=_short, allow_none=True, metadata={"description": "单元"})
    room = fields.String(validate=_short, allow_none=True)
    tags = fields.List(fields.String(validate=validate.OneOf(HOUSEHOLD_TAGS)), load_default=list)
    members = fields.List(
        fields.Nested(HouseholdMemberIn), load_default=list, validate=validate.Length(max=50)
    )


class HouseholdUpdateIn(Schema):
    member = fields.String(
        validate=UUID,
        load_default=None,
        metadata={"description": "a member's id: change that member"},
    )
    changes = fields.Dict(keys=fields.String(), required=True, validate=validate.Length(min=1))
    base = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(validate=validate.Range(min=0)),
        required=True,
        metadata={"description": "the version each changed field was seen at"},
    )
    device_time = fields.AwareDateTime(load_default=None)

    @validates_schema
    def valid_values(self, data, **kwargs):
        # Each value as a new household's or member's would be checked (unknown fields are
        # the service's to name).
        schema = HouseholdMemberIn if data.get("member") else HouseholdIn
        known = {k: v for k, v in data["changes"].items() if k in schema().fields and k != "id"}
        errors = schema(partial=True).validate(known)
        if errors:
            raise ValidationError({"changes": errors})


class HouseholdsArgs(Schema):
    grid = fields.String()
    q = fields.String(
        validate=validate.Length(min=1, max=50),
        metadata={"description": "an address or name's part, a whole phone or ID number"},
    )
    tag = fields.String(validate=validate.OneOf((*HOUSEHOLD_TAGS, *PERSON_TAGS)))
    moved_out = fields.Boolean(
        load_default=False, metadata={"description": "those moved out (迁出) instead"}
    )
    limit = Int(minimum=1, maximum=1000, load_default=200)


class MovedOutIn(Schema):
    member = fields.String(
        validate=UUID, load_default=None, metadata={"description": "a member's id: that person"}
    )
    on = fields.Date(required=True, metadata={"description": "the day of the move"})
    to = fields.String(
        validate=validate.Length(max=200), load_default=None, metadata={"description": "where to"}
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
    device_time = fields.AwareDateTime(load_default=None)


class MovedInIn(Schema):
    member = fields.String(validate=UUID, load_default=None)
    device_time = fields.AwareDateTime(load_default=None)


class MovedOutOut(Out):
    on = fields.Date()
    to = fields.String(allow_none=True)
    reason = fields.String()


class HouseholdMemberOut(Out):
    id = fields.String()
    name = fields.String()
    relationship = fields.String()
    phone = fields.String(
        allow_none=True, metadata={"description": "masked: in full by /api/privacy/unmask"}
    )
    id_number = fields.String(allow_none=True, metadata={"description": "masked"})
    tags = fields.List(fields.String())
    versions = fields.Dict()
    moved_out = fields.Nested(MovedOutOut, allow_none=True, metadata={"description": "迁出"})


class LiaisonGroupRef(Out):
    id = fields.Integer()
    name = fields.String()


class HouseholdOut(Out):
    id = fields.String()
    grid = fields.Nested(Ref)
    group = fields.Nested(LiaisonGroupRef, allow_none=True)
    address = fields.String()
    building = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)
    room = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    versions = fields.Dict()
    moved_out = fields.Nested(MovedOutOut, allow_none=True, metadata={"description": "迁出"})
    updated_at = Time()
    members = fields.List(fields.Nested(HouseholdMemberOut))
    last_visit_at = Time(allow_none=True)
    next_visit_due = Time(allow_none=True, metadata={"description": "none: never visited, due"})


class HouseholdConflictsArgs(Schema):
    community = fields.String()


class HouseholdConflictOut(Out):
    id = fields.Integer()
    household = fields.Dict()
    member = fields.Dict(allow_none=True)
    field = fields.String()
    base_version = fields.Integer()
    current = fields.Raw(allow_none=True)
    proposed = fields.Raw(allow_none=True)
    proposed_by = fields.Nested(PersonRef)
    at = Time()
    resolved_at = Time(allow_none=True)
    kept = fields.String(allow_none=True)


class ConflictResolveIn(Schema):
    keep = fields.String(required=True, validate=validate.OneOf(("current", "proposed")))


class LiaisonGroupIn(Schema):
    grid = fields.String(metadata={"description": "a new group's grid"})
    name = fields.String(validate=validate.Length(min=1, max=50))
    liaison_id = Int(minimum=1, allow_none=True)
    households = fields.List(fields.String(validate=UUID), validate=validate.Length(max=100))


class LiaisonGroupOut(Out):
    id = fields.Integer()
    name = fields.String()
    liaison_id = fields.Integer(allow_none=True)


class HouseholdAlarmIn(Schema):
    id = fields.String(validate=UUID, metadata={"description": "the incident's, for retries"})
    description = Text(required=True)
    category = fields.String(load_default=None, metadata={"description": "default 困难帮扶"})
    lat = fields.Float(validate=validate.Range(-90, 90), load_default=None)
    lng = fields.Float(validate=validate.Range(-180, 180), load_default=None)
    photos = fields.List(
        fields.Nested(PhotoRef), load_default=list, validate=validate.Length(max=9)
    )
    device_time = fields.AwareDateTime(load_default=None)
