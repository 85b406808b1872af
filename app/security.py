"""Security defaults: the secret key, the client's address behind trusted proxies, every
/api endpoint needing a login unless listed here, headers on every response."""

import functools
import os
import secrets
from urllib.parse import urlsplit

from flask import request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from app.errors import error_response

KEY_FILE = "secret_key"  # in the instance folder

PUBLIC_API = {
    "/api/health",
    "/api/auth/login",
    "/api/auth/logout",
    "/api/auth/csrf",
    "/api/openapi.json",
    "/api/settings",  # the basemap: the residents' page draws it too, with no account
}
PUBLIC_PREFIX = "/api/public/"  # the residents' page: no account (app/residents)
DOCS = "/api/docs"

_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)
_API_CSP = "default-src 'none'; frame-ancestors 'none'; form-action 'none'"
# The docs page (Swagger UI) runs one inline bootstrap script.
_DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
)
# Vant sets inline styles; photos and map previews come from blob: and data: URLs. A basemap's
# tiles come from its hosts ({tiles}): shown as images, and fetched by the service worker,
# which caches those of the member's own grid.
_APP_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:{tiles}; "
    "connect-src 'self'{tiles}; worker-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)


@functools.cache
def _app_csp(*templates, subdomains=""):
    return _APP_CSP.format(tiles="".join(f" {o}" for o in tile_origins(templates, subdomains)))


def tile_origins(templates, subdomains=""):
    """The origins a basemap's URL templates name, {s} spelled out as Leaflet does: each
    letter of "abc" (Leaflet's default), or each item of "t0,t1"."""
    names = [s.strip() for s in subdomains.split(",")] if "," in subdomains else list(subdomains)
    names = names or list("abc")
    out = []
    for template in templates:
        if not template:
            continue
        parts = urlsplit(template)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            continue
        for name in names if "{s}" in parts.netloc else [""]:
            origin = f"{parts.scheme}://{parts.netloc.replace('{s}', name)}"
            if origin not in out:
                out.append(origin)
    return out


def secret_file(path, make=None):
    """The secret kept in the file at `path`, written once: with `make` (a function giving
    the secret's bytes) a missing file is made. Each first run writes a complete secret to a
    file of its own (O_EXCL, mode 0600) and links it into place; a link never replaces an
    existing file, so concurrent first runs (gunicorn's workers) all read the same, whole
    secret. None when there is no file and nothing to make it with."""
    if make is not None and not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        own = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(own, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(make())
                file.flush()
                os.fsync(file.fileno())
            try:
                os.link(own, path)
            except FileExistsError:
                pass  # another process was first: use its secret
        finally:
            os.unlink(own)
    try:
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError:
        return None


def use_secret_key(app):
    """SECRET_KEY, else the instance's key; production refuses to start with neither."""
    config = app.config
    path = os.path.join(app.instance_path, KEY_FILE)
    if not config.get("SECRET_KEY"):
        make = (lambda: secrets.token_urlsafe(48).encode()) if config["MAKE_SECRET_KEY"] else None
        config["SECRET_KEY"] = (secret_file(path, make) or b"").decode().strip()
    if not config["SECRET_KEY"]:
        raise RuntimeError(
            f"Set SECRET_KEY, or write a key to {path} (mode 0600); make one with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'."
        )
    # Flask-WTF signs CSRF tokens with one key; itsdangerous takes a list, newest last, so
    # a phone's cached token survives a rotation like its session does.
    config.setdefault("WTF_CSRF_SECRET_KEY", signing_keys(app))


def signing_keys(app):
    """The keys signed data is checked against, oldest first; the last one signs."""
    return [*app.config["SECRET_KEY_FALLBACKS"], app.config["SECRET_KEY"]]


def init_app(app):
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    @app.before_request
    def require_login():
        path = request.path
        if (
            not path.startswith("/api")
            or path in PUBLIC_API
            or path.startswith((DOCS, PUBLIC_PREFIX))
        ):
            return None
        if not current_user.is_authenticated:
            return error_response(401, "unauthorized", "Log in first.")
        return None

    @app.after_request
    def security_headers(response):
        path = request.path
        config = app.config
        if path.startswith(DOCS):
            csp, extra = _DOCS_CSP, ()
        elif path.startswith("/api"):
            csp, extra = _API_CSP, (("Cache-Control", "no-store"),)
        else:
            csp, extra = (
                _app_csp(
                    config["BASEMAP_URL"],
                    config["BASEMAP_LABELS_URL"],
                    subdomains=config["BASEMAP_SUBDOMAINS"],
                ),
                (),
            )
        hsts = config["HSTS_SECONDS"]
        wanted = (
            *_HEADERS,
            *extra,
            ("Content-Security-Policy", csp),
            *((("Strict-Transport-Security", f"max-age={hsts}"),) if hsts else ()),
        )
        # One pass over the headers the view set (each setdefault was a scan of its own);
        # what a view set itself stands.
        headers = response.headers
        present = {key.lower() for key in headers.keys()}
        for key, value in wanted:
            if key.lower() not in present:
                headers.add(key, value)
        if "server" in present:
            del headers["Server"]  # the server's name and version help only attackers
        return response
