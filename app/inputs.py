"""Request-level input checks: what no endpoint should ever see reaches none of them.

Checked once, at the edge, for every /api request:
- strings the database cannot store (NUL; lone UTF-16 surrogates, which have no UTF-8) in the
  path, the query, a form and a JSON body: 400 ``invalid_characters`` naming the fields;
- JSON that is not JSON (the bare NaN/Infinity Python's parser takes, numbers that overflow
  to infinity) or nests deeper than MAX_DEPTH: 400 ``malformed_json`` / ``json_too_deep``,
  refused by the parser itself, so no schema and no endpoint ever sees such a body;
- integers past the 32-bit columns they end in: ``<int:...>`` in a path answers 404 (no row
  can have that id), and schema fields use ``Int``, bounded like the column.
"""

import functools
import json
import math
from datetime import date

from flask import current_app, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.routing import IntegerConverter

from app.errors import ApiError

# The deepest JSON a route's body needs is a MultiPolygon in a switch's scope (7 levels), but
# a push carries a phone's command args 4 levels down, and whatever a phone once queued must
# never make its whole push refused, forever: 100 leaves the args ample room (queue's
# property tests send 60) and still stops a body long before the parser's stack would.
MAX_DEPTH = 100
INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)


def _bad_char(text):
    """The first character of `text` no column can store, or None."""
    if "\x00" in text:
        return "\x00"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return text[error.start]
    return None


def clean(value, path=""):
    """{field path: [problem]} for every string (or key) in a JSON-like `value` that the
    database cannot store; empty when all can. Paths read like ``commands[2].args.note``.
    Iterative, so any depth a parser produced is walked without recursion."""
    problems = {}
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            bad = _bad_char(item)
            if bad is not None:
                problems[where or "_body"] = [f"contains U+{ord(bad):04X}, which cannot be stored"]
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and _bad_char(key) is not None:
                    problems[where or "_body"] = ["a key cannot be stored"]
                    continue
                stack.append((name, child))
        elif isinstance(item, list):
            stack.extend((f"{where}[{index}]", child) for index, child in enumerate(item))
    return problems


def refuse(problems):
    raise ApiError(
        "Some text holds characters that cannot be stored (NUL or lone surrogates).",
        code="invalid_characters",
        fields=problems,
    )


def _too_deep(value):
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


def _finite(text):
    number = float(text)
    if not math.isfinite(number):  # 1e400 parses as infinity
        raise ValueError(f"{text} is not a finite number")
    return number


def _iso(value):
    if isinstance(value, date):  # datetimes too: ISO 8601 with the zone, as everywhere else
        return value.isoformat()
    return DefaultJSONProvider.default(value)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing what RFC 8259 does not allow and what is nested too deep, and
    writing times in ISO 8601 (an error's extra members are not dumped by a schema)."""

    default = staticmethod(_iso)

    def loads(self, s, **kwargs):
        kwargs.setdefault("parse_constant", _no_constant)
        kwargs.setdefault("parse_float", _finite)
        try:
            value = json.loads(s, **kwargs)
            too_deep = _too_deep(value)
        except RecursionError:  # far deeper than MAX_DEPTH: the parser's own stack ran out
            too_deep = True
        except ValueError as error:  # JSONDecodeError and UnicodeDecodeError among them
            raise ApiError(
                f"The request body is not valid JSON: {error}", code="malformed_json"
            ) from None
        if too_deep:
            raise ApiError(f"The JSON nests deeper than {MAX_DEPTH} levels.", code="json_too_deep")
        return value


@functools.cache
def _instance(schema_class):
    return schema_class()


class Parser(FlaskParser):
    """webargs' parser reading JSON bodies with the app's JSONProvider and refusing strings
    that cannot be stored."""

    def _get_schema(self, argmap, req):
        # flask-smorest hands webargs each route's schema class, and webargs made an instance
        # of it per request (marshmallow deep-copies the declared fields: some 80 Python
        # calls). One instance per class serves every request, as each response's schema
        # does: a load keeps no state in the schema.
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            return _instance(argmap)
        return super()._get_schema(argmap, req)

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        return self.load_body(req.get_data(cache=True))

    def load_body(self, data):
        body = current_app.json.loads(data)
        problems = clean(self.checked_part(body))
        if problems:
            refuse(problems)
        return body

    def checked_part(self, body):
        """What of a body the edge checks: all of it, unless an endpoint checks a part itself."""
        return body


# Every blueprint's arguments go through Parser. flask-smorest reads this attribute when a
# route is declared, so it is set on import, which app/__init__.py does before any route.
Blueprint.ARGUMENTS_PARSER = Parser()


def check_request():
    """before_request: NUL or a lone surrogate in the path, the query or a form is a 400."""
    if not request.path.startswith("/api"):
        return
    problems = clean(request.view_args or {})
    if "\x00" in request.path and not problems:  # a part of the path no rule named
        problems["path"] = ["contains U+0000, which cannot be stored"]
    for key, value in request.args.items(multi=True):
        problems.update(clean({key: value}))
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in request.form.items(multi=True):
            problems.update(clean({key: value}))
        for key, upload in request.files.items(multi=True):
            problems.update(clean({key: upload.filename or ""}))
    if problems:
        refuse(problems)


class Int32Converter(IntegerConverter):
    """``<int:...>``, bounded like the column: a larger id cannot exist, so it is a 404."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT32_MAX)
        super().__init__(map, *args, **kwargs)


class Int(fields.Integer):
    """An integer bounded to the 32-bit column it ends in (tighter bounds may be given):
    the database never sees a number it cannot store."""

    def __init__(self, *, minimum=INT32_MIN, maximum=INT32_MAX, **kwargs):
        super().__init__(validate=validate.Range(minimum, maximum), **kwargs)


def init_app(app):
    """Before the blueprints: their `<int:...>` rules take the bounded converter."""
    app.json = JSONProvider(app)
    app.url_map.converters["int"] = Int32Converter
    app.before_request(check_request)
