"""Return visits in and out."""

from marshmallow import Schema, fields, validate

from app.return_visits.models import CHANNELS, VERDICTS
from app.schemas import Out, PersonRef, Text, Time


class VisitIn(Schema):
    reached = fields.Boolean(load_default=True, metadata={"description": "false: nobody reached"})
    verdict = fields.String(
        load_default=None,
        validate=validate.OneOf(VERDICTS),
        metadata={
            "description": "满意 satisfied, 基本满意 basically_satisfied, 不满意 dissatisfied"
        },
    )
    note = Text(load_default=None)


class VisitOut(Out):
    id = fields.Integer()
    incident_id = fields.String()
    closed_at = Time(metadata={"description": "the closing the visit is about"})
    reached = fields.Boolean()
    verdict = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    by = fields.String(metadata={"description": ", ".join(CHANNELS)})
    recorded_by = fields.Nested(PersonRef, allow_none=True)
    at = Time()
    reopened = fields.Boolean(metadata={"description": "不满意 sent the case back for rework"})


class PendingQuery(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
