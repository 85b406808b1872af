"""Request and response shapes for the party organisation."""

from marshmallow import Schema, fields, validate

from app.inputs import Int
from app.party.models import MEMBER_TYPES, ORG_KINDS
from app.schemas import Out, Ref, Time

Name = lambda **kw: fields.String(validate=validate.Length(min=1, max=100), **kw)  # noqa: E731


class PartyOrgIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(ORG_KINDS))
    unit = fields.String(
        required=True, metadata={"description": "a community's code (committee), a grid's"}
    )
    name = Name(required=True)


class PartyCommunityQuery(Schema):
    community = fields.String(required=True)


class JointUnitQuery(Schema):
    street = fields.String(required=True)


class PartyMemberIn(Schema):
    org_id = Int(minimum=1, required=True)
    name = Name(required=True)
    type = fields.String(load_default="full", validate=validate.OneOf(MEMBER_TYPES))
    mobile = fields.Boolean(load_default=False, metadata={"description": "流动党员"})
    origin = fields.String(load_default=None, validate=validate.Length(max=200))
    user_id = Int(minimum=1, load_default=None, metadata={"description": "their login"})


class PartyMemberEdit(Schema):
    """What changes of a member: a 预备党员 becomes 正式 (转正), a member leaves for elsewhere
    or comes back (流动党员, with where from)."""

    name = Name()
    type = fields.String(validate=validate.OneOf(MEMBER_TYPES))
    mobile = fields.Boolean(metadata={"description": "流动党员"})
    origin = fields.String(allow_none=True, validate=validate.Length(max=200))


class PartySecretaryIn(Schema):
    member_id = Int(minimum=1, required=True)


class ServiceReportIn(Schema):
    member_id = Int(minimum=1, required=True)
    community = fields.String(required=True)
    work_unit = fields.String(required=True, validate=validate.Length(min=1, max=200))
    post = fields.String(load_default=None, validate=validate.Length(max=200))
    joint_unit_id = Int(minimum=1, load_default=None)


class JointUnitIn(Schema):
    street = fields.String(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class PartyMemberOut(Out):
    id = fields.Integer()
    name = fields.String()
    org_id = fields.Integer(allow_none=True)
    type = fields.String()
    mobile = fields.Boolean()
    origin = fields.String(allow_none=True)
    user_id = fields.Integer(allow_none=True)
    secretary = fields.Boolean()


class PartyOrgRef(Out):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    unit = fields.Nested(Ref)


class PartyOrgOut(PartyOrgRef):
    parent_id = fields.Integer(allow_none=True)
    secretary = fields.Nested(PartyMemberOut, allow_none=True)
    members = fields.List(fields.Nested(PartyMemberOut))


class ServiceReportOut(Out):
    id = fields.Integer()
    member = fields.Nested(PartyMemberOut)
    community = fields.Nested(Ref)
    work_unit = fields.String()
    post = fields.String(allow_none=True)
    joint_unit_id = fields.Integer(allow_none=True)
    reported_at = Time()


class JointUnitOut(Out):
    id = fields.Integer()
    name = fields.String()
    street = fields.Nested(Ref)
    note = fields.String(allow_none=True)


class PartyRecordOut(Out):
    member = fields.Nested(PartyMemberOut, allow_none=True)
    org = fields.Nested(PartyOrgRef, allow_none=True)
    reports = fields.List(fields.Nested(ServiceReportOut))
    wishes_fulfilled = fields.Integer()
    wishes_claimed = fields.Integer()
    volunteer_hours = fields.Float(metadata={"description": "confirmed by the organisers"})
