"""Request and response shapes for 微心愿."""

from marshmallow import Schema, fields, validate

from app.inputs import Int
from app.photos.schemas import AttachedPhoto, PhotoRef
from app.schemas import UUID, HistoryOut, Out, PersonRef, Ref, Text, Time
from app.wishes.models import CATEGORIES, STATES

Category = lambda **kw: fields.String(validate=validate.OneOf(CATEGORIES), **kw)  # noqa: E731


class WishIn(Schema):
    id = fields.String(validate=UUID)
    grid = fields.String(required=True, validate=validate.Length(min=1, max=20))
    category = Category(required=True)
    need = Text(required=True, metadata={"description": "what is wished for, without names"})
    place = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "a rough place for the wall (3栋附近), never the door"},
    )
    beneficiary_name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    beneficiary_phone = fields.String(load_default=None, validate=validate.Length(max=20))
    address = fields.String(required=True, validate=validate.Length(min=1, max=200))


class WishVerifyIn(Schema):
    passed = fields.Boolean(required=True)
    reason = Text(load_default=None)


class WishReasonIn(Schema):
    reason = Text(required=True)
    device_time = fields.AwareDateTime(load_default=None)


class WishClaimIn(Schema):
    joint_unit_id = Int(minimum=1, load_default=None, metadata={"description": "for a 联建单位"})
    device_time = fields.AwareDateTime(load_default=None)


class WishFulfilIn(Schema):
    note = Text(load_default=None)
    # At least one, checked by the service: the answer is then evidence_required.
    photos = fields.List(
        fields.Nested(PhotoRef), load_default=list, validate=validate.Length(max=9)
    )
    confirmed = fields.Boolean(
        load_default=False,
        metadata={"description": "the beneficiary confirmed it on this phone"},
    )
    device_time = fields.AwareDateTime(load_default=None)


class WishConfirmIn(Schema):
    note = Text(load_default=None)


class WishQuery(Schema):
    community = fields.String()
    state = fields.List(fields.String(validate=validate.OneOf(STATES)))
    category = Category()
    mine = fields.Boolean(metadata={"description": "those I claimed"})
    limit = Int(minimum=1, maximum=500, load_default=100)
    offset = Int(minimum=0, load_default=0)


class WishWallQuery(Schema):
    community = fields.String(required=True)
    category = Category()


class WishCountQuery(Schema):
    by = fields.String(
        load_default="community", validate=validate.OneOf(("community", "street", "claimant"))
    )
    since = fields.AwareDateTime(load_default=None)
    until = fields.AwareDateTime(load_default=None)


class WishContact(Out):
    name = fields.String()
    phone = fields.String()


class WishOut(Out):
    id = fields.String()
    community = fields.Nested(Ref)
    grid = fields.Nested(Ref)
    category = fields.String()
    need = fields.String()
    place = fields.String()
    state = fields.String()
    beneficiary_name = fields.String(allow_none=True, metadata={"description": "masked: null"})
    beneficiary_phone = fields.String(allow_none=True, metadata={"description": "masked: null"})
    address = fields.String(allow_none=True, metadata={"description": "masked: null"})
    contact = fields.Nested(
        WishContact, allow_none=True, metadata={"description": "for the claimant: whom to ask"}
    )
    claimant = fields.Nested(PersonRef, allow_none=True)
    claimed_at = Time(allow_none=True)
    mine = fields.Boolean()
    created_at = Time()
    published_at = Time(allow_none=True)
    fulfilled_at = Time(allow_none=True)
    fulfilment_note = fields.String(allow_none=True)
    confirmed_by = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    photos = fields.List(fields.Nested(AttachedPhoto))


class WishDetail(WishOut):
    history = fields.List(fields.Nested(HistoryOut))


class WallItem(Out):
    """A wish on the wall: what anyone whose wall it is may read, and no more."""

    id = fields.String()
    category = fields.String()
    need = fields.String()
    place = fields.String()
    published_at = Time()


class WishTallyQuery(Schema):
    community = fields.String(required=True)


class WishTallyOut(Out):
    """A community's wishes by where they stand: the secretary's to-do and the wall's counts."""

    recorded = fields.Integer()
    published = fields.Integer()
    claimed = fields.Integer()
    delivered = fields.Integer()
    fulfilled = fields.Integer()
    withdrawn = fields.Integer()


class WishCountOut(Out):
    id = fields.Integer(metadata={"description": "the claimant's (by=claimant)"})
    code = fields.String(metadata={"description": "the unit's (by=community, street)"})
    name = fields.String()
    count = fields.Integer()
