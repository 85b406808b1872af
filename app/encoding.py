"""How answers become JSON: every time in them was written by its output schema (app.schemas.
Time), so the encoder should never meet one."""

from datetime import UTC, date, datetime

from flask.json.provider import DefaultJSONProvider

from app import inputs


class JSONProvider(inputs.JSONProvider):
    """The app's JSON, read as app.inputs hardens it; a date or time that skipped its schema
    is a failure in tests (it names the value, so the route can be fixed) and otherwise ISO
    8601, UTC for a moment: never Flask's HTTP date ("Tue, 01 Dec 2026 22:07:44 GMT")."""

    def default(self, value):
        if isinstance(value, date):
            if self._app.testing:
                raise TypeError(f"{value!r} reached the JSON encoder: dump it through a schema")
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.astimezone(UTC)
            return value.isoformat()
        return DefaultJSONProvider.default(value)


def init_app(app):
    """After inputs.init_app: this provider is that one, writing more strictly."""
    app.json = JSONProvider(app)
