"""Security defaults: every /api endpoint needs a login unless listed here; headers on
every response."""

from flask import request
from flask_login import current_user

from app.errors import error_response

PUBLIC_API = {
    "/api/health",
    "/api/auth/login",
    "/api/auth/logout",
    "/api/auth/csrf",
    "/api/openapi.json",
}
DOCS = "/api/docs"

_API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The docs page (Swagger UI) runs one inline bootstrap script.
_DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'"
)
# Vant sets inline styles; photos and map previews come from blob: and data: URLs.
_APP_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'self'"
)


def init_app(app):
    @app.before_request
    def require_login():
        path = request.path
        if not path.startswith("/api") or path in PUBLIC_API or path.startswith(DOCS):
            return None
        if not current_user.is_authenticated:
            return error_response(401, "unauthorized", "Log in first.")
        return None

    @app.after_request
    def security_headers(response):
        path = request.path
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if path.startswith(DOCS):
            csp = _DOCS_CSP
        elif path.startswith("/api"):
            csp = _API_CSP
            headers.setdefault("Cache-Control", "no-store")
        else:
            csp = _APP_CSP
        headers.setdefault("Content-Security-Policy", csp)
        return response
