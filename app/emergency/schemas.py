"""Request and response shapes for emergency switches and roll-calls."""

from marshmallow import Schema, ValidationError, fields, validate

from app.emergency.models import KINDS, LEVEL_BY_NAME, SCOPES, STATES
from app.inputs import Int
from app.people.models import FORCES
from app.schemas import UUID, Out, PersonRef, Ref, Text, Time


class Level(fields.String):
    """A response level as people say it (I red, most severe, to IV blue), kept as 1..4."""

    def __init__(self, **kw):
        description = "response level: I red (most severe), II orange, III yellow, IV blue"
        super().__init__(metadata={"description": description, "enum": list(LEVEL_BY_NAME)}, **kw)

    def _deserialize(self, value, attr, data, **kwargs):
        name = super()._deserialize(value, attr, data, **kwargs)
        if name not in LEVEL_BY_NAME:
            raise ValidationError(f"Must be one of: {', '.join(LEVEL_BY_NAME)}.")
        return LEVEL_BY_NAME[name]


class ScopeIn(Schema):
    level = fields.String(required=True, validate=validate.OneOf(SCOPES))
    codes = fields.List(
        fields.String(validate=validate.Length(max=20)),
        validate=validate.Length(max=600),
        metadata={"description": "unit codes of that level (not for district or polygon)"},
    )
    geometry = fields.Dict(metadata={"description": "a GeoJSON Polygon or MultiPolygon (WGS-84)"})


class RollCallOptions(Schema):
    roll_call_message = fields.String(validate=validate.Length(min=1, max=500), load_default=None)
    escalate_after_min = Int(
        minimum=1,
        maximum=24 * 60,
        load_default=None,
        metadata={"description": "escalate the silent after this many minutes (default 10)"},
    )


class SwitchIn(RollCallOptions):
    id = fields.String(validate=UUID, metadata={"description": "made by the client, for retries"})
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    level = Level(required=True)
    drill = fields.Boolean(load_default=False, metadata={"description": "演练: out of statistics"})
    reason = Text(required=True)
    scope = fields.Nested(ScopeIn, required=True)


class DecideIn(RollCallOptions):
    approve = fields.Boolean(required=True)
    note = fields.String(validate=validate.Length(max=2000), load_default=None)


class LevelIn(Schema):
    level = Level(required=True)
    note = fields.String(validate=validate.Length(max=2000), load_default=None)


class ReinforceIn(Schema):
    user_id = Int(minimum=1, required=True)
    grid = fields.String(required=True, metadata={"description": "a grid code in the switch"})


class CandidateQuery(Schema):
    q = fields.String(
        validate=validate.Length(max=20), metadata={"description": "name, or phone end"}
    )
    force = fields.String(validate=validate.OneOf(FORCES))


class Candidate(Schema):
    id = fields.Integer()
    name = fields.String()
    force = fields.String(allow_none=True)
    phone = fields.String()
    grid = fields.Nested(Ref, metadata={"description": "the grid they serve now"})


class SwitchQuery(Schema):
    state = fields.List(fields.String(validate=validate.OneOf(STATES)))


class SwitchOut(Out):
    id = fields.String()
    kind = fields.String()
    level = fields.String()
    colour = fields.String()
    title = fields.String(metadata={"description": "防汛Ⅱ级应急响应, as the banner says it"})
    drill = fields.Boolean()
    reason = fields.String()
    state = fields.String()
    scope = fields.Dict()
    street = fields.Nested(Ref, allow_none=True)
    requested_by = fields.Nested(PersonRef)
    requested_at = Time()
    started_at = Time(allow_none=True)
    ended_at = Time(allow_none=True)
    note = fields.String(allow_none=True)
    grids = fields.List(fields.String(), metadata={"description": "codes of the grids covered"})
    roll_call = fields.String(allow_none=True, metadata={"description": "its newest roll-call"})
    may_decide = fields.Boolean(metadata={"description": "the caller may decide, change, end"})


class GridMode(Schema):
    switch = fields.String()
    level = fields.String()
    colour = fields.String()
    kind = fields.String()
    drill = fields.Boolean()
    title = fields.String()


class ModesOut(Schema):
    grids = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(GridMode),
        metadata={"description": "grid code → its effective (most severe) mode"},
    )


class TemplatesIn(Schema):
    data = fields.Dict(required=True)


class TemplatesOut(Schema):
    version = fields.Integer(metadata={"description": "0: the file shipped with the code"})
    data = fields.Dict()


class RollCallIn(Schema):
    scope = fields.Nested(ScopeIn, required=True)
    message = fields.String(required=True, validate=validate.Length(min=1, max=500))
    escalate_after_min = Int(minimum=1, maximum=24 * 60, load_default=10)


class AckIn(Schema):
    device_time = fields.AwareDateTime(load_default=None)


class AckOut(Schema):
    id = fields.String()
    acknowledged_at = Time()
    first = fields.Boolean(metadata={"description": "false: it was acknowledged before"})


class MyAnswer(Out):
    asked = fields.Boolean()
    acknowledged_at = Time(allow_none=True)


class RollCallOut(Out):
    id = fields.String()
    switch_id = fields.String(allow_none=True)
    message = fields.String()
    drill = fields.Boolean()
    created_at = Time()
    created_by = fields.Nested(PersonRef)
    escalate_after_min = fields.Integer()
    issues = fields.Integer()
    last_issued_at = Time()
    closed_at = Time(allow_none=True)
    asked = fields.Integer(allow_none=True, metadata={"description": "for those who run it"})
    acknowledged = fields.Integer(allow_none=True)
    outstanding = fields.Integer(allow_none=True)
    mine = fields.Nested(MyAnswer)
    runs = fields.Boolean(metadata={"description": "the caller sees figures and re-issues"})


class FiguresQuery(Schema):
    level = fields.String(
        validate=validate.OneOf(("grid", "community", "street")), load_default="community"
    )


class Silent(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()
    phone = fields.String()


class UnitFigures(Schema):
    code = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    asked = fields.Integer()
    acknowledged = fields.Integer()
    outstanding = fields.Integer()
    outstanding_people = fields.List(fields.Nested(Silent))


class FiguresOut(Schema):
    id = fields.String()
    level = fields.String()
    asked = fields.Integer()
    acknowledged = fields.Integer()
    outstanding = fields.Integer()
    units = fields.List(fields.Nested(UnitFigures))


class ReissueOut(Schema):
    asked = fields.Integer(metadata={"description": "how many were asked again"})


class TaskFigures(Schema):
    open = fields.Integer()
    claimed = fields.Integer(metadata={"description": "open tasks with at least one holder"})
    overdue = fields.Integer()
    completed = fields.Integer()
    verified = fields.Integer()
    cancelled = fields.Integer()


class Counts(Schema):
    code = fields.String(allow_none=True, metadata={"description": "none: the unit's own people"})
    name = fields.String(metadata={"description": "街道本级 / 社区本级 for a unit's own people"})
    asked = fields.Integer()
    acknowledged = fields.Integer()
    outstanding = fields.Integer()


class CommunityCounts(Counts):
    grids = fields.List(fields.Nested(Counts))


class StreetCounts(Counts):
    communities = fields.List(fields.Nested(CommunityCounts))


class LiveFigures(Schema):
    id = fields.String(metadata={"description": "the roll-call"})
    asked = fields.Integer()
    acknowledged = fields.Integer()
    outstanding = fields.Integer()
    streets = fields.List(
        fields.Nested(StreetCounts),
        metadata={"description": "street → community → grid, within the caller's area"},
    )


class LiveSwitch(Schema):
    switch = fields.Nested(SwitchOut)
    roll_call = fields.Nested(LiveFigures, allow_none=True)
    tasks = fields.Nested(TaskFigures)


class LiveOut(Schema):
    at = Time(
        metadata={
            "description": "when its figures were read: they are shared by the leaders of an "
            "area for a few seconds (SHARED_S in app/emergency/live.py)"
        }
    )
    poll_after_s = fields.Integer(metadata={"description": "ask again after this long"})
    switches = fields.List(fields.Nested(LiveSwitch))


class SilentQuery(Schema):
    unit = fields.String(
        validate=validate.Length(max=20),
        metadata={"description": "a street, community or grid code; none: the caller's area"},
    )
    page = fields.Integer(validate=validate.Range(1, 10_000), load_default=1)
    limit = fields.Integer(validate=validate.Range(1, 200), load_default=50)


class PlaceRef(Schema):
    code = fields.String(allow_none=True)
    name = fields.String()


class SilentGroup(Schema):
    street = fields.Nested(PlaceRef, allow_none=True)
    community = fields.Nested(PlaceRef, allow_none=True)
    grid = fields.Nested(PlaceRef, allow_none=True)
    outstanding = fields.Integer(metadata={"description": "all the group's silent, not the page's"})
    answering = fields.List(
        fields.Nested(Silent),
        metadata={"description": "who answers for them: phones in full for those who dispatch"},
    )
    people = fields.List(fields.Nested(Silent), metadata={"description": "this page's"})


class SilentOut(Schema):
    id = fields.String()
    unit = fields.Dict(allow_none=True, metadata={"description": "{code, name, level} asked for"})
    outstanding = fields.Integer()
    page = fields.Integer()
    limit = fields.Integer()
    groups = fields.List(fields.Nested(SilentGroup))
