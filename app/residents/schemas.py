"""Shapes of the residents' public page: what it sends and the public view it is shown."""

from marshmallow import Schema, fields, validate

from app.photos.schemas import SHA256
from app.return_visits.models import VERDICTS
from app.schemas import Out, Time

DESCRIPTION_MAX = 500  # a resident's report is a few sentences, not a petition


class ResidentPhotoIn(Schema):
    sha256 = fields.String(required=True, validate=SHA256)


class ResidentReportIn(Schema):
    category = fields.String(required=True, metadata={"description": "a resident-open code"})
    description = fields.String(required=True, validate=validate.Length(min=1, max=DESCRIPTION_MAX))
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(validate=validate.Range(0, 100_000), load_default=None)
    address = fields.String(validate=validate.Length(max=200), load_default=None)
    name = fields.String(validate=validate.Length(max=50), load_default=None)
    phone = fields.String(
        validate=validate.Regexp(r"^[0-9+\- ]{5,20}$"),
        load_default=None,
        metadata={"description": "for the return visit; never shown publicly"},
    )
    photos = fields.List(
        fields.Nested(ResidentPhotoIn), load_default=list, validate=validate.Length(max=3)
    )


class ResidentNearbyArgs(Schema):
    category = fields.String(required=True)
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))


class ResidentCommentIn(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=DESCRIPTION_MAX))


class ResidentVerdictIn(Schema):
    verdict = fields.String(required=True, validate=validate.OneOf(VERDICTS))
    note = fields.String(validate=validate.Length(max=DESCRIPTION_MAX), load_default=None)


class ResidentCategoryOut(Schema):
    code = fields.String()
    name = fields.String()
    name_en = fields.String()
    group = fields.String()
    keywords = fields.List(fields.String())
    fields = fields.List(fields.Dict())


class PublicStepOut(Out):
    step = fields.String(metadata={"description": "received, accepted, in_progress, ..."})
    at = Time()
    note = fields.String(allow_none=True)


class PublicCaseOut(Out):
    """A case as anyone may see it (app/residents/public.py)."""

    id = fields.String()
    state = fields.String(
        metadata={"description": "received, accepted, in_progress, closed, rejected or merged"}
    )
    open = fields.Boolean()
    reason = fields.String(allow_none=True, metadata={"description": "a rejection's reason"})
    category = fields.String()
    category_name = fields.String(allow_none=True)
    agency = fields.String(allow_none=True, metadata={"description": "who handles it"})
    description = fields.String()
    address = fields.String(allow_none=True)
    lat = fields.Float(metadata={"description": "rounded (PUBLIC_POINT_DECIMALS)"})
    lng = fields.Float()
    reported_at = Time()
    updated_at = Time()
    expected_at = Time(allow_none=True, metadata={"description": "the deadline, while open"})
    photos = fields.List(
        fields.String(),
        metadata={
            "description": "links to the handling photos (without EXIF) of a closed case, "
            "where its category allows (the catalogue's public_photos)"
        },
    )
    timeline = fields.List(fields.Nested(PublicStepOut))


class PublicNearbyOut(Schema):
    distance_m = fields.Integer()
    case = fields.Nested(PublicCaseOut)


class TrackedCaseOut(PublicCaseOut):
    tracking_number = fields.String()
    may_comment = fields.Boolean()
    may_give_verdict = fields.Boolean()


class ResidentReportedOut(Schema):
    tracking_number = fields.String()
    secret = fields.String(metadata={"description": "the private link's secret, shown once"})


class ResidentPhotoOut(Schema):
    sha256 = fields.String()


class HotlineCallIn(Schema):
    """A caller's case, as the 12345 operator takes it down."""

    caller_phone = fields.String(
        required=True,
        validate=validate.Regexp(r"^[0-9+\- ]{5,20}$"),
        metadata={"description": "for the return visit; masked below secretary"},
    )
    caller_name = fields.String(validate=validate.Length(max=50), load_default=None)
    category = fields.String(required=True, metadata={"description": "a subcategory code"})
    urgent = fields.Boolean(load_default=False)
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))
    address = fields.String(validate=validate.Length(max=200), load_default=None)


class SourceFiguresArgs(Schema):
    start = fields.AwareDateTime(
        load_default=None, metadata={"description": "default: 30 days ago"}
    )
    end = fields.AwareDateTime(load_default=None, metadata={"description": "default: now"})


class SourceFiguresOut(Schema):
    source = fields.String()
    came_in = fields.Integer()
    open = fields.Integer()
    overdue = fields.Integer()
    closed = fields.Integer()
    rejected = fields.Integer()
    merged = fields.Integer()
    satisfied = fields.Integer()
    basically_satisfied = fields.Integer()
    dissatisfied = fields.Integer()
