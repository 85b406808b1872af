"""Request and response shapes for people and auth."""

from marshmallow import Schema, fields, validate

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


class CsrfSchema(Schema):
    csrf_token = fields.String()
