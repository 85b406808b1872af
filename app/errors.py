"""The one JSON error shape for /api, and the exceptions that map to it.

Every error under /api is ``{"error": {"code", "message", "fields"}}``: ``code`` is a stable
machine word, ``message`` a sentence a person can read, ``fields`` maps offending input fields
to what is wrong with them (empty when no field is at fault).
"""

from flask import jsonify, request
from flask_smorest import Api
from flask_wtf.csrf import CSRFError
from marshmallow import Schema, fields
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    417: "expectation_failed",
    422: "validation_error",
    429: "rate_limited",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
    503: "unavailable",
}


class ApiError(Exception):
    """Raised by services for a rule a request broke; routes never build error bodies."""

    status = 400
    code = "bad_request"

    def __init__(self, message, *, code=None, status=None, fields=None, extra=None, headers=None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status = status or self.status
        self.fields = fields or {}
        self.extra = extra or {}
        self.headers = headers or {}


class NotFound(ApiError):
    status, code = 404, "not_found"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class Conflict(ApiError):
    status, code = 409, "conflict"


class Invalid(ApiError):
    status, code = 422, "validation_error"


class ErrorBody(Schema):
    """Every error's body: code, message, fields, and the members that come with some codes.
    (`fields` is declared last: the name shadows marshmallow's module below it.)"""

    code = fields.String(required=True, metadata={"description": "stable machine-readable code"})
    message = fields.String(
        required=True, metadata={"description": "what went wrong, for a person"}
    )
    state = fields.String(metadata={"description": "wrong_state: the state it is in"})
    unit = fields.String(metadata={"description": "out_of_scope: the unit's code"})
    retry_after = fields.Integer(metadata={"description": "rate_limited: seconds to wait"})
    holders = fields.List(
        fields.Dict(), metadata={"description": "task_full: who holds its places (a task's)"}
    )
    capacity = fields.Integer(metadata={"description": "task_full: how many places it has"})
    fields = fields.Dict(required=True, metadata={"description": "offending field -> problems"})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBody, required=True)


def error_response(status, code, message, fields=None, extra=None, headers=None):
    body = {"code": code, "message": message, "fields": fields or {}}
    body.update(extra or {})
    response = jsonify(error=body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _webargs_error(error):
    """Turn webargs' {"location": {field: [msgs]}} into our fields, and tell 400 from 422."""
    messages = error.data.get("messages") or {}
    flat = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            flat.update(location_messages)
        else:
            flat["_body"] = location_messages
    if "_body" in flat and flat["_body"] == ["Invalid JSON body."]:
        return 400, "malformed_json", "The request body is not valid JSON.", {}
    unknown = sorted(k for k, v in flat.items() if v == ["Unknown field."])
    if unknown:
        return 400, "unknown_field", "Unknown field(s): " + ", ".join(unknown) + ".", flat
    return 422, "validation_error", "Some fields are invalid.", flat


def http_error_response(error):
    """An HTTPException as our JSON shape under /api; elsewhere Flask's own page."""
    if not request.path.startswith("/api"):
        return error
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = data.get("headers") or {}
    if "messages" in data:
        status, code, message, fields = _webargs_error(error)
    else:
        code = CODES.get(status, "error")
        message = data.get("message") or error.description or error.name
        fields = {}
    if status == 405:
        headers = dict(headers, Allow=", ".join(error.valid_methods or []))
    return error_response(status, code, message, fields, headers=headers)


class JsonApi(Api):
    """flask-smorest's Api, answering every HTTP error under /api in our one shape."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return http_error_response(error)


def register_errors(app):
    @app.errorhandler(ApiError)
    def handle_api_error(error):
        return error_response(
            error.status, error.code, error.message, error.fields, error.extra, error.headers
        )

    @app.errorhandler(CSRFError)
    def handle_csrf(error):
        return error_response(
            400,
            "csrf_failed",
            f"CSRF check failed: {error.description} Fetch a token from /api/auth/csrf "
            "and send it in the X-CSRFToken header.",
        )

    @app.errorhandler(Exception)
    def handle_unexpected(error):
        if isinstance(error, HTTPException):
            return http_error_response(error)
        app.logger.exception("unhandled error")
        if not request.path.startswith("/api"):
            raise error
        if isinstance(error, OperationalError):
            # The database went away (a failover, a restart): nothing of this request's
            # transaction stands, and the next connection finds the new primary. Say so,
            # so that the phone sends the same request again in a moment.
            return error_response(
                503,
                "unavailable",
                "The database is switching over; send the same request again in a moment.",
                headers={"Retry-After": "5"},
            )
        return error_response(500, "internal_error", "Something went wrong on the server.")
