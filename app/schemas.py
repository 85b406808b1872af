"""Shapes shared by the domains: ids, text, references, points, history, and how times and
shown entities are written."""

from datetime import UTC

from marshmallow import Schema, fields, validate

UUID = validate.Regexp(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    error="Not a lowercase UUID.",
)
Text = lambda **kw: fields.String(validate=validate.Length(min=1, max=2000), **kw)  # noqa: E731


class Time(fields.AwareDateTime):
    """A moment: read as ISO 8601 with its zone, written as ISO 8601 in UTC with "+00:00",
    the one way every answer writes a time (routes, pulls, receipts and errors alike)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} for {attr}: give it a zone")
        return value.astimezone(UTC).isoformat()


class Shown:
    """An entity as an output schema dumps it: what present() gathered for it (batched over
    many), in front of the row's own attributes. The schema lists each field once; present()
    names only what the row cannot answer itself."""

    def __init__(self, row, **gathered):
        self.__dict__.update(gathered)
        self._row = row

    def __getattr__(self, name):  # only for what was not gathered
        return getattr(self._row, name)


class PointMixin(Schema):
    lat = fields.Float(validate=validate.Range(-90, 90), load_default=None)
    lng = fields.Float(validate=validate.Range(-180, 180), load_default=None)
    device_time = fields.AwareDateTime(load_default=None)


class Ref(Schema):
    code = fields.String()
    name = fields.String(allow_none=True)


class PersonRef(Schema):
    id = fields.Integer()
    name = fields.String()


class HistoryOut(Schema):
    id = fields.Integer()
    action = fields.String()
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.Function(lambda e: e.actor.name if e.actor else None)
    actor_role = fields.String(allow_none=True)
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    data = fields.Dict(allow_none=True)
    at = Time()
    device_time = Time(allow_none=True)
    lat = fields.Float(allow_none=True)
    lng = fields.Float(allow_none=True)
