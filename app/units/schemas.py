"""Request and response shapes for the map."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema


class LocateArgs(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = fields.Float(required=True, validate=validate.Range(-180, 180))


class BBox(fields.Field):
    """`minLng,minLat,maxLng,maxLat` in WGS-84."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            parts = [float(p) for p in str(value).split(",")]
        except ValueError:
            raise ValidationError(
                "bbox must be four numbers: minLng,minLat,maxLng,maxLat."
            ) from None
        if len(parts) != 4:
            raise ValidationError("bbox must be four numbers: minLng,minLat,maxLng,maxLat.")
        min_lng, min_lat, max_lng, max_lat = parts
        if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
            raise ValidationError("bbox corners are out of range or in the wrong order.")
        return tuple(parts)


class GridQuery(Schema):
    community = fields.String(metadata={"description": "a community code"})
    street = fields.String(metadata={"description": "a street code"})
    bbox = BBox(metadata={"description": "minLng,minLat,maxLng,maxLat"})
    simplify = fields.Float(
        validate=validate.Range(0, 1000),
        metadata={"description": "simplify boundaries to this many metres (shared edges kept)"},
    )

    @validates_schema
    def one_parent(self, data, **kwargs):
        if "community" in data and "street" in data:
            raise ValidationError("Give community or street, not both.", "community")


class UnitRef(Schema):
    code = fields.String()
    name = fields.String()


class Placement(Schema):
    grid = fields.Nested(UnitRef)
    community = fields.Nested(UnitRef)
    street = fields.Nested(UnitRef)


class UnitNode(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String()
    children = fields.List(fields.Nested(lambda: UnitNode()))


class Person(Schema):
    name = fields.String()
    phone = fields.String()
    role = fields.String()
    force = fields.String(allow_none=True)


class LevelRef(UnitRef):
    level = fields.String()


class Leader(Person):
    responsible_for = fields.List(
        fields.Nested(LevelRef),
        metadata={"description": "what they answer for here: street, community, grid"},
    )


class GridDetail(Schema):
    code = fields.String()
    name = fields.String()
    area_m2 = fields.Float()
    community = fields.Nested(UnitRef)
    street = fields.Nested(UnitRef)
    geometry = fields.Dict(metadata={"description": "GeoJSON MultiPolygon, WGS-84"})
    members = fields.List(
        fields.Nested(Person), metadata={"description": "people serving the grid"}
    )
    responsible = fields.List(
        fields.Nested(Leader), metadata={"description": "包保 leaders, each once"}
    )
