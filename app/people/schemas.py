"""Request and response shapes for people and auth."""

from marshmallow import Schema, fields, validate

from app.incidents.schemas import HistoryOut
from app.inputs import Int
from app.people import sessions
from app.people.models import FORCES, ROLES
from app.people.services import PHONE


class LoginSchema(Schema):
    phone = fields.String(
        required=True,
        validate=validate.Regexp(
            PHONE, error="Not a mainland mobile number (11 digits, 1[3-9]...)."
        ),
    )
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    remember = fields.Boolean(load_default=False)


class UnitBrief(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String()


class DepartmentSchema(Schema):
    code = fields.String()
    name = fields.String()


class MeSchema(Schema):
    id = fields.Integer()
    phone = fields.String()
    name = fields.String()
    role = fields.String()
    force = fields.String(allow_none=True)
    department = fields.Nested(DepartmentSchema, allow_none=True)
    units = fields.List(fields.Nested(UnitBrief), metadata={"description": "the units I serve"})
    responsible_for = fields.List(
        fields.Nested(UnitBrief), metadata={"description": "units I answer for (包保)"}
    )
    password_change_required = fields.Boolean(
        metadata={"description": "logged in with a one-time code: choose a password first"}
    )


class CsrfSchema(Schema):
    csrf_token = fields.String()


class PasswordChangeIn(Schema):
    old_password = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "the current password, or the one-time code"},
    )
    new_password = fields.String(required=True, validate=validate.Length(max=200))


class PersonIn(Schema):
    phone = fields.String(
        required=True,
        validate=validate.Regexp(
            PHONE, error="Not a mainland mobile number (11 digits, 1[3-9]...)."
        ),
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    force = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(FORCES))
    department = fields.String(
        load_default=None, allow_none=True, metadata={"description": "a department's code"}
    )
    units = fields.List(
        fields.String(),
        load_default=list,
        metadata={
            "description": "codes of the units served, at the role's level (a grid for "
            "members, a community for secretaries...); the district's may be left out"
        },
    )


class MoveIn(Schema):
    units = fields.List(fields.String(), required=True, validate=validate.Length(min=1))


class DeactivateIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PeopleQuery(Schema):
    q = fields.String(metadata={"description": "a name contains it, or a phone starts with it"})
    unit = fields.String(metadata={"description": "people serving within this unit code"})
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean()
    limit = Int(minimum=1, maximum=200, load_default=50)
    offset = Int(minimum=0, load_default=0)


class PersonOut(MeSchema):
    active = fields.Boolean()
    created_at = fields.DateTime()
    last_login_at = fields.DateTime(allow_none=True)


class PersonDetail(Schema):
    person = fields.Nested(PersonOut)
    history = fields.List(
        fields.Nested(HistoryOut), metadata={"description": "every change to the account"}
    )


class OneTimeCode(Schema):
    one_time_code = fields.String(
        metadata={"description": "shown this once; the person changes it at the first login"}
    )
    expires_at = fields.DateTime()


class CreatedPerson(OneTimeCode):
    person = fields.Nested(PersonOut)


class SessionOut(Schema):
    id = fields.String(metadata={"description": "what DELETE .../sessions/<id> takes"})
    current = fields.Function(
        lambda record: record is sessions.current(),
        metadata={"type": "boolean", "description": "the session this request came with"},
    )
    device = fields.Function(
        lambda record: sessions.device(record.user_agent),
        metadata={
            "type": "string",
            "nullable": True,
            "description": 'a short name such as "Android · Chrome", or null',
        },
    )
    user_agent = fields.String(allow_none=True)
    ip = fields.String(
        allow_none=True, metadata={"description": "the address it was last seen from"}
    )
    remember = fields.Boolean(metadata={"description": "logged in with 'remember me'"})
    created_at = fields.DateTime()
    last_seen_at = fields.DateTime(
        metadata={"description": "to within a few minutes (SESSION_TOUCH_MINUTES)"}
    )
    ends_at = fields.Function(
        lambda record: sessions.ends_at(record).isoformat(),
        metadata={
            "type": "string",
            "format": "date-time",
            "description": "when it ends unless used again (idle or absolute lifetime)",
        },
    )


class EndedOut(Schema):
    ended = fields.Integer(metadata={"description": "how many sessions ended"})
