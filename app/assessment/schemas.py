"""The assessment in and out."""

from marshmallow import Schema, fields, validate

from app.assessment.indicators import INDICATORS
from app.assessment.models import EXPORT_KINDS, MANUAL, POINTS
from app.assessment.plan import LEVELS
from app.schemas import Out, PersonRef, Text, Time

Level = lambda **kw: fields.String(validate=validate.OneOf(LEVELS), **kw)  # noqa: E731
IndicatorKey = lambda **kw: fields.String(validate=validate.OneOf(list(INDICATORS)), **kw)  # noqa: E731
Values = lambda **kw: fields.Dict(  # noqa: E731
    keys=fields.String(), values=fields.Float(allow_none=True), **kw
)


class IndicatorOut(Out):
    key = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"description": "rate, mean, count or median"})
    higher_is_better = fields.Boolean()


class RowOut(Out):
    id = fields.Integer(metadata={"description": "the unit's (or department's) id"})
    code = fields.String()
    name = fields.String()
    parent = fields.String(allow_none=True, metadata={"description": "the parent unit's code"})
    sample = fields.Float(metadata={"description": "cases (a department: calls) counted"})
    insufficient = fields.Boolean(metadata={"description": "样本不足: shown, not ranked"})
    excluded = fields.Boolean()
    ranked = fields.Boolean()
    indicators = Values()
    scores = Values(metadata={"description": "the plan's indicators, each scored 0-100"})
    own_score = fields.Float(allow_none=True)
    children_score = fields.Float(allow_none=True, metadata={"description": "捆绑"})
    manual = fields.List(fields.Float())
    points = fields.Float(metadata={"description": "加减分"})
    score = fields.Float(allow_none=True)
    grade = fields.String(allow_none=True)
    rank = fields.Integer(allow_none=True, metadata={"description": "among its peers"})
    peers = fields.Integer(allow_none=True)


class RankingQuery(Schema):
    level = Level(load_default=None)
    parent = fields.String(load_default=None, metadata={"description": "a parent unit's code"})


class RankingOut(Out):
    period = fields.String()
    state = fields.String(metadata={"description": "draft, appeal or published"})
    plan_version = fields.Integer()
    computed_at = fields.String()
    appeal_until = fields.String()
    published_at = fields.String()
    tie_rule = fields.String()
    levels = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(RowOut)))


class BulletinRow(RowOut):
    place = fields.Integer(metadata={"description": "across the level"})
    previous_place = fields.Integer(allow_none=True)
    score_change = fields.Float(allow_none=True)


class BulletinLevel(Out):
    red = fields.List(fields.Nested(BulletinRow), metadata={"description": "红榜: the top"})
    black = fields.List(fields.Nested(BulletinRow), metadata={"description": "黑榜: the bottom"})
    grades = fields.Dict(keys=fields.String(), values=fields.Integer())
    insufficient = fields.Integer()


class BulletinLate(Out):
    entity = fields.String(metadata={"description": "incident, task, whistle or ack"})
    id = fields.String()
    code = fields.String(allow_none=True, metadata={"description": "its unit's or department's"})
    counted_for = fields.Date(metadata={"description": "the day the counting rule gives it"})


class BulletinOut(Out):
    period = fields.String()
    previous = fields.String()
    state = fields.String()
    levels = fields.Dict(keys=fields.String(), values=fields.Nested(BulletinLevel))
    late = fields.List(
        fields.Nested(BulletinLate),
        metadata={"description": "补计: counted here, arrived after their own period froze"},
    )


class DrillQuery(Schema):
    level = Level(required=True)
    id = fields.Integer(required=True)
    indicator = IndicatorKey(required=True)
    side = fields.String(load_default="num", validate=validate.OneOf(("num", "den")))


class DrillOut(Out):
    entity = fields.String(metadata={"description": "incident, task, whistle or ack"})
    id = fields.String(metadata={"description": "an acknowledgement: <roll-call id>:<person id>"})
    value = fields.Float(metadata={"description": "negative: a late change took it back"})
    counted_for = fields.Date(
        allow_none=True,
        metadata={"description": "arrived late: the day the counting rule gives it, in a "
                  "period frozen before it arrived"},
    )  # fmt: skip


class TrendQuery(Schema):
    level = Level(required=True)
    id = fields.Integer(required=True)
    indicator = IndicatorKey(required=True)


class TrendPoint(Out):
    period = fields.String()
    value = fields.Float(allow_none=True, metadata={"description": "none: nothing counted"})


class MineOut(Out):
    indicators = Values()
    grids = fields.List(fields.Nested(RowOut))


class SheetRow(RowOut):
    level = fields.String()


class SheetQuery(Schema):
    person = fields.Integer(load_default=None)


class AppealIn(Schema):
    level = Level(required=True)
    id = fields.Integer(required=True)
    indicator = IndicatorKey(required=True)
    cases = fields.List(fields.String(validate=validate.Length(max=48)), load_default=list)
    reason = Text(required=True)


class AppealDecisionIn(Schema):
    accepted = fields.Boolean(required=True)
    value = fields.Float(load_default=None, allow_nan=False)
    note = Text(load_default=None)


class AppealOut(Out):
    id = fields.Integer()
    subject = fields.String()
    subject_id = fields.Integer()
    indicator = fields.String()
    cases = fields.List(fields.String())
    reason = fields.String()
    state = fields.String(metadata={"description": "pending, accepted or refused"})
    value = fields.Float(allow_none=True, metadata={"description": "the corrected value"})
    filed_by = fields.Nested(PersonRef)
    filed_at = Time()
    decided_at = Time(allow_none=True)
    decision = fields.String(allow_none=True)


class AdjustmentIn(Schema):
    level = Level(required=True)
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf((MANUAL, POINTS)))
    value = fields.Float(required=True, allow_nan=False, validate=validate.Range(-100, 100))
    reason = Text(required=True)
    evidence = fields.List(fields.String(validate=validate.Length(max=200)), load_default=list)


class AdjustmentOut(Out):
    id = fields.Integer()
    subject = fields.String()
    subject_id = fields.Integer()
    kind = fields.String(metadata={"description": "manual (a score 0-100) or points (加减分)"})
    value = fields.Float()
    reason = fields.String()
    evidence = fields.List(fields.String())
    entered_by = fields.Nested(PersonRef)
    at = Time()


class ExportIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(EXPORT_KINDS))
    period = fields.String(required=True)


class ExportOut(Out):
    id = fields.Integer()
    kind = fields.String()
    period = fields.String(attribute="period_key")
    state = fields.String(metadata={"description": "queued, running, done or failed"})
    progress = fields.Integer(metadata={"description": "percent"})
    error = fields.String(allow_none=True)
    created_at = Time()
    finished_at = Time(allow_none=True)
