"""Request and response shapes for patrols and patrol plans."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.incidents.schemas import ReportIn
from app.inputs import Int
from app.schemas import UUID, Out, PersonRef, Ref, Text, Time

# A batch is at most this many points: 8 hours at one per 10 s is 2,900, sent in tens.
BATCH_POINTS = 1000


class PatrolStartIn(Schema):
    id = fields.String(required=True, validate=UUID, metadata={"description": "made by the phone"})
    grid = fields.String(required=True, metadata={"description": "the code of a grid you serve"})
    device_time = fields.AwareDateTime(load_default=None, metadata={"description": "started"})


class PatrolEndIn(Schema):
    device_time = fields.AwareDateTime(load_default=None, metadata={"description": "ended"})


class Numbers(fields.Field):
    """A list of numbers within [low, high], whole ones if `whole`, checked in one pass: as
    fields.List of number fields, a batch's 290 times and accuracies took longer to load
    than the rest of the batch's work."""

    def __init__(self, low, high, *, whole, size, metadata, **kw):
        item = {"type": "integer" if whole else "number", "minimum": low, "maximum": high}
        openapi = {"type": "array", "items": item, "minItems": 1, "maxItems": size}
        super().__init__(metadata={**openapi, **metadata}, **kw)
        self.low, self.high, self.whole, self.size = low, high, whole, size

    def _deserialize(self, value, attr, data, **kwargs):
        kinds = (int,) if self.whole else (int, float)
        if not isinstance(value, list) or not 1 <= len(value) <= self.size:
            raise ValidationError(f"A list of 1 to {self.size} numbers.")
        if not all(type(v) in kinds and self.low <= v <= self.high for v in value):
            kind = "whole numbers" if self.whole else "numbers"
            raise ValidationError(f"Each one of {kind} from {self.low} to {self.high}.")
        return value


class PatrolTrackIn(Schema):
    """A batch of points (docs/sync.md, patrol.track)."""

    from_seq = Int(minimum=1, maximum=10_000_000, required=True)
    start = fields.AwareDateTime(
        required=True, metadata={"description": "the first dt counts from"}
    )
    line = fields.String(
        required=True,
        validate=validate.Length(min=2, max=BATCH_POINTS * 24),
        metadata={"description": "Google encoded polyline, 6 decimal places (lat, lng)"},
    )
    dt = Numbers(
        0,
        86_400,
        whole=True,
        size=BATCH_POINTS,
        required=True,
        metadata={"description": "seconds after the previous point (the first: after start)"},
    )
    accuracy = Numbers(
        0,
        100_000,
        whole=False,
        size=BATCH_POINTS,
        required=True,
        metadata={"description": "metres, one per point"},
    )

    @validates_schema
    def same_length(self, data, **kwargs):
        if len(data["dt"]) != len(data["accuracy"]):
            raise ValidationError("One accuracy per dt.", "accuracy")


class PatrolReportIn(ReportIn):
    patrol_id = fields.String(required=True, validate=UUID)


class PatrolReviewIn(Schema):
    score = Int(minimum=1, maximum=5, required=True, metadata={"description": "1 to 5"})
    note = Text(load_default=None)


class PatrolQuery(Schema):
    grid = fields.String()
    member_id = Int(minimum=1)
    state = fields.String(validate=validate.OneOf(("active", "ended")))
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()
    limit = Int(minimum=1, maximum=500, load_default=100)
    offset = Int(minimum=0, load_default=0)


class CheckpointPassed(Out):
    name = fields.String()
    passed_at = fields.String(allow_none=True, metadata={"description": "ISO 8601, or null"})


class PatrolOut(Out):
    id = fields.String()
    member = fields.Nested(PersonRef)
    mine = fields.Boolean()
    grid = fields.Nested(Ref)
    plan_id = fields.Integer(allow_none=True)
    state = fields.String()
    started_at = Time()
    ended_at = Time(allow_none=True)
    end_reason = fields.String(
        allow_none=True,
        metadata={"description": "member, new_patrol, or by the system: silence, too_long"},
    )
    duration_s = fields.Integer()
    length_m = fields.Float(metadata={"description": "along the counted points"})
    points = fields.Integer()
    counted = fields.Integer(metadata={"description": "points accurate enough to count"})
    coverage = fields.Float(
        allow_none=True, metadata={"description": "share of the grid within 30 m, once ended"}
    )
    checkpoints = fields.List(fields.Nested(CheckpointPassed), allow_none=True)
    in_order = fields.Boolean(allow_none=True)
    incidents = fields.List(fields.String(), metadata={"description": "reported on the way"})
    score = fields.Integer(allow_none=True)
    review_note = fields.String(allow_none=True)
    reviewed_at = Time(allow_none=True)
    reduced_at = Time(allow_none=True, metadata={"description": "track dropped, figures kept"})


class PatrolTrackOut(Out):
    seq = fields.List(fields.Integer())
    start = Time()
    line = fields.String()
    dt = fields.List(fields.Integer())
    accuracy = fields.List(fields.Integer())
    max_accuracy_m = fields.Float(metadata={"description": "points less accurate: not counted"})


class PatrolDetail(PatrolOut):
    track = fields.Nested(PatrolTrackOut, allow_none=True)


class PatrolCheckpointIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    lat = fields.Float(validate=validate.Range(-90, 90))
    lng = fields.Float(validate=validate.Range(-180, 180))
    polygon = fields.List(
        fields.List(fields.Float(), validate=validate.Length(equal=2)),
        validate=validate.Length(min=4, max=100),
        metadata={"description": "a closed ring of [lng, lat]"},
    )
    radius_m = fields.Float(load_default=30, validate=validate.Range(1, 500))

    @validates_schema
    def point_or_polygon(self, data, **kwargs):
        point = data.get("lat") is not None and data.get("lng") is not None
        if point == bool(data.get("polygon")):
            raise ValidationError("Give lat and lng, or a polygon.", "polygon")
        ring = data.get("polygon")
        if ring and ring[0] != ring[-1]:
            raise ValidationError("A polygon's ring ends where it starts.", "polygon")


class PatrolPlanIn(Schema):
    grid = fields.String(required=True)
    title = fields.String(load_default="日常巡查", validate=validate.Length(min=1, max=200))
    every_hours = Int(
        minimum=1,
        maximum=24 * 31,
        load_default=24,
        metadata={"description": "a patrol in every window this long (24: daily)"},
    )
    min_minutes = Int(minimum=0, maximum=24 * 60, load_default=30)
    checkpoints = fields.List(
        fields.Nested(PatrolCheckpointIn), load_default=list, validate=validate.Length(max=50)
    )
    ordered = fields.Boolean(load_default=False)
    working_days_only = fields.Boolean(load_default=True)


class PatrolPlanOut(Out):
    id = fields.Integer()
    grid = fields.Nested(Ref)
    title = fields.String()
    every_hours = fields.Integer()
    min_minutes = fields.Integer()
    checkpoints = fields.List(fields.Dict())
    ordered = fields.Boolean()
    working_days_only = fields.Boolean()
    emergency_id = fields.String(allow_none=True)
    active = fields.Boolean()
    anchor = Time()


class PlanMissQuery(Schema):
    community = fields.String()
    since = fields.AwareDateTime(load_default=None)


class PlanMissOut(Out):
    id = fields.Integer()
    plan_id = fields.Integer()
    grid = fields.Nested(Ref)
    title = fields.String()
    window_start = Time()
    window_end = Time()
