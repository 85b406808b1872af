"""Request and response shapes for the 民情日志."""

from marshmallow import Schema, fields, validate

from app.inputs import Int
from app.schemas import UUID, Out, PersonRef, Time

Part = lambda **kw: fields.String(validate=validate.Length(max=2000), **kw)  # noqa: E731


class JournalWriteIn(Schema):
    id = fields.String(required=True, validate=UUID, metadata={"description": "made by the phone"})
    day = fields.Date(required=True, metadata={"description": "the district's calendar day"})
    problems = Part(required=True, metadata={"description": "问题"})
    measures = Part(required=True, metadata={"description": "措施"})
    results = Part(required=True, metadata={"description": "结果"})
    drafted = fields.Boolean(load_default=False, metadata={"description": "begun from the draft"})
    device_time = fields.AwareDateTime(load_default=None)


class JournalCommentIn(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class JournalDayQuery(Schema):
    day = fields.Date(load_default=None, metadata={"description": "default: today"})


class JournalQuery(Schema):
    member_id = Int(minimum=1)
    since = fields.Date()
    until = fields.Date()
    limit = Int(minimum=1, maximum=500, load_default=100)
    offset = Int(minimum=0, load_default=0)


class JournalDraftOut(Out):
    day = fields.Date()
    problems = fields.String()
    measures = fields.String()
    results = fields.String()


class JournalOut(Out):
    id = fields.String()
    member = fields.Nested(PersonRef)
    mine = fields.Boolean()
    day = fields.Date()
    problems = fields.String()
    measures = fields.String()
    results = fields.String()
    drafted = fields.Boolean()
    comment = fields.String(allow_none=True, metadata={"description": "the secretary's 点评"})
    commented_by = fields.Nested(PersonRef, allow_none=True)
    commented_at = Time(allow_none=True)
    updated_at = Time()
