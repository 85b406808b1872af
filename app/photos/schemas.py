"""Photo shapes: an uploaded photo, and a reference to one from an incident or a task."""

from marshmallow import Schema, fields, validate

from app.photos.images import PHOTO_KINDS
from app.schemas import Out

SHA256 = validate.Regexp(r"^[0-9a-f]{64}$", error="Not a sha256 (64 lowercase hex digits).")


class PhotoRef(Schema):
    """A photo named by its sha256; it may be uploaded before or after the reference."""

    sha256 = fields.String(required=True, validate=SHA256)
    kind = fields.String(required=True, validate=validate.OneOf(PHOTO_KINDS))
    taken_at = fields.AwareDateTime(load_default=None, allow_none=True)
    lat = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    lng = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))


class AttachedPhoto(Out, PhotoRef):
    """A photo as an entity shows it (written by Out: a first sync writes thousands)."""

    available = fields.Boolean(metadata={"description": "whether the photo has arrived"})


class PhotoOut(Schema):
    sha256 = fields.String()
    mime = fields.String()
    size = fields.Integer()
    width = fields.Integer()
    height = fields.Integer()
    taken_at = fields.DateTime(allow_none=True)


class UploadForm(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
