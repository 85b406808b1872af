"""Shapes shared by the domains: ids, text, references, points, history, and how times and
shown entities are written."""

from datetime import UTC
from functools import cached_property, partial

from marshmallow import Schema, fields, missing, validate
from marshmallow.decorators import POST_DUMP, PRE_DUMP

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
        # The row's loaded values are copied in: read here they cost a dict lookup, where
        # the fallback below costs four, and a first sync reads a hundred thousand.
        self.__dict__.update(vars(row), **gathered)
        self._row = row

    def __getattr__(self, name):  # only for what was not gathered
        return getattr(self._row, name)


_NONE = type(None)
_NATIVE = {
    fields.String: (str, _NONE),
    fields.Integer: (int, _NONE),
    fields.Float: (float, _NONE),
    fields.Boolean: (bool, _NONE),
}


class Out(Schema):
    """An output schema that writes as marshmallow does, walking less: each value is read as
    an attribute (or a dict's key) and converted by its field, or kept when it is already
    what the field writes. Marshmallow's generic accessor also follows dotted names and asks
    every object for __getitem__ first: for a first sync's thousands of entities that tripled
    the cost of writing them."""

    @cached_property
    def _writers(self):
        writers = []
        for name, field in self.dump_fields.items():
            if field.dump_default is not missing:
                raise TypeError(f"{type(self).__name__}.{name}: Out writes no defaults")
            key = name if field.data_key is None else field.data_key
            # Values the field would write unchanged go as they are (no call per value).
            native = () if getattr(field, "as_string", False) else _NATIVE.get(type(field), ())
            if type(field) is fields.Dict and not field.key_field and not field.value_field:
                native = (dict, _NONE)  # written as is: marshmallow writes a copy of it
            write = _writer(field)
            writers.append((key, field.attribute or name, write, field._CHECK_ATTRIBUTE, native))
        return writers

    def _serialize(self, obj, *, many=False):
        if many and obj is not None:
            return [self._serialize(item) for item in obj]
        get = obj.get if isinstance(obj, dict) else partial(getattr, obj)
        out = {}
        for key, attr, write, reads, native in self._writers:
            value = get(attr, missing) if reads else None
            if value is missing:
                continue
            out[key] = value if type(value) in native else write(value, attr, obj)
        return out


def _writer(field):
    """How an Out schema converts a field's value: by the field, but a nested Out schema
    (alone or in a list) writes it directly, as Nested would through the schema's dump() if
    it has no dump hooks: a first sync writes tens of thousands of nested units, people and
    photos, and each went through two calls of marshmallow's more."""
    if isinstance(field, fields.Nested):
        schema = field.schema
        if isinstance(schema, Out) and not (schema._hooks[PRE_DUMP] or schema._hooks[POST_DUMP]):
            many, write = schema.many or field.many, schema._serialize
            return lambda value, attr, obj: None if value is None else write(value, many=many)
    if type(field) is fields.List and isinstance(field.inner, fields.Nested):
        inner = _writer(field.inner)
        if inner != field.inner._serialize:
            return lambda value, attr, obj: (
                None if value is None else [inner(each, attr, obj) for each in value]
            )
    return field._serialize


class PointMixin(Schema):
    lat = fields.Float(validate=validate.Range(-90, 90), load_default=None)
    lng = fields.Float(validate=validate.Range(-180, 180), load_default=None)
    device_time = fields.AwareDateTime(load_default=None)


class Ref(Out):
    code = fields.String()
    name = fields.String(allow_none=True)


class PersonRef(Out):
    id = fields.Integer()
    name = fields.String()


class HistoryOut(Out):
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
